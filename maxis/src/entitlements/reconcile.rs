//! The reconciler: per member, the roles the ledger says they should hold against the roles
//! Discord says they hold; only the difference is applied. A member is reconciled when the
//! ledger changes for them, when they join or their roles change, on `resync`, and by the
//! periodic drift check. Failures are retried with backoff; a refusal an admin must fix (50013)
//! is told once to the admins, and once to the member when it delays a role they paid for.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::json;

use crate::commerce::Commerce;
use crate::execute;
use crate::members::MemberError;
use crate::store::Tx;

pub use super::triggers::queue_everyone;

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

/// A member taken off the queue for one pass: until `lease`, other passes leave them alone.
#[derive(Debug, Clone, Copy)]
struct Claim {
    attempts: i64,
    lease: DateTime<Utc>,
}

/// A role the ledger says a member should hold (`wanted`) or not.
struct Wanted {
    role_id: String,
    wanted: bool,
}

/// A role's refusal state before this pass.
struct Blocked {
    role_id: String,
    blocked: Option<String>,
    told_buyer: bool,
}

/// One claimed member, as Discord showed them, before anything is written.
struct Observed {
    member: String,
    claim: Claim,
    seen: Seen,
}

enum Seen {
    /// No source: only released from the queue.
    Nothing,
    /// Not in the server.
    Absent(Vec<Wanted>),
    /// Their roles could not be read (tried again after a backoff).
    Unreadable(Vec<Wanted>, String),
    /// Compared: each role, whether they held it, and the change asked of Discord if any.
    Compared { outcomes: Vec<(Wanted, bool, Option<Change>)>, before: Vec<Blocked> },
}

/// What Discord answered to a grant or revoke.
type Change = Result<(), MemberError>;

/// A role Discord refused for good, told once the pass committed.
struct Blocking {
    member: String,
    role: String,
    grant: bool,
    reason: String,
    tell_admins: bool,
    tell_buyer: bool,
}

fn backoff(attempts: i64) -> chrono::Duration {
    chrono::Duration::seconds(2_i64.pow(attempts.clamp(0, 8) as u32).min(300))
}

