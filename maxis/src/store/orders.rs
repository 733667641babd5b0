//! Idempotency records (`handled_orders`) and the transactional outbox of events.

use chrono::Utc;
use sqlx::{Row, SqliteConnection};
use subjects::{Event, OrderId, Reply};

/// The stored reply of an order already handled.
pub async fn stored_reply(conn: &mut SqliteConnection, order: &OrderId) -> anyhow::Result<Option<Reply>> {
    let row: Option<String> = sqlx::query_scalar("SELECT reply FROM handled_orders WHERE order_id = ?")
        .bind(order.as_ref())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|text| serde_json::from_str(&text)).transpose()?)
}

/// Records the reply of an order (in the transaction of its effect).
pub async fn record(
    conn: &mut SqliteConnection,
    reply: &Reply,
    action: Option<&str>,
    issued_by: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO handled_orders (order_id, action, issued_by, ok, reply, handled_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(reply.order_id.as_ref())
    .bind(action)
    .bind(issued_by)
    .bind(reply.ok)
    .bind(serde_json::to_string(reply)?)
    .bind(Utc::now().to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

/// Ids of every order handled, oldest first.
pub async fn handled_ids(conn: &mut SqliteConnection) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT order_id FROM handled_orders ORDER BY handled_at, order_id").fetch_all(conn).await?)
}

/// Queues an event for publication (in the transaction of its cause).
pub async fn enqueue(conn: &mut SqliteConnection, subject: &str, event: &Event) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO outbox (event_id, subject, payload) VALUES (?, ?, ?)")
        .bind(&event.id)
        .bind(subject)
        .bind(event.to_json())
        .execute(conn)
        .await?;
    Ok(())
}

/// An event waiting to be published.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Outbox sequence.
    pub seq: i64,
    /// Event id (the `Nats-Msg-Id`).
    pub event_id: String,
    /// Subject.
    pub subject: String,
    /// JSON payload.
    pub payload: Vec<u8>,
}

/// Unpublished events after `after` (an outbox sequence), oldest first.
pub async fn unpublished(conn: &mut SqliteConnection, after: i64, limit: i64) -> anyhow::Result<Vec<Pending>> {
    let rows = sqlx::query(
        "SELECT seq, event_id, subject, payload FROM outbox WHERE published_at IS NULL AND seq > ?
         ORDER BY seq LIMIT ?",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Pending { seq: r.try_get(0)?, event_id: r.try_get(1)?, subject: r.try_get(2)?, payload: r.try_get(3)? })
        })
        .collect()
}

/// Marks published every unpublished event up to `through` (an outbox sequence), in one statement.
pub async fn mark_published(conn: &mut SqliteConnection, through: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE outbox SET published_at = ? WHERE published_at IS NULL AND seq <= ?")
        .bind(Utc::now().to_rfc3339())
        .bind(through)
        .execute(conn)
        .await?;
    Ok(())
}
