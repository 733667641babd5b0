//! Giveaways, their entries and their draw rounds.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use subjects::params::{BonusEntries, GiveawayTrigger, Requirements};
use subjects::results::{DrawRound, GiveawayInfo, GiveawayStatus};

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

/// A giveaway with what only the shop knows (the seed) and its rules.
#[derive(Debug, Clone)]
pub struct Giveaway {
    /// What is published.
    pub info: GiveawayInfo,
    /// The secret seed, hex.
    pub seed: String,
    /// Who may enter.
    pub requirements: Requirements,
    /// Extra entries.
    pub bonus: Vec<BonusEntries>,
}

/// Inserts a new giveaway.
pub async fn insert(conn: &mut SqliteConnection, g: &Giveaway) -> anyhow::Result<()> {
    let i = &g.info;
    let members = match i.trigger {
        GiveawayTrigger::Now => None,
        GiveawayTrigger::Members(n) => Some(i64::from(n)),
    };
    let winners = i64::from(i.winners);
    let duration_secs = i.duration_secs as i64;
    let status = status_str(i.status);
    let now = Utc::now();
    let requirements = serde_json::to_string(&g.requirements)?;
    let bonus = serde_json::to_string(&g.bonus)?;
    sqlx::query!(
        "INSERT INTO giveaways (id, prize, winners, duration_secs, trigger_members, channel, status, starts_at, ends_at, created_at,
                                seed, commitment, requirements, bonus)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        i.id,
        i.prize,
        winners,
        duration_secs,
        members,
        i.channel,
        status,
        i.starts_at,
        i.ends_at,
        now,
        g.seed,
        i.commitment,
        requirements,
        bonus
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A `giveaways` row as [`select!`] reads it.
struct GiveawayRow {
    id: String,
    prize: String,
    winners: i64,
    duration_secs: i64,
    trigger_members: Option<i64>,
    channel: Option<String>,
    status: String,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    seed: Option<String>,
    commitment: Option<String>,
    requirements: String,
    bonus: String,
    entrants: i64,
}

/// A checked query of [`GiveawayRow`]s: the `WHERE`/`ORDER BY` tail, then its arguments.
macro_rules! select {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            GiveawayRow,
            r#"SELECT g.id, prize, winners, duration_secs, trigger_members, channel, status,
                      starts_at AS "starts_at: DateTime<Utc>", ends_at AS "ends_at: DateTime<Utc>", seed, commitment,
                      requirements, bonus, entrants
               FROM giveaways g "# + $rest
            $(, $arg)*
        )
    };
}

async fn from_row(conn: &mut SqliteConnection, r: GiveawayRow) -> anyhow::Result<Giveaway> {
    let winners_drawn = current_winners(&rounds(conn, &r.id).await?);
    Ok(Giveaway {
        info: GiveawayInfo {
            id: r.id,
            prize: r.prize,
            winners: r.winners as u32,
            duration_secs: r.duration_secs as u64,
            trigger: match r.trigger_members {
                Some(n) => GiveawayTrigger::Members(n as u32),
                None => GiveawayTrigger::Now,
            },
            channel: r.channel,
            status: status_of(&r.status)?,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            commitment: r.commitment,
            entrants: r.entrants as u64,
            winners_drawn,
        },
        seed: r.seed.unwrap_or_default(),
        requirements: serde_json::from_str(&r.requirements)?,
        bonus: serde_json::from_str(&r.bonus)?,
    })
}

async fn many(conn: &mut SqliteConnection, rows: Vec<GiveawayRow>) -> anyhow::Result<Vec<Giveaway>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(from_row(conn, r).await?);
    }
    Ok(out)
}

