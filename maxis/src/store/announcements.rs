//! The `announcements` table.

use chrono::Utc;
use sqlx::SqliteConnection;
use subjects::params::Audience;

/// Stores an announcement, queued for delivery.
pub async fn insert(
    conn: &mut SqliteConnection,
    id: &str,
    message: &str,
    channel: &str,
    audience: &Audience,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO announcements (id, message, channel, audience, status, created_at) VALUES (?, ?, ?, ?, 'queued', ?)")
        .bind(id)
        .bind(message)
        .bind(channel)
        .bind(serde_json::to_string(audience)?)
        .bind(Utc::now())
        .execute(conn)
        .await?;
    Ok(())
}

/// An announcement waiting for delivery: (id, message, channel, audience).
pub async fn queued(conn: &mut SqliteConnection) -> anyhow::Result<Vec<(String, String, String, Audience)>> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT id, message, channel, audience FROM announcements WHERE status = 'queued' ORDER BY created_at",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, serde_json::from_str(r.try_get(3)?)?)))
        .collect()
}

/// Claims a queued announcement for delivery; false when another worker has it.
pub async fn claim(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE announcements SET status = 'sending' WHERE id = ? AND status = 'queued'")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the delivery counts.
pub async fn delivered(
    conn: &mut SqliteConnection,
    id: &str,
    reached: u64,
    skipped: u64,
    failed: u64,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE announcements SET status = 'sent', reached = ?, skipped = ?, failed = ? WHERE id = ?")
        .bind(reached as i64)
        .bind(skipped as i64)
        .bind(failed as i64)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
