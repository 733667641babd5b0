//! Members the shop has seen: roles, activity, marketing choice.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use subjects::params::Audience;

/// Records a member's roles and activity at `at` (activity only moves forward).
pub async fn touch(
    conn: &mut SqliteConnection,
    id: &str,
    roles: &[String],
    joined_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO members (id, roles, joined_at, last_active_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET roles = excluded.roles, joined_at = COALESCE(excluded.joined_at, members.joined_at),
           last_active_at = MAX(COALESCE(members.last_active_at, ''), excluded.last_active_at)",
    )
    .bind(id)
    .bind(serde_json::to_string(roles)?)
    .bind(joined_at)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a member's marketing choice (`true`: promotion pings, `false`: no marketing).
pub async fn set_marketing(conn: &mut SqliteConnection, id: &str, opted_in: bool) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO members (id, marketing) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET marketing = excluded.marketing",
    )
    .bind(id)
    .bind(opted_in)
    .execute(conn)
    .await?;
    Ok(())
}

/// The members an audience reaches at `now`, by id, and how many of them opted out of marketing.
pub async fn resolve(
    conn: &mut SqliteConnection,
    audience: &Audience,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, bool)>> {
    let rows = match audience {
        Audience::Everyone => sqlx::query("SELECT id, marketing FROM members ORDER BY id").fetch_all(conn).await?,
        Audience::InactiveDays(days) => {
            let cutoff = now - chrono::Duration::days(i64::from(*days));
            sqlx::query("SELECT id, marketing FROM members WHERE last_active_at IS NULL OR last_active_at < ? ORDER BY id")
                .bind(cutoff)
                .fetch_all(conn)
                .await?
        }
        Audience::Role(role) => {
            sqlx::query("SELECT id, marketing FROM members WHERE EXISTS (SELECT 1 FROM json_each(members.roles) WHERE value = ?) ORDER BY id")
                .bind(role)
                .fetch_all(conn)
                .await?
        }
        Audience::PromoPing => sqlx::query("SELECT id, marketing FROM members WHERE marketing = 1 ORDER BY id").fetch_all(conn).await?,
    };
    rows.iter()
        .map(|r| {
            let marketing: Option<bool> = r.try_get(1)?;
            Ok((r.try_get(0)?, marketing == Some(false)))
        })
        .collect()
}
