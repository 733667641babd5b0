//! The `giveaways` table.

use chrono::Utc;
use sqlx::{Row, SqliteConnection};
use subjects::params::GiveawayTrigger;
use subjects::results::{GiveawayInfo, GiveawayStatus};

fn status_str(s: GiveawayStatus) -> &'static str {
    match s {
        GiveawayStatus::Waiting => "waiting",
        GiveawayStatus::Open => "open",
        GiveawayStatus::Ended => "ended",
        GiveawayStatus::Cancelled => "cancelled",
    }
}

fn status_of(s: &str) -> anyhow::Result<GiveawayStatus> {
    Ok(match s {
        "waiting" => GiveawayStatus::Waiting,
        "open" => GiveawayStatus::Open,
        "ended" => GiveawayStatus::Ended,
        "cancelled" => GiveawayStatus::Cancelled,
        other => anyhow::bail!("unknown giveaway status {other:?}"),
    })
}

/// Inserts a new giveaway.
pub async fn insert(conn: &mut SqliteConnection, g: &GiveawayInfo) -> anyhow::Result<()> {
    let members = match g.trigger {
        GiveawayTrigger::Now => None,
        GiveawayTrigger::Members(n) => Some(i64::from(n)),
    };
    sqlx::query(
        "INSERT INTO giveaways (id, prize, winners, duration_secs, trigger_members, channel, status, starts_at, ends_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&g.id)
    .bind(&g.prize)
    .bind(i64::from(g.winners))
    .bind(g.duration_secs as i64)
    .bind(members)
    .bind(&g.channel)
    .bind(status_str(g.status))
    .bind(g.starts_at)
    .bind(g.ends_at)
    .bind(Utc::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Giveaways created in `[from, to)`.
pub async fn created_between(
    conn: &mut SqliteConnection,
    from: chrono::DateTime<Utc>,
    to: chrono::DateTime<Utc>,
) -> anyhow::Result<Vec<GiveawayInfo>> {
    let rows = sqlx::query(
        "SELECT id, prize, winners, duration_secs, trigger_members, channel, status, starts_at, ends_at
         FROM giveaways WHERE created_at >= ? AND created_at < ? ORDER BY created_at",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(GiveawayInfo {
                id: r.try_get("id")?,
                prize: r.try_get("prize")?,
                winners: r.try_get::<i64, _>("winners")? as u32,
                duration_secs: r.try_get::<i64, _>("duration_secs")? as u64,
                trigger: match r.try_get::<Option<i64>, _>("trigger_members")? {
                    Some(n) => GiveawayTrigger::Members(n as u32),
                    None => GiveawayTrigger::Now,
                },
                channel: r.try_get("channel")?,
                status: status_of(r.try_get("status")?)?,
                starts_at: r.try_get("starts_at")?,
                ends_at: r.try_get("ends_at")?,
            })
        })
        .collect()
}

/// Giveaways open or waiting for their trigger.
pub async fn active_count(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM giveaways WHERE status IN ('waiting', 'open')")
        .fetch_one(conn)
        .await?;
    Ok(n as u64)
}