/// One giveaway.
pub async fn get(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Option<Giveaway>> {
    let row = select!("WHERE g.id = ?", id).fetch_optional(&mut *conn).await?;
    match row {
        Some(r) => Ok(Some(from_row(conn, r).await?)),
        None => Ok(None),
    }
}

/// Giveaways not cancelled, newest first.
pub async fn list(conn: &mut SqliteConnection) -> anyhow::Result<Vec<Giveaway>> {
    let rows = select!("WHERE status != 'cancelled' ORDER BY created_at DESC").fetch_all(&mut *conn).await?;
    many(conn, rows).await
}

/// Open giveaways whose end has passed at `now`.
pub async fn due(conn: &mut SqliteConnection, now: DateTime<Utc>) -> anyhow::Result<Vec<Giveaway>> {
    let rows = select!("WHERE status = 'open' AND ends_at <= ?", now).fetch_all(&mut *conn).await?;
    many(conn, rows).await
}

/// Giveaways waiting for a member count of at most `members`.
pub async fn triggered(conn: &mut SqliteConnection, members: u64) -> anyhow::Result<Vec<Giveaway>> {
    let members = members as i64;
    let rows = select!("WHERE status = 'waiting' AND trigger_members <= ?", members).fetch_all(&mut *conn).await?;
    many(conn, rows).await
}

/// The next end of an open giveaway.
pub async fn next_end(conn: &mut SqliteConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar!(r#"SELECT MIN(ends_at) AS "at: DateTime<Utc>" FROM giveaways WHERE status = 'open'"#)
        .fetch_one(conn)
        .await?)
}

/// Moves a giveaway between states; true when this call changed it (exactly-once effects).
pub async fn transition(
    conn: &mut SqliteConnection,
    id: &str,
    from: GiveawayStatus,
    to: GiveawayStatus,
) -> anyhow::Result<bool> {
    let (to, from) = (status_str(to), status_str(from));
    let done =
        sqlx::query!("UPDATE giveaways SET status = ? WHERE id = ? AND status = ?", to, id, from).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Records the digest of the entry list the giveaway was drawn from.
pub async fn set_entries_digest(conn: &mut SqliteConnection, id: &str, digest: &str) -> anyhow::Result<()> {
    sqlx::query!("UPDATE giveaways SET entries_digest = ? WHERE id = ?", digest, id).execute(conn).await?;
    Ok(())
}

/// The digest recorded when the giveaway was drawn (`None` before, or for a draw made before
/// digests were kept).
pub async fn entries_digest(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar!("SELECT entries_digest FROM giveaways WHERE id = ?", id).fetch_one(conn).await?)
}

/// Opens a waiting giveaway at `now` for its duration; true when this call opened it.
pub async fn open(
    conn: &mut SqliteConnection,
    id: &str,
    now: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = sqlx::query!(
        "UPDATE giveaways SET status = 'open', starts_at = ?, ends_at = ? WHERE id = ? AND status = 'waiting'",
        now,
        ends_at,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds an entry; false when the member had already entered (the primary key decides). The
/// caller counts the new entrants ([`count_entrants`]).
pub async fn enter(
    conn: &mut SqliteConnection,
    id: &str,
    member: &str,
    weight: u32,
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let weight = i64::from(weight);
    let done = sqlx::query!(
        "INSERT INTO giveaway_entries (giveaway_id, member, weight, entered_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        id,
        member,
        weight,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds `n` new entrants to a giveaway's count (once per batch of entries).
pub async fn count_entrants(conn: &mut SqliteConnection, id: &str, n: u64) -> anyhow::Result<()> {
    let n = n as i64;
    sqlx::query!("UPDATE giveaways SET entrants = entrants + ? WHERE id = ?", n, id).execute(conn).await?;
    Ok(())
}

/// The rules of entry of one giveaway.
#[derive(Debug, Clone)]
pub struct EntryRules {
    /// State.
    pub status: GiveawayStatus,
    /// End.
    pub ends_at: Option<DateTime<Utc>>,
    /// Requirements.
    pub requirements: Requirements,
    /// Bonus entries.
    pub bonus: Vec<BonusEntries>,
    /// Entrants so far.
    pub entrants: u64,
}

/// What entering needs, read in one light query.
pub async fn entry_rules(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Option<EntryRules>> {
    let row = sqlx::query!(
        r#"SELECT status, ends_at AS "ends_at: DateTime<Utc>", requirements, bonus, entrants FROM giveaways WHERE id = ?"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(EntryRules {
            status: status_of(&r.status)?,
            ends_at: r.ends_at,
            requirements: serde_json::from_str(&r.requirements)?,
            bonus: serde_json::from_str(&r.bonus)?,
            entrants: r.entrants as u64,
        })
    })
    .transpose()
}

/// Entries as (member, weight), in canonical order (by member).
pub async fn entries(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Vec<(String, u32)>> {
    let rows = sqlx::query!("SELECT member, weight FROM giveaway_entries WHERE giveaway_id = ? ORDER BY member", id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.member, r.weight as u32)).collect())
}

/// Records a round.
pub async fn add_round(
    conn: &mut SqliteConnection,
    id: &str,
    n: i64,
    round: &DrawRound,
    replaced: Option<&str>,
) -> anyhow::Result<()> {
    let winners = i64::from(round.winners);
    let exclude = serde_json::to_string(&round.exclude)?;
    let picked = serde_json::to_string(&round.picked)?;
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO giveaway_rounds (giveaway_id, n, round, winners, exclude, picked, replaced, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        id,
        n,
        round.round,
        winners,
        exclude,
        picked,
        replaced,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The rounds of a giveaway, in order, with the winner each reroll replaced.
pub async fn rounds(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Vec<(DrawRound, Option<String>)>> {
    let rows = sqlx::query!(
        "SELECT round, winners, exclude, picked, replaced FROM giveaway_rounds WHERE giveaway_id = ? ORDER BY n",
        id
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                DrawRound {
                    round: r.round,
                    winners: r.winners as u32,
                    exclude: serde_json::from_str(&r.exclude)?,
                    picked: serde_json::from_str(&r.picked)?,
                },
                r.replaced,
            ))
        })
        .collect()
}

/// The winners after every round: a full reroll replaces them all, a targeted one swaps one.
pub fn current_winners(rounds: &[(DrawRound, Option<String>)]) -> Vec<String> {
    let mut winners: Vec<String> = Vec::new();
    for (round, replaced) in rounds {
        match replaced {
            Some(old) => {
                winners.retain(|w| w != old);
                winners.extend(round.picked.iter().cloned());
            }
            None => winners = round.picked.clone(),
        }
    }
    winners
}

/// Giveaways created in `[from, to)`.
pub async fn created_between(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<GiveawayInfo>> {
    let rows =
        select!("WHERE created_at >= ? AND created_at < ? ORDER BY created_at", from, to).fetch_all(&mut *conn).await?;
    Ok(many(conn, rows).await?.into_iter().map(|g| g.info).collect())
}

/// Giveaways open or waiting for their trigger.
pub async fn active_count(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
    let n = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM giveaways WHERE status IN ('waiting', 'open')"#)
        .fetch_one(conn)
        .await?;
    Ok(n as u64)
}
