//! The `settings` table: shop state and config values.

use chrono::Utc;
use sqlx::SqliteConnection;

use crate::domain::ShopState;

const OPEN: &str = "shop.open";
const CLOSED_REASON: &str = "shop.closed_reason";

/// Reads a setting.
pub async fn get(conn: &mut SqliteConnection, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT value FROM settings WHERE key = ?", key).fetch_optional(conn).await
}

/// Writes a setting.
pub async fn set(conn: &mut SqliteConnection, key: &str, value: &str) -> sqlx::Result<()> {
    let now = Utc::now().to_rfc3339();
    sqlx::query!(
        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        key,
        value,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a setting.
pub async fn unset(conn: &mut SqliteConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM settings WHERE key = ?", key).execute(conn).await?;
    Ok(())
}

/// The shop's open/closed state (open when never set).
pub async fn shop_state(conn: &mut SqliteConnection) -> sqlx::Result<ShopState> {
    let open = get(&mut *conn, OPEN).await?.is_none_or(|v| v == "true");
    let closed_reason = get(&mut *conn, CLOSED_REASON).await?;
    Ok(ShopState { open, closed_reason })
}

/// Saves the shop's open/closed state.
pub async fn save_shop_state(conn: &mut SqliteConnection, state: &ShopState) -> sqlx::Result<()> {
    set(&mut *conn, OPEN, if state.open { "true" } else { "false" }).await?;
    match &state.closed_reason {
        Some(reason) => set(&mut *conn, CLOSED_REASON, reason).await,
        None => unset(&mut *conn, CLOSED_REASON).await,
    }
}
