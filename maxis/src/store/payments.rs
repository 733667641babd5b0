//! What payments left behind: handled webhook events, refunds and disputes, subscriptions,
//! roles owed to members, receipts.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

/// Records a webhook event id; false when it was handled before (a redelivery).
pub async fn first_delivery(conn: &mut SqliteConnection, event_id: &str, kind: &str) -> anyhow::Result<bool> {
    let done =
        sqlx::query("INSERT INTO webhook_events (event_id, type, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(event_id)
            .bind(kind)
            .bind(Utc::now())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Refunds and disputes of a payment intent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reversal {
    /// Refunded so far, minor units.
    pub refunded: i64,
    /// Fully refunded.
    pub full: bool,
    /// Disputed.
    pub disputed: bool,
}

impl Reversal {
    /// Whether the buyer lost the right to what they bought.
    pub fn revokes(&self) -> bool {
        self.full || self.disputed
    }
}

/// The reversals recorded for a payment intent.
pub async fn reversal(conn: &mut SqliteConnection, pi: &str) -> anyhow::Result<Reversal> {
    let row = sqlx::query("SELECT refunded, full, disputed FROM payment_reversals WHERE payment_intent = ?")
        .bind(pi)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(r) => Reversal { refunded: r.try_get(0)?, full: r.try_get(1)?, disputed: r.try_get(2)? },
        None => Reversal::default(),
    })
}

