//! Memberships' SQL: the catch-up cursor, handled events, and dunning.

use sqlx::SqliteConnection;

use crate::store::settings;

/// The `settings` key of the catch-up cursor.
const CURSOR: &str = "stripe.events.since";

/// The Unix time the next catch-up lists events after, if a pass ran.
pub async fn events_cursor(conn: &mut SqliteConnection) -> anyhow::Result<Option<i64>> {
    Ok(settings::get(conn, CURSOR).await?.and_then(|v| v.parse().ok()))
}

/// Moves the catch-up cursor.
pub async fn set_events_cursor(conn: &mut SqliteConnection, since: i64) -> anyhow::Result<()> {
    settings::set(conn, CURSOR, &since.to_string()).await?;
    Ok(())
}

/// Whether Stripe event `id` was handled already.
pub async fn handled(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<bool> {
    let n = sqlx::query_scalar!("SELECT COUNT(*) FROM webhook_events WHERE event_id = ?", id).fetch_one(conn).await?;
    Ok(n > 0)
}
