//! Settings, in layers: `configuration/base.toml` (compiled in), an optional file, then
//! `SHELLIA_`-prefixed environment variables with `__` between levels.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use secrecy::SecretString;
use serde::Deserialize;
use subjects::{Name, Target};

const BASE: &str = include_str!("../configuration/base.toml");

/// All settings of one Shellia.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Identity name in the fleet.
    pub identity: String,
    /// Default target.
    pub default_target: String,
    /// Reply wait, in milliseconds.
    pub reply_timeout_ms: u64,
    /// Lifetime of an order, in seconds: a queued order is not executed after it.
    pub order_ttl_secs: u64,
    /// The broker.
    pub nats: NatsSettings,
    /// Shellia's own database (strategies, campaigns, the audit of orders sent).
    pub database: DatabaseSettings,
    /// Who may command, and how fast.
    pub admin: AdminSettings,
    /// Plans waiting for a confirmation.
    pub plans: PlanSettings,
    /// Which brain reads plain-language requests.
    pub brain: BrainSettings,
    /// The campaign scheduler.
    pub campaigns: CampaignSettings,
    /// Discord; without a token Shellia offers its console only.
    #[serde(default)]
    pub discord: crate::discord::DiscordSettings,
}

/// Shellia's own SQLite file.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Path of the file, created and migrated at start.
    pub path: String,
}

/// Who may command. Checked in code before anything else; the brain never decides it.
#[derive(Debug, Clone, Deserialize)]
pub struct AdminSettings {
    /// Discord role ids whose members may command (one id or several: `1,2`, a list).
    #[serde(default, deserialize_with = "one_or_many")]
    pub roles: Vec<u64>,
    /// Discord user ids who may command (one id or several).
    #[serde(default, deserialize_with = "one_or_many")]
    pub users: Vec<u64>,
    /// Requests (commands, plain-language requests) each admin may make per minute.
    pub orders_per_minute: u32,
}

/// Plans waiting for a confirmation.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanSettings {
    /// A plan not confirmed within this many seconds is dropped.
    pub confirm_timeout_secs: u64,
}

/// The brain: `rules` (the deterministic reader, no network) or `openai` (any OpenAI-compatible
/// chat endpoint with tool calling).
#[derive(Debug, Clone, Deserialize)]
pub struct BrainSettings {
    /// `rules` or `openai`.
    pub kind: String,
    /// Base URL of the endpoint, e.g. `http://127.0.0.1:11434/v1` (Ollama) or `https://api.openai.com/v1`.
    #[serde(default)]
    pub url: String,
    /// Model name.
    #[serde(default)]
    pub model: String,
    /// API key (environment only: SHELLIA_BRAIN__API_KEY).
    #[serde(default)]
    pub api_key: Option<SecretString>,
    /// How long to wait for the endpoint, in seconds.
    pub timeout_secs: u64,
}

/// The campaign scheduler.
#[derive(Debug, Clone, Deserialize)]
pub struct CampaignSettings {
    /// How often the scheduler looks for due campaigns, in seconds.
    pub tick_secs: u64,
}

/// How to reach the broker.
#[derive(Debug, Clone, Deserialize)]
pub struct NatsSettings {
    /// Broker URL(s).
    pub url: String,
    /// The nkey seed itself (from the environment only).
    #[serde(default)]
    pub seed: Option<SecretString>,
    /// A file holding the nkey seed.
    #[serde(default)]
    pub seed_file: String,
}

/// A list setting given as a list, as one id (`SHELLIA_ADMIN__ROLES=123` is read as a number),
/// or as text with commas (`"1,2"`).
fn one_or_many<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ids {
        Many(Vec<serde_json::Value>),
        One(serde_json::Value),
    }
    fn id<E: serde::de::Error>(value: &serde_json::Value) -> Result<Vec<u64>, E> {
        match value {
            serde_json::Value::Number(n) => {
                n.as_u64().map(|n| vec![n]).ok_or_else(|| E::custom(format!("{n} is not an id")))
            }
            serde_json::Value::String(s) => s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| p.parse::<u64>().map_err(|_| E::custom(format!("{p:?} is not an id"))))
                .collect(),
            other => Err(E::custom(format!("{other} is not an id"))),
        }
    }
    let values = match Ids::deserialize(de)? {
        Ids::Many(values) => values,
        Ids::One(value) => vec![value],
    };
    let mut ids = Vec::new();
    for value in &values {
        ids.extend(id::<D::Error>(value)?);
    }
    Ok(ids)
}

