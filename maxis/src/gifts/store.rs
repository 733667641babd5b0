//! The `gifts` table: one row per gift checkout, from its creation to its end.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// A gift as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gift {
    /// The checkout that pays for it.
    pub checkout_id: String,
    /// Who pays.
    pub giver: String,
    /// Who receives it.
    pub recipient: String,
    /// The product or plan.
    pub product_id: String,
    /// A plan's months; `None` for a product.
    pub months: Option<i64>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// When a plan's gift ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Records a gift about to be paid.
pub async fn insert(conn: &mut SqliteConnection, g: &Gift, now: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO gifts (checkout_id, giver, recipient, product_id, months, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        g.checkout_id,
        g.giver,
        g.recipient,
        g.product_id,
        g.months,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The gift paid by `checkout`, if it is one.
pub async fn get(conn: &mut SqliteConnection, checkout: &str) -> anyhow::Result<Option<Gift>> {
    Ok(sqlx::query_as!(
        Gift,
        r#"SELECT checkout_id, giver, recipient, product_id, months, paid_at AS "paid_at: DateTime<Utc>",
                  ends_at AS "ends_at: DateTime<Utc>", ended_at AS "ended_at: DateTime<Utc>"
           FROM gifts WHERE checkout_id = ?"#,
        checkout
    )
    .fetch_optional(conn)
    .await?)
}

/// Marks a gift paid at `at`, ending at `ends_at` (a plan's); false if it was already paid.
pub async fn paid(
    conn: &mut SqliteConnection,
    checkout: &str,
    at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
) -> anyhow::Result<bool> {
    let done = sqlx::query!(
        "UPDATE gifts SET paid_at = ?, ends_at = ? WHERE checkout_id = ? AND paid_at IS NULL",
        at,
        ends_at,
        checkout
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a gift once (`expired`, `refunded`, `disputed`); true when this call ended it.
pub async fn end(conn: &mut SqliteConnection, checkout: &str, at: DateTime<Utc>, reason: &str) -> anyhow::Result<bool> {
    let done = sqlx::query!(
        "UPDATE gifts SET ended_at = ?, end_reason = ? WHERE checkout_id = ? AND ended_at IS NULL",
        at,
        reason,
        checkout
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Paid gifts whose end passed at `now` and that have not ended yet.
pub async fn due(conn: &mut SqliteConnection, now: DateTime<Utc>) -> anyhow::Result<Vec<Gift>> {
    Ok(sqlx::query_as!(
        Gift,
        r#"SELECT checkout_id, giver, recipient, product_id, months, paid_at AS "paid_at: DateTime<Utc>",
                  ends_at AS "ends_at: DateTime<Utc>", ended_at AS "ended_at: DateTime<Utc>"
           FROM gifts WHERE ended_at IS NULL AND ends_at IS NOT NULL AND ends_at <= ? ORDER BY ends_at"#,
        now
    )
    .fetch_all(conn)
    .await?)
}

/// The next end of a running gift.
pub async fn next_end(conn: &mut SqliteConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT MIN(ends_at) AS "ends_at: DateTime<Utc>" FROM gifts WHERE ended_at IS NULL AND ends_at IS NOT NULL"#
    )
    .fetch_one(conn)
    .await?)
}
