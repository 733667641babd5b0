//! The `promos` table.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use subjects::results::{PromoInfo, PromoStatus};

use crate::domain::promo::target_key;

fn status_str(s: PromoStatus) -> &'static str {
    match s {
        PromoStatus::Scheduled => "scheduled",
        PromoStatus::Active => "active",
        PromoStatus::Ended => "ended",
        PromoStatus::Replaced => "replaced",
    }
}

fn status_of(s: &str) -> anyhow::Result<PromoStatus> {
    Ok(match s {
        "scheduled" => PromoStatus::Scheduled,
        "active" => PromoStatus::Active,
        "ended" => PromoStatus::Ended,
        "replaced" => PromoStatus::Replaced,
        other => anyhow::bail!("unknown promo status {other:?}"),
    })
}

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, discount, target, audience, code, max_redemptions, redemptions, starts_at, ends_at, status, replaced ",
            $rest
        )
    };
}

fn from_row(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<PromoInfo> {
    Ok(PromoInfo {
        id: row.try_get("id")?,
        discount: serde_json::from_str(row.try_get("discount")?)?,
        target: serde_json::from_str(row.try_get("target")?)?,
        audience: serde_json::from_str(row.try_get("audience")?)?,
        code: row.try_get("code")?,
        max_redemptions: row.try_get::<Option<i64>, _>("max_redemptions")?.map(|n| n as u32),
        redemptions: row.try_get::<i64, _>("redemptions")? as u32,
        starts_at: row.try_get("starts_at")?,
        ends_at: row.try_get("ends_at")?,
        status: status_of(row.try_get("status")?)?,
        replaced: row.try_get("replaced")?,
    })
}

/// Inserts a new promotion.
pub async fn insert(conn: &mut SqliteConnection, p: &PromoInfo) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO promos (id, discount, target, target_key, audience, code, max_redemptions, redemptions,
                             starts_at, ends_at, status, replaced, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
    )
    .bind(&p.id)
    .bind(serde_json::to_string(&p.discount)?)
    .bind(serde_json::to_string(&p.target)?)
    .bind(target_key(&p.target))
    .bind(serde_json::to_string(&p.audience)?)
    .bind(&p.code)
    .bind(p.max_redemptions.map(i64::from))
    .bind(p.starts_at)
    .bind(p.ends_at)
    .bind(status_str(p.status))
    .bind(&p.replaced)
    .bind(Utc::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Promotions scheduled or active.
pub async fn live(conn: &mut SqliteConnection) -> anyhow::Result<Vec<PromoInfo>> {
    sqlx::query(select!("FROM promos WHERE status IN ('scheduled', 'active') ORDER BY starts_at"))
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Promotions that overlapped `[from, to)`.
pub async fn overlapping(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<PromoInfo>> {
    sqlx::query(select!("FROM promos WHERE starts_at < ? AND ends_at > ? ORDER BY starts_at"))
        .bind(to)
        .bind(from)
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Moves a promotion from `from` to `to` state; true when this call made the change (so the
/// event is emitted exactly once even if two paths race).
pub async fn transition(
    conn: &mut SqliteConnection,
    id: &str,
    from: PromoStatus,
    to: PromoStatus,
) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE promos SET status = ? WHERE id = ? AND status = ?")
        .bind(status_str(to))
        .bind(id)
        .bind(status_str(from))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Promotions running now.
pub async fn active_count(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM promos WHERE status = 'active'").fetch_one(conn).await?;
    Ok(n as u64)
}

/// The next instant a live promotion starts or ends.
pub async fn next_change(conn: &mut SqliteConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
    let next: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT MIN(CASE WHEN status = 'scheduled' THEN starts_at ELSE ends_at END) FROM promos
         WHERE status IN ('scheduled', 'active')",
    )
    .fetch_one(conn)
    .await?;
    Ok(next)
}
