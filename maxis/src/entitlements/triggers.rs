//! What puts members on the reconciler's queue besides the ledger: Discord's member events
//! (joined, roles changed, left), the periodic drift check and `resync`.

use chrono::{DateTime, Utc};

use super::ledger;
use super::reconcile::presence;
use crate::commerce::Commerce;

impl Commerce {
    /// Queues every member the ledger has a source for (who is not known to have left) for a
    /// comparison with Discord: repairs roles changed by hand. Returns how many were queued.
    pub async fn drift_check(&self) -> anyhow::Result<u64> {
        let mut tx = self.store.begin().await?;
        let n = queue_everyone(&mut tx, Utc::now(), "drift", false).await?;
        tx.commit().await?;
        self.deliveries.notify_one();
        Ok(n)
    }

    /// A member joined (or rejoined) the server: their roles are reconciled at once.
    pub async fn member_joined(&self, member: &str) -> anyhow::Result<()> {
        self.member_seen(member, true, "joined").await
    }

    /// A member's roles changed in Discord (maybe by hand), `roles` being the roles the update
    /// carries: compared with the ledger at once, unless they already match it (the usual case:
    /// the reconciler's own grant coming back) with no role of theirs blocked and the member not
    /// recorded as gone, when a comparison would change nothing. One read, no write.
    pub async fn member_changed(&self, member: &str, roles: &[String]) -> anyhow::Result<()> {
        let ledger = sqlx::query!(
            r#"SELECT s.role_id AS "role_id!", MAX(s.active) AS "wanted!: bool",
                      (SELECT r.blocked IS NOT NULL FROM member_roles r
                       WHERE r.member = s.member AND r.role_id = s.role_id) AS "blocked?: bool",
                      (SELECT p.present FROM member_presence p WHERE p.member = s.member) AS "present?: bool"
               FROM entitlement_sources s WHERE s.member = ? GROUP BY s.role_id"#,
            member
        )
        .fetch_all(self.store.pool())
        .await?;
        let settled = ledger
            .iter()
            .all(|r| r.wanted == roles.contains(&r.role_id) && r.blocked != Some(true) && r.present != Some(false));
        if settled {
            return Ok(());
        }
        self.member_seen(member, true, "roles changed").await
    }

    /// A member left the server: nothing is tried for them until they come back.
    pub async fn member_left(&self, member: &str) -> anyhow::Result<()> {
        self.member_seen(member, false, "left").await
    }

    async fn member_seen(&self, member: &str, present: bool, reason: &str) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        let known = sqlx::query_scalar!("SELECT COUNT(*) FROM entitlement_sources WHERE member = ?", member)
            .fetch_one(&mut *tx)
            .await?;
        if known == 0 {
            return Ok(());
        }
        presence(&mut tx, member, present).await?;
        if present {
            ledger::queue(&mut tx, member, Utc::now(), reason).await?;
        }
        tx.commit().await?;
        if present {
            self.deliveries.notify_one();
        }
        Ok(())
    }
}

/// Queues every member with a source, also those who left when `all` (resync); returns how many.
pub async fn queue_everyone(
    conn: &mut sqlx::SqliteConnection,
    due: DateTime<Utc>,
    reason: &str,
    all: bool,
) -> anyhow::Result<u64> {
    let done = sqlx::query!(
        "INSERT INTO reconcile_queue (member, due_at, reason)
         SELECT DISTINCT s.member, ?, ? FROM entitlement_sources s
         WHERE ? OR NOT EXISTS (SELECT 1 FROM member_presence p WHERE p.member = s.member AND p.present = 0)
         ON CONFLICT (member) DO UPDATE SET due_at = MIN(due_at, excluded.due_at), attempts = 0, reason = excluded.reason",
        due,
        reason,
        all
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
