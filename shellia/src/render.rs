//! How a dispatch is shown: a table for people, JSON lines for scripts.

use serde_json::{json, Value};
use subjects::params::{Discount, GiveawayTrigger, PromoTarget};
use subjects::reply::StatusReport;
use subjects::results::{
    AnalyticsResult, AnnounceResult, ConfigResult, EstimateResult, ExecuteResult, GiveawayInfo, OpenResult, PromoInfo,
    PromoStatus, ReportResult,
};
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
    let replayed = if reply.replayed { " (already done earlier)" } else { "" };
    let text = typed_summary(action, &result).unwrap_or_else(|| result.to_string());
    format!("{text}{replayed}")
}

fn typed_summary(action: Action, result: &Value) -> Option<String> {
    let r = result.clone();
    Some(match action {
        Action::Status => {
            let s: StatusReport = serde_json::from_value(r).ok()?;
            let state = if s.open {
                "open".to_owned()
            } else {
                format!("closed{}", s.closed_reason.map(|r| format!(" ({r})")).unwrap_or_default())
            };
            let groups = if s.groups.is_empty() { "-".to_owned() } else { s.groups.join(",") };
            let c = s.counts;
            format!(
                "{state} · maxis {} · up {} · groups {groups} · {} product(s), {} open order(s), {} promo(s), {} giveaway(s)",
                s.version,
                human_secs(s.uptime_secs),
                c.products,
                c.open_orders,
                c.active_promos,
                c.active_giveaways
            )
        }
        Action::Config => {
            let c: ConfigResult = serde_json::from_value(r).ok()?;
            let value = c.value.as_deref().unwrap_or("(not set)");
            match (c.changed, c.previous) {
                (true, Some(previous)) => format!("{} = {value} (was {previous})", c.key),
                (true, None) => format!("{} = {value} (was not set)", c.key),
                (false, _) => format!("{} = {value}", c.key),
            }
        }
        Action::Start | Action::Stop => {
            let o: OpenResult = serde_json::from_value(r).ok()?;
            let state = if o.open {
                "open".to_owned()
            } else {
                format!("closed{}", o.reason.map(|r| format!(" ({r})")).unwrap_or_default())
            };
            format!("{state}{}", if o.changed { "" } else { " (no change)" })
        }
        Action::Restart => "restarting".to_owned(),
        Action::Promo => {
            let p: PromoInfo = serde_json::from_value(r).ok()?;
            let discount = match &p.discount {
                Discount::Percent(n) => format!("-{n}%"),
                Discount::Fixed(m) => format!("-{}.{:02} {}", m.amount / 100, m.amount % 100, m.currency),
            };
            let target = match &p.target {
                PromoTarget::All => "everything".to_owned(),
                PromoTarget::Plan(id) => format!("plan {id}"),
                PromoTarget::Product(id) => format!("product {id}"),
            };
            let hours = (p.ends_at - p.starts_at).num_minutes() as f64 / 60.0;
            let status = match p.status {
                PromoStatus::Scheduled => format!("scheduled from {}", p.starts_at.format("%Y-%m-%d %H:%M UTC")),
                _ => "running".to_owned(),
            };
            format!(
                "promo {discount} on {target} for {hours}h, {status}, until {}",
                p.ends_at.format("%Y-%m-%d %H:%M UTC")
            )
        }
        Action::Giveaway => {
            let g: GiveawayInfo = serde_json::from_value(r).ok()?;
            let when = match g.trigger {
                GiveawayTrigger::Now => format!("open until {}", g.ends_at?.format("%Y-%m-%d %H:%M UTC")),
                GiveawayTrigger::Members(n) => format!("starts when the server reaches {n} members"),
            };
            format!("giveaway \"{}\" · {} winner(s) · {when}", g.prize, g.winners)
        }
        Action::Analytics => analytics_line(&serde_json::from_value(r).ok()?),
        Action::Report => {
            let rep: ReportResult = serde_json::from_value(r).ok()?;
            format!(
                "{} · week before: {} sale(s) · {} promo(s)",
                analytics_line(&rep.current),
                rep.previous.sales,
                rep.promos.len()
            )
        }
        Action::Announce => {
            let a: AnnounceResult = serde_json::from_value(r).ok()?;
            format!("announcement {} to channel {}", a.status, a.channel)
        }
        Action::Catalog => {
            let c: subjects::results::CatalogResult = serde_json::from_value(r).ok()?;
            let list: Vec<String> = c
                .products
                .iter()
                .map(|p| {
                    let stock = p.stock.map_or(String::new(), |s| format!(", {s} left"));
                    let hidden = if p.visible { "" } else { ", hidden" };
                    format!("{} {}{stock}{hidden}", p.id, money(p.price, &p.currency))
                })
                .collect();
            let changed = c.changed.map(|id| format!("{id} updated · ")).unwrap_or_default();
            format!("{changed}{} product(s): {}", c.products.len(), list.join("; "))
        }
        Action::Giveaways => {
            let g: subjects::results::GiveawaysResult = serde_json::from_value(r).ok()?;
            let list: Vec<String> = g
                .giveaways
                .iter()
                .map(|i| {
                    let winners = if i.winners_drawn.is_empty() {
                        String::new()
                    } else {
                        format!(" won by {}", i.winners_drawn.join(", "))
                    };
                    format!("{} \"{}\" {:?}, {} entrant(s){winners}", i.id, i.prize, i.status, i.entrants)
                })
                .collect();
            let verified = match g.verified {
                Some(true) => " · draw verified",
                Some(false) => " · DRAW DOES NOT VERIFY",
                None => "",
            };
            format!("{}{verified}", list.join("; "))
        }
        Action::Preorder => {
            let p: subjects::results::PreorderResult = serde_json::from_value(r).ok()?;
            let list: Vec<String> = p
                .preorders
                .iter()
                .map(|o| {
                    format!(
                        "{} {}/{} taken, {}% now, release {} ({})",
                        o.product,
                        o.taken,
                        o.cap,
                        o.deposit_percent,
                        o.release_at.format("%Y-%m-%d %H:%M UTC"),
                        o.status
                    )
                })
                .collect();
            if list.is_empty() {
                "no preorders".to_owned()
            } else {
                list.join("; ")
            }
        }
        Action::Resync => format!("{} member(s) queued for a role check", r.get("requeued")?.as_u64()?),
        Action::Why => {
            let w: subjects::results::WhyResult = serde_json::from_value(r).ok()?;
            w.summary.join(" ")
        }
        Action::Grant => {
            let g: subjects::results::GrantResult = serde_json::from_value(r).ok()?;
            let what = if g.granted { "given by hand" } else { "manual grant taken back" };
            let holds = if g.should_hold { "holds the role" } else { "no longer holds the role" };
            format!("{} role <@&{}>: {what}; <@{}> {holds}", g.product, g.role_id, g.member)
        }
        Action::Subscription => {
            let s: subjects::results::SubscriptionResult = serde_json::from_value(r).ok()?;
            if s.direction == "stay" {
                return Some(format!(
                    "<@{}> stays on {}: the scheduled switch is dropped ({})",
                    s.member, s.to, s.status
                ));
            }
            let when = if s.takes_effect == "now" {
                "at once, Stripe charging the prorated difference"
            } else {
                "at the end of the paid period"
            };
            format!(
                "<@{}>: {} from {} to {} ({when}); {} (switch {}: `subscription.switched` follows)",
                s.member, s.direction, s.from, s.to, s.status, s.switch_id
            )
        }
        Action::Estimate => estimate_line(&serde_json::from_value(r).ok()?),
        Action::Execute => {
            let e: ExecuteResult = serde_json::from_value(r).ok()?;
            let action: Action = serde_json::from_value(Value::String(e.command.clone())).ok()?;
            format!("!{} → {}", e.command, typed_summary(action, &e.result).unwrap_or_else(|| e.result.to_string()))
        }
    })
}

