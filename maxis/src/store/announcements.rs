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

/// Announcements waiting for delivery.
pub async fn queued_count(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM announcements WHERE status = 'queued'").fetch_one(conn).await?;
    Ok(n as u64)
}
