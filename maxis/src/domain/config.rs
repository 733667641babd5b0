//! The settings an admin may read and write with `config`: a typed allow-list.

use std::fmt;

/// A setting key of the allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigKey {
    /// `price.<plan>`: the price of a plan, in the shop currency (`29.99`).
    Price(String),
    /// `trial.<plan>`: free days before a plan's first payment, once per member (0 to 730; 0 for
    /// none). Replaces the catalog's `trial_days` while set.
    Trial(String),
    /// `shop.currency`: lowercase ISO 4217 code.
    Currency,
    /// `shop.name`: display name.
    Name,
    /// `shop.closed_message`: default message to buyers while the shop is closed.
    ClosedMessage,
    /// `announce.channel`: Discord channel id for announcements.
    AnnounceChannel,
    /// `giveaway.channel`: Discord channel id for giveaways.
    GiveawayChannel,
    /// `promo.max_discount`: the highest percent a promotion may take off (1–100).
    PromoMaxDiscount,
    /// `promo.default_hours`: default promotion length, in hours.
    PromoDefaultHours,
    /// `marketing.promo_ping_role`: the role members opt in to for promotion pings.
    PromoPingRole,
    /// `shipping.countries`: where physical products ship (two-letter codes, `FR,BE,DE`).
    ShippingCountries,
}

/// Why a key or value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not in the allow-list.
    #[error("unknown setting `{0}`; settings: {keys}", keys = ConfigKey::HELP)]
    UnknownKey(String),
    /// A value of the wrong shape.
    #[error("invalid value {value:?} for `{key}`: {expected}")]
    BadValue {
        /// The key.
        key: String,
        /// The refused value.
        value: String,
        /// What is expected.
        expected: &'static str,
    },
}

impl ConfigKey {
    /// The keys, for error messages.
    pub const HELP: &'static str = "price.<plan>, trial.<plan>, shop.currency, shop.name, shop.closed_message, announce.channel, \
                                    giveaway.channel, promo.max_discount, promo.default_hours, marketing.promo_ping_role, \
                                    shipping.countries";

    /// Parses a key; `price_pro` (the seed's form) is read as `price.pro`, `trial_pro` as
    /// `trial.pro`.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let key = raw.trim().to_ascii_lowercase();
        type Make = fn(String) -> ConfigKey;
        let per_plan: [(&str, Make); 2] = [("price", Self::Price), ("trial", Self::Trial)];
        for (prefix, make) in per_plan {
            let Some(rest) = key.strip_prefix(prefix) else { continue };
            let Some(plan) = rest.strip_prefix('.').or_else(|| rest.strip_prefix('_')) else { continue };
            let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
            if !plan.is_empty() && plan.len() <= 64 && plan.chars().all(ok) {
                return Ok(make(plan.to_owned()));
            }
            return Err(ConfigError::UnknownKey(raw.to_owned()));
        }
        Ok(match key.as_str() {
            "shop.currency" => Self::Currency,
            "shop.name" => Self::Name,
            "shop.closed_message" => Self::ClosedMessage,
            "announce.channel" => Self::AnnounceChannel,
            "giveaway.channel" => Self::GiveawayChannel,
            "promo.max_discount" => Self::PromoMaxDiscount,
            "promo.default_hours" => Self::PromoDefaultHours,
            "marketing.promo_ping_role" => Self::PromoPingRole,
            "shipping.countries" => Self::ShippingCountries,
            _ => return Err(ConfigError::UnknownKey(raw.to_owned())),
        })
    }

    /// The value in effect when none was set.
    pub fn default_value(&self) -> Option<&'static str> {
        match self {
            Self::Currency => Some("eur"),
            Self::PromoMaxDiscount => Some("50"),
            Self::PromoDefaultHours => Some("48"),
            Self::Name => Some("Maxis shop"),
            Self::ClosedMessage => Some("The shop is closed for now."),
            Self::ShippingCountries => Some(super::shipping::DEFAULT_COUNTRIES),
            Self::Price(_) | Self::Trial(_) | Self::AnnounceChannel | Self::GiveawayChannel | Self::PromoPingRole => {
                None
            }
        }
    }

    /// Checks `value` and returns its canonical form (`29.9` → `29.90`, ` EUR` → `eur`).
    pub fn normalize(&self, value: &str) -> Result<String, ConfigError> {
        let v = value.trim();
        let bad = |expected| ConfigError::BadValue { key: self.to_string(), value: value.to_owned(), expected };
        match self {
            Self::Price(_) => parse_price(v).map(format_minor).ok_or_else(|| bad("a price like 29.99 (0 to 1000000)")),
            Self::Trial(_) => {
                parse_days(v).map(|d| d.to_string()).ok_or_else(|| bad("a number of days from 0 to 730 (0: no trial)"))
            }
            Self::Currency => {
                let c = v.to_ascii_lowercase();
                (c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()))
                    .then_some(c)
                    .ok_or_else(|| bad("an ISO 4217 code like eur"))
            }
            Self::Name | Self::ClosedMessage => (!v.is_empty() && v.chars().count() <= 200)
                .then(|| v.to_owned())
                .ok_or_else(|| bad("1 to 200 characters")),
            Self::AnnounceChannel | Self::GiveawayChannel | Self::PromoPingRole => {
                (v.len() >= 5 && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| v.to_owned())
                    .ok_or_else(|| bad("a Discord id (digits)"))
            }
            Self::PromoMaxDiscount => match v.trim_end_matches('%').parse::<u8>() {
                Ok(p) if (1..=100).contains(&p) => Ok(p.to_string()),
                _ => Err(bad("a percent from 1 to 100")),
            },
            Self::PromoDefaultHours => match v.trim_end_matches('h').parse::<u32>() {
                Ok(h) if (1..=24 * 365).contains(&h) => Ok(h.to_string()),
                _ => Err(bad("a number of hours from 1 to 8760")),
            },
            Self::ShippingCountries => super::shipping::parse_countries(v)
                .map(|list| list.join(","))
                .map_err(|_| bad("two-letter country codes Stripe ships to, such as FR,BE,DE")),
        }
    }
}

