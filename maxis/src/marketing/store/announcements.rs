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
    let audience = serde_json::to_string(audience)?;
    let buttons = serde_json::to_string(buttons)?;
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO announcements (id, message, channel, audience, buttons, status, created_at) \
         VALUES (?, ?, ?, ?, ?, 'queued', ?) ON CONFLICT (id) DO NOTHING",
        id,
        message,
        channel,
        audience,
        buttons,
        now
    )
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
    let (name, body) = file;
    sqlx::query!(
        "UPDATE announcements SET file_name = ?, file_body = ? WHERE id = ? AND status = 'queued'",
        name,
        body,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The announcements waiting for delivery, oldest first.
pub async fn queued(conn: &mut SqliteConnection) -> anyhow::Result<Vec<Queued>> {
    let rows = sqlx::query!(
        "SELECT id, message, channel, audience, buttons, file_name, file_body FROM announcements
         WHERE status = 'queued' ORDER BY created_at"
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Queued {
                id: r.id,
                message: r.message,
                channel: r.channel,
                audience: serde_json::from_str(&r.audience)?,
                buttons: serde_json::from_str(&r.buttons)?,
                file: match (r.file_name, r.file_body) {
                    (Some(name), Some(body)) => Some((name, body)),
                    _ => None,
                },
            })
        })
        .collect()
}

/// Claims a queued announcement for delivery; false when another worker has it.
pub async fn claim(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<bool> {
    let done = sqlx::query!("UPDATE announcements SET status = 'sending' WHERE id = ? AND status = 'queued'", id)
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
    let (reached, skipped, failed) = (reached as i64, skipped as i64, failed as i64);
    sqlx::query!(
        "UPDATE announcements SET status = 'sent', reached = ?, skipped = ?, failed = ? WHERE id = ?",
        reached,
        skipped,
        failed,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}