/// Records a refund (cumulative amount) or a dispute; amounts only grow, so order does not matter.
pub async fn record_reversal(
    conn: &mut SqliteConnection,
    pi: &str,
    refunded: i64,
    full: bool,
    disputed: bool,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO payment_reversals (payment_intent, refunded, full, disputed, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (payment_intent) DO UPDATE SET refunded = MAX(refunded, excluded.refunded),
           full = MAX(full, excluded.full), disputed = MAX(disputed, excluded.disputed), updated_at = excluded.updated_at",
    )
    .bind(pi)
    .bind(refunded)
    .bind(full)
    .bind(disputed)
    .bind(Utc::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a subscription's status if `event_at` is not older than what is stored; returns the
/// status now in effect.
pub async fn set_subscription(
    conn: &mut SqliteConnection,
    id: &str,
    status: &str,
    event_at: i64,
) -> anyhow::Result<String> {
    sqlx::query(
        "INSERT INTO subscriptions (id, status, event_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, event_at = excluded.event_at, updated_at = excluded.updated_at
         WHERE excluded.event_at >= subscriptions.event_at AND subscriptions.status != 'canceled'",
    )
    .bind(id)
    .bind(status)
    .bind(event_at)
    .bind(Utc::now())
    .execute(&mut *conn)
    .await?;
    Ok(subscription(conn, id).await?.unwrap_or_else(|| status.to_owned()))
}

/// A subscription's status.
pub async fn subscription(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT status FROM subscriptions WHERE id = ?").bind(id).fetch_optional(conn).await?)
}

/// Whether a subscription status keeps the plan's role.
pub fn subscription_keeps_role(status: &str) -> bool {
    matches!(status, "active" | "trialing" | "past_due")
}

/// A role owed (or no longer owed) to a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    /// `<checkout>:<product>`.
    pub id: String,
    /// Checkout.
    pub checkout_id: String,
    /// Member.
    pub buyer: String,
    /// Product.
    pub product_id: String,
    /// Role.
    pub role_id: String,
    /// Should hold the role.
    pub wanted: bool,
    /// Holds it.
    pub held: bool,
    /// Why Discord refused.
    pub blocked: Option<String>,
    /// Tries so far.
    pub attempts: i64,
}

fn entitlement(r: &sqlx::sqlite::SqliteRow) -> anyhow::Result<Entitlement> {
    Ok(Entitlement {
        id: r.try_get("id")?,
        checkout_id: r.try_get("checkout_id")?,
        buyer: r.try_get("buyer")?,
        product_id: r.try_get("product_id")?,
        role_id: r.try_get("role_id")?,
        wanted: r.try_get("wanted")?,
        held: r.try_get("held")?,
        blocked: r.try_get("blocked")?,
        attempts: r.try_get("attempts")?,
    })
}

/// Says whether the member should hold the role; the fulfilment worker does the rest.
pub async fn want_role(
    conn: &mut SqliteConnection,
    checkout: &str,
    buyer: &str,
    product: &str,
    role: &str,
    wanted: bool,
) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO entitlements (id, checkout_id, buyer, product_id, role_id, wanted, next_try_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET wanted = excluded.wanted, blocked = NULL, attempts = 0,
           next_try_at = excluded.next_try_at, updated_at = excluded.updated_at
         WHERE entitlements.wanted != excluded.wanted",
    )
    .bind(format!("{checkout}:{product}"))
    .bind(checkout)
    .bind(buyer)
    .bind(product)
    .bind(role)
    .bind(wanted)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Roles to grant or revoke now (not blocked, due).
pub async fn due(conn: &mut SqliteConnection, now: DateTime<Utc>, limit: i64) -> anyhow::Result<Vec<Entitlement>> {
    sqlx::query("SELECT * FROM entitlements WHERE wanted != held AND blocked IS NULL AND next_try_at <= ? ORDER BY next_try_at LIMIT ?")
        .bind(now)
        .bind(limit)
        .fetch_all(conn)
        .await?
        .iter()
        .map(entitlement)
        .collect()
}

/// Every entitlement of a checkout.
pub async fn of_checkout(conn: &mut SqliteConnection, checkout: &str) -> anyhow::Result<Vec<Entitlement>> {
    sqlx::query("SELECT * FROM entitlements WHERE checkout_id = ?")
        .bind(checkout)
        .fetch_all(conn)
        .await?
        .iter()
        .map(entitlement)
        .collect()
}

/// Claims a due entitlement for one attempt (a lease until `until`): false when another
/// worker claimed it first, so two passes never act on the same delivery.
pub async fn claim(
    conn: &mut SqliteConnection,
    id: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE entitlements SET next_try_at = ? WHERE id = ? AND next_try_at <= ? AND wanted != held AND blocked IS NULL")
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the outcome of a grant or revoke attempt.
pub async fn attempted(
    conn: &mut SqliteConnection,
    id: &str,
    held: Option<bool>,
    blocked: Option<&str>,
    retry_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE entitlements SET held = COALESCE(?, held), blocked = ?, attempts = attempts + 1, next_try_at = ?, updated_at = ? WHERE id = ?",
    )
    .bind(held)
    .bind(blocked)
    .bind(retry_at)
    .bind(Utc::now())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts every entitlement back in the queue, unblocked and assumed not held (for `resync`).
pub async fn requeue_all(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
    let done = sqlx::query("UPDATE entitlements SET held = 1 - wanted, blocked = NULL, attempts = 0, next_try_at = ?")
        .bind(Utc::now())
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Queues a receipt.
pub async fn queue_receipt(conn: &mut SqliteConnection, checkout: &str, buyer: &str, text: &str) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO receipts (checkout_id, buyer, text) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(checkout)
        .bind(buyer)
        .bind(text)
        .execute(conn)
        .await?;
    Ok(())
}

/// Receipts not sent yet: (checkout, buyer, text, attempts).
pub async fn unsent_receipts(conn: &mut SqliteConnection) -> anyhow::Result<Vec<(String, String, String, i64)>> {
    let rows = sqlx::query("SELECT checkout_id, buyer, text, attempts FROM receipts WHERE sent = 0 AND attempts < 10")
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))).collect()
}

/// Claims a receipt for one sending attempt (compare-and-swap on its attempt count): false when
/// another worker claimed it, so a receipt is never sent twice by two passes.
pub async fn claim_receipt(conn: &mut SqliteConnection, checkout: &str, attempts: i64) -> anyhow::Result<bool> {
    let done =
        sqlx::query("UPDATE receipts SET attempts = attempts + 1 WHERE checkout_id = ? AND sent = 0 AND attempts = ?")
            .bind(checkout)
            .bind(attempts)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a receipt sent.
pub async fn receipt_sent(conn: &mut SqliteConnection, checkout: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE receipts SET sent = 1 WHERE checkout_id = ?").bind(checkout).execute(conn).await?;
    Ok(())
}
