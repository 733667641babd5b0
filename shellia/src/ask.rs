//! Plain-language requests, the parts shared by the assistant and `shellia ask`: the plan as JSON,
//! the words that confirm, and the answer once the orders went out.

use serde_json::{json, Value};

use crate::brain::Plan;
use crate::bus::Dispatch;
use crate::render;

/// The plan as JSON: what would be sent, to whom (the target and the shops it reaches), with
/// every parameter stated, defaults included (`audience`, `period`, `winners`…), so a script can
/// check a plan without knowing the contract's defaults.
pub fn plan_json(plan: &Plan, shops: &[String]) -> Value {
    let lang = if plan.lang.is_fr() { "fr" } else { "en" };
    json!({
        "target": plan.target.as_str(),
        "shops": shops,
        "lang": lang,
        "summary": plan.summary,
        "orders": plan.commands.iter().map(|c| json!({
            "target": plan.target.as_str(),
            "action": c.action(),
            "params": crate::brain::explicit::params(c),
        })).collect::<Vec<_>>(),
    })
}

/// Whether an answer confirms (`oui`, `yes`, `o`, `y`, `ok`).
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_lowercase().as_str(), "oui" | "o" | "yes" | "y" | "ok" | "confirmer" | "confirm")
}

/// The answer after execution: the plan's own sentence when every shop did it, then each shop.
pub fn answer(plan: &Plan, dispatches: &[Dispatch]) -> String {
    let all_ok = dispatches
        .iter()
        .all(|d| !d.any_rejected() && d.shops.values().all(|s| matches!(s, crate::bus::Delivery::Replied(r) if r.ok)));
    let mut text = String::new();
    if all_ok {
        text.push_str(&plan.done_text);
        text.push('\n');
    }
    for d in dispatches {
        text.push_str(&render::table(d));
    }
    text
}
