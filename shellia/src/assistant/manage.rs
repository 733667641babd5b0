//! `strategy …` and `campaign …`: named defaults and scheduled campaigns, by command.

use chrono::Utc;

use super::{Answer, Assistant, Outcome, Refusal, Requester};
use crate::store::CampaignRow;
use crate::strategy::{valid_name, Defaults, Schedule};

const STRATEGY_USAGE: &str = "usage: strategy [list] | strategy set <name> [promo_hours=N] [audience=everyone|inactive:<days>|role:<id>|promo_ping] [max_discount=N] [giveaway_hours=N] | strategy use <name> | strategy delete <name>";
const CAMPAIGN_USAGE: &str = "usage: campaign add <name> <day|daily> <HH:MM> <command> (UTC; e.g. `campaign add friday fri 18:00 promo 10% all 48h audience.inactive_days=30`) | campaign list | campaign pause|resume|delete <name>";

fn invalid(text: impl Into<String>) -> Answer {
    Answer::refused(Refusal::Invalid, text)
}

impl Assistant {
    pub(super) async fn strategy_command(&self, who: &Requester, words: &[String]) -> anyhow::Result<Answer> {
        let store = &self.inner.store;
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            [] | ["list"] => {
                let saved = store.strategies().await?;
                let mut text = String::new();
                if !saved.iter().any(|(_, active)| *active) {
                    text.push_str(&format!("* {} (built in, in use)\n", Defaults::builtin().describe()));
                }
                for (d, active) in saved {
                    text.push_str(&format!("{} {}\n", if active { "*" } else { " " }, d.describe()));
                }
                Ok(Answer::new(text, Outcome::Info))
            }
            ["set", name, fields @ ..] if valid_name(name) => {
                let saved = store.strategies().await?;
                let mut defaults = saved
                    .into_iter()
                    .find(|(d, _)| d.name == *name)
                    .map(|(d, _)| d)
                    .unwrap_or_else(|| Defaults { name: (*name).to_owned(), ..Defaults::builtin() });
                for field in fields {
                    if let Err(e) = defaults.set(field) {
                        return Ok(invalid(e));
                    }
                }
                store.save_strategy(&defaults, &who.id).await?;
                Ok(Answer::new(format!("strategy saved: {}", defaults.describe()), Outcome::Info))
            }
            ["use", name] => Ok(if store.use_strategy(name).await? {
                Answer::new(format!("strategy `{name}` is now in use"), Outcome::Info)
            } else {
                invalid(format!("no strategy named `{name}`: `strategy list` shows them"))
            }),
            ["delete", name] => Ok(if store.delete_strategy(name).await? {
                Answer::new(format!("strategy `{name}` deleted"), Outcome::Info)
            } else {
                invalid(format!("no strategy named `{name}`"))
            }),
            _ => Ok(invalid(STRATEGY_USAGE)),
        }
    }

    pub(super) async fn campaign_command(&self, who: &Requester, words: &[String]) -> anyhow::Result<Answer> {
        let store = &self.inner.store;
        match words {
            [] => Ok(self.list_campaigns().await?),
            [verb] if verb == "list" => Ok(self.list_campaigns().await?),
            [verb, name, day, time, command @ ..] if verb == "add" && !command.is_empty() => {
                if !valid_name(name) {
                    return Ok(invalid(format!("campaign name {name:?}: 1 to 32 of a-z, 0-9, - and _")));
                }
                let schedule = match Schedule::parse(day, time) {
                    Ok(s) => s,
                    Err(e) => return Ok(invalid(e.to_string())),
                };
                let Some((target, action, params)) = self.as_command(command) else {
                    return Ok(invalid(format!(
                        "a campaign runs a command such as `promo 10% all 48h` or `@eu report`, not {:?}",
                        command.join(" ")
                    )));
                };
                // Checked now, so a campaign never fails for a typo at 18:00 on a Friday.
                if let Err(e) = crate::command::build_order(&target, action, params, "check") {
                    return Ok(invalid(e.to_string()));
                }
                let row = CampaignRow {
                    name: name.clone(),
                    schedule: schedule.to_string(),
                    command: shell_join(command),
                    paused: false,
                    created_by: who.id.clone(),
                    created_at: Utc::now(),
                };
                Ok(if store.add_campaign(&row).await? {
                    let next = schedule.next_slot(Utc::now()).format("%Y-%m-%d %H:%M UTC");
                    Answer::new(
                        format!("campaign `{name}` added: {schedule} → {} (next run {next})", row.command),
                        Outcome::Info,
                    )
                } else {
                    invalid(format!("a campaign named `{name}` exists: delete it first or choose another name"))
                })
            }
            [verb, name] if matches!(verb.as_str(), "pause" | "resume" | "delete") => {
                let found = match verb.as_str() {
                    "delete" => store.delete_campaign(name).await?,
                    other => store.set_paused(name, other == "pause").await?,
                };
                Ok(if found {
                    let done = match verb.as_str() {
                        "pause" => "paused",
                        "resume" => "resumed",
                        _ => "deleted",
                    };
                    Answer::new(format!("campaign `{name}` {done}"), Outcome::Info)
                } else {
                    invalid(format!("no campaign named `{name}`: `campaign list` shows them"))
                })
            }
            _ => Ok(invalid(CAMPAIGN_USAGE)),
        }
    }

    async fn list_campaigns(&self) -> anyhow::Result<Answer> {
        let campaigns = self.inner.store.campaigns().await?;
        if campaigns.is_empty() {
            return Ok(Answer::new("no campaigns: `campaign add …` schedules one", Outcome::Info));
        }
        let mut text = String::new();
        for c in campaigns {
            let last = self.inner.store.last_run(&c.name).await?;
            let last = last.map_or("never run".to_owned(), |r| {
                format!("last run {} ({})", r.slot.format("%Y-%m-%d %H:%M"), r.outcome.as_deref().unwrap_or("sending"))
            });
            let state = if c.paused { "paused" } else { "active" };
            text.push_str(&format!(
                "{}  {}  {state}  {} · by {} · {last}\n",
                c.name, c.schedule, c.command, c.created_by
            ));
        }
        Ok(Answer::new(text, Outcome::Info))
    }
}

/// Joins words back into a line the console splits the same way (quotes where needed).
fn shell_join(words: &[String]) -> String {
    words
        .iter()
        .map(|w| if w.contains(char::is_whitespace) || w.is_empty() { format!("\"{w}\"") } else { w.clone() })
        .collect::<Vec<_>>()
        .join(" ")
}
