//! The `announcements` table.

use chrono::Utc;
use sqlx::SqliteConnection;
use subjects::params::Audience;

use crate::members::Button;

/// An announcement waiting for delivery.
#[derive(Debug, Clone)]
pub struct Queued {
    /// Its id.
    pub id: String,
    /// The text.
    pub message: String,
    /// The channel.
    pub channel: String,
    /// Who it is for.
    pub audience: Audience,
    /// Buttons under the post.
    pub buttons: Vec<Button>,
    /// A file attached to the post: (name, text).
    pub file: Option<(String, String)>,
}

/// Stores an announcement, queued for delivery.
pub async fn insert(
    conn: &mut SqliteConnection,
    id: &str,
    message: &str,
    channel: &str,
    audience: &Audience,
) -> anyhow::Result<()> {
    insert_with_buttons(conn, id, message, channel, audience, &[]).await
}

/// Stores an announcement with buttons under it (e.g. a giveaway's Enter button), queued for
/// delivery; an id stored before is left as it is.
pub async fn insert_with_buttons(
    conn: &mut SqliteConnection,
    id: &str,
    message: &str,
    channel: &str,
    audience: &Audience,
    buttons: &[Button],
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO announcements (id, message, channel, audience, buttons, status, created_at) \
         VALUES (?, ?, ?, ?, ?, 'queued', ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(message)
    .bind(channel)
    .bind(serde_json::to_string(audience)?)
    .bind(serde_json::to_string(buttons)?)
    .bind(Utc::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a channel post with a text file attached (e.g. a giveaway's entry list), queued for
/// delivery; an id stored before is left as it is.
pub async fn insert_with_file(
    conn: &mut SqliteConnection,
    id: &str,
    message: &str,
    channel: &str,
    file: (&str, &str),
) -> anyhow::Result<()> {
    insert(&mut *conn, id, message, channel, &Audience::Everyone).await?;
    sqlx::query("UPDATE announcements SET file_name = ?, file_body = ? WHERE id = ? AND status = 'queued'")
        .bind(file.0)
        .bind(file.1)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The announcements waiting for delivery, oldest first.
pub async fn queued(conn: &mut SqliteConnection) -> anyhow::Result<Vec<Queued>> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT id, message, channel, audience, buttons, file_name, file_body FROM announcements
         WHERE status = 'queued' ORDER BY created_at",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Queued {
                id: r.try_get(0)?,
                message: r.try_get(1)?,
                channel: r.try_get(2)?,
                audience: serde_json::from_str(r.try_get(3)?)?,
                buttons: serde_json::from_str(r.try_get(4)?)?,
                file: match (r.try_get::<Option<String>, _>(5)?, r.try_get::<Option<String>, _>(6)?) {
                    (Some(name), Some(body)) => Some((name, body)),
                    _ => None,
                },
            })
        })
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
