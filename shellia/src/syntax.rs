//! The seed's short command syntax, as admins type it after `!maxis` (and in the console):
//! `promo 20% pro 48h`, `giveaway 100members`, `config price_pro 29.99`,
//! `execute !announce Promo`, `stop inventaire`, `analytics week`. Words of the form
//! `key=value` are still accepted everywhere and win over the positional reading.

use serde_json::{json, Map, Value};

use crate::command::{params_from_pairs, CommandError};

/// Parses a duration: what humantime reads (`48h`, `2d`, `90m`, `1w`, `30s`, `1h30m`,
/// `2days`), and the French units it does not know (`2j`, `2jours`, `1sem`, `3semaines`,
/// `48heures`). Zero is no duration.
pub fn duration_secs(word: &str) -> Option<u64> {
    let w = word.trim().to_lowercase();
    if let Ok(d) = humantime::parse_duration(&w) {
        return Some(d.as_secs()).filter(|s| *s > 0);
    }
    let split = w.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = w.split_at(split);
    let n: u64 = n.parse().ok()?;
    let per = match unit.trim() {
        "j" | "jour" | "jours" => 86_400,
        "sem" | "semaine" | "semaines" => 7 * 86_400,
        "heure" | "heures" => 3_600,
        _ => return None,
    };
    n.checked_mul(per).filter(|s| *s > 0)
}

fn percent(word: &str) -> Option<u64> {
    word.strip_suffix('%')?.parse().ok()
}

fn amount(word: &str) -> Option<(u64, &'static str)> {
    let (number, currency) = if let Some(n) = word.strip_suffix('€') {
        (n, "eur")
    } else if let Some(n) = word.strip_prefix('$') {
        (n, "usd")
    } else {
        return None;
    };
    let minor = crate::syntax::minor(number)?;
    Some((minor, currency))
}

