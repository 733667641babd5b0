//! The optional brain: any OpenAI-compatible chat endpoint (Ollama, llama.cpp server, OpenAI)
//! with tool calling. Each action is offered as a tool whose parameters are the order's own JSON
//! Schema (from `subjects`) plus a `target`. The model only proposes: every tool call is parsed
//! with `Command::from_parts` and checked against the strategy like the rules brain's output, and
//! the result is an ordinary [`Plan`] that still needs an admin's confirmation. A call that does
//! not validate is refused; nothing the model says can skip the permission check or the
//! confirmation, which happen outside the brain.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};
use subjects::params::Discount;
use subjects::{Command, Target};

use super::{lexicon, text, Lang, Plan, Strategy, Understood};
use crate::configuration::BrainSettings;

/// A chat endpoint with tool calling.
#[derive(Debug, Clone)]
pub struct LlmBrain {
    client: reqwest::Client,
    url: String,
    model: String,
    api_key: Option<SecretString>,
}

impl LlmBrain {
    /// From the `brain` settings (`url`, `model`, `api_key`, `timeout_secs`).
    pub fn new(settings: &BrainSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .build()
            .context("Failed to build the brain's HTTP client")?;
        Ok(Self {
            client,
            url: format!("{}/chat/completions", settings.url.trim_end_matches('/')),
            model: settings.model.clone(),
            api_key: settings.api_key.clone(),
        })
    }

    /// Asks the model for the orders of `request`, then validates them.
    #[tracing::instrument(skip_all, fields(model = %self.model))]
    pub async fn understand(
        &self,
        request: &str,
        strategy: &Strategy,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Understood> {
        let lang = lexicon::language(&text::Request::new(request));
        let body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": system_prompt(strategy, now)},
                {"role": "user", "content": request},
            ],
            "tools": tools(),
            "tool_choice": "auto",
        });
        let mut call = self.client.post(&self.url).json(&body);
        if let Some(key) = &self.api_key {
            call = call.bearer_auth(key.expose_secret());
        }
        let response = call.send().await.with_context(|| {
            format!("The brain at {} did not answer: check `brain.url`, or use `brain.kind = \"rules\"`", self.url)
        })?;
        let status = response.status();
        let answer: Value = response.json().await.context("The brain's answer is not JSON")?;
        anyhow::ensure!(status.is_success(), "The brain at {} answered {status}: {answer}", self.url);
        Ok(read_answer(&answer, lang, strategy))
    }
}

fn system_prompt(strategy: &Strategy, now: DateTime<Utc>) -> String {
    let targets: Vec<String> = strategy.known_targets.iter().map(ToString::to_string).collect();
    format!(
        "You are Shellia, the admin assistant of a fleet of Discord shops. Turn the admin's request into \
         tool calls, one per order, all with the same target. Targets: `all`, or one of: {}. Default target: {}. \
         Defaults when the request does not say: promotions last {} hours, audience {}, at most {}% off; \
         giveaways last {} hours. Now is {}. If something is missing or ambiguous, answer with a question \
         instead of a tool call. Never delete data.",
        if targets.is_empty() { "(any shop id or group)".to_owned() } else { targets.join(", ") },
        strategy.default_target,
        strategy.promo_hours,
        serde_json::to_string(&strategy.promo_audience).unwrap_or_default(),
        strategy.max_discount,
        strategy.giveaway_hours,
        now.to_rfc3339(),
    )
}

/// One tool per action: `{target, params}` with the action's parameter schema.
pub fn tools() -> Vec<Value> {
    Command::params_schemas()
        .into_iter()
        .filter(|(name, _)| *name != "estimate")
        .map(|(name, schema)| {
            let mut params = schema.as_value().clone();
            let defs = params.as_object_mut().and_then(|o| {
                o.remove("$schema");
                o.remove("title");
                o.remove("$defs")
            });
            let mut parameters = json!({
                "type": "object",
                "properties": {
                    "target": {"type": "string", "description": "`all`, a shop id or a group"},
                    "params": params,
                },
                "required": ["target", "params"],
            });
            if let (Some(defs), Some(root)) = (defs, parameters.as_object_mut()) {
                root.insert("$defs".to_owned(), defs);
            }
            json!({"type": "function", "function": {"name": name, "description": format!("Send the `{name}` order"), "parameters": parameters}})
        })
        .collect()
}

