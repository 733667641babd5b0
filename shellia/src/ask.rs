//! Plain-language requests: the brain turns a request into a plan, Shellia shows what it will
//! do (the orders, the shops they reach), the admin confirms, then the orders go out and Shellia
//! answers with each shop's result. Nothing is sent before the confirmation.

use std::time::Duration;

use serde_json::{json, Value};
use subjects::Order;

use crate::brain::{Lang, Plan};
use crate::bus::{Dispatch, FleetClient, SendError};
use crate::render;

/// The plan as JSON: what would be sent, to whom, with which parameters.
pub fn plan_json(plan: &Plan) -> Value {
    json!({
        "target": plan.target.as_str(),
        "summary": plan.summary,
        "orders": plan.commands.iter().map(|c| json!({"action": c.action(), "params": c.params_json()})).collect::<Vec<_>>(),
    })
}

/// What the plan will do, for the admin to confirm.
pub async fn preview(fleet: &FleetClient, plan: &Plan) -> anyhow::Result<String> {
    let shops = fleet.addressed_shops(&plan.target).await?;
    let names: Vec<String> = shops.keys().map(ToString::to_string).collect();
    let (reach, confirm) = match plan.lang {
        Lang::Fr => ("boutique(s)", "Confirmer ? (oui/non)"),
        Lang::En => ("shop(s)", "Confirm? (yes/no)"),
    };
    let mut text = format!("{}\n  → {} {reach}: {}\n", plan.summary, names.len(), names.join(", "));
    for c in &plan.commands {
        text.push_str(&format!("  · {} {}\n", c.action(), c.params_json()));
    }
    text.push_str(confirm);
    text.push('\n');
    Ok(text)
}

/// Whether an answer confirms (`oui`, `yes`, `o`, `y`, `ok`).
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_lowercase().as_str(), "oui" | "o" | "yes" | "y" | "ok" | "confirmer" | "confirm")
}

/// Sends the plan's orders (recording who confirmed) and returns each dispatch.
pub async fn execute(
    fleet: &FleetClient,
    plan: &Plan,
    confirmed_by: &str,
    wait: Duration,
) -> Result<Vec<Dispatch>, SendError> {
    let mut out = Vec::new();
    for command in &plan.commands {
        let mut order = Order::new(command.clone(), fleet.issuer());
        order.confirmed_by = Some(confirmed_by.to_owned());
        out.push(fleet.send(&plan.target, order, wait).await?);
    }
    Ok(out)
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
