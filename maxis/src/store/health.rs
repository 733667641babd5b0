//! The database health check: a write committed, not a read.

use std::time::Duration;

use chrono::Utc;

use super::Store;

/// How long the check may wait for the writer (an order batch may hold it).
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// Commits one write; `Err` says why the database cannot commit now (read-only, disk full, …).
pub async fn can_commit(store: &Store) -> anyhow::Result<()> {
    let check = async {
        let mut tx = store.begin().await?;
        sqlx::query(
            "INSERT INTO health (id, checked_at) VALUES (1, ?)
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        )
        .bind(Utc::now().to_rfc3339())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        anyhow::Ok(())
    };
    tokio::time::timeout(CHECK_TIMEOUT, check)
        .await
        .map_err(|_| anyhow::anyhow!("the database did not commit within 3 s"))?
}
