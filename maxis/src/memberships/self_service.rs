//! Self-service for members (`/subscription`): the status of their plan, cancel at the end of the
//! period with a reason (kept for analytics as voluntary churn), resume before it ends, and a
//! Billing Portal link to manage their payment. Stripe is asked for the live state each time.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::plan_switch::SwitchRefusal;
use super::{store, switch_store, switching, trial_store};
use crate::commerce::Commerce;
use crate::execute;
use crate::payments::{CancelFeedback, PaymentError, SubscriptionInfo};
use crate::store::{catalog, checkouts, payments as pay};

/// Why a self-service request could not be done, in words a member reads.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    /// The member has no live subscription.
    #[error("you have no membership in this shop: `/shop` lists the plans")]
    NoSubscription,
    /// Payments are not set up.
    #[error("payments are not set up in this shop yet")]
    NoPayments,
    /// Already set to end.
    #[error("your membership already ends at the end of this period: `/subscription resume` keeps it")]
    AlreadyCanceling,
    /// Not set to end.
    #[error("your membership is not set to end: nothing to resume")]
    NotCanceling,
    /// A plan switch that cannot be done.
    #[error(transparent)]
    Switch(#[from] SwitchRefusal),
    /// Stripe refused or failed.
    #[error("Stripe could not do it right now ({0}); try again in a minute")]
    Provider(#[from] PaymentError),
    /// The shop failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A member's membership as `/subscription status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipView {
    /// The plan's name.
    pub plan: String,
    /// Stripe's live view.
    pub subscription: SubscriptionInfo,
    /// The end of a running grace after a failed renewal.
    pub grace_until: Option<DateTime<Utc>>,
    /// Whether it is a free trial that has not converted yet.
    pub trial: bool,
    /// A switch to another plan scheduled at the period's end: the plan's name and when.
    pub scheduled_switch: Option<(String, DateTime<Utc>)>,
}

impl Commerce {
    /// The member's latest live subscription and its plan's name (the plan it was switched to,
    /// if it was).
    async fn live_subscription(&self, member: &str) -> Result<(String, String), MembershipError> {
        let mut conn = self.store.pool().acquire().await.map_err(anyhow::Error::from)?;
        let (sub, _) = switching::live_subscription(&mut conn, member).await?.ok_or(MembershipError::NoSubscription)?;
        let plan = switch_store::current_plan(&mut conn, &sub).await?.unwrap_or_default();
        let name = catalog::get(&mut conn, &plan).await?.map_or(plan, |p| p.name);
        Ok((sub, name))
    }

    /// `/subscription status`.
    pub async fn membership(&self, member: &str) -> Result<MembershipView, MembershipError> {
        let payments = self.payments.clone().ok_or(MembershipError::NoPayments)?;
        let (sub, plan) = self.live_subscription(member).await?;
        let subscription = payments.subscription(sub.clone()).await?;
        let mut conn = self.store.pool().acquire().await.map_err(anyhow::Error::from)?;
        let grace_until =
            store::latest_dunning(&mut conn, &sub).await?.filter(|d| d.outcome.is_none()).map(|d| d.grace_until);
        let trial = trial_store::of_subscription(&mut conn, &sub).await?.is_some_and(|t| t.converted_at.is_none())
            && subscription.status == "trialing";
        let scheduled_switch = match switch_store::scheduled(&mut conn, &sub).await? {
            Some(s) => {
                let name = catalog::get(&mut conn, &s.to_product).await?.map_or(s.to_product, |p| p.name);
                Some((name, s.effective_at.unwrap_or_else(Utc::now)))
            }
            None => None,
        };
        Ok(MembershipView { plan, subscription, grace_until, trial, scheduled_switch })
    }

    /// `/subscription cancel`: ends the membership at the end of the period (the role stays until
    /// then), recording why.
    pub async fn cancel_membership(
        &self,
        member: &str,
        reason: CancelFeedback,
    ) -> Result<MembershipView, MembershipError> {
        let payments = self.payments.clone().ok_or(MembershipError::NoPayments)?;
        let view = self.membership(member).await?;
        if view.subscription.cancel_at_period_end {
            return Err(MembershipError::AlreadyCanceling);
        }
        let sub = view.subscription.id.clone();
        let subscription = payments.cancel_at_period_end(sub.clone(), true, Some(reason)).await?;
        let mut tx = self.store.begin().await?;
        store::record_cancellation(&mut tx, &sub, member, reason.as_str()).await?;
        let data = json!({"subscription": sub, "buyer": member, "reason": reason.as_str(), "ends_at": subscription.current_period_end});
        execute::enqueue(&mut tx, &self.ctx, None, "subscription.cancel_requested", data).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.flush().await;
        Ok(MembershipView { subscription, ..view })
    }

    /// `/subscription resume`: the membership continues after the period.
    pub async fn resume_membership(&self, member: &str) -> Result<MembershipView, MembershipError> {
        let payments = self.payments.clone().ok_or(MembershipError::NoPayments)?;
        let view = self.membership(member).await?;
        if !view.subscription.cancel_at_period_end {
            return Err(MembershipError::NotCanceling);
        }
        let sub = view.subscription.id.clone();
        let subscription = payments.cancel_at_period_end(sub.clone(), false, None).await?;
        let mut tx = self.store.begin().await?;
        store::record_resumed(&mut tx, &sub).await?;
        execute::enqueue(
            &mut tx,
            &self.ctx,
            None,
            "subscription.resumed",
            json!({"subscription": sub, "buyer": member}),
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.flush().await;
        Ok(MembershipView { subscription, ..view })
    }

    /// `/subscription manage`: a Billing Portal link for the member's Stripe customer.
    pub async fn manage_payment(&self, member: &str) -> Result<String, MembershipError> {
        let payments = self.payments.clone().ok_or(MembershipError::NoPayments)?;
        self.live_subscription(member).await?;
        let customer = {
            let mut conn = self.store.pool().acquire().await.map_err(anyhow::Error::from)?;
            pay::customer_of(&mut conn, member).await?
        };
        let customer = customer.ok_or(MembershipError::NoSubscription)?;
        Ok(payments.portal_session(customer, self.settings.success_url.clone()).await?)
    }
}

impl Commerce {
    /// A subscription event says whether `sub` ends at its period's end: a cancellation made
    /// elsewhere (the Billing Portal, the Dashboard) is recorded as voluntary too, with Stripe's
    /// feedback (`other` without one); turned back off, it is resumed.
    pub(crate) async fn cancellation_seen(
        &self,
        tx: &mut crate::store::Tx,
        sub: &str,
        cancel_at_period_end: bool,
        feedback: Option<&str>,
    ) -> anyhow::Result<()> {
        if !cancel_at_period_end {
            return store::record_resumed(tx, sub).await;
        }
        let Some(c) = checkouts::by_subscription(tx, sub).await?.into_iter().find(|c| c.status == "paid") else {
            return Ok(());
        };
        store::record_cancellation(tx, sub, &c.buyer, feedback.unwrap_or("other")).await
    }
}
