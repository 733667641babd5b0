//! The text command language shared by `shellia send`, the console and (later) `!maxis`:
//! a target, an action and `key=value` parameters, turned into a typed, validated order.

use serde_json::{Map, Value};
use subjects::{Command, Order, OrderError, Target};

/// Why a command line is not an order.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The target is not a valid name.
    #[error("bad target: {0}")]
    Target(#[from] subjects::NameError),
    /// The action or its parameters are wrong.
    #[error("{0}")]
    Order(#[from] OrderError),
    /// A parameter is not `key=value`.
    #[error("parameter {0:?} is not key=value (nested keys use dots: discount.percent=20)")]
    Param(String),
}

/// Builds the JSON parameters from `key=value` words. Dotted keys nest (`target.plan=pro` →
/// `{"target":{"plan":"pro"}}`); a value that reads as JSON (numbers, true/false, quoted strings,
/// objects) is taken as such, anything else is a string.
pub fn params_from_pairs<S: AsRef<str>>(pairs: &[S]) -> Result<Value, CommandError> {
    let mut root = Map::new();
    for pair in pairs {
        let pair = pair.as_ref();
        let (key, raw) = pair.split_once('=').ok_or_else(|| CommandError::Param(pair.to_owned()))?;
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(CommandError::Param(pair.to_owned()));
        }
        let value = serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
        let mut node = &mut root;
        let mut parts = key.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                node.insert(part.to_owned(), value.clone());
                break;
            }
            let entry = node.entry(part.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = entry.as_object_mut().ok_or_else(|| CommandError::Param(pair.to_owned()))?;
        }
    }
    Ok(Value::Object(root))
}

/// Parses a target, an action and parameters into an order issued by `issuer`.
pub fn build_order<S: AsRef<str>>(
    target: &str,
    action: &str,
    pairs: &[S],
    issuer: &str,
) -> Result<(Target, Order), CommandError> {
    let target = Target::parse(target)?;
    let words: Vec<String> = pairs.iter().map(|p| p.as_ref().to_owned()).collect();
    let params = crate::syntax::params(action, &words)?;
    Ok((target, Order::new(command(action, params)?, issuer)))
}

/// `value=29.99` or `channel=1234` read as numbers; a field that wants text gets the text as
/// typed. The contract's error names the value it wanted as a string: that value (and only
/// that one) is turned back into text, and the order is read again.
fn command(action: &str, mut params: Value) -> Result<Command, CommandError> {
    let mut error = match Command::from_parts(action, params.clone()) {
        Ok(command) => return Ok(command),
        Err(e) => e,
    };
    for _ in 0..8 {
        let message = error.to_string();
        let Some(typed) = wanted_as_text(&message) else { break };
        if !as_text(&mut params, typed) {
            break;
        }
        match Command::from_parts(action, params.clone()) {
            Ok(command) => return Ok(command),
            Err(e) => error = e,
        }
    }
    Err(error.into())
}

/// The value in "invalid type: integer `1234`, expected a string".
fn wanted_as_text(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("invalid type: ")?;
    let (found, expected) = rest.split_once(", expected a string")?;
    let value = found.split_once('`')?.1.strip_suffix('`')?;
    Some(value).filter(|_| !expected.contains('`'))
}

/// Turns every number or boolean leaf typed as `typed` into text; false when none was.
fn as_text(value: &mut Value, typed: &str) -> bool {
    match value {
        // Every leaf is visited (no short-circuit): each one typed so becomes text.
        Value::Object(map) => map.values_mut().map(|v| as_text(v, typed)).filter(|changed| *changed).count() > 0,
        Value::Array(items) => items.iter_mut().map(|v| as_text(v, typed)).filter(|changed| *changed).count() > 0,
        Value::Number(n) if n.to_string() == typed => {
            *value = Value::String(typed.to_owned());
            true
        }
        Value::Bool(b) if b.to_string() == typed => {
            *value = Value::String(typed.to_owned());
            true
        }
        _ => false,
    }
}

/// Splits a console line into words; double or single quotes group words (`message="a b"`).
/// An apostrophe inside a word (`l'inventaire`, `it's`) is a letter, not a quote: a single quote
/// opens a group only at the start of a word or right after `=`. No shell is involved: this only
/// splits text.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\'') if !in_word || current.ends_with('=') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unclosed quote".to_owned());
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_number_typed_where_text_is_wanted_becomes_text_and_only_that_one() {
        let words = ["prize=Nitro", "duration_secs=3600", "channel=1574658515228688396"];
        let (_, order) = build_order("shop1", "giveaway", &words, "t").unwrap();
        let params = order.command.params_json();
        assert_eq!(params["channel"], json!("1574658515228688396"));
        assert_eq!(params["duration_secs"], json!(3600));
    }

    #[test]
    fn dotted_keys_nest_and_json_values_keep_their_type() {
        let params =
            params_from_pairs(&["discount.percent=20", "target.plan=pro", "duration_secs=172800", "replace=true"])
                .unwrap();
        assert_eq!(
            params,
            json!({"discount": {"percent": 20}, "target": {"plan": "pro"}, "duration_secs": 172800, "replace": true})
        );
    }

    #[test]
    fn a_number_is_taken_as_text_where_the_action_wants_text() {
        let (_, order) = build_order("shop1", "config", &["key=price_pro", "value=29.99"], "t").unwrap();
        assert_eq!(order.command.params_json(), json!({"key": "price_pro", "value": "29.99"}));
        let (_, promo) =
            build_order("all", "promo", &["discount.percent=20", "target=all", "duration_secs=60"], "t").unwrap();
        assert_eq!(promo.command.params_json()["discount"], json!({"percent": 20}));
    }

    #[test]
    fn quotes_group_words() {
        assert_eq!(
            split_words(r#"send all announce message="Soldes d'été" x=1"#).unwrap(),
            vec!["send", "all", "announce", "message=Soldes d'été", "x=1"]
        );
        assert!(split_words("a \"b").is_err());
        assert_eq!(split_words("stop reason=l'inventaire").unwrap(), ["stop", "reason=l'inventaire"]);
        assert_eq!(split_words("les ventes d'aujourd'hui, it's").unwrap(), ["les", "ventes", "d'aujourd'hui,", "it's"]);
        assert_eq!(split_words("announce message='a b'").unwrap(), ["announce", "message=a b"]);
    }

    #[test]
    fn a_word_without_equals_is_refused() {
        assert!(matches!(params_from_pairs(&["oops"]), Err(CommandError::Param(_))));
    }

    #[test]
    fn the_seeds_short_syntax_builds_orders() {
        let (target, order) = build_order("@eu", "promo", &["20%", "pro", "48h"], "t").unwrap();
        assert_eq!(target.as_str(), "eu");
        assert_eq!(order.command.params_json()["duration_secs"], json!(172800));
    }
}
