//! Strategies (the seed's "gestion des stratégies"): named defaults a request leaves unsaid
//! (promotion length, audience, cap, giveaway length), and scheduled campaigns that run a command
//! at fixed times through the same order path as an admin's.

mod schedule;

pub use schedule::{Schedule, ScheduleError};

use subjects::params::Audience;
use subjects::{Name, Target};

use crate::brain::Strategy;

/// A named set of defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// Its name.
    pub name: String,
    /// How long a promotion runs when the request does not say, in hours.
    pub promo_hours: u64,
    /// Who is told about a promotion when the request does not say.
    pub audience: Audience,
    /// The highest percent a promotion may take off.
    pub max_discount: u8,
    /// How long a giveaway runs when the request does not say, in hours.
    pub giveaway_hours: u64,
}

impl Defaults {
    /// The built-in defaults (`default`): 48 h promotions to members inactive for 30 days,
    /// capped at 50%; 24 h giveaways.
    pub fn builtin() -> Self {
        let s = Strategy::default();
        Self {
            name: "default".to_owned(),
            promo_hours: s.promo_hours,
            audience: s.promo_audience,
            max_discount: s.max_discount,
            giveaway_hours: s.giveaway_hours,
        }
    }

    /// The brain's strategy with these defaults.
    pub fn strategy(&self, default_target: Target, known_targets: Vec<Name>) -> Strategy {
        Strategy {
            promo_hours: self.promo_hours,
            promo_audience: self.audience.clone(),
            max_discount: self.max_discount,
            giveaway_hours: self.giveaway_hours,
            default_target,
            known_targets,
            catalog: crate::brain::Catalog::default(),
        }
    }

    /// Sets one field from `key=value` (`promo_hours=24`, `audience=inactive:30`,
    /// `max_discount=40`, `giveaway_hours=12`).
    pub fn set(&mut self, pair: &str) -> Result<(), String> {
        let (key, value) = pair.split_once('=').ok_or_else(|| format!("{pair:?} is not key=value"))?;
        let number = |max: u64| {
            value.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| format!("{key} wants 1 to {max}"))
        };
        match key {
            "promo_hours" => self.promo_hours = number(24 * 365)?,
            "giveaway_hours" => self.giveaway_hours = number(24 * 365)?,
            "max_discount" => self.max_discount = number(100)? as u8,
            "audience" => self.audience = parse_audience(value)?,
            other => {
                return Err(format!(
                    "unknown strategy field {other:?}: promo_hours, audience, max_discount, giveaway_hours"
                ))
            }
        }
        Ok(())
    }

    /// One line: `name: promo 48h to members inactive 30 days, cap 50%, giveaway 24h`.
    pub fn describe(&self) -> String {
        format!(
            "{}: promotions {}h to {}, cap {}%, giveaways {}h",
            self.name,
            self.promo_hours,
            show_audience(&self.audience),
            self.max_discount,
            self.giveaway_hours
        )
    }
}

/// `everyone`, `inactive:30`, `role:<id>`, `promo_ping`.
pub fn parse_audience(text: &str) -> Result<Audience, String> {
    let bad = || format!("audience {text:?}: use everyone, inactive:<days>, role:<role id> or promo_ping");
    Ok(match text.split_once(':') {
        None if text == "everyone" || text == "all" => Audience::Everyone,
        None if text == "promo_ping" => Audience::PromoPing,
        Some(("inactive", days)) => Audience::InactiveDays(days.parse().map_err(|_| bad())?),
        Some(("role", role)) if !role.is_empty() && role.bytes().all(|b| b.is_ascii_digit()) => {
            Audience::Role(role.to_owned())
        }
        _ => return Err(bad()),
    })
}

/// An audience in words.
pub fn show_audience(audience: &Audience) -> String {
    match audience {
        Audience::Everyone => "everyone".to_owned(),
        Audience::InactiveDays(d) => format!("members inactive {d} days"),
        Audience::Role(r) => format!("role {r}"),
        Audience::PromoPing => "members who opted in to promotion pings".to_owned(),
    }
}

/// A valid strategy or campaign name: 1 to 32 of `[a-z0-9_-]`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_set_from_key_value_and_checked() {
        let mut d = Defaults::builtin();
        d.set("promo_hours=24").unwrap();
        d.set("audience=inactive:14").unwrap();
        d.set("max_discount=40").unwrap();
        assert_eq!((d.promo_hours, d.audience.clone(), d.max_discount), (24, Audience::InactiveDays(14), 40));
        assert!(d.set("max_discount=150").is_err());
        assert!(d.set("colour=blue").is_err());
        assert!(d.set("audience=robots").is_err());
    }
}