/// Reads the model's answer: tool calls become a plan once each validates; text is a question.
fn read_answer(answer: &Value, lang: Lang, strategy: &Strategy) -> Understood {
    let message = &answer["choices"][0]["message"];
    let calls = message["tool_calls"].as_array().cloned().unwrap_or_default();
    if calls.is_empty() {
        return match message["content"].as_str().filter(|c| !c.trim().is_empty()) {
            Some(question) => Understood::Ask { lang, question: question.trim().to_owned() },
            None => refuse(lang, "the model gave neither an order nor a question"),
        };
    }
    let mut target: Option<Target> = None;
    let mut commands = Vec::new();
    for call in &calls {
        let (t, command) = match validate_call(call, strategy) {
            Ok(valid) => valid,
            Err(why) => return refuse(lang, &why),
        };
        if target.as_ref().is_some_and(|first| *first != t) {
            return refuse(lang, "the orders name different targets: ask for one target at a time");
        }
        target = Some(t);
        commands.push(command);
    }
    let target = target.unwrap_or_else(|| strategy.default_target.clone());
    let what: Vec<String> = commands.iter().map(|c| format!("{} {}", c.action(), c.params_json())).collect();
    let summary = lang.pick(
        format!("Ordres proposés par le modèle : {} — cible : {target}.", what.join(" ; ")),
        format!("Orders proposed by the model: {} — target: {target}.", what.join("; ")),
    );
    let done_text = lang.pick("✅ C'est fait.", "✅ Done.").to_owned();
    Understood::Plan(Plan { lang, target, commands, summary, done_text })
}

/// One tool call as a target and a command, checked like any order and against the strategy.
fn validate_call(call: &Value, strategy: &Strategy) -> Result<(Target, Command), String> {
    let name = call["function"]["name"].as_str().ok_or("a tool call without a name")?;
    let raw = &call["function"]["arguments"];
    let args: Map<String, Value> = match raw {
        Value::String(text) => {
            serde_json::from_str(text).map_err(|e| format!("the arguments of `{name}` are not JSON: {e}"))?
        }
        Value::Object(map) => map.clone(),
        _ => return Err(format!("the arguments of `{name}` are missing")),
    };
    let target = args.get("target").and_then(Value::as_str).ok_or(format!("`{name}` names no target"))?;
    let target = Target::parse(target).map_err(|e| e.to_string())?;
    if let Target::Named(named) = &target {
        if !strategy.known_targets.is_empty() && !strategy.known_targets.contains(named) {
            return Err(format!("no shop or group is named `{named}`"));
        }
    }
    if name == "estimate" {
        return Err("`estimate` is not an order to send".to_owned());
    }
    let params = args.get("params").cloned().unwrap_or(Value::Null);
    let command = Command::from_parts(name, params).map_err(|e| e.message)?;
    if let Command::Promo(p) = &command {
        if let Discount::Percent(pct) = p.discount {
            if pct > strategy.max_discount {
                return Err(format!("{pct}% is above the strategy's cap of {}%", strategy.max_discount));
            }
        }
    }
    Ok((target, command))
}

fn refuse(lang: Lang, why: &str) -> Understood {
    Understood::Refuse {
        lang,
        reason: lang.pick(
            format!("La proposition du modèle n'est pas un ordre valide ({why}) : rien n'a été préparé."),
            format!("The model's proposal is not a valid order ({why}): nothing was planned."),
        ),
    }
}
