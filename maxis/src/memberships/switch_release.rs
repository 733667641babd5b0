//! A subscription schedule dropped so the subscription can be changed directly: Stripe refuses
//! `cancel_at_period_end` on a subscription a schedule manages ("updating any cancelation
//! behavior directly is not allowed"), so a cancel or a resume first releases the schedule of a
//! scheduled downgrade, records that downgrade canceled and tells the member; a schedule the shop
//! does not track (left by a failed switch, or made in the Dashboard) is released before a switch.

use super::plan_switch;
use super::self_service::MembershipError;
use super::store;
use super::switch_store::{self as switches, PlanSwitch};
use super::switching::switch_data;
use crate::commerce::Commerce;
use crate::execute;

impl Commerce {
    /// Releases `schedule` (the one managing `sub` at Stripe, if any) before `why` (`cancel`,
    /// `resume`) changes `sub` directly; the downgrade it carried is recorded canceled
    /// (`subscription.switch_canceled`) and its member told why.
    pub(super) async fn release_for(
        &self,
        sub: &str,
        schedule: Option<&str>,
        why: &str,
    ) -> Result<(), MembershipError> {
        let pending = {
            let mut conn = self.store.pool().acquire().await.map_err(anyhow::Error::from)?;
            switches::scheduled(&mut conn, sub).await?
        };
        if let (Some(schedule), Some(payments)) = (schedule, self.payments.clone()) {
            payments.release_schedule(schedule.to_owned(), format!("{why}:{sub}:{schedule}:release")).await?;
        }
        let Some(p) = pending else { return Ok(()) };
        let dropped = PlanSwitch { status: "canceled".into(), error: Some(format!("dropped by a {why}")), ..p };
        let mut tx = self.store.begin().await?;
        switches::update(&mut tx, &dropped).await?;
        execute::enqueue(&mut tx, &self.ctx, None, "subscription.switch_canceled", switch_data(&dropped)).await?;
        let (_, to) = self.plan_names(&mut tx, &dropped).await?;
        let text = plan_switch::dropped_text(&to, why == "cancel");
        store::queue_message(&mut tx, &format!("switch:{}:dropped", dropped.id), &dropped.member, &text).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.flush().await;
        self.deliveries.notify_one();
        Ok(())
    }
}
