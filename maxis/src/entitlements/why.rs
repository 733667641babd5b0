//! `why`: for one member, each managed role, whether they hold it, and every source behind it,
//! with the last delivery attempt, in words a shop owner understands.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use subjects::results::{DeliveryAttempt, RoleWhy, SourceInfo, WhyResult};

use super::ledger::{self, Source};
use crate::store::catalog;

/// Explains `member`'s managed roles.
pub async fn explain(conn: &mut SqliteConnection, member: &str) -> anyhow::Result<WhyResult> {
    let sources = ledger::of_member(conn, member).await?;
    let attempts = sqlx::query!(
        r#"SELECT role_id, held AS "held: bool", last_action, last_attempt_at AS "last_attempt_at: DateTime<Utc>",
                  last_error, blocked
           FROM member_roles WHERE member = ?"#,
        member
    )
    .fetch_all(&mut *conn)
    .await?;
    let in_server =
        sqlx::query_scalar!(r#"SELECT present AS "present: bool" FROM member_presence WHERE member = ?"#, member)
            .fetch_optional(&mut *conn)
            .await?;
    let mut role_ids: Vec<&str> = sources.iter().map(|s| s.role_id.as_str()).collect();
    role_ids.dedup();
    role_ids.sort_unstable();
    role_ids.dedup();
    let mut roles = Vec::new();
    let mut summary = Vec::new();
    for role in role_ids {
        let of_role: Vec<&Source> = sources.iter().filter(|s| s.role_id == role).collect();
        let attempt = attempts.iter().find(|a| a.role_id == role);
        let should_hold = of_role.iter().any(|s| s.active);
        let held = attempt.and_then(|a| a.held);
        let last_attempt = attempt.map(|a| DeliveryAttempt {
            action: a.last_action.clone(),
            at: a.last_attempt_at,
            error: a.last_error.clone(),
            blocked: a.blocked.clone(),
        });
        let mut lines = Vec::new();
        for s in &of_role {
            lines.push(describe(conn, s).await?);
        }
        summary.push(sentence(role, should_hold, held, in_server, last_attempt.as_ref(), &lines));
        roles.push(RoleWhy {
            role_id: role.to_owned(),
            should_hold,
            held,
            sources: of_role.iter().map(|s| info(s)).collect(),
            last_attempt,
        });
    }
    if roles.is_empty() {
        summary.push(format!("<@{member}> has bought nothing here and was given no role by the shop."));
    }
    Ok(WhyResult { member: member.to_owned(), in_server, roles, summary })
}

fn info(s: &Source) -> SourceInfo {
    SourceInfo {
        kind: s.kind.clone(),
        product_id: s.product_id.clone(),
        checkout_id: s.checkout_id.clone(),
        subscription_id: s.subscription_id.clone(),
        amount: s.amount,
        currency: s.currency.clone(),
        active: s.active,
        state: s.state.clone(),
        note: s.note.clone(),
        since: s.created_at,
        updated_at: s.updated_at,
    }
}

/// One source in words: "purchase of VIP (checkout 0193…, 49.00 EUR on 2026-12-03): paid — counts".
async fn describe(conn: &mut SqliteConnection, s: &Source) -> anyhow::Result<String> {
    let name = match &s.product_id {
        Some(p) => catalog::get(conn, p).await?.map_or_else(|| p.clone(), |p| p.name),
        None => "a manual grant".to_owned(),
    };
    let what = match s.kind.as_str() {
        "subscription" => format!("subscription to {name}"),
        "preorder" => format!("preorder of {name}"),
        "manual" => format!("given by an admin ({name})"),
        "gift" => match &s.checkout_id {
            Some(c) => crate::gifts::lifecycle::describe(conn, c, &name).await?,
            None => format!("gift of {name}"),
        },
        _ => format!("purchase of {name}"),
    };
    let mut refs = Vec::new();
    if let Some(c) = &s.checkout_id {
        refs.push(format!("checkout {}", short(c)));
    }
    if let Some(sub) = &s.subscription_id {
        refs.push(sub.clone());
    }
    if s.amount > 0 {
        refs.push(crate::commerce::webhook::money(s.amount, &s.currency));
    }
    refs.push(format!("since {}", s.created_at.format("%Y-%m-%d")));
    let counts = if s.active { "counts" } else { "no longer counts" };
    let note = if s.note.is_empty() { String::new() } else { format!(" ({})", s.note) };
    Ok(format!("{what} [{}]: {}{note} — {counts}", refs.join(", "), s.state))
}

fn sentence(
    role: &str,
    should: bool,
    held: Option<bool>,
    in_server: Option<bool>,
    attempt: Option<&DeliveryAttempt>,
    sources: &[String],
) -> String {
    let status = match (should, held, in_server) {
        (_, _, Some(false)) if should => {
            "should hold it but has left the server: it comes back when they rejoin".to_owned()
        }
        (true, Some(true), _) => "holds it, as paid for".to_owned(),
        (false, Some(false), _) => "does not hold it, and nothing grants it any more".to_owned(),
        (false, None, _) => "does not hold it: nothing grants it".to_owned(),
        (true, _, _) => match attempt.and_then(|a| a.blocked.as_deref().or(a.error.as_deref())) {
            Some(error) => format!("should hold it but does not yet: Discord said \"{error}\"; it is retried"),
            None => "should hold it: it is being given now".to_owned(),
        },
        (false, Some(true), _) => match attempt.and_then(|a| a.blocked.as_deref().or(a.error.as_deref())) {
            Some(error) => {
                format!("still holds it although nothing grants it: Discord said \"{error}\"; it is retried")
            }
            None => "still holds it although nothing grants it: it is being taken back now".to_owned(),
        },
    };
    format!("<@&{role}>: {status}. Because: {}.", sources.join("; "))
}

/// The first 8 characters of an id.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}
