//! The reconciler: per member, the roles the ledger says they should hold against the roles
//! Discord says they hold; only the difference is applied. A member is reconciled when the
//! ledger changes for them, when they join or their roles change, on `resync`, and by the
//! periodic drift check. Failures are retried with backoff; a refusal an admin must fix (50013)
//! is told once to the admins, and once to the member when it delays a role they paid for.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::json;

use super::ledger;
use crate::commerce::Commerce;
use crate::execute;
use crate::members::MemberError;

/// How the reconciler runs.
#[derive(Debug, Clone, Copy)]
pub struct ReconcileSettings {
    /// How often every member with a source is compared with Discord (drift check).
    pub drift_every: Duration,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self { drift_every: Duration::from_secs(300) }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcilePass {
    /// Members compared with Discord.
    pub checked: usize,
    /// Roles granted.
    pub granted: usize,
    /// Roles revoked.
    pub revoked: usize,
    /// Roles Discord refused for good (an admin must act).
    pub blocked: usize,
    /// Members to try again later.
    pub retrying: usize,
}

/// Most members one pass reconciles.
const BATCH: i64 = 200;
/// Members compared with Discord at the same time within a pass.
pub(crate) const DISCORD_CONCURRENCY: usize = 16;
/// How long a claimed member is left alone by other passes.
const LEASE_SECS: i64 = 60;

impl ReconcilePass {
    fn add(&mut self, other: ReconcilePass) {
        self.checked += other.checked;
        self.granted += other.granted;
        self.revoked += other.revoked;
        self.blocked += other.blocked;
        self.retrying += other.retrying;
    }
}

/// A member taken off the queue for one pass: until `lease`, other passes leave them alone.
#[derive(Debug, Clone, Copy)]
struct Claim {
    attempts: i64,
    lease: DateTime<Utc>,
}

fn backoff(attempts: i64) -> chrono::Duration {
    chrono::Duration::seconds(2_i64.pow(attempts.clamp(0, 8) as u32).min(300))
}

impl Commerce {
    /// One pass over the members due for reconciliation: the reconciler's single step.
    ///
    /// The members due are claimed in one statement, then compared with Discord several at a
    /// time (a burst of sales waits on Discord's round trips side by side, not one after the
    /// other); each member's outcome and its release from the queue commit in one transaction.
    pub async fn reconcile_once(&self) -> anyhow::Result<ReconcilePass> {
        let now = Utc::now();
        let lease = now + chrono::Duration::seconds(LEASE_SECS);
        // One statement (atomic on its own): no transaction around it, one round trip to the
        // writer's thread instead of three.
        let claimed = {
            let mut conn = self.store.writer().acquire().await?;
            sqlx::query!(
                r#"UPDATE reconcile_queue SET due_at = ?
                   WHERE member IN (SELECT member FROM reconcile_queue WHERE due_at <= ? ORDER BY due_at LIMIT ?)
                   RETURNING member AS "member!", attempts AS "attempts!: i64""#,
                lease,
                now,
                BATCH
            )
            .fetch_all(&mut *conn)
            .await?
        };
        let passes: Vec<anyhow::Result<ReconcilePass>> = futures::stream::iter(claimed)
            .map(|row| async move {
                let mut pass = ReconcilePass::default();
                self.reconcile_member(&row.member, Claim { attempts: row.attempts, lease }, &mut pass).await?;
                Ok(pass)
            })
            .buffer_unordered(DISCORD_CONCURRENCY)
            .collect()
            .await;
        let mut pass = ReconcilePass::default();
        for one in passes {
            pass.add(one?);
        }
        Ok(pass)
    }

