//! Memberships' SQL: the catch-up cursor, handled events, and dunning.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::grace::Dunning;
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

/// Opens `d` (a failed invoice); false when that invoice's failure was recorded before.
pub async fn open_dunning(conn: &mut SqliteConnection, d: &Dunning) -> anyhow::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO dunning (subscription_id, invoice_id, member, product_id, pay_url, started_at, grace_until)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        d.subscription_id,
        d.invoice_id,
        d.member,
        d.product_id,
        d.pay_url,
        d.started_at,
        d.grace_until
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The latest failed renewal of subscription `sub`.
pub async fn latest_dunning(conn: &mut SqliteConnection, sub: &str) -> anyhow::Result<Option<Dunning>> {
    Ok(sqlx::query_as!(
        Dunning,
        r#"SELECT subscription_id, invoice_id, member, product_id, pay_url,
                  started_at AS "started_at: DateTime<Utc>", grace_until AS "grace_until: DateTime<Utc>",
                  reminded_at AS "reminded_at: DateTime<Utc>", outcome
           FROM dunning WHERE subscription_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1"#,
        sub
    )
    .fetch_optional(conn)
    .await?)
}

/// Open failed renewals whose grace ends before `before`.
pub async fn open_ending_before(conn: &mut SqliteConnection, before: DateTime<Utc>) -> anyhow::Result<Vec<Dunning>> {
    Ok(sqlx::query_as!(
        Dunning,
        r#"SELECT subscription_id, invoice_id, member, product_id, pay_url,
                  started_at AS "started_at: DateTime<Utc>", grace_until AS "grace_until: DateTime<Utc>",
                  reminded_at AS "reminded_at: DateTime<Utc>", outcome
           FROM dunning WHERE outcome IS NULL AND grace_until < ? ORDER BY grace_until"#,
        before
    )
    .fetch_all(conn)
    .await?)
}

/// Closes the open failed renewals of `sub` with `outcome`; returns those it closed.
pub async fn close(
    conn: &mut SqliteConnection,
    sub: &str,
    outcome: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<Vec<Dunning>> {
    let open = sqlx::query_as!(
        Dunning,
        r#"SELECT subscription_id, invoice_id, member, product_id, pay_url,
                  started_at AS "started_at: DateTime<Utc>", grace_until AS "grace_until: DateTime<Utc>",
                  reminded_at AS "reminded_at: DateTime<Utc>", outcome
           FROM dunning WHERE subscription_id = ? AND outcome IS NULL"#,
        sub
    )
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE dunning SET outcome = ?, closed_at = ? WHERE subscription_id = ? AND outcome IS NULL",
        outcome,
        at,
        sub
    )
    .execute(conn)
    .await?;
    Ok(open)
}

/// Marks a failed renewal's member reminded.
pub async fn set_reminded(conn: &mut SqliteConnection, d: &Dunning, at: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE dunning SET reminded_at = ? WHERE subscription_id = ? AND invoice_id = ?",
        at,
        d.subscription_id,
        d.invoice_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Failed renewals closed `recovered` and `lost` since `from`.
pub async fn outcomes_since(conn: &mut SqliteConnection, from: DateTime<Utc>) -> anyhow::Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"SELECT COALESCE(SUM(outcome = 'recovered'), 0) AS "recovered!: i64",
                  COALESCE(SUM(outcome = 'lost'), 0) AS "lost!: i64"
           FROM dunning WHERE closed_at >= ?"#,
        from
    )
    .fetch_one(conn)
    .await?;
    Ok((row.recovered, row.lost))
}

/// Queues DM `id` to `member` (once per id).
pub async fn queue_message(conn: &mut SqliteConnection, id: &str, member: &str, text: &str) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO membership_messages (id, member, text, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        id,
        member,
        text,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A queued DM, claimed by one sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Id.
    pub id: String,
    /// To.
    pub member: String,
    /// Text.
    pub text: String,
    /// Tries so far.
    pub attempts: i64,
}

/// Claims the unsent DMs for a minute (another sender skips them meanwhile).
pub async fn claim_messages(conn: &mut SqliteConnection, now: DateTime<Utc>) -> anyhow::Result<Vec<Message>> {
    let unsent = sqlx::query_as!(
        Message,
        "SELECT id, member, text, attempts FROM membership_messages
         WHERE sent_at IS NULL AND failed IS NULL AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY created_at",
        now
    )
    .fetch_all(&mut *conn)
    .await?;
    let until = now + chrono::Duration::seconds(60);
    let mut claimed = Vec::new();
    for m in unsent {
        let done = sqlx::query!(
            "UPDATE membership_messages SET claimed_until = ?, attempts = attempts + 1
             WHERE id = ? AND attempts = ? AND sent_at IS NULL AND failed IS NULL",
            until,
            m.id,
            m.attempts
        )
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 1 {
            claimed.push(m);
        }
    }
    Ok(claimed)
}

/// Records how a claimed DM went: sent, failed for good (`Some(reason)`), or to retry (`None`,
/// `retry` true).
pub async fn message_done(
    conn: &mut SqliteConnection,
    id: &str,
    failed: Option<&str>,
    retry: bool,
) -> anyhow::Result<()> {
    let now = Utc::now();
    if retry {
        sqlx::query!("UPDATE membership_messages SET claimed_until = NULL WHERE id = ?", id).execute(conn).await?;
    } else if let Some(reason) = failed {
        sqlx::query!("UPDATE membership_messages SET failed = ? WHERE id = ?", reason, id).execute(conn).await?;
    } else {
        sqlx::query!("UPDATE membership_messages SET sent_at = ? WHERE id = ?", now, id).execute(conn).await?;
    }
    Ok(())
}

/// Records a member's cancellation and its reason, unless one is open (not resumed) already.
pub async fn record_cancellation(
    conn: &mut SqliteConnection,
    sub: &str,
    member: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO cancellations (subscription_id, member, reason, requested_at)
         SELECT ?, ?, ?, ? WHERE NOT EXISTS
           (SELECT 1 FROM cancellations WHERE subscription_id = ? AND resumed_at IS NULL)",
        sub,
        member,
        reason,
        now,
        sub
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the open cancellation of `sub` resumed.
pub async fn record_resumed(conn: &mut SqliteConnection, sub: &str) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!("UPDATE cancellations SET resumed_at = ? WHERE subscription_id = ? AND resumed_at IS NULL", now, sub)
        .execute(conn)
        .await?;
    Ok(())
}

/// Cancellation reasons given in `[from, to)` and not resumed, most frequent first.
pub async fn cancellation_reasons(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT reason, COUNT(*) AS "n!: i64" FROM cancellations
           WHERE requested_at >= ? AND requested_at < ? AND resumed_at IS NULL
           GROUP BY reason ORDER BY 2 DESC, 1"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.reason, r.n)).collect())
}
