//! Scheduled campaigns and the slots they ran.

use chrono::{DateTime, Utc};

use super::Store;

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CampaignRow {
    /// Its name.
    pub name: String,
    /// When it runs (`fri 18:00`, `daily 09:00`, UTC).
    pub schedule: String,
    /// The command line it runs.
    pub command: String,
    /// Whether it is paused.
    pub paused: bool,
    /// Who added it (the admin who confirmed its orders in advance).
    pub created_by: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// One slot a campaign claimed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunRow {
    /// The campaign.
    pub campaign: String,
    /// The slot (the scheduled instant).
    pub slot: DateTime<Utc>,
    /// The order id sent for it (the same on every retry).
    pub order_id: String,
    /// Whether the order reached the broker.
    pub sent: bool,
    /// What came of it.
    pub outcome: Option<String>,
}

impl Store {
    /// Adds a campaign; false when the name is taken.
    #[tracing::instrument(skip_all, fields(name = %c.name))]
    pub async fn add_campaign(&self, c: &CampaignRow) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "INSERT INTO campaigns (name, schedule, command, paused, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&c.name)
        .bind(&c.schedule)
        .bind(&c.command)
        .bind(c.paused)
        .bind(&c.created_by)
        .bind(c.created_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every campaign, by name.
    pub async fn campaigns(&self) -> anyhow::Result<Vec<CampaignRow>> {
        Ok(sqlx::query_as("SELECT * FROM campaigns ORDER BY name").fetch_all(&self.pool).await?)
    }

    /// Pauses or resumes a campaign; false when there is none by that name.
    pub async fn set_paused(&self, name: &str, paused: bool) -> anyhow::Result<bool> {
        let done = sqlx::query("UPDATE campaigns SET paused = ? WHERE name = ?")
            .bind(paused)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a campaign (its past runs stay in the audit); false when there was none.
    pub async fn delete_campaign(&self, name: &str) -> anyhow::Result<bool> {
        let done = sqlx::query("DELETE FROM campaigns WHERE name = ?").bind(name).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Claims `slot` for `campaign` with `order_id`. Returns the run: a fresh claim, or the
    /// existing one (with its own order id) when the slot was claimed before.
    pub async fn claim_slot(&self, campaign: &str, slot: DateTime<Utc>, order_id: &str) -> anyhow::Result<RunRow> {
        sqlx::query(
            "INSERT INTO campaign_runs (campaign, slot, order_id, ran_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (campaign, slot) DO NOTHING",
        )
        .bind(campaign)
        .bind(slot)
        .bind(order_id)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as(
            "SELECT campaign, slot, order_id, sent, outcome FROM campaign_runs WHERE campaign = ? AND slot = ?",
        )
        .bind(campaign)
        .bind(slot)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Marks a claimed slot's order as sent, with its outcome.
    pub async fn finish_run(&self, campaign: &str, slot: DateTime<Utc>, outcome: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE campaign_runs SET sent = 1, outcome = ? WHERE campaign = ? AND slot = ?")
            .bind(outcome)
            .bind(campaign)
            .bind(slot)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The latest slot claimed for `campaign`.
    pub async fn last_run(&self, campaign: &str) -> anyhow::Result<Option<RunRow>> {
        Ok(sqlx::query_as(
            "SELECT campaign, slot, order_id, sent, outcome FROM campaign_runs WHERE campaign = ? ORDER BY slot DESC LIMIT 1",
        )
        .bind(campaign)
        .fetch_optional(&self.pool)
        .await?)
    }
}
