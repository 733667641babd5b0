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

impl Settings {
    /// Loads the layers; `file` is the optional middle layer.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let env = config::Environment::with_prefix("SHELLIA").prefix_separator("_").separator("__");
        let settings: Settings = broker::connect::layered_settings(BASE, file, env)?;
        settings.identity()?;
        settings.default_target()?;
        Ok(settings)
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
