//! Idempotency records (`handled_orders`) and the transactional outbox of events.

use chrono::Utc;
use sqlx::SqliteConnection;
use subjects::{Event, OrderId, Reply};

/// Opens the savepoint of one order inside a group's transaction. On success it stays open
/// (nested in the transaction, committed with it); [`undo_savepoint`] undoes the order.
pub async fn open_savepoint(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    sqlx::query!("SAVEPOINT one_order").execute(conn).await?;
    Ok(())
}

/// [`open_savepoint`], then the stored reply of `order` when it was handled already, in one round
/// trip.
pub async fn open_savepoint_and_stored_reply(
    conn: &mut SqliteConnection,
    order: &OrderId,
) -> anyhow::Result<Option<Reply>> {
    let order: &str = order.as_ref();
    let row = sqlx::query_scalar!("SAVEPOINT one_order; SELECT reply FROM handled_orders WHERE order_id = ?", order)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|text| serde_json::from_str(&text)).transpose()?)
}

/// Undoes what was written since the last [`open_savepoint`] and closes it. Fails when SQLite
/// already rolled the whole transaction back (after some I/O or memory errors): the savepoint no
/// longer exists.
pub async fn undo_savepoint(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    sqlx::query!("ROLLBACK TO one_order; RELEASE one_order").execute(conn).await?;
    Ok(())
}

/// Records the reply of an order (in the transaction of its effect) and queues its events
/// (subject, event), in one round trip.
pub async fn record_with_events(
    conn: &mut SqliteConnection,
    reply: &Reply,
    action: Option<&str>,
    issued_by: Option<&str>,
    events: &[(String, Event)],
) -> anyhow::Result<()> {
    let mut query = sqlx::QueryBuilder::new(
        "INSERT INTO handled_orders (order_id, action, issued_by, ok, reply, handled_at) VALUES (",
    );
    let mut values = query.separated(", ");
    values.push_bind(reply.order_id.as_ref());
    values.push_bind(action);
    values.push_bind(issued_by);
    values.push_bind(reply.ok);
    values.push_bind(serde_json::to_string(reply)?);
    values.push_bind(Utc::now().to_rfc3339());
    query.push(")");
    if !events.is_empty() {
        query.push("; INSERT INTO outbox (event_id, subject, payload) ");
        query.push_values(events, |mut row, (subject, event)| {
            row.push_bind(event.id.clone()).push_bind(subject.clone()).push_bind(event.to_json());
        });
    }
    query.build().execute(conn).await?;
    Ok(())
}

/// Ids of every order handled, oldest first.
pub async fn handled_ids(conn: &mut SqliteConnection) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar!("SELECT order_id FROM handled_orders ORDER BY handled_at, order_id").fetch_all(conn).await?)
}

/// Queues an event for publication (in the transaction of its cause).
pub async fn enqueue(conn: &mut SqliteConnection, subject: &str, event: &Event) -> anyhow::Result<()> {
    let payload = event.to_json();
    sqlx::query!("INSERT INTO outbox (event_id, subject, payload) VALUES (?, ?, ?)", event.id, subject, payload)
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
    Ok(sqlx::query_as!(
        Pending,
        "SELECT seq, event_id, subject, payload FROM outbox
         WHERE published_at IS NULL AND dead_at IS NULL AND seq > ? ORDER BY seq LIMIT ?",
        after,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Marks published every unpublished event up to `through` (an outbox sequence), in one statement.
pub async fn mark_published(conn: &mut SqliteConnection, through: i64) -> anyhow::Result<()> {
    let now = Utc::now().to_rfc3339();
    sqlx::query!(
        "UPDATE outbox SET published_at = ? WHERE published_at IS NULL AND dead_at IS NULL AND seq <= ?",
        now,
        through
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets aside the outbox event `seq`, which the broker can never accept, with the reason.
pub async fn set_aside(conn: &mut SqliteConnection, seq: i64, reason: &str) -> anyhow::Result<()> {
    let now = Utc::now().to_rfc3339();
    sqlx::query!("UPDATE outbox SET dead_at = ?, dead_reason = ? WHERE seq = ?", now, reason, seq)
        .execute(conn)
        .await?;
    Ok(())
}