impl Settings {
    /// Loads the layers; `file` is the optional middle layer.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        Self::load_with_env(file, None)
    }

    /// Loads the layers with `vars` in place of the process environment when given (for tests:
    /// `SHELLIA_ADMIN__ROLES=123` as the program would read it).
    pub fn load_with_env(file: Option<&Path>, vars: Option<Vec<(String, String)>>) -> anyhow::Result<Self> {
        let vars = vars.map(|v| v.into_iter().collect::<config::Map<String, String>>());
        let env = config::Environment::with_prefix("SHELLIA")
            .source(vars)
            .prefix_separator("_")
            .separator("__")
            .list_separator(",")
            .with_list_parse_key("admin.roles")
            .with_list_parse_key("admin.users")
            .try_parsing(true);
        let settings: Settings = broker::connect::layered_settings(BASE, file, env)?;
        settings.check()
    }

    /// The defaults with `layer` (TOML text) over them, without the environment: for tests and tools.
    pub fn with_layer(layer: &str) -> anyhow::Result<Self> {
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(BASE, config::FileFormat::Toml))
            .add_source(config::File::from_str(layer, config::FileFormat::Toml))
            .build()
            .context("Failed to read the settings")?
            .try_deserialize()
            .context("Invalid settings")?;
        settings.check()
    }

    fn check(self) -> anyhow::Result<Self> {
        self.identity()?;
        self.default_target()?;
        anyhow::ensure!(
            matches!(self.brain.kind.as_str(), "rules" | "openai"),
            "invalid `brain.kind` {:?}: use `rules` or `openai`",
            self.brain.kind
        );
        anyhow::ensure!(
            self.brain.kind != "openai" || !(self.brain.url.is_empty() || self.brain.model.is_empty()),
            "`brain.kind = \"openai\"` needs `brain.url` and `brain.model`"
        );
        anyhow::ensure!(self.admin.orders_per_minute > 0, "`admin.orders_per_minute` must be at least 1");
        Ok(self)
    }

    /// How long a plan waits for its confirmation.
    pub fn confirm_timeout(&self) -> Duration {
        Duration::from_secs(self.plans.confirm_timeout_secs.max(1))
    }

    /// The identity, validated.
    pub fn identity(&self) -> anyhow::Result<Name> {
        Name::parse(self.identity.clone()).context("invalid `identity`")
    }

    /// The default target, validated.
    pub fn default_target(&self) -> anyhow::Result<Target> {
        Target::parse(&self.default_target).context("invalid `default_target`")
    }

    /// How long to wait for replies.
    pub fn reply_timeout(&self) -> Duration {
        Duration::from_millis(self.reply_timeout_ms)
    }

    /// Lifetime of an order.
    pub fn order_ttl(&self) -> Duration {
        Duration::from_secs(self.order_ttl_secs.max(1))
    }

    /// The nkey seed: SHELLIA_NATS__SEED, else the seed file.
    pub fn nats_seed(&self) -> anyhow::Result<SecretString> {
        broker::connect::load_seed(
            self.nats.seed.as_ref(),
            &self.nats.seed_file,
            "no NATS credentials: set SHELLIA_NATS__SEED_FILE to Shellia's seed file (`broker key-path shellia-<name>`) or SHELLIA_NATS__SEED",
        )
    }
}

#[cfg(test)]
mod list_tests {
    use super::*;

    #[test]
    fn one_admin_id_or_several_are_read_from_a_file() {
        for (layer, want) in [
            ("[admin]\nroles = 123456789\nusers = \"42\"", (vec![123_456_789], vec![42])),
            ("[admin]\nroles = [1, 2]\nusers = \"3,4\"", (vec![1, 2], vec![3, 4])),
        ] {
            let s = Settings::with_layer(layer).unwrap_or_else(|e| panic!("{layer}: {e:#}"));
            assert_eq!((s.admin.roles, s.admin.users), want, "{layer}");
        }
    }
}