/// `5`, `5.5`, `5,50` → minor units.
pub fn minor(number: &str) -> Option<u64> {
    let (whole, frac) = number.split_once(['.', ',']).unwrap_or((number, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(whole.parse::<u64>().ok()? * 100 + format!("{frac:0<2}").parse::<u64>().ok()?)
}

/// Reads the words after the action into JSON parameters.
pub fn params(action: &str, words: &[String]) -> Result<Value, CommandError> {
    let (pairs, free): (Vec<&String>, Vec<&String>) =
        words.iter().partition(|w| w.contains('=') && !w.starts_with('!'));
    let mut params = match params_from_pairs(&pairs)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let positional = positional(action, &free)?;
    for (k, v) in positional {
        params.entry(k).or_insert(v);
    }
    // Defaults of the seed's strategy: a promotion runs 48 h, a giveaway 24 h.
    match action {
        "promo" => {
            params.entry("duration_secs").or_insert(json!(DEFAULT_PROMO_SECS));
        }
        "giveaway" => {
            params.entry("duration_secs").or_insert(json!(DEFAULT_GIVEAWAY_SECS));
            params.entry("prize").or_insert(json!("Giveaway"));
        }
        _ => {}
    }
    Ok(Value::Object(params))
}

/// Words that make a giveaway's words a sentence rather than the short form's prize.
const SENTENCE: &[&str] =
    &["pour", "for", "with", "avec", "pendant", "during", "gagnants", "gagnant", "winners", "winner", "when", "quand"];

/// A promotion's length when the command names none (the seed's 48 h).
pub const DEFAULT_PROMO_SECS: u64 = 48 * 3_600;
/// A giveaway's length when the command names none.
pub const DEFAULT_GIVEAWAY_SECS: u64 = 24 * 3_600;

fn positional(action: &str, free: &[&String]) -> Result<Map<String, Value>, CommandError> {
    let mut out = Map::new();
    let rest = |from: usize| {
        free.get(from..).map(|w| w.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")).unwrap_or_default()
    };
    match action {
        "promo" => {
            for w in free {
                if let Some(p) = percent(w) {
                    out.insert("discount".into(), json!({"percent": p}));
                } else if let Some((m, currency)) = amount(w) {
                    out.insert("discount".into(), json!({"fixed": {"amount": m, "currency": currency}}));
                } else if let Some(s) = duration_secs(w) {
                    out.insert("duration_secs".into(), json!(s));
                } else if matches!(w.as_str(), "all" | "tout" | "everything") {
                    out.insert("target".into(), json!("all"));
                } else if out.contains_key("target") {
                    // `promo de 20% sur le pro`: a sentence, not the short form.
                    return Err(CommandError::Param(format!("a promotion names one plan, not also {w:?}")));
                } else if let Some(product) = w.strip_prefix("product:") {
                    out.insert("target".into(), json!({"product": product}));
                } else {
                    out.insert("target".into(), json!({"plan": w.to_ascii_lowercase()}));
                }
            }
        }
        "giveaway" => {
            let mut prize = Vec::new();
            for w in free {
                if let Some(n) =
                    w.strip_suffix("members").or_else(|| w.strip_suffix("membres")).and_then(|n| n.parse::<u64>().ok())
                {
                    out.insert("trigger".into(), json!({"members": n}));
                } else if let Some(n) = ["winners", "winner", "gagnants", "gagnant"]
                    .iter()
                    .find_map(|suffix| w.strip_suffix(suffix))
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    out.insert("winners".into(), json!(n));
                } else if let Some(s) = duration_secs(w) {
                    out.insert("duration_secs".into(), json!(s));
                } else if SENTENCE.contains(&w.to_lowercase().as_str()) {
                    // `giveaway Nitro pour 2 gagnants`: a sentence, not the short form.
                    return Err(CommandError::Param(format!("{w:?} reads as a sentence, not the short form")));
                } else {
                    prize.push(w.as_str());
                }
            }
            if !prize.is_empty() {
                out.insert("prize".into(), json!(prize.join(" ")));
            }
        }
        "config" => {
            if let Some(key) = free.first() {
                out.insert("key".into(), json!(key));
            }
            if free.len() > 1 {
                out.insert("value".into(), json!(rest(1)));
            }
        }
        // `why @member`, `grant @member vip`, `grant @member vip revoke`.
        "why" => {
            if let Some(member) = free.first() {
                out.insert("member".into(), json!(member));
            }
        }
        "grant" => {
            for (i, w) in free.iter().enumerate() {
                match (i, w.as_str()) {
                    (_, "revoke" | "off" | "retire" | "remove") => {
                        out.insert("revoke".into(), json!(true));
                    }
                    (0, _) => {
                        out.insert("member".into(), json!(w));
                    }
                    _ => {
                        out.insert("product".into(), json!(w.to_ascii_lowercase()));
                    }
                }
            }
        }
        // `subscription @member pro`, `subscription @member switch pro`.
        "subscription" => {
            let words: Vec<&String> = free
                .iter()
                .copied()
                .filter(|w| !matches!(w.as_str(), "switch" | "to" | "vers" | "au" | "plan"))
                .collect();
            if let Some(member) = words.first() {
                out.insert("member".into(), json!(member));
            }
            if let Some(plan) = words.get(1) {
                out.insert("switch_to".into(), json!(plan.to_ascii_lowercase()));
            }
        }
        "execute" if !free.is_empty() => {
            out.insert("command".into(), json!(rest(0)));
        }
        "announce" if !free.is_empty() => {
            out.insert("message".into(), json!(rest(0)));
        }
        "stop" if !free.is_empty() => {
            out.insert("reason".into(), json!(rest(0)));
        }
        "analytics" | "report" => {
            if let Some(period) = free.first() {
                let period = match period.as_str() {
                    "7d" | "semaine" => "week",
                    "30d" | "mois" => "month",
                    "jour" | "aujourd'hui" | "day" => "today",
                    other => other,
                };
                out.insert("period".into(), json!(period));
            }
        }
        _ if free.is_empty() => {}
        other => {
            return Err(CommandError::Param(format!("`{other}` takes key=value parameters only, not {:?}", rest(0))));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use subjects::Command;

    fn read(action: &str, line: &str) -> Value {
        let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        params(action, &words).unwrap()
    }

    #[test]
    fn the_seeds_table_reads_as_typed_orders() {
        assert_eq!(
            read("promo", "20% pro 48h"),
            json!({"discount": {"percent": 20}, "target": {"plan": "pro"}, "duration_secs": 172800})
        );
        assert_eq!(
            read("giveaway", "100members"),
            json!({"trigger": {"members": 100}, "prize": "Giveaway", "duration_secs": 86400})
        );
        assert!(Command::from_parts("giveaway", read("giveaway", "100members")).is_ok());
        assert_eq!(read("config", "price_pro 29.99"), json!({"key": "price_pro", "value": "29.99"}));
        assert_eq!(read("execute", "!announce Promo"), json!({"command": "!announce Promo"}));
        assert_eq!(read("stop", "pour inventaire"), json!({"reason": "pour inventaire"}));
        assert_eq!(read("analytics", "semaine"), json!({"period": "week"}));
        assert!(Command::from_parts("promo", read("promo", "20% pro 48h")).is_ok());
        assert!(Command::from_parts("config", read("config", "price_pro 29.99")).is_ok());
    }

    #[test]
    fn key_value_words_win_and_amounts_and_units_read() {
        assert_eq!(
            read("promo", "5€ tout 2j code=FIVE"),
            json!({"discount": {"fixed": {"amount": 500, "currency": "eur"}}, "target": "all", "duration_secs": 172800, "code": "FIVE"})
        );
        assert_eq!(
            read("giveaway", "Nitro Classic 12h 2gagnants"),
            json!({"prize": "Nitro Classic", "duration_secs": 43200, "winners": 2})
        );
        assert_eq!(duration_secs("1sem"), Some(604_800));
        assert_eq!(duration_secs("2j"), Some(172_800));
        assert_eq!(duration_secs("3 jours"), Some(259_200));
        assert_eq!(duration_secs("48h"), Some(172_800));
        assert_eq!(duration_secs("1h30m"), Some(5_400));
        assert_eq!(duration_secs("7days"), Some(604_800));
        assert_eq!(duration_secs("0h"), None);
        assert!(params("status", &["now".to_owned()]).is_err());
    }

    #[test]
    fn why_and_grant_read_a_member_and_a_product() {
        assert_eq!(read("why", "<@123>"), json!({"member": "<@123>"}));
        assert!(Command::from_parts("why", read("why", "<@!123>")).is_ok());
        assert_eq!(read("grant", "<@123> VIP"), json!({"member": "<@123>", "product": "vip"}));
        assert_eq!(read("grant", "123 vip revoke"), json!({"member": "123", "product": "vip", "revoke": true}));
        assert!(Command::from_parts("why", read("why", "bob")).is_err(), "a member is an id or a mention");
    }

    #[test]
    fn subscription_reads_a_member_and_the_plan_to_switch_to() {
        assert_eq!(read("subscription", "<@123> Pro"), json!({"member": "<@123>", "switch_to": "pro"}));
        assert_eq!(read("subscription", "123 switch to basic"), json!({"member": "123", "switch_to": "basic"}));
        assert!(Command::from_parts("subscription", read("subscription", "<@123> pro")).is_ok());
    }
}
