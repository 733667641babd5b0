//! Dunning: a failed renewal keeps the member's role for the grace period while Stripe retries and
//! the member fixes their card. The member gets Stripe's payment link by DM and a reminder before
//! the grace ends; the admins get a note. A recovered payment closes it silently; a grace that
//! ends unpaid, or a subscription that becomes `unpaid` or `canceled`, revokes the role through
//! the ledger and tells the member. Each outcome is counted (`recovered` / `lost`).

use chrono::{DateTime, Utc};
use serde_json::json;

use super::grace::{self, Dunning, Standing};
use super::store;
use crate::commerce::Commerce;
use crate::entitlements::ledger;
use crate::execute;
use crate::members::MemberError;
use crate::store::checkouts::{self, Checkout};
use crate::store::{catalog, Tx};

/// Most tries of a DM Discord could not take for a passing reason.
const DM_TRIES: i64 = 10;

/// What one dunning pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DunningPass {
    /// Members reminded.
    pub reminded: usize,
    /// Graces that ended unpaid (roles revoked).
    pub lost: usize,
    /// DMs sent.
    pub sent: usize,
}

/// The paid checkout of a subscription, its plan's product id and name (the plan it is on now).
async fn plan_of(tx: &mut Tx, sub: &str) -> anyhow::Result<Option<(Checkout, String, String)>> {
    let Some(c) = checkouts::by_subscription(tx, sub).await?.into_iter().find(|c| c.status == "paid") else {
        return Ok(None);
    };
    let Some(product) = super::switch_store::current_plan(tx, sub).await? else { return Ok(None) };
    let name = catalog::get(tx, &product).await?.map_or_else(|| product.clone(), |p| p.name);
    Ok(Some((c, product, name)))
}

impl Commerce {
    /// `invoice.payment_failed` of a renewal of `sub`: opens its grace (once per invoice, and not
    /// while another failed renewal of the subscription is open), queues the member's DM with
    /// `pay_url` and returns the admins' note.
    pub(crate) async fn renewal_failed(
        &self,
        tx: &mut Tx,
        sub: &str,
        invoice: &str,
        pay_url: Option<&str>,
    ) -> anyhow::Result<Option<String>> {
        let Some((c, product_id, plan)) = plan_of(tx, sub).await? else { return Ok(None) };
        if store::latest_dunning(tx, sub).await?.is_some_and(|d| d.outcome.is_none()) {
            return Ok(None);
        }
        let now = Utc::now();
        let d = Dunning {
            subscription_id: sub.to_owned(),
            invoice_id: invoice.to_owned(),
            member: c.buyer.clone(),
            product_id,
            pay_url: pay_url.map(str::to_owned),
            started_at: now,
            grace_until: grace::grace_until(&self.memberships, now),
            reminded_at: None,
            outcome: None,
        };
        if !store::open_dunning(tx, &d).await? {
            return Ok(None);
        }
        let id = format!("dunning:{sub}:{invoice}:failed");
        store::queue_message(tx, &id, &d.member, &grace::failed_text(&plan, &d)).await?;
        let data = json!({"subscription": sub, "invoice": invoice, "buyer": d.member, "grace_until": d.grace_until});
        execute::enqueue(tx, &self.ctx, None, "subscription.grace_started", data).await?;
        Ok(Some(grace::admin_text(&plan, &d)))
    }

    /// A renewal of `sub` was paid: an open failed renewal is recovered, silently.
    pub(crate) async fn renewal_paid(&self, tx: &mut Tx, sub: &str) -> anyhow::Result<()> {
        for d in store::close(tx, sub, "recovered", Utc::now()).await? {
            let data = json!({"subscription": sub, "invoice": d.invoice_id, "buyer": d.member});
            execute::enqueue(tx, &self.ctx, None, "subscription.recovered", data).await?;
        }
        Ok(())
    }

