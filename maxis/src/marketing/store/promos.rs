//! The `promos` table.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
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

/// A `promos` row as [`select!`] reads it.
struct PromoRow {
    id: String,
    discount: String,
    target: String,
    audience: String,
    code: Option<String>,
    max_redemptions: Option<i64>,
    redemptions: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    status: String,
    replaced: Option<String>,
}

/// A checked query of [`PromoRow`]s: the `WHERE`/`ORDER BY` tail, then its arguments.
macro_rules! select {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            PromoRow,
            r#"SELECT id, discount, target, audience, code, max_redemptions, redemptions,
                      starts_at AS "starts_at: DateTime<Utc>", ends_at AS "ends_at: DateTime<Utc>", status, replaced
               FROM promos "# + $rest
            $(, $arg)*
        )
    };
}

fn from_row(row: PromoRow) -> anyhow::Result<PromoInfo> {
    Ok(PromoInfo {
        id: row.id,
        discount: serde_json::from_str(&row.discount)?,
        target: serde_json::from_str(&row.target)?,
        audience: serde_json::from_str(&row.audience)?,
        code: row.code,
        max_redemptions: row.max_redemptions.map(|n| n as u32),
        redemptions: row.redemptions as u32,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        status: status_of(&row.status)?,
        replaced: row.replaced,
    })
}

/// Inserts a new promotion.
pub async fn insert(conn: &mut SqliteConnection, p: &PromoInfo) -> anyhow::Result<()> {
    let discount = serde_json::to_string(&p.discount)?;
    let target = serde_json::to_string(&p.target)?;
    let key = target_key(&p.target);
    let audience = serde_json::to_string(&p.audience)?;
    let max_redemptions = p.max_redemptions.map(i64::from);
    let status = status_str(p.status);
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO promos (id, discount, target, target_key, audience, code, max_redemptions, redemptions,
                             starts_at, ends_at, status, replaced, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
        p.id,
        discount,
        target,
        key,
        audience,
        p.code,
        max_redemptions,
        p.starts_at,
        p.ends_at,
        status,
        p.replaced,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Promotions scheduled or active.
pub async fn live(conn: &mut SqliteConnection) -> anyhow::Result<Vec<PromoInfo>> {
    select!("WHERE status IN ('scheduled', 'active') ORDER BY starts_at")
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Promotions that overlapped `[from, to)`.
pub async fn overlapping(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<PromoInfo>> {
    select!("WHERE starts_at < ? AND ends_at > ? ORDER BY starts_at", to, from)
        .fetch_all(conn)
        .await?
        .into_iter()
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
    let (to, from) = (status_str(to), status_str(from));
    let done =
        sqlx::query!("UPDATE promos SET status = ? WHERE id = ? AND status = ?", to, id, from).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Promotions running now.
pub async fn active_count(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
    let n = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM promos WHERE status = 'active'"#)
        .fetch_one(conn)
        .await?;
    Ok(n as u64)
}

/// The next instant a live promotion starts or ends.
pub async fn next_change(conn: &mut SqliteConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
    let next = sqlx::query_scalar!(
        r#"SELECT MIN(CASE WHEN status = 'scheduled' THEN starts_at ELSE ends_at END) AS "at: DateTime<Utc>"
           FROM promos WHERE status IN ('scheduled', 'active')"#
    )
    .fetch_one(conn)
    .await?;
    Ok(next)
}
