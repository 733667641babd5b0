//! Settings, in layers: `configuration/base.toml` (compiled in), an optional file, then
//! `MAXIS_`-prefixed environment variables with `__` between levels.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use subjects::ShopId;

const BASE: &str = include_str!("../configuration/base.toml");

/// All settings of one shop.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The shop.
    pub shop: ShopSettings,
    /// The broker.
    pub nats: NatsSettings,
    /// The database.
    pub database: DatabaseSettings,
}

/// The shop's identity.
#[derive(Debug, Clone, Deserialize)]
pub struct ShopSettings {
    /// The shop id (raw; parsed by [`Settings::shop_id`]).
    pub id: String,
}

/// How to reach the broker.
#[derive(Debug, Clone, Deserialize)]
pub struct NatsSettings {
    /// Broker URL(s), comma-separated for a cluster.
    pub url: String,
    /// The nkey seed itself (from the environment only).
    #[serde(default)]
    pub seed: Option<SecretString>,
    /// A file holding the nkey seed.
    #[serde(default)]
    pub seed_file: String,
    /// Orders pulled per batch.
    pub batch: usize,
}

/// Where the shop's data lives.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// SQLite file path.
    pub path: String,
}

impl Settings {
    /// Loads the layers; `file` is the optional middle layer.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder().add_source(config::File::from_str(BASE, config::FileFormat::Toml));
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        let settings: Settings = builder
            .add_source(config::Environment::with_prefix("MAXIS").prefix_separator("_").separator("__"))
            .build()
            .context("Failed to read the settings")?
            .try_deserialize()
            .context("Invalid settings")?;
        settings.shop_id()?;
        Ok(settings)
    }

    /// The shop id, validated.
    pub fn shop_id(&self) -> anyhow::Result<ShopId> {
        if self.shop.id.is_empty() {
            bail!("no shop id: set MAXIS_SHOP__ID (e.g. shop1) or [shop] id in the config file");
        }
        ShopId::parse(self.shop.id.clone()).context("invalid shop id")
    }

    /// The nkey seed: MAXIS_NATS__SEED, else the seed file.
    pub fn nats_seed(&self) -> anyhow::Result<SecretString> {
        if let Some(seed) = &self.nats.seed {
            if !seed.expose_secret().is_empty() {
                return Ok(seed.clone());
            }
        }
        if self.nats.seed_file.is_empty() {
            bail!("no NATS credentials: set MAXIS_NATS__SEED_FILE to the shop's seed file (`broker key-path shop-<id>`) or MAXIS_NATS__SEED");
        }
        let text = std::fs::read_to_string(&self.nats.seed_file)
            .with_context(|| format!("cannot read the seed file {}", self.nats.seed_file))?;
        Ok(SecretString::from(text.trim().to_owned()))
    }

    /// The database file.
    pub fn database_path(&self) -> anyhow::Result<PathBuf> {
        if self.database.path.is_empty() {
            return Ok(PathBuf::from(format!("{}.db", self.shop_id()?)));
        }
        Ok(PathBuf::from(&self.database.path))
    }
}
