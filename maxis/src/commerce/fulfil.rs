//! Fulfilment: the reconciler makes Discord match the entitlement ledger (see
//! [`crate::entitlements`]), and receipts go out by DM. A receipt Discord refuses for good (the
//! member's DMs are closed: 50007) is not retried: it is recorded, logged and shown in `/orders`.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use serde_json::json;

use super::Commerce;
use crate::entitlements::ReconcilePass;
use crate::execute;
use crate::members::MemberError;
use crate::store::payments as pay;

/// Most tries of a receipt Discord could not take for a passing reason.
const RECEIPT_TRIES: i64 = 10;
/// Least time between two runs of the worker's clock-driven passes.
const HOUSEKEEPING_EVERY: Duration = Duration::from_millis(250);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Roles reconciled.
    pub roles: ReconcilePass,
    /// Receipts sent.
    pub receipts: usize,
    /// Receipts Discord refused for good (recorded, not retried).
    pub receipts_failed: usize,
}

impl Commerce {
    /// One pass over the members to reconcile and the receipts to send: the worker's single step.
    /// Receipts due are claimed in one statement and sent several at a time, their fates written
    /// in one transaction; the events of the whole pass go out in one flush.
    pub async fn fulfil_once(&self) -> anyhow::Result<Pass> {
        let roles = self.reconcile_once().await?;
        let mut pass = Pass { roles, ..Pass::default() };
        let receipts = {
            // One statement, atomic on its own: no transaction around it.
            let mut conn = self.store.writer().acquire().await?;
            pay::claim_receipts(&mut conn, Utc::now() + chrono::Duration::seconds(60)).await?
        };
        // Discord first, several at a time; then every receipt's fate in one transaction.
        let sent: Vec<(pay::ClaimedReceipt, Fate)> = futures::stream::iter(receipts)
            .map(|r| async move {
                let fate = fate(&r, self.members.send_dm(&r.buyer, &r.text).await);
                (r, fate)
            })
            .buffer_unordered(crate::entitlements::reconcile::DISCORD_CONCURRENCY)
            .collect()
            .await;
        if !sent.is_empty() {
            let mut tx = self.store.begin().await?;
            for (r, fate) in sent {
                let (checkout, buyer) = (&r.checkout_id, &r.buyer);
                let data = json!({"checkout_id": checkout, "buyer": buyer, "attempts": r.attempts + 1});
                match fate {
                    Fate::Sent => {
                        pay::receipt_sent(&mut tx, checkout).await?;
                        execute::enqueue(&mut tx, &self.ctx, None, "receipt.sent", data).await?;
                        pass.receipts += 1;
                    }
                    Fate::Failed(reason) => {
                        tracing::warn!(%checkout, %buyer, %reason, "receipt not delivered; not retried");
                        pay::receipt_failed(&mut tx, checkout, &reason).await?;
                        let mut data = data;
                        data["reason"] = json!(reason);
                        execute::enqueue(&mut tx, &self.ctx, None, "receipt.failed", data).await?;
                        pass.receipts_failed += 1;
                    }
                    Fate::Postponed(at) => pay::retry_receipt_at(&mut tx, checkout, at).await?,
                }
            }
            tx.commit().await?;
        }
        if pass != Pass::default() {
            self.flush().await;
        }
        Ok(pass)
    }

    /// Runs the fulfilment worker and the checkout expiry until `shutdown`.
    ///
    /// A wake-up on [`Commerce::deliveries`] runs the fulfilment pass (roles and receipts) at
    /// once; the clock-driven passes (Stripe catch-up, drift check, dunning, checkout expiry,
    /// preorder balances, announcements) run at most every [`HOUSEKEEPING_EVERY`], so a burst of
    /// paid webhooks (each one a wake-up) does not repeat them hundreds of times a second.
    pub async fn run_worker(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last_drift: Option<Instant> = None;
        let mut last_catch_up: Option<Instant> = None;
        let mut last_housekeeping: Option<Instant> = None;
        loop {
            if let Err(e) = self.fulfil_once().await {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "fulfilment pass failed");
            }
            let housekeeping_due = last_housekeeping.is_none_or(|at| at.elapsed() >= HOUSEKEEPING_EVERY);
            if housekeeping_due {
                last_housekeeping = Some(Instant::now());
                self.housekeeping(&mut last_catch_up, &mut last_drift).await;
            }
            // Housekeeping skipped now runs as soon as it is due again (an admin's command that
            // queued an announcement waits at most that long), otherwise every two seconds.
            let next = match last_housekeeping {
                Some(at) if !housekeeping_due => HOUSEKEEPING_EVERY.saturating_sub(at.elapsed()),
                _ => Duration::from_secs(2),
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.deliveries.notified() => {}
                _ = tokio::time::sleep(next) => {}
            }
        }
    }

    /// The clock-driven passes of the worker, each logging its own failure.
    async fn housekeeping(&self, last_catch_up: &mut Option<Instant>, last_drift: &mut Option<Instant>) {
        if last_catch_up.is_none_or(|at| at.elapsed() >= self.memberships.catch_up_every) {
            *last_catch_up = Some(Instant::now());
            match self.catch_up().await {
                Ok(pass) if pass.applied > 0 => tracing::info!(?pass, "caught up with missed Stripe events"),
                Ok(_) => {}
                Err(e) => tracing::error!(error.cause_chain = ?e, error.message = %e, "Stripe catch-up failed"),
            }
        }
        if last_drift.is_none_or(|at| at.elapsed() >= self.reconcile.drift_every) {
            *last_drift = Some(Instant::now());
            if let Err(e) = self.drift_check().await {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "drift check failed");
            }
        }
        if let Err(e) = self.dunning_once(Utc::now()).await {
            tracing::error!(error.cause_chain = ?e, error.message = %e, "dunning pass failed");
        }
        if let Err(e) = self.switches_once().await {
            tracing::error!(error.cause_chain = ?e, error.message = %e, "plan switches failed");
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
    }
}

/// What became of a receipt Discord was asked to deliver.
enum Fate {
    /// Delivered.
    Sent,
    /// Refused for good (recorded, not retried), and why.
    Failed(String),
    /// Refused for a passing reason: tried again from then.
    Postponed(chrono::DateTime<Utc>),
}

fn fate(r: &pay::ClaimedReceipt, outcome: Result<(), MemberError>) -> Fate {
    let (checkout, buyer, attempts) = (&r.checkout_id, &r.buyer, r.attempts);
    match outcome {
        Ok(()) => Fate::Sent,
        Err(MemberError::Forbidden(reason)) if reason.starts_with("50007") => {
            tracing::info!(%checkout, %buyer, %reason, "the buyer's DMs are closed");
            Fate::Failed("your direct messages are closed to this server's members".to_owned())
        }
        Err(MemberError::Forbidden(reason)) => Fate::Failed(reason),
        Err(MemberError::Unavailable(reason)) if attempts + 1 >= RECEIPT_TRIES => {
            Fate::Failed(format!("gave up after {RECEIPT_TRIES} tries: {reason}"))
        }
        Err(MemberError::Unavailable(reason)) => {
            tracing::debug!(%checkout, %reason, "receipt postponed");
            Fate::Postponed(Utc::now() + chrono::Duration::seconds(2_i64.pow(attempts.clamp(0, 8) as u32)))
        }
    }
}
