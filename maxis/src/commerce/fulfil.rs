//! Fulfilment: makes Discord match what was paid for (roles granted and revoked) and sends
//! receipts. A failed grant is retried with backoff and never reported as delivered; a refusal
//! that needs an admin (50013) blocks the delivery and says so.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::Commerce;
use crate::execute;
use crate::members::MemberError;
use crate::store::payments as pay;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Roles granted.
    pub granted: usize,
    /// Roles revoked.
    pub revoked: usize,
    /// Deliveries blocked for an admin.
    pub blocked: usize,
    /// Tries to repeat later.
    pub retrying: usize,
    /// Receipts sent.
    pub receipts: usize,
}

impl Commerce {
    /// One pass over the due deliveries and receipts: the worker's single step.
    pub async fn fulfil_once(&self) -> anyhow::Result<Pass> {
        let mut pass = Pass::default();
        let due = {
            let mut conn = self.store.pool().acquire().await?;
            pay::due(&mut conn, Utc::now(), 100).await?
        };
        for e in due {
            let claimed = {
                let mut conn = self.store.pool().acquire().await?;
                let now = Utc::now();
                pay::claim(&mut conn, &e.id, now, now + chrono::Duration::seconds(60)).await?
            };
            if !claimed {
                continue;
            }
            let outcome = if e.wanted {
                self.members.grant_role(&e.buyer, &e.role_id).await
            } else {
                self.members.revoke_role(&e.buyer, &e.role_id).await
            };
            let mut tx = self.store.begin().await?;
            let retry_at = Utc::now() + chrono::Duration::seconds(2_i64.pow(e.attempts.clamp(0, 9) as u32));
            let data = json!({"checkout_id": e.checkout_id, "buyer": e.buyer, "product_id": e.product_id, "role_id": e.role_id});
            match outcome {
                Ok(()) => {
                    pay::attempted(&mut tx, &e.id, Some(e.wanted), None, Utc::now()).await?;
                    let kind = if e.wanted { "role.granted" } else { "role.revoked" };
                    execute::enqueue(&mut tx, &self.ctx, None, kind, data).await?;
                    if e.wanted {
                        self.metrics.role_granted(&e.checkout_id);
                        pass.granted += 1
                    } else {
                        pass.revoked += 1
                    }
                }
                Err(MemberError::Forbidden(reason)) => {
                    pay::attempted(&mut tx, &e.id, None, Some(&reason), retry_at).await?;
                    let mut data = data;
                    data["reason"] = json!(reason);
                    data["action"] = json!(if e.wanted { "grant" } else { "revoke" });
                    execute::enqueue(&mut tx, &self.ctx, None, "delivery.blocked", data).await?;
                    pass.blocked += 1;
                }
                Err(MemberError::Unavailable(reason)) => {
                    tracing::debug!(entitlement = %e.id, %reason, "role delivery postponed");
                    pay::attempted(&mut tx, &e.id, None, None, retry_at).await?;
                    pass.retrying += 1;
                }
            }
            tx.commit().await?;
        }
        let receipts = {
            let mut conn = self.store.pool().acquire().await?;
            pay::unsent_receipts(&mut conn).await?
        };
        for (checkout, buyer, text, attempts) in receipts {
            let claimed = {
                let mut conn = self.store.pool().acquire().await?;
                pay::claim_receipt(&mut conn, &checkout, attempts).await?
            };
            if !claimed {
                continue;
            }
            let sent = self.members.send_dm(&buyer, &text).await.is_ok();
            let mut tx = self.store.begin().await?;
            if sent {
                pay::receipt_sent(&mut tx, &checkout).await?;
                execute::enqueue(
                    &mut tx,
                    &self.ctx,
                    None,
                    "receipt.sent",
                    json!({"checkout_id": checkout, "buyer": buyer}),
                )
                .await?;
                pass.receipts += 1;
            }
            tx.commit().await?;
        }
        self.flush().await;
        Ok(pass)
    }

    /// Runs the fulfilment worker and the checkout expiry until `shutdown`.
    pub async fn run_worker(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.fulfil_once().await {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "fulfilment pass failed");
            }
            if let Err(e) = self.expire_lapsed(Utc::now()).await {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "checkout expiry failed");
            }
            if let Err(e) = self.open_balance_checkouts().await {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "balance checkouts failed");
            }
            if let Err(e) = self.deliver_announcements(crate::marketing::DM_PACE).await {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "announcement delivery failed");
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.deliveries.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    }

    /// Re-checks every role against the payments: each entitlement is queued again, assumed
    /// not in place, so the worker grants what is owed and revokes what is not.
    pub async fn resync(&self) -> anyhow::Result<u64> {
        let mut tx = self.store.begin().await?;
        let n = pay::requeue_all(&mut tx).await?;
        tx.commit().await?;
        self.deliveries.notify_one();
        Ok(n)
    }
}
