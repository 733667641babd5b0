//! Scoring one answer of the brain against what the corpus expects: an order matches when its
//! target, action and every listed param are equal (numbers as numbers, the params the brain
//! left at their default stated first); a plan is exact when it has as many orders and each
//! matches. For questions and refusals the class must match; the reason is only reported.

use serde_json::Value;

use super::corpus::{Expect, ExpectedOrder};
use crate::brain::{explicit, Understood};

/// The verdict on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// As expected.
    Pass,
    /// Not as expected: what differs.
    Fail(String),
}

/// Compares the brain's answer with the expectation.
pub fn judge(got: &Understood, expect: &Expect) -> Verdict {
    match (expect, got) {
        (Expect::Orders(want), Understood::Plan(plan)) => {
            if want.len() != plan.commands.len() {
                return Verdict::Fail(format!("{} orders, want {}: {}", plan.commands.len(), want.len(), show(got)));
            }
            for (w, c) in want.iter().zip(&plan.commands) {
                let got_order = (plan.target.as_str(), c.action().as_str(), explicit::params(c));
                if let Some(diff) = order_differs(w, &got_order) {
                    return Verdict::Fail(diff);
                }
            }
            Verdict::Pass
        }
        (Expect::Ask(_), Understood::Ask { .. }) | (Expect::Refuse(_), Understood::Refuse { .. }) => Verdict::Pass,
        (want, _) => Verdict::Fail(format!("want {}, got {}", class(want), show(got))),
    }
}

fn class(expect: &Expect) -> String {
    match expect {
        Expect::Orders(o) => format!("{} order(s)", o.len()),
        Expect::Ask(r) => format!("ask ({r})"),
        Expect::Refuse(r) => format!("refuse ({r})"),
    }
}

/// The brain's answer in one line.
pub fn show(got: &Understood) -> String {
    match got {
        Understood::Plan(p) => {
            let orders: Vec<String> = p
                .commands
                .iter()
                .map(|c| format!("{} {} {}", p.target.as_str(), c.action(), c.params_json()))
                .collect();
            format!("plan [{}]", orders.join("; "))
        }
        Understood::Ask { question, .. } => format!("ask: {question}"),
        Understood::Refuse { reason, .. } => format!("refuse: {reason}"),
    }
}

fn order_differs(want: &ExpectedOrder, (target, action, params): &(&str, &str, Value)) -> Option<String> {
    if want.target != *target || want.action != *action {
        return Some(format!("want {} {}, got {target} {action} {params}", want.target, want.action));
    }
    let Value::Object(fields) = &want.params else { return None };
    for (key, value) in fields {
        let have = params.get(key).unwrap_or(&Value::Null);
        if !equal(key, value, have) {
            return Some(format!("{action}.{key}: want {value}, got {have}"));
        }
    }
    None
}

/// Equality as the corpus means it: numbers as numbers (also a number written as a string),
/// strings trimmed, setting keys `price_pro` = `price.pro`, objects by the fields listed, lists
/// item by item.
pub fn equal(key: &str, want: &Value, have: &Value) -> bool {
    match (want, have) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => {
            b.trim().replace(',', ".").parse::<f64>().ok() == a.as_f64()
        }
        (Value::String(a), Value::String(b)) if key == "key" => setting_key(a) == setting_key(b),
        (Value::String(a), Value::String(b)) => a.trim() == b.trim(),
        // The fields listed are compared, as at the top level (an estimate's `promo`); an empty
        // object wants an empty one.
        (Value::Object(a), Value::Object(b)) if a.is_empty() => b.is_empty(),
        (Value::Object(a), Value::Object(b)) => a.iter().all(|(k, v)| equal(k, v, b.get(k).unwrap_or(&Value::Null))),
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(v, w)| equal(key, v, w)),
        (a, b) => a == b,
    }
}

/// `price_pro` and `price.pro` are the same key (contract §5).
fn setting_key(key: &str) -> String {
    match key.strip_prefix("price_") {
        Some(plan) => format!("price.{plan}"),
        None => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_as_numbers_and_price_keys_in_both_spellings() {
        assert!(equal("amount", &json!(500), &json!(500.0)));
        assert!(equal("value", &json!(29.99), &json!("29.99")));
        assert!(equal("key", &json!("price_pro"), &json!("price.pro")));
        assert!(!equal("value", &json!("-10"), &json!("10.00")));
        assert!(equal("discount", &json!({"percent": 20}), &json!({"percent": 20})));
        assert!(!equal("discount", &json!({"percent": 20}), &json!({"fixed": {"amount": 20, "currency": "eur"}})));
    }
}