    /// Compares one member's roles with the ledger and applies the difference.
    async fn reconcile_member(&self, member: &str, claim: Claim, pass: &mut ReconcilePass) -> anyhow::Result<()> {
        let wanted = {
            let mut conn = self.store.pool().acquire().await?;
            sqlx::query!(
                r#"SELECT role_id AS "role_id!", MAX(active) AS "wanted!: bool" FROM entitlement_sources WHERE member = ? GROUP BY role_id"#,
                member
            )
            .fetch_all(&mut *conn)
            .await?
        };
        if wanted.is_empty() {
            let mut tx = self.store.begin().await?;
            done_with(&mut tx, member, claim, false).await?;
            tx.commit().await?;
            return Ok(());
        }
        pass.checked += 1;
        let roles = match self.members.member_roles(member).await {
            Ok(Some(roles)) => roles,
            Ok(None) => {
                // Not in the server: nothing to do until they join again.
                let mut tx = self.store.begin().await?;
                presence(&mut tx, member, false).await?;
                for w in &wanted {
                    seen(&mut tx, member, &w.role_id, None, Some("the member is not in the server")).await?;
                }
                done_with(&mut tx, member, claim, false).await?;
                tx.commit().await?;
                return Ok(());
            }
            Err(e) => {
                let mut tx = self.store.begin().await?;
                for w in &wanted {
                    seen(&mut tx, member, &w.role_id, None, Some(&e.to_string())).await?;
                }
                done_with(&mut tx, member, claim, true).await?;
                tx.commit().await?;
                pass.retrying += 1;
                return Ok(());
            }
        };
        // Discord first, outside any transaction (the order path must never wait on Discord);
        // then every outcome in one transaction.
        let mut outcomes = Vec::new();
        for w in &wanted {
            let has = roles.contains(&w.role_id);
            let outcome = if has == w.wanted {
                None
            } else if w.wanted {
                Some(self.members.grant_role(member, &w.role_id).await)
            } else {
                Some(self.members.revoke_role(member, &w.role_id).await)
            };
            outcomes.push((w, has, outcome));
        }
        let blocked_before = outcomes.iter().any(|(_, _, o)| matches!(o, Some(Err(MemberError::Forbidden(_)))));
        let before = if blocked_before {
            let mut conn = self.store.pool().acquire().await?;
            sqlx::query!(
                r#"SELECT role_id, blocked, told_buyer AS "told_buyer: bool" FROM member_roles WHERE member = ?"#,
                member
            )
            .fetch_all(&mut *conn)
            .await?
        } else {
            Vec::new()
        };
        let mut retry = false;
        let mut notices = Vec::new();
        let mut tx = self.store.begin().await?;
        presence(&mut tx, member, true).await?;
        for (w, has, outcome) in outcomes {
            let action = if w.wanted { "grant" } else { "revoke" };
            match outcome {
                None => seen(&mut tx, member, &w.role_id, Some(has), None).await?,
                Some(Ok(())) => {
                    attempted(&mut tx, member, &w.role_id, action, Some(w.wanted), None, None).await?;
                    let kind = if w.wanted { "role.granted" } else { "role.revoked" };
                    let data = json!({"member": member, "buyer": member, "role_id": w.role_id});
                    execute::enqueue(&mut tx, &self.ctx, None, kind, data).await?;
                    if w.wanted {
                        self.metrics.role_granted(member);
                        pass.granted += 1;
                    } else {
                        pass.revoked += 1;
                    }
                }
                Some(Err(MemberError::Forbidden(reason))) => {
                    pass.blocked += 1;
                    let state = before.iter().find(|b| b.role_id == w.role_id);
                    let newly_blocked = state.is_none_or(|s| s.blocked.is_none());
                    let tell_buyer = w.wanted && !state.is_some_and(|s| s.told_buyer);
                    attempted(&mut tx, member, &w.role_id, action, None, Some(&reason), Some(&reason)).await?;
                    if newly_blocked {
                        let data = json!({"member": member, "buyer": member, "role_id": w.role_id, "reason": reason, "action": action});
                        execute::enqueue(&mut tx, &self.ctx, None, "delivery.blocked", data).await?;
                    }
                    if tell_buyer {
                        sqlx::query!(
                            "UPDATE member_roles SET told_buyer = 1 WHERE member = ? AND role_id = ?",
                            member,
                            w.role_id
                        )
                        .execute(&mut *tx)
                        .await?;
                    }
                    notices.push((w.role_id.clone(), w.wanted, reason, newly_blocked, tell_buyer));
                }
                Some(Err(MemberError::Unavailable(reason))) => {
                    tracing::debug!(member, role = %w.role_id, %reason, "role change postponed");
                    attempted(&mut tx, member, &w.role_id, action, None, Some(&reason), None).await?;
                    retry = true;
                }
            }
        }
        done_with(&mut tx, member, claim, retry).await?;
        tx.commit().await?;
        for (role, grant, reason, tell_admins, tell_buyer) in notices {
            if tell_admins {
                self.tell_admins_blocked(member, &role, grant, &reason).await;
            }
            if tell_buyer {
                let text = format!(
                    "Your payment went through, but I could not give you the role <@&{role}> yet: a Discord \
                     permission of the server is in the way. The shop's admins have been told, and you will get \
                     the role automatically as soon as they fix it; nothing else to do on your side."
                );
                if let Err(e) = self.members.send_dm(member, &text).await {
                    tracing::info!(member, error.message = %e, "Could not tell the member their role is delayed");
                }
            }
        }
        if retry {
            pass.retrying += 1;
        }
        Ok(())
    }

