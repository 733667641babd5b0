//! Role deliveries as operators watch them: how many members wait for a role check, how many
//! roles Discord refuses for good, and how far behind the reconciler is (read at each `/metrics`
//! scrape).

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::metrics::Deliveries;

/// Members due for reconciliation, roles blocked, and the age of the oldest due member at `now`.
pub async fn health(pool: &SqlitePool, now: DateTime<Utc>) -> anyhow::Result<Deliveries> {
    let pending = sqlx::query_scalar!("SELECT COUNT(*) FROM reconcile_queue").fetch_one(pool).await?;
    let blocked =
        sqlx::query_scalar!("SELECT COUNT(*) FROM member_roles WHERE blocked IS NOT NULL").fetch_one(pool).await?;
    let oldest = sqlx::query_scalar!(
        r#"SELECT MIN(due_at) AS "oldest: DateTime<Utc>" FROM reconcile_queue WHERE due_at <= ?"#,
        now
    )
    .fetch_one(pool)
    .await?;
    Ok(Deliveries {
        pending,
        blocked,
        lag_seconds: oldest.map_or(0.0, |at| (now - at).num_milliseconds() as f64 / 1000.0),
    })
}
