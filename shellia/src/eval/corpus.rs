//! The evaluation's inputs: the fleet file (the shops, their catalog and settings, and the clock)
//! and the corpus, one JSON object per line with the request and what it must give.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use subjects::{Name, Target};

use crate::brain::{Catalog, Strategy};

/// The fleet file: the catalog and a fixed `now`.
#[derive(Debug, Clone, Deserialize)]
pub struct Fleet {
    /// The instant every request is read at.
    pub now: DateTime<Utc>,
    /// The shops.
    #[serde(flatten)]
    pub catalog: Catalog,
}

impl Fleet {
    /// Reads a fleet file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The strategy the shops' settings give: their cap and default duration, every shop and
    /// group known, the catalog known.
    pub fn strategy(&self) -> Strategy {
        let base = Strategy::default();
        let setting = |key: &str| self.catalog.setting(key, &Target::All);
        Strategy {
            promo_hours: setting("promo.default_hours").and_then(|h| h.parse().ok()).unwrap_or(base.promo_hours),
            max_discount: setting("promo.max_discount").and_then(|p| p.parse().ok()).unwrap_or(base.max_discount),
            known_targets: self.catalog.target_names().iter().filter_map(|n| Name::parse(n).ok()).collect(),
            catalog: self.catalog.clone(),
            ..base
        }
    }
}

/// What a request must give.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// These orders, in this order.
    Orders(Vec<ExpectedOrder>),
    /// A question back, for this reason.
    Ask(String),
    /// A refusal, for this reason.
    Refuse(String),
}

/// One expected order: the params listed are compared, the others are not.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ExpectedOrder {
    /// `all`, a shop or a group.
    pub target: String,
    /// The action.
    pub action: String,
    /// The params the sentence determines.
    #[serde(default)]
    pub params: Value,
}

/// One request of the corpus.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Its id (`d001`).
    pub id: String,
    /// `fr` or `en`.
    pub lang: String,
    /// What kind of request (`promo`, `config`, …).
    pub category: String,
    /// The request as an admin writes it.
    pub text: String,
    /// What it must give.
    pub expect: Expect,
}

/// Reads a JSONL corpus (blank lines skipped).
pub fn load(path: &Path) -> anyhow::Result<Vec<Case>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).with_context(|| format!("{}:{}: not a corpus line", path.display(), n + 1))
        })
        .collect()
}
