//! How a dispatch is shown: a table for people, JSON lines for scripts.

use serde_json::{json, Value};
use subjects::reply::StatusReport;
use subjects::{Action, Reply};

use crate::bus::{Delivery, Dispatch, Member};

/// A readable table: a header line, then one line per shop.
pub fn table(dispatch: &Dispatch) -> String {
    let order = &dispatch.order;
    let mut out = format!(
        "order {} · {} → {} · {} shop(s){}\n",
        order.id,
        order.action(),
        dispatch.target,
        dispatch.shops.len(),
        if dispatch.duplicate { " · already sent earlier (same id)" } else { "" }
    );
    let width = dispatch.shops.keys().map(|s| s.as_ref().len()).max().unwrap_or(4).max(4);
    for (shop, delivery) in &dispatch.shops {
        let (state, detail) = match delivery {
            Delivery::Replied(reply) if reply.ok => {
                let back = match dispatch.back.get(shop) {
                    Some(Some(after)) => format!(" · back after {:.1}s", after.as_secs_f64()),
                    Some(None) => " · not back yet: check the shop's supervisor".to_owned(),
                    None => String::new(),
                };
                ("ok", format!("{}{back}", summary(order.action(), reply)))
            }
            Delivery::Replied(reply) => {
                let error = reply
                    .error
                    .as_ref()
                    .map_or_else(|| "failed".to_owned(), |e| format!("{}: {}", e.code.as_str(), e.message));
                ("error", error)
            }
            Delivery::Queued => {
                ("queued", "shop offline: it runs the order when it starts (unless it expires)".to_owned())
            }
            Delivery::NoReply => ("waiting", "no reply yet: the order stays in the shop's queue".to_owned()),
        };
        out.push_str(&format!("  {shop:<width$}  {state:<7}  {detail}\n"));
    }
    out
}

/// One JSON object per shop, one per line.
pub fn json_lines(dispatch: &Dispatch) -> String {
    let mut out = String::new();
    for (shop, delivery) in &dispatch.shops {
        let (state, reply) = match delivery {
            Delivery::Replied(r) => (if r.ok { "ok" } else { "error" }, serde_json::to_value(r).unwrap_or(Value::Null)),
            Delivery::Queued => ("queued", Value::Null),
            Delivery::NoReply => ("waiting", Value::Null),
        };
        let line = json!({
            "order_id": dispatch.order.id,
            "action": dispatch.order.action(),
            "target": dispatch.target.as_str(),
            "shop": shop,
            "state": state,
            "reply": reply,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

fn summary(action: Action, reply: &Reply) -> String {
    let result = reply.result.clone().unwrap_or(Value::Null);
    if action == Action::Status {
        if let Ok(s) = serde_json::from_value::<StatusReport>(result.clone()) {
            let state = if s.open {
                "open".to_owned()
            } else {
                format!("closed{}", s.closed_reason.map(|r| format!(" ({r})")).unwrap_or_default())
            };
            let groups = if s.groups.is_empty() { "-".to_owned() } else { s.groups.join(",") };
            return format!("{state} · maxis {} · up {} · groups {groups}", s.version, human_secs(s.uptime_secs));
        }
    }
    let replayed = if reply.replayed { " (already done earlier)" } else { "" };
    format!("{result}{replayed}")
}

/// `3d4h`, `2h5m`, `4m10s`, `12s`.
pub fn human_secs(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m{s}s"),
        (0, _, _) => format!("{h}h{m}m"),
        _ => format!("{d}d{h}h"),
    }
}

/// The fleet as a table.
pub fn fleet_table(members: &[Member]) -> String {
    let mut out = format!("{} shop(s)\n", members.len());
    for m in members {
        let state = m.version.as_deref().map_or("offline".to_owned(), |v| format!("online (maxis {v})"));
        let groups = if m.groups.is_empty() { "-".to_owned() } else { m.groups.join(",") };
        out.push_str(&format!("  {:<12} {:<22} groups {:<12} {} order(s) waiting\n", m.id, state, groups, m.pending));
    }
    out
}

/// The fleet as JSON lines.
pub fn fleet_json(members: &[Member]) -> String {
    members
        .iter()
        .map(|m| json!({"shop": m.id, "groups": m.groups, "online": m.version.is_some(), "version": m.version, "pending": m.pending}).to_string() + "\n")
        .collect()
}