/// Days from `7`, `7d`, `7 days`, `7j` or `7 jours`: 0 to 730 (Stripe's longest trial).
fn parse_days(v: &str) -> Option<u32> {
    let digits = v.trim_end_matches(|c: char| c.is_alphabetic() || c.is_whitespace());
    let unit = v[digits.len()..].trim().to_lowercase();
    let days: u32 = digits.trim().parse().ok()?;
    (["", "d", "day", "days", "j", "jour", "jours"].contains(&unit.as_str()) && days <= 730).then_some(days)
}

impl fmt::Display for ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Price(plan) => write!(f, "price.{plan}"),
            Self::Trial(plan) => write!(f, "trial.{plan}"),
            Self::Currency => f.write_str("shop.currency"),
            Self::Name => f.write_str("shop.name"),
            Self::ClosedMessage => f.write_str("shop.closed_message"),
            Self::AnnounceChannel => f.write_str("announce.channel"),
            Self::GiveawayChannel => f.write_str("giveaway.channel"),
            Self::PromoMaxDiscount => f.write_str("promo.max_discount"),
            Self::PromoDefaultHours => f.write_str("promo.default_hours"),
            Self::PromoPingRole => f.write_str("marketing.promo_ping_role"),
            Self::ShippingCountries => f.write_str("shipping.countries"),
        }
    }
}

/// `29.99` → 2999 minor units; at most two decimals, at most 1,000,000.
pub fn parse_price(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once(['.', ',']).unwrap_or((text, ""));
    if whole.is_empty()
        || whole.len() > 7
        || frac.len() > 2
        || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    let minor = whole.parse::<i64>().ok()? * 100 + cents;
    (minor <= 100_000_000).then_some(minor)
}

/// 2999 → `29.99`.
pub fn format_minor(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_price_pro_is_price_dot_pro() {
        assert_eq!(ConfigKey::parse("price_pro").unwrap(), ConfigKey::Price("pro".into()));
        assert_eq!(ConfigKey::parse("trial_pro").unwrap(), ConfigKey::Trial("pro".into()));
        assert_eq!(ConfigKey::parse("trial.pro").unwrap().to_string(), "trial.pro");
        for (raw, days) in [("7", "7"), ("14d", "14"), ("3 days", "3"), ("7 jours", "7"), ("0", "0")] {
            assert_eq!(ConfigKey::Trial("pro".into()).normalize(raw).unwrap(), days, "{raw}");
        }
        for bad in ["-1", "731", "7 weeks", "a week", ""] {
            assert!(ConfigKey::Trial("pro".into()).normalize(bad).is_err(), "{bad}");
        }
        assert_eq!(ConfigKey::Price("pro".into()).normalize("29.9").unwrap(), "29.90");
        assert_eq!(ConfigKey::Price("pro".into()).normalize("29,99").unwrap(), "29.99");
    }

    #[test]
    fn bad_keys_and_values_are_refused() {
        assert!(matches!(ConfigKey::parse("shop.owner"), Err(ConfigError::UnknownKey(_))));
        assert!(matches!(ConfigKey::parse("price."), Err(ConfigError::UnknownKey(_))));
        for (key, value) in [
            ("price.pro", "-1"),
            ("price.pro", "1.234"),
            ("price.pro", "abc"),
            ("shop.currency", "euro"),
            ("promo.max_discount", "0"),
            ("promo.max_discount", "101"),
            ("announce.channel", "#general"),
        ] {
            assert!(ConfigKey::parse(key).unwrap().normalize(value).is_err(), "{key}={value}");
        }
    }
}