impl Commerce {
    /// One pass over the members due for reconciliation: the reconciler's single step.
    ///
    /// The members due are claimed in one statement, then compared with Discord several at a
    /// time (a burst of sales waits on Discord's round trips side by side, not one after the
    /// other); every member's outcome and release from the queue then commit in one transaction
    /// (the order path never waits on Discord, and a burst costs one commit, not one per member).
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
        let mut pass = ReconcilePass::default();
        if claimed.is_empty() {
            return Ok(pass);
        }
        let observed: Vec<anyhow::Result<Observed>> = futures::stream::iter(claimed)
            .map(|row| self.observe(row.member, Claim { attempts: row.attempts, lease }))
            .buffer_unordered(DISCORD_CONCURRENCY)
            .collect()
            .await;
        let mut notices = Vec::new();
        let mut tx = self.store.begin().await?;
        for one in observed {
            self.record(&mut tx, one?, &mut pass, &mut notices).await?;
        }
        tx.commit().await?;
        for n in notices {
            if n.tell_admins {
                self.tell_admins_blocked(&n.member, &n.role, n.grant, &n.reason).await;
            }
            if n.tell_buyer {
                let text = format!(
                    "Your payment went through, but I could not give you the role <@&{}> yet: a Discord \
                     permission of the server is in the way. The shop's admins have been told, and you will get \
                     the role automatically as soon as they fix it; nothing else to do on your side.",
                    n.role
                );
                if let Err(e) = self.members.send_dm(&n.member, &text).await {
                    tracing::info!(member = %n.member, error.message = %e, "Could not tell the member their role is delayed");
                }
            }
        }
        Ok(pass)
    }

    /// Compares one member's roles with the ledger and applies the difference in Discord; what
    /// it saw and did is written by [`Self::record`].
    async fn observe(&self, member: String, claim: Claim) -> anyhow::Result<Observed> {
        let wanted: Vec<Wanted> = {
            let mut conn = self.store.pool().acquire().await?;
            sqlx::query!(
                r#"SELECT role_id AS "role_id!", MAX(active) AS "wanted!: bool" FROM entitlement_sources WHERE member = ? GROUP BY role_id"#,
                member
            )
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|w| Wanted { role_id: w.role_id, wanted: w.wanted })
            .collect()
        };
        let seen = if wanted.is_empty() {
            Seen::Nothing
        } else {
            match self.members.member_roles(&member).await {
                Ok(Some(roles)) => {
                    let mut outcomes = Vec::new();
                    for w in wanted {
                        let has = roles.contains(&w.role_id);
                        let outcome = if has == w.wanted {
                            None
                        } else if w.wanted {
                            Some(self.members.grant_role(&member, &w.role_id).await)
                        } else {
                            Some(self.members.revoke_role(&member, &w.role_id).await)
                        };
                        outcomes.push((w, has, outcome));
                    }
                    let refused = outcomes.iter().any(|(_, _, o)| matches!(o, Some(Err(MemberError::Forbidden(_)))));
                    let before = if refused {
                        let mut conn = self.store.pool().acquire().await?;
                        sqlx::query!(
                            r#"SELECT role_id, blocked, told_buyer AS "told_buyer: bool" FROM member_roles WHERE member = ?"#,
                            member
                        )
                        .fetch_all(&mut *conn)
                        .await?
                        .into_iter()
                        .map(|b| Blocked { role_id: b.role_id, blocked: b.blocked, told_buyer: b.told_buyer })
                        .collect()
                    } else {
                        Vec::new()
                    };
                    Seen::Compared { outcomes, before }
                }
                // Not in the server: nothing to do until they join again.
                Ok(None) => Seen::Absent(wanted),
                Err(e) => Seen::Unreadable(wanted, e.to_string()),
            }
        };
        Ok(Observed { member, claim, seen })
    }

    /// Writes what [`Self::observe`] saw and did for one member, and releases them from the queue
    /// (or puts them back after a backoff).
    async fn record(
        &self,
        tx: &mut Tx,
        o: Observed,
        pass: &mut ReconcilePass,
        notices: &mut Vec<Blocking>,
    ) -> anyhow::Result<()> {
        let member = o.member.as_str();
        let retry = match o.seen {
            Seen::Nothing => false,
            Seen::Absent(wanted) => {
                pass.checked += 1;
                presence(tx, member, false).await?;
                for w in &wanted {
                    seen(tx, member, &w.role_id, None, Some("the member is not in the server")).await?;
                }
                false
            }
            Seen::Unreadable(wanted, error) => {
                pass.checked += 1;
                for w in &wanted {
                    seen(tx, member, &w.role_id, None, Some(&error)).await?;
                }
                true
            }
            Seen::Compared { outcomes, before } => {
                pass.checked += 1;
                presence(tx, member, true).await?;
                let mut retry = false;
                for (w, has, outcome) in outcomes {
                    let action = if w.wanted { "grant" } else { "revoke" };
                    match outcome {
                        None => seen(tx, member, &w.role_id, Some(has), None).await?,
                        Some(Ok(())) => {
                            attempted(tx, member, &w.role_id, action, Some(w.wanted), None, None).await?;
                            let kind = if w.wanted { "role.granted" } else { "role.revoked" };
                            let data = json!({"member": member, "buyer": member, "role_id": w.role_id});
                            execute::enqueue(tx, &self.ctx, None, kind, data).await?;
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
                            attempted(tx, member, &w.role_id, action, None, Some(&reason), Some(&reason)).await?;
                            if newly_blocked {
                                let data = json!({"member": member, "buyer": member, "role_id": w.role_id, "reason": reason, "action": action});
                                execute::enqueue(tx, &self.ctx, None, "delivery.blocked", data).await?;
                            }
                            if tell_buyer {
                                sqlx::query!(
                                    "UPDATE member_roles SET told_buyer = 1 WHERE member = ? AND role_id = ?",
                                    member,
                                    w.role_id
                                )
                                .execute(&mut **tx)
                                .await?;
                            }
                            notices.push(Blocking {
                                member: member.to_owned(),
                                role: w.role_id.clone(),
                                grant: w.wanted,
                                reason,
                                tell_admins: newly_blocked,
                                tell_buyer,
                            });
                        }
                        Some(Err(MemberError::Unavailable(reason))) => {
                            tracing::debug!(member, role = %w.role_id, %reason, "role change postponed");
                            attempted(tx, member, &w.role_id, action, None, Some(&reason), None).await?;
                            retry = true;
                        }
                    }
                }
                retry
            }
        };
        done_with(tx, member, o.claim, retry).await?;
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

pub(super) async fn presence(conn: &mut sqlx::SqliteConnection, member: &str, present: bool) -> anyhow::Result<()> {
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
