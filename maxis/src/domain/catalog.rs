//! The catalog: products and plans, their prices, stock and limits.

use serde::Deserialize;
use subjects::params::{Discount, PromoTarget};

use crate::domain::config::parse_price;

/// What a product is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// A digital item (a file, a key) delivered by message.
    Digital,
    /// A Discord role, for good.
    Role,
    /// A physical item, shipped.
    Physical,
    /// A recurring plan with a role, held while paid.
    Plan,
}

impl ProductKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digital => "digital",
            Self::Role => "role",
            Self::Physical => "physical",
            Self::Plan => "plan",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "digital" => Self::Digital,
            "role" => Self::Role,
            "physical" => Self::Physical,
            "plan" => Self::Plan,
            _ => return None,
        })
    }
}

/// Billing period of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Monthly.
    Month,
    /// Yearly.
    Year,
}

/// A product or plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Catalog id (`pro`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Kind.
    pub kind: ProductKind,
    /// Price in minor units.
    pub price: i64,
    /// Currency.
    pub currency: String,
    /// Role granted on purchase (plans and roles).
    pub role_id: Option<String>,
    /// Units left; `None` for unlimited.
    pub stock: Option<i64>,
    /// Most units one member may hold; `None` for no limit.
    pub per_user_limit: Option<i64>,
    /// Billing period (plans).
    pub interval: Option<Interval>,
    /// Free days a plan offers before its first payment (once per member).
    pub trial_days: Option<u32>,
    /// Shown in the shop.
    pub visible: bool,
}

/// One entry of the catalog file (same fields as `subjects::params::ProductSpec`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductEntry {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    kind: ProductKind,
    price: String,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    stock: Option<i64>,
    #[serde(default)]
    per_user_limit: Option<i64>,
    #[serde(default)]
    interval: Option<Interval>,
    #[serde(default)]
    trial_days: Option<u32>,
    #[serde(default = "yes")]
    visible: bool,
}

fn yes() -> bool {
    true
}

/// The catalog file (`catalog.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// Default currency of the entries.
    pub currency: String,
    /// The products, as `[[product]]` tables.
    #[serde(default)]
    pub product: Vec<ProductEntry>,
}

/// A catalog entry that cannot be sold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog entry `{id}`: {reason}")]
pub struct CatalogError {
    /// The entry.
    pub id: String,
    /// What is wrong.
    pub reason: String,
}

impl CatalogFile {
    /// Checks every entry and returns the products.
    pub fn products(&self) -> Result<Vec<Product>, CatalogError> {
        let mut seen = std::collections::BTreeSet::new();
        self.product
            .iter()
            .map(|e| {
                let err = |reason: &str| CatalogError { id: e.id.clone(), reason: reason.to_owned() };
                let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
                if e.id.is_empty() || e.id.len() > 64 || !e.id.chars().all(ok) {
                    return Err(err("ids are 1 to 64 of [a-z0-9_-]"));
                }
                if !seen.insert(e.id.clone()) {
                    return Err(err("appears twice"));
                }
                let price = parse_price(&e.price).ok_or_else(|| err("price must look like 29.99"))?;
                let currency = e.currency.clone().unwrap_or_else(|| self.currency.clone()).to_ascii_lowercase();
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
                    return Err(err("currency must be an ISO 4217 code like eur"));
                }
                let role_ok = |r: &String| r.len() >= 5 && r.len() <= 20 && r.bytes().all(|b| b.is_ascii_digit());
                if e.role.as_ref().is_some_and(|r| !role_ok(r)) {
                    return Err(err("role must be a Discord role id (digits)"));
                }
                match e.kind {
                    ProductKind::Plan if e.interval.is_none() => {
                        return Err(err("a plan needs interval = \"month\" or \"year\""))
                    }
                    ProductKind::Plan | ProductKind::Role if e.role.is_none() => {
                        return Err(err("plans and roles need a role id"))
                    }
                    k if k != ProductKind::Plan && e.interval.is_some() => {
                        return Err(err("only plans have an interval"))
                    }
                    _ => {}
                }
                match e.trial_days {
                    Some(_) if e.kind != ProductKind::Plan => return Err(err("only plans have trial days")),
                    Some(days) if days > 730 => {
                        return Err(err("trial_days must be 0 to 730 (Stripe's limits; 0 for no trial)"))
                    }
                    _ => {}
                }
                if e.stock.is_some_and(|s| s < 0) || e.per_user_limit.is_some_and(|l| l < 1) {
                    return Err(err("stock must be 0 or more and per_user_limit 1 or more"));
                }
                Ok(Product {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    description: e.description.clone(),
                    kind: e.kind,
                    price,
                    currency,
                    role_id: e.role.clone(),
                    stock: e.stock,
                    per_user_limit: e.per_user_limit,
                    interval: e.interval,
                    trial_days: e.trial_days.filter(|d| *d > 0),
                    visible: e.visible,
                })
            })
            .collect()
    }
}

/// Whether a promotion's target covers `product`.
pub fn promo_applies(target: &PromoTarget, product: &Product) -> bool {
    match target {
        PromoTarget::All => true,
        PromoTarget::Plan(id) => product.kind == ProductKind::Plan && *id == product.id,
        PromoTarget::Product(id) => *id == product.id,
    }
}

/// The unit price after `discount`: percents round to the nearest minor unit; a fixed amount in
/// another currency does not apply; never below zero.
pub fn discounted(price: i64, currency: &str, discount: &Discount) -> i64 {
    match discount {
        Discount::Percent(p) => price - (price * i64::from(*p) + 50) / 100,
        Discount::Fixed(m) if m.currency == currency => (price - m.amount as i64).max(0),
        Discount::Fixed(_) => price,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use subjects::params::Money;

    #[test]
    fn discounts_round_and_never_go_below_zero() {
        assert_eq!(discounted(2999, "eur", &Discount::Percent(20)), 2399);
        assert_eq!(discounted(999, "eur", &Discount::Fixed(Money { amount: 1500, currency: "eur".into() })), 0);
        assert_eq!(discounted(999, "eur", &Discount::Fixed(Money { amount: 100, currency: "usd".into() })), 999);
    }

    #[test]
    fn a_plan_needs_an_interval_and_a_role() {
        let file: CatalogFile = serde_json::from_value(serde_json::json!({
            "currency": "eur",
            "product": [{"id": "pro", "name": "Pro", "kind": "plan", "price": "9.99", "role": "123456789012"}]
        }))
        .unwrap();
        assert!(file.products().unwrap_err().reason.contains("interval"));
    }
}
