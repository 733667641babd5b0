//! Named strategies: the defaults a request leaves unsaid; one of them is in use.

use chrono::Utc;
use sqlx::Row;
use subjects::params::Audience;

use super::Store;
use crate::strategy::Defaults;

fn from_row(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<(Defaults, bool)> {
    let audience: String = row.try_get("audience")?;
    let defaults = Defaults {
        name: row.try_get("name")?,
        promo_hours: row.try_get::<i64, _>("promo_hours")?.try_into()?,
        audience: serde_json::from_str::<Audience>(&audience)?,
        max_discount: row.try_get::<i64, _>("max_discount")?.try_into()?,
        giveaway_hours: row.try_get::<i64, _>("giveaway_hours")?.try_into()?,
    };
    Ok((defaults, row.try_get("active")?))
}

impl Store {
    /// Creates or replaces a named strategy.
    #[tracing::instrument(skip_all, fields(name = %s.name))]
    pub async fn save_strategy(&self, s: &Defaults, by: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO strategies (name, promo_hours, audience, max_discount, giveaway_hours, updated_by, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET promo_hours = excluded.promo_hours, audience = excluded.audience,
               max_discount = excluded.max_discount, giveaway_hours = excluded.giveaway_hours,
               updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(&s.name)
        .bind(s.promo_hours as i64)
        .bind(serde_json::to_string(&s.audience)?)
        .bind(i64::from(s.max_discount))
        .bind(s.giveaway_hours as i64)
        .bind(by)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every strategy, by name, with whether it is the one in use.
    pub async fn strategies(&self) -> anyhow::Result<Vec<(Defaults, bool)>> {
        sqlx::query("SELECT * FROM strategies ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// The strategy in use, if one was chosen.
    pub async fn active_strategy(&self) -> anyhow::Result<Option<Defaults>> {
        let row = sqlx::query("SELECT * FROM strategies WHERE active = 1").fetch_optional(&self.pool).await?;
        row.as_ref().map(|r| from_row(r).map(|(d, _)| d)).transpose()
    }

    /// Puts `name` in use; false when there is no such strategy.
    pub async fn use_strategy(&self, name: &str) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let found = sqlx::query("UPDATE strategies SET active = (name = ?)").bind(name).execute(&mut *tx).await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM strategies WHERE name = ?)")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        if exists && found.rows_affected() > 0 {
            tx.commit().await?;
        }
        Ok(exists)
    }

    /// Deletes a strategy; false when there was none.
    pub async fn delete_strategy(&self, name: &str) -> anyhow::Result<bool> {
        let done = sqlx::query("DELETE FROM strategies WHERE name = ?").bind(name).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }
}
