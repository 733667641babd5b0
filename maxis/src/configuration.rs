//! Settings, in layers: `configuration/base.toml` (compiled in), an optional file, then
//! `MAXIS_`-prefixed environment variables with `__` between levels.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use secrecy::SecretString;
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
    /// Who may command the shop.
    pub security: SecuritySettings,
    /// The HTTP server.
    pub http: HttpSettings,
    /// Stripe.
    pub stripe: StripeSettings,
    /// Checkouts.
    pub checkout: CheckoutSettings,
    /// The catalog file.
    pub catalog: CatalogSettings,
    /// Discord; without a token the shop runs headless.
    pub discord: DiscordSettings,
    /// Roles that follow the money.
    #[serde(default)]
    pub roles: RolesSettings,
    /// Memberships: catching up with Stripe, grace after a failed renewal.
    #[serde(default)]
    pub memberships: MembershipSettings,
}

/// Memberships (recurring plans).
#[derive(Debug, Clone, Deserialize)]
pub struct MembershipSettings {
    /// How often the shop lists the Stripe events it may have missed, in seconds (it also does
    /// at start). Default 300.
    #[serde(default = "five_minutes")]
    pub catch_up_secs: u64,
    /// Days a member keeps a plan's role after a failed renewal while they fix their payment.
    /// Default 7.
    #[serde(default = "seven")]
    pub grace_days: u32,
    /// Days before the grace ends when the member is reminded. Default 2.
    #[serde(default = "two")]
    pub reminder_days: u32,
}

impl Default for MembershipSettings {
    fn default() -> Self {
        Self { catch_up_secs: five_minutes(), grace_days: seven(), reminder_days: two() }
    }
}

fn seven() -> u32 {
    7
}

fn two() -> u32 {
    2
}

/// Roles that follow the money (the reconciler).
#[derive(Debug, Clone, Deserialize)]
pub struct RolesSettings {
    /// How often every member with a purchase is compared with Discord, in seconds (drift check:
    /// repairs roles changed by hand). Default 300.
    #[serde(default = "five_minutes")]
    pub drift_check_secs: u64,
}

impl Default for RolesSettings {
    fn default() -> Self {
        Self { drift_check_secs: five_minutes() }
    }
}

fn five_minutes() -> u64 {
    300
}

/// Discord.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DiscordSettings {
    /// Bot token (environment only: MAXIS_DISCORD__TOKEN); absent or empty: headless.
    #[serde(default)]
    pub token: Option<SecretString>,
    /// The server's id.
    #[serde(default)]
    pub guild_id: String,
    /// Role ids whose members may use the admin commands (one id or several).
    #[serde(default, deserialize_with = "one_or_many")]
    pub admin_roles: Vec<String>,
    /// Channel id where Maxis tells the admins what needs them (a role it cannot give).
    #[serde(default)]
    pub admin_channel: String,
    /// API base URL; empty for discord.com (set it to a Discord REST proxy's URL).
    #[serde(default)]
    pub api_base: String,
}

/// Stripe.
#[derive(Debug, Clone, Deserialize)]
pub struct StripeSettings {
    /// Secret API key (environment only).
    #[serde(default)]
    pub secret_key: Option<SecretString>,
    /// Webhook signing secret (environment only).
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
    /// API base URL; empty for Stripe's.
    #[serde(default)]
    pub api_base: String,
}

/// Checkouts.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSettings {
    /// Minutes a checkout holds its stock.
    pub hold_minutes: u64,
    /// After paying.
    pub success_url: String,
    /// After cancelling.
    pub cancel_url: String,
}

/// The catalog file.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogSettings {
    /// Path; empty for none.
    #[serde(default)]
    pub path: String,
}

/// Who may command the shop.
#[derive(Debug, Clone, Deserialize)]
pub struct SecuritySettings {
    /// Public nkeys of the trusted Shellia instances.
    #[serde(default)]
    pub shellia_keys: Vec<String>,
}

/// The HTTP server (`/healthz`, `/metrics`).
#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    /// Address to bind, e.g. `127.0.0.1:9100`.
    pub listen: String,
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

/// A list of ids given as a list, as one id (`MAXIS_DISCORD__ADMIN_ROLES=123` is read as a
/// number), or as text with commas.
fn one_or_many<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ids {
        Many(Vec<serde_json::Value>),
        One(serde_json::Value),
    }
    let values = match Ids::deserialize(de)? {
        Ids::Many(values) => values,
        Ids::One(value) => vec![value],
    };
    let mut ids = Vec::new();
    for value in values {
        match value {
            serde_json::Value::Number(n) => ids.push(n.to_string()),
            serde_json::Value::String(s) => {
                ids.extend(s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned))
            }
            other => return Err(serde::de::Error::custom(format!("{other} is not a role id"))),
        }
    }
    Ok(ids)
}

impl Settings {
    /// Loads the layers; `file` is the optional middle layer.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let env = config::Environment::with_prefix("MAXIS")
            .prefix_separator("_")
            .separator("__")
            .list_separator(",")
            .with_list_parse_key("security.shellia_keys")
            .with_list_parse_key("discord.admin_roles")
            .try_parsing(true);
        let settings: Settings = broker::connect::layered_settings(BASE, file, env)?;
        settings.shop_id()?;
        settings.trusted_keys()?;
        crate::discord::DiscordConfig::from_settings(&settings.discord)?;
        Ok(settings)
    }

    /// The trusted Shellia keys, each checked to be a public user nkey.
    pub fn trusted_keys(&self) -> anyhow::Result<Vec<String>> {
        if self.security.shellia_keys.is_empty() {
            bail!(
                "no trusted Shellia key: set MAXIS_SECURITY__SHELLIA_KEYS to the public nkey of each Shellia \
                 (`broker public-key shellia-<name>`); unsigned orders are never executed"
            );
        }
        for key in &self.security.shellia_keys {
            nkeys::KeyPair::from_public_key(key).with_context(|| format!("{key:?} is not a public nkey"))?;
            if !key.starts_with('U') {
                bail!("{key:?} is not a user public nkey (U...)");
            }
        }
        Ok(self.security.shellia_keys.clone())
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
        broker::connect::load_seed(
            self.nats.seed.as_ref(),
            &self.nats.seed_file,
            "no NATS credentials: set MAXIS_NATS__SEED_FILE to the shop's seed file (`broker key-path shop-<id>`) or MAXIS_NATS__SEED",
        )
    }

    /// The database file.
    pub fn database_path(&self) -> anyhow::Result<PathBuf> {
        if self.database.path.is_empty() {
            return Ok(PathBuf::from(format!("{}.db", self.shop_id()?)));
        }
        Ok(PathBuf::from(&self.database.path))
    }
}
