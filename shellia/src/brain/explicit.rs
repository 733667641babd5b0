//! Every field of an order's params, stated: the wire form omits the fields that hold their
//! default (contract §5), so a script reading a plan would have to know the defaults. This fills
//! them in (`audience: "everyone"`, `period: "week"`, `winners: 1`, …), with `null` for the
//! optional fields left unset.

use serde_json::{json, Map, Value};
use subjects::Command;

/// The defaults of each action's optional fields, as the contract states them.
fn defaults(action: &str) -> Value {
    match action {
        "promo" => {
            json!({"audience": "everyone", "code": null, "max_redemptions": null, "starts_at": null, "replace": false})
        }
        "giveaway" => json!({"winners": 1, "trigger": "now", "channel": null, "requirements": {}, "bonus": []}),
        "analytics" => json!({"period": "week", "from": null, "to": null}),
        "report" => json!({"period": "week", "chart": false}),
        "announce" => json!({"audience": "everyone", "channel": null}),
        "stop" => json!({"reason": null}),
        "config" => json!({"value": null}),
        "estimate" => json!({"days": 7}),
        _ => json!({}),
    }
}

/// Fills the defaults into `params` of `action` (fields already there are kept).
pub fn fill(action: &str, params: &Value) -> Value {
    let mut out: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
    if let Value::Object(defaults) = defaults(action) {
        for (key, value) in defaults {
            out.entry(key).or_insert(value);
        }
    }
    Value::Object(out)
}

/// The params of `command` with every field stated.
pub fn params(command: &Command) -> Value {
    fill(command.action().as_str(), &command.params_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use subjects::params::{AnalyticsParams, Period};

    #[test]
    fn a_default_left_out_of_the_wire_form_is_stated() {
        let command = Command::Analytics(AnalyticsParams { period: Period::Week, from: None, to: None });
        assert_eq!(command.params_json(), json!({}));
        assert_eq!(params(&command), json!({"period": "week", "from": null, "to": null}));
    }

    #[test]
    fn a_field_that_is_set_is_kept() {
        assert_eq!(fill("promo", &json!({"audience": "promo_ping"}))["audience"], json!("promo_ping"));
        assert_eq!(fill("promo", &json!({}))["audience"], json!("everyone"));
    }
}