    async fn tell_admins_blocked(&self, member: &str, role: &str, grant: bool, reason: &str) {
        let verb = if grant { "give" } else { "take back" };
        let text = format!(
            "⚠️ I could not {verb} <@&{role}> to <@{member}>: {reason}. I try again every few minutes (or run \
             `/admin resync` once fixed); `/admin why` shows the member's purchases."
        );
        if let Err(e) = self.members.tell_admins(&text).await {
            tracing::warn!(error.message = %e, "Failed to tell the admins about a refused role");
        }
    }

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

/// Takes `member` off the queue, or puts them back after a backoff with `retry`. Either only
/// while the claim holds: a ledger change queued during the pass (which moved `due_at` off the
/// lease) stays queued, so no change is ever lost.
async fn done_with(conn: &mut sqlx::SqliteConnection, member: &str, claim: Claim, retry: bool) -> anyhow::Result<()> {
    if retry {
        let due = Utc::now() + backoff(claim.attempts);
        sqlx::query!(
            "UPDATE reconcile_queue SET due_at = ?, attempts = attempts + 1 WHERE member = ? AND due_at = ?",
            due,
            member,
            claim.lease
        )
        .execute(conn)
        .await?;
    } else {
        sqlx::query!("DELETE FROM reconcile_queue WHERE member = ? AND due_at = ?", member, claim.lease)
            .execute(conn)
            .await?;
    }
    Ok(())
}

async fn presence(conn: &mut sqlx::SqliteConnection, member: &str, present: bool) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO member_presence (member, present, checked_at) VALUES (?, ?, ?)
         ON CONFLICT (member) DO UPDATE SET present = excluded.present, checked_at = excluded.checked_at",
        member,
        present,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records what Discord showed for a role (`held`), or why it could not be read (`error`). A
/// role seen as it should be is no longer blocked.
async fn seen(
    conn: &mut sqlx::SqliteConnection,
    member: &str,
    role: &str,
    held: Option<bool>,
    error: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO member_roles (member, role_id, held, last_error) VALUES (?, ?, ?, ?)
         ON CONFLICT (member, role_id) DO UPDATE SET held = COALESCE(excluded.held, held), last_error = excluded.last_error,
           blocked = CASE WHEN excluded.held IS NULL THEN blocked ELSE NULL END",
        member,
        role,
        held,
        error
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a grant or revoke attempt.
async fn attempted(
    conn: &mut sqlx::SqliteConnection,
    member: &str,
    role: &str,
    action: &str,
    held: Option<bool>,
    error: Option<&str>,
    blocked: Option<&str>,
) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "INSERT INTO member_roles (member, role_id, held, last_action, last_attempt_at, last_error, blocked)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (member, role_id) DO UPDATE SET held = COALESCE(excluded.held, held),
           last_action = excluded.last_action, last_attempt_at = excluded.last_attempt_at,
           last_error = excluded.last_error, blocked = excluded.blocked,
           told_buyer = CASE WHEN excluded.held IS NOT NULL THEN 0 ELSE told_buyer END",
        member,
        role,
        held,
        action,
        now,
        error,
        blocked
    )
    .execute(conn)
    .await?;
    Ok(())
}
