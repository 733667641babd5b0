//! What payments left behind: handled webhook events, refunds and disputes, subscriptions,
//! Stripe customers and invoice payments, receipts. (Roles owed to members are the entitlement
//! ledger's: [`crate::entitlements`].)

use chrono::Utc;
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

/// Records why a receipt will never be sent (closed DMs, a refund that came first).
pub async fn receipt_failed(conn: &mut SqliteConnection, checkout: &str, reason: &str) -> anyhow::Result<()> {
    sqlx::query!("UPDATE receipts SET failed = ? WHERE checkout_id = ? AND sent = 0", reason, checkout)
        .execute(conn)
        .await?;
    Ok(())
}

/// A receipt's fate, for `/orders`: `None` (none queued), `sent`, `pending`, or why it failed.
pub async fn receipt_status(conn: &mut SqliteConnection, checkout: &str) -> anyhow::Result<Option<String>> {
    let row = sqlx::query!(r#"SELECT sent AS "sent: bool", failed FROM receipts WHERE checkout_id = ?"#, checkout)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| match (r.sent, r.failed) {
        (true, _) => "sent".to_owned(),
        (false, Some(why)) => format!("not sent: {why}"),
        (false, None) => "pending".to_owned(),
    }))
}

/// The member's Stripe customer, if one was created.
pub async fn customer_of(conn: &mut SqliteConnection, member: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar!("SELECT customer_id FROM stripe_customers WHERE member = ?", member)
        .fetch_optional(conn)
        .await?)
}

/// Remembers the member's Stripe customer unless one is recorded already (the first wins).
pub async fn link_customer(conn: &mut SqliteConnection, member: &str, customer: &str) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO stripe_customers (member, customer_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        member,
        customer,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Remembers the member's Stripe customer (the first one recorded wins); returns the one
/// recorded.
pub async fn set_customer(conn: &mut SqliteConnection, member: &str, customer: &str) -> anyhow::Result<String> {
    link_customer(&mut *conn, member, customer).await?;
    Ok(customer_of(conn, member).await?.unwrap_or_else(|| customer.to_owned()))
}

/// Links a payment intent to the subscription whose invoice it paid.
pub async fn link_invoice_payment(
    conn: &mut SqliteConnection,
    payment_intent: &str,
    invoice: &str,
    subscription: &str,
    amount: i64,
) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO invoice_payments (payment_intent, invoice_id, subscription_id, amount, created_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        payment_intent,
        invoice,
        subscription,
        amount,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The subscription whose invoice a payment intent paid.
pub async fn subscription_of_payment(
    conn: &mut SqliteConnection,
    payment_intent: &str,
) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar!("SELECT subscription_id FROM invoice_payments WHERE payment_intent = ?", payment_intent)
        .fetch_optional(conn)
        .await?)
}

/// The invoice a payment intent paid.
pub async fn invoice_of_payment(conn: &mut SqliteConnection, payment_intent: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar!("SELECT invoice_id FROM invoice_payments WHERE payment_intent = ?", payment_intent)
        .fetch_optional(conn)
        .await?)
}

/// Every payment intent of a subscription's invoices.
pub async fn payments_of_subscription(conn: &mut SqliteConnection, subscription: &str) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT payment_intent FROM invoice_payments WHERE subscription_id = ? ORDER BY created_at, rowid",
        subscription
    )
    .fetch_all(conn)
    .await?)
}

/// A receipt taken by one fulfilment pass.
#[derive(Debug, Clone)]
pub struct ClaimedReceipt {
    /// The checkout it thanks for.
    pub checkout_id: String,
    /// Who gets it.
    pub buyer: String,
    /// The message.
    pub text: String,
    /// Tries before this one.
    pub attempts: i64,
}

/// Claims the receipts due (at most 200) until `until`, counting this try: other passes leave
/// them alone meanwhile, and a pass that died lets them be claimed again once the claim lapses.
pub async fn claim_receipts(
    conn: &mut SqliteConnection,
    until: chrono::DateTime<Utc>,
) -> anyhow::Result<Vec<ClaimedReceipt>> {
    let now = Utc::now();
    let rows = sqlx::query!(
        r#"UPDATE receipts SET attempts = attempts + 1, claimed_until = ?
           WHERE checkout_id IN (
             SELECT checkout_id FROM receipts
             WHERE sent = 0 AND failed IS NULL AND attempts < 10 AND (claimed_until IS NULL OR claimed_until <= ?)
             LIMIT 200)
           RETURNING checkout_id AS "checkout_id!", buyer AS "buyer!", text AS "text!", attempts - 1 AS "attempts!: i64""#,
        until,
        now
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ClaimedReceipt { checkout_id: r.checkout_id, buyer: r.buyer, text: r.text, attempts: r.attempts })
        .collect())
}

/// A receipt Discord could not take for a passing reason is tried again from `at`.
pub async fn retry_receipt_at(
    conn: &mut SqliteConnection,
    checkout: &str,
    at: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query!("UPDATE receipts SET claimed_until = ? WHERE checkout_id = ?", at, checkout).execute(conn).await?;
    Ok(())
}

/// Marks a receipt sent.
pub async fn receipt_sent(conn: &mut SqliteConnection, checkout: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE receipts SET sent = 1 WHERE checkout_id = ?").bind(checkout).execute(conn).await?;
    Ok(())
}
