//! Trials' SQL.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// A trial as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialRow {
    /// The checkout that offered it.
    pub checkout_id: String,
    /// The member.
    pub member: String,
    /// The plan.
    pub product_id: String,
    /// Its length.
    pub days: i64,
    /// When it ends, once started.
    pub ends_at: Option<DateTime<Utc>>,
    /// When the member was warned of the conversion.
    pub warned_at: Option<DateTime<Utc>>,
    /// When it converted to paid.
    pub converted_at: Option<DateTime<Utc>>,
}

/// Whether `member` may start a trial of `product`: no trial of it started before, and no
/// payment for it.
pub async fn eligible(conn: &mut SqliteConnection, member: &str, product: &str) -> anyhow::Result<bool> {
    let trials = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM trials WHERE member = ? AND product_id = ? AND started_at IS NOT NULL",
        member,
        product
    )
    .fetch_one(&mut *conn)
    .await?;
    let paid = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM sales WHERE buyer = ? AND product_id = ? AND amount > 0",
        member,
        product
    )
    .fetch_one(conn)
    .await?;
    Ok(trials == 0 && paid == 0)
}

/// Records a trial offered by a checkout.
pub async fn offer(
    conn: &mut SqliteConnection,
    checkout: &str,
    member: &str,
    product: &str,
    days: u32,
) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO trials (checkout_id, member, product_id, days, offered_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING",
        checkout,
        member,
        product,
        days,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Starts the trial offered by `checkout`, if any and not started; returns it. A checkout that
/// offered none costs one read.
pub async fn start(conn: &mut SqliteConnection, checkout: &str, at: DateTime<Utc>) -> anyhow::Result<Option<TrialRow>> {
    let Some(row) = sqlx::query!(
        r#"SELECT checkout_id, member, product_id, days, started_at IS NOT NULL AS "started!: bool",
                  ends_at AS "ends_at: DateTime<Utc>", warned_at AS "warned_at: DateTime<Utc>",
                  converted_at AS "converted_at: DateTime<Utc>"
           FROM trials WHERE checkout_id = ?"#,
        checkout
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let mut trial = TrialRow {
        checkout_id: row.checkout_id,
        member: row.member,
        product_id: row.product_id,
        days: row.days,
        ends_at: row.ends_at,
        warned_at: row.warned_at,
        converted_at: row.converted_at,
    };
    if !row.started {
        let ends = at + chrono::Duration::days(trial.days);
        sqlx::query!("UPDATE trials SET started_at = ?, ends_at = ? WHERE checkout_id = ?", at, ends, checkout)
            .execute(conn)
            .await?;
        trial.ends_at = Some(ends);
    }
    Ok(Some(trial))
}

/// The started trial of subscription `sub`.
pub async fn of_subscription(conn: &mut SqliteConnection, sub: &str) -> anyhow::Result<Option<TrialRow>> {
    Ok(sqlx::query_as!(
        TrialRow,
        r#"SELECT t.checkout_id, t.member, t.product_id, t.days, t.ends_at AS "ends_at: DateTime<Utc>",
                  t.warned_at AS "warned_at: DateTime<Utc>", t.converted_at AS "converted_at: DateTime<Utc>"
           FROM trials t JOIN checkouts c ON c.id = t.checkout_id
           WHERE c.subscription_id = ? AND t.started_at IS NOT NULL"#,
        sub
    )
    .fetch_optional(conn)
    .await?)
}

/// Marks the trial of `checkout` warned (false if it was already).
pub async fn warn(conn: &mut SqliteConnection, checkout: &str, at: DateTime<Utc>) -> anyhow::Result<bool> {
    let done =
        sqlx::query!("UPDATE trials SET warned_at = ? WHERE checkout_id = ? AND warned_at IS NULL", at, checkout)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the trial of `checkout` converted (false if it was already).
pub async fn convert(conn: &mut SqliteConnection, checkout: &str, at: DateTime<Utc>) -> anyhow::Result<bool> {
    let done =
        sqlx::query!("UPDATE trials SET converted_at = ? WHERE checkout_id = ? AND converted_at IS NULL", at, checkout)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Trials started, and trials converted, in `[from, to)`.
pub async fn counts_between(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"SELECT COALESCE(SUM(started_at >= ? AND started_at < ?), 0) AS "started!: i64",
                  COALESCE(SUM(converted_at >= ? AND converted_at < ?), 0) AS "converted!: i64"
           FROM trials WHERE started_at IS NOT NULL"#,
        from,
        to,
        from,
        to
    )
    .fetch_one(conn)
    .await?;
    Ok((row.started, row.converted))
}