/// A promotion's estimated impact in one shop: members reached, cost from recent sales, clashes.
pub fn estimate_line(e: &EstimateResult) -> String {
    let mut line = format!(
        "{} member(s) reached ({} opted out of messages) · est. cost {} on {} of sales in {} days ({} sale(s))",
        e.members_reached,
        e.opted_out,
        money(e.estimated_cost, &e.currency),
        money(e.revenue, &e.currency),
        e.days,
        e.sales
    );
    for c in &e.clashes {
        line.push_str(&format!(
            " · ⚠ clashes with promotion {} until {} (refused unless replace=true)",
            c.id,
            c.ends_at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if let Some(cap) = e.above_cap {
        line.push_str(&format!(" · ⚠ above the shop's cap of {cap}%: it would be refused"));
    }
    if !e.open {
        line.push_str(" · ⚠ the shop is closed: it would refuse the promotion");
    }
    line
}

fn money(amount: i64, currency: &str) -> String {
    format!("{}.{:02} {}", amount / 100, amount % 100, currency.to_ascii_uppercase())
}

fn analytics_line(a: &AnalyticsResult) -> String {
    let sum = |list: &[subjects::results::Revenue]| {
        let parts: Vec<String> =
            list.iter().map(|r| format!("{}.{:02} {}", r.amount / 100, r.amount % 100, r.currency)).collect();
        if parts.is_empty() {
            "0".to_owned()
        } else {
            parts.join(" + ")
        }
    };
    // Net first; gross and refunds beside it when something was refunded.
    let revenue = if a.refunded.iter().any(|r| r.amount != 0) {
        format!("net {} (gross {}, refunded {})", sum(&a.revenue), sum(&a.gross), sum(&a.refunded))
    } else {
        sum(&a.revenue)
    };
    let top = a.top_products.first().map(|t| format!(" · top {} ({})", t.product, t.sales)).unwrap_or_default();
    format!("{revenue} · {} sale(s) · {} refund(s) · conversion {:.0}%{top}", a.sales, a.refunds, a.conversion * 100.0)
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

/// The report charts of a dispatch (`report` with `chart=true`): each shop's PNG, decoded.
pub fn charts(dispatch: &Dispatch) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    use base64::Engine;
    dispatch
        .shops
        .iter()
        .filter_map(|(shop, d)| match d {
            Delivery::Replied(r) => {
                r.result.as_ref()?.get("chart_png")?.as_str().map(|b| (shop.to_string(), b.to_owned()))
            }
            _ => None,
        })
        .map(|(shop, b64)| Ok((shop, base64::engine::general_purpose::STANDARD.decode(b64)?)))
        .collect()
}

/// Writes the report charts of a dispatch: `path` for one shop, `<stem>-<shop>.png` for several.
pub fn save_charts(dispatch: &Dispatch, path: &std::path::Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let charts = charts(dispatch)?;
    let mut written = Vec::new();
    for (shop, png) in &charts {
        let file = if charts.len() == 1 {
            path.to_path_buf()
        } else {
            let stem = path.file_stem().map_or("report".into(), |s| s.to_string_lossy().into_owned());
            path.with_file_name(format!("{stem}-{shop}.png"))
        };
        std::fs::write(&file, png)?;
        written.push(file);
    }
    Ok(written)
}

/// One event: `<time> <shop> <kind> <data>`, or its JSON.
pub fn event_line(event: &subjects::Event, as_json: bool) -> String {
    if as_json {
        return serde_json::to_string(event).unwrap_or_default();
    }
    let order = event.order_id.as_ref().map(|o| format!(" (order {o})")).unwrap_or_default();
    format!("{} {} {}{order} {}", event.at.format("%Y-%m-%d %H:%M:%S"), event.instance, event.kind, event.data)
}

/// One handled order from its event: `<time> <shop> <order> executed|rejected <action> by <who> …`.
pub fn order_line(event: &subjects::Event) -> String {
    let outcome = event.kind.as_ref().strip_prefix("order.").unwrap_or(event.kind.as_ref());
    let action = event.data.get("action").and_then(Value::as_str).unwrap_or("?");
    let who = event.data.get("issued_by").and_then(Value::as_str).map(|w| format!(" by {w}")).unwrap_or_default();
    let why =
        event.data.pointer("/error/message").and_then(Value::as_str).map(|m| format!(": {m}")).unwrap_or_default();
    let order = event.order_id.as_ref().map_or("-".to_owned(), ToString::to_string);
    format!("{} {} {order} {outcome} {action}{who}{why}", event.at.format("%Y-%m-%d %H:%M:%S"), event.instance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use subjects::results::Revenue;

    fn eur(amount: i64) -> Vec<Revenue> {
        vec![Revenue { currency: "eur".into(), amount }]
    }

    #[test]
    fn analytics_show_net_gross_and_refunded_once_something_was_refunded() {
        let mut a: AnalyticsResult = serde_json::from_value(serde_json::json!({
            "from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z", "revenue": [], "sales": 1,
            "refunds": 1, "checkouts": 1, "conversion": 1.0, "top_products": []
        }))
        .unwrap();
        (a.revenue, a.gross, a.refunded) = (eur(499), eur(2999), eur(2500));
        assert!(
            analytics_line(&a).starts_with("net 4.99 eur (gross 29.99 eur, refunded 25.00 eur)"),
            "{}",
            analytics_line(&a)
        );
        (a.revenue, a.gross, a.refunded) = (eur(2999), eur(2999), vec![]);
        assert!(analytics_line(&a).starts_with("29.99 eur · 1 sale(s)"), "{}", analytics_line(&a));
    }
}