    /// `sub` became `unpaid`, `canceled` or `incomplete_expired`: an open failed renewal is lost,
    /// and the member is told (the role itself follows the subscription's status).
    pub(crate) async fn subscription_lost(&self, tx: &mut Tx, sub: &str) -> anyhow::Result<()> {
        for d in store::close(tx, sub, "lost", Utc::now()).await? {
            self.lost(tx, &d).await?;
        }
        Ok(())
    }

    async fn lost(&self, tx: &mut Tx, d: &Dunning) -> anyhow::Result<()> {
        let plan = plan_of(tx, &d.subscription_id).await?.map_or_else(|| d.product_id.clone(), |(_, _, name)| name);
        let id = format!("dunning:{}:{}:lost", d.subscription_id, d.invoice_id);
        store::queue_message(tx, &id, &d.member, &grace::lost_text(&plan)).await?;
        let data = json!({"subscription": d.subscription_id, "invoice": d.invoice_id, "buyer": d.member});
        execute::enqueue(tx, &self.ctx, None, "subscription.lost", data).await
    }

    /// The role a subscription in Stripe status `status` grants, its grace considered.
    pub(crate) async fn standing(&self, tx: &mut Tx, sub: &str, status: &str, keeps: bool) -> anyhow::Result<Standing> {
        let latest = store::latest_dunning(tx, sub).await?;
        Ok(grace::standing(status, keeps, latest.as_ref(), Utc::now()))
    }

    /// Reminds the members whose grace ends soon, revokes where it ended at `now`, and sends the
    /// queued DMs: the worker's dunning step.
    pub async fn dunning_once(&self, now: DateTime<Utc>) -> anyhow::Result<DunningPass> {
        let mut pass = DunningPass::default();
        let mut tx = self.store.begin().await?;
        for d in store::open_ending_before(&mut tx, now + self.memberships.reminder).await? {
            if d.grace_until <= now {
                store::close(&mut tx, &d.subscription_id, "lost", now).await?;
                let s = grace::standing(
                    "past_due",
                    true,
                    Some(&Dunning { outcome: Some("lost".into()), ..d.clone() }),
                    now,
                );
                ledger::set_for_subscription(&mut tx, &self.ctx, &d.subscription_id, s.active, &s.state, &s.note)
                    .await?;
                self.lost(&mut tx, &d).await?;
                pass.lost += 1;
            } else if grace::remind_due(&self.memberships, &d, now) {
                store::set_reminded(&mut tx, &d, now).await?;
                let plan = plan_of(&mut tx, &d.subscription_id).await?.map_or_else(|| d.product_id.clone(), |p| p.2);
                let id = format!("dunning:{}:{}:reminder", d.subscription_id, d.invoice_id);
                store::queue_message(&mut tx, &id, &d.member, &grace::reminder_text(&plan, &d)).await?;
                pass.reminded += 1;
            }
        }
        tx.commit().await?;
        pass.sent = self.send_membership_messages(now).await?;
        self.flush().await;
        if pass.lost > 0 {
            self.deliveries.notify_one();
        }
        Ok(pass)
    }

    async fn send_membership_messages(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let claimed = {
            let mut conn = self.store.writer().acquire().await?;
            store::claim_messages(&mut conn, now).await?
        };
        let mut sent = 0;
        for m in claimed {
            let (failed, retry) = match self.members.send_dm(&m.member, &m.text).await {
                Ok(()) => (None, false),
                Err(MemberError::Forbidden(reason)) => (Some(reason), false),
                Err(MemberError::Unavailable(reason)) if m.attempts + 1 >= DM_TRIES => {
                    (Some(format!("gave up after {DM_TRIES} tries: {reason}")), false)
                }
                Err(MemberError::Unavailable(_)) => (None, true),
            };
            if let Some(reason) = &failed {
                tracing::warn!(message = %m.id, member = %m.member, %reason, "membership DM not delivered");
            }
            sent += usize::from(failed.is_none() && !retry);
            let mut conn = self.store.writer().acquire().await?;
            store::message_done(&mut conn, &m.id, failed.as_deref(), retry).await?;
        }
        Ok(sent)
    }
}
