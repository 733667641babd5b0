//! Plan switches' SQL: each plan's Stripe price, the plan a subscription is on, and the switches.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::store::checkouts;

/// A switch as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSwitch {
    /// Id: the order's, or `member:<member>:<nonce>`.
    pub id: String,
    /// The subscription.
    pub subscription_id: String,
    /// The member.
    pub member: String,
    /// From this plan…
    pub from_product: String,
    /// … to this one.
    pub to_product: String,
    /// `upgrade` or `downgrade`.
    pub direction: String,
    /// `member` or `order`.
    pub requested_by: String,
    /// `requested`, `applied`, `scheduled`, `canceled` or `failed`.
    pub status: String,
    /// The new plan's Stripe price.
    pub price_id: Option<String>,
    /// A downgrade's subscription schedule.
    pub schedule_id: Option<String>,
    /// When the roles swap(ped).
    pub effective_at: Option<DateTime<Utc>>,
    /// An upgrade's proration invoice.
    pub invoice_id: Option<String>,
    /// Its total, minor units.
    pub prorated: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The Stripe price of `product` at `amount` `currency` per `interval`, if made before.
pub async fn price_of(
    conn: &mut SqliteConnection,
    product: &str,
    amount: i64,
    currency: &str,
    interval: &str,
) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT price_id FROM stripe_prices WHERE product_id = ? AND unit_amount = ? AND currency = ? AND interval = ?",
        product,
        amount,
        currency,
        interval
    )
    .fetch_optional(conn)
    .await?)
}

/// Remembers a plan's Stripe price.
pub async fn save_price(
    conn: &mut SqliteConnection,
    product: &str,
    amount: i64,
    currency: &str,
    interval: &str,
    price: &str,
) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO stripe_prices (product_id, unit_amount, currency, interval, price_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        product,
        amount,
        currency,
        interval,
        price,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The plan a Stripe price was made for.
pub async fn product_of_price(conn: &mut SqliteConnection, price: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar!("SELECT product_id FROM stripe_prices WHERE price_id = ?", price)
        .fetch_optional(conn)
        .await?)
}

/// The plan subscription `sub` is on: the last switch's, else its checkout's.
pub async fn current_plan(conn: &mut SqliteConnection, sub: &str) -> anyhow::Result<Option<String>> {
    let switched = sqlx::query_scalar!("SELECT product_id FROM subscription_plans WHERE subscription_id = ?", sub)
        .fetch_optional(&mut *conn)
        .await?;
    if switched.is_some() {
        return Ok(switched);
    }
    let Some(c) = checkouts::by_subscription(conn, sub).await?.into_iter().find(|c| c.status == "paid") else {
        return Ok(None);
    };
    Ok(checkouts::lines(conn, &c.id).await?.into_iter().next().map(|l| l.product_id))
}

/// When the plan of `sub` last changed (Unix time), if it did.
pub async fn plan_changed_at(conn: &mut SqliteConnection, sub: &str) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar!("SELECT seen_at FROM subscription_plans WHERE subscription_id = ?", sub)
        .fetch_optional(conn)
        .await?)
}

/// Records that `sub` is on `product` since `at` (Unix time).
pub async fn set_plan(
    conn: &mut SqliteConnection,
    sub: &str,
    product: &str,
    price: Option<&str>,
    at: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO subscription_plans (subscription_id, product_id, price_id, seen_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (subscription_id) DO UPDATE SET product_id = excluded.product_id, price_id = excluded.price_id,
           seen_at = MAX(seen_at, excluded.seen_at)",
        sub,
        product,
        price,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a switch asked (status `requested`); false when that id was recorded before.
pub async fn insert(conn: &mut SqliteConnection, s: &PlanSwitch) -> anyhow::Result<bool> {
    let now = Utc::now();
    let done = sqlx::query!(
        "INSERT INTO plan_switches (id, subscription_id, member, from_product, to_product, direction, requested_by,
                                    status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        s.id,
        s.subscription_id,
        s.member,
        s.from_product,
        s.to_product,
        s.direction,
        s.requested_by,
        s.status,
        now,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Switch `id`.
pub async fn get(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Option<PlanSwitch>> {
    Ok(sqlx::query_as!(
        PlanSwitch,
        r#"SELECT id, subscription_id, member, from_product, to_product, direction, requested_by, status, price_id,
                  schedule_id, effective_at AS "effective_at: DateTime<Utc>", invoice_id, prorated, error
           FROM plan_switches WHERE id = ?"#,
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// The downgrade of `sub` waiting for the period's end, if any.
pub async fn scheduled(conn: &mut SqliteConnection, sub: &str) -> anyhow::Result<Option<PlanSwitch>> {
    Ok(sqlx::query_as!(
        PlanSwitch,
        r#"SELECT id, subscription_id, member, from_product, to_product, direction, requested_by, status, price_id,
                  schedule_id, effective_at AS "effective_at: DateTime<Utc>", invoice_id, prorated, error
           FROM plan_switches WHERE subscription_id = ? AND status = 'scheduled' ORDER BY created_at DESC LIMIT 1"#,
        sub
    )
    .fetch_optional(conn)
    .await?)
}

/// Whether a switch of `sub` to `product` is being carried out (asked, not recorded done yet).
pub async fn in_flight(conn: &mut SqliteConnection, sub: &str, product: &str) -> anyhow::Result<bool> {
    let n = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM plan_switches WHERE subscription_id = ? AND to_product = ? AND status = 'requested'",
        sub,
        product
    )
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Switches still to carry out: asked by order, or by a member whose request was interrupted
/// (asked before `stale`).
pub async fn requested(conn: &mut SqliteConnection, stale: DateTime<Utc>) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM plan_switches WHERE status = 'requested' AND (requested_by = 'order' OR created_at < ?)
         ORDER BY created_at",
        stale
    )
    .fetch_all(conn)
    .await?)
}

/// Writes what became of switch `s` (its status and outcome fields).
pub async fn update(conn: &mut SqliteConnection, s: &PlanSwitch) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "UPDATE plan_switches SET status = ?, price_id = ?, schedule_id = ?, effective_at = ?, invoice_id = ?,
                                  prorated = ?, error = ?, updated_at = ?
         WHERE id = ?",
        s.status,
        s.price_id,
        s.schedule_id,
        s.effective_at,
        s.invoice_id,
        s.prorated,
        s.error,
        now,
        s.id
    )
    .execute(conn)
    .await?;
    Ok(())
}
