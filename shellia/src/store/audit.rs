//! The audit of orders Shellia sent: who asked, who confirmed, what came of it.

use chrono::{DateTime, Utc};

use super::Store;

/// One order sent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    /// The order id.
    pub order_id: String,
    /// Its action.
    pub action: String,
    /// Where it went.
    pub target: String,
    /// Who asked (`shellia:admin/discord:123`, `shellia:admin/campaign:friday`).
    pub issued_by: String,
    /// Who confirmed it.
    pub confirmed_by: Option<String>,
    /// `ok`, `rejected` (a shop refused) or `unanswered`.
    pub outcome: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

impl Store {
    /// Records an order sent (a retry of the same order id updates its outcome).
    #[tracing::instrument(skip_all, fields(order_id = %row.order_id))]
    pub async fn record_sent(&self, row: &AuditRow) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO audit (order_id, action, target, issued_by, confirmed_by, outcome, sent_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET outcome = excluded.outcome",
        )
        .bind(&row.order_id)
        .bind(&row.action)
        .bind(&row.target)
        .bind(&row.issued_by)
        .bind(&row.confirmed_by)
        .bind(&row.outcome)
        .bind(row.sent_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The last `limit` orders sent, oldest first.
    pub async fn audit(&self, limit: u32) -> anyhow::Result<Vec<AuditRow>> {
        let mut rows: Vec<AuditRow> =
            sqlx::query_as("SELECT * FROM audit ORDER BY sent_at DESC, order_id DESC LIMIT ?")
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        rows.reverse();
        Ok(rows)
    }
}
