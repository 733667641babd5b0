//! Role deliveries as operators watch them: how many are owed, blocked, and how far behind the
//! reconciliation is (read at each `/metrics` scrape).

use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool};

use crate::metrics::Deliveries;

/// Counts of owed and blocked deliveries, and the age of the oldest due one at `now`.
pub async fn health(pool: &SqlitePool, now: DateTime<Utc>) -> anyhow::Result<Deliveries> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(blocked IS NULL), 0), COALESCE(SUM(blocked IS NOT NULL), 0), \
         MIN(CASE WHEN blocked IS NULL AND next_try_at <= ? THEN next_try_at END) \
         FROM entitlements WHERE wanted != held",
    )
    .bind(now)
    .fetch_one(pool)
    .await?;
    let oldest: Option<DateTime<Utc>> = row.try_get(2)?;
    Ok(Deliveries {
        pending: row.try_get(0)?,
        blocked: row.try_get(1)?,
        lag_seconds: oldest.map_or(0.0, |at| (now - at).num_milliseconds() as f64 / 1000.0),
    })
}
