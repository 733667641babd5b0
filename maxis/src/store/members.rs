//! Members the shop has seen: roles, activity, marketing choice.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use subjects::params::Audience;

/// Records a member's roles and activity at `at` (activity only moves forward).
pub async fn touch(
    conn: &mut SqliteConnection,
    id: &str,
    roles: &[String],
    joined_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let roles = serde_json::to_string(roles)?;
    sqlx::query!(
        "INSERT INTO members (id, roles, joined_at, last_active_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET roles = excluded.roles, joined_at = COALESCE(excluded.joined_at, members.joined_at),
           last_active_at = MAX(COALESCE(members.last_active_at, ''), excluded.last_active_at)",
        id,
        roles,
        joined_at,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a member's marketing choice (`true`: promotion pings, `false`: no marketing).
pub async fn set_marketing(conn: &mut SqliteConnection, id: &str, opted_in: bool) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO members (id, marketing) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET marketing = excluded.marketing",
        id,
        opted_in
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A member and their marketing choice, as [`select!`] reads them.
struct Choice {
    id: String,
    marketing: Option<bool>,
}

/// A checked query of [`Choice`]s: the `WHERE`/`ORDER BY` tail, then its arguments.
macro_rules! select {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(Choice, r#"SELECT id, marketing AS "marketing: bool" FROM members "# + $rest $(, $arg)*)
    };
}

/// The members an audience reaches at `now`, by id, and how many of them opted out of marketing.
pub async fn resolve(
    conn: &mut SqliteConnection,
    audience: &Audience,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, bool)>> {
    let rows = match audience {
        Audience::Everyone => select!("ORDER BY id").fetch_all(conn).await?,
        Audience::InactiveDays(days) => {
            let cutoff = now - chrono::Duration::days(i64::from(*days));
            select!("WHERE last_active_at IS NULL OR last_active_at < ? ORDER BY id", cutoff).fetch_all(conn).await?
        }
        Audience::Role(role) => {
            select!("WHERE EXISTS (SELECT 1 FROM json_each(members.roles) WHERE value = ?) ORDER BY id", role)
                .fetch_all(conn)
                .await?
        }
        Audience::PromoPing => select!("WHERE marketing = 1 ORDER BY id").fetch_all(conn).await?,
    };
    Ok(rows.into_iter().map(|r| (r.id, r.marketing == Some(false))).collect())
}
