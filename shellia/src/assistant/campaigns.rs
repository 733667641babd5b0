//! The campaign scheduler: at each tick, every active campaign whose latest slot has not run yet
//! sends its command through the same order path as an admin's (`issued_by`
//! `shellia:<identity>/campaign:<name>`, `confirmed_by` the admin who added it, same audit).
//!
//! A slot runs once, also across restarts: it is claimed in the database with a deterministic
//! order id (`c<slot>-<name>`) before anything is sent. If Shellia stops between the claim and
//! the send, the next tick sends the same order id again; the broker's dedupe window and the
//! shops' idempotency make that a no-op when the first send got through. A slot missed by more
//! than [`MAX_LATENESS`] (Shellia was down) is skipped rather than run late.

use std::time::Duration;

use chrono::{DateTime, Utc};
use subjects::OrderId;

use super::{Answer, Assistant, Outcome};
use crate::bus::SendError;
use crate::command::{build_order, split_words};
use crate::strategy::Schedule;

/// How late a slot may still run.
pub const MAX_LATENESS: chrono::Duration = chrono::Duration::hours(1);

/// One campaign run by [`Assistant::run_due`].
#[derive(Debug, Clone)]
pub struct CampaignRun {
    /// The campaign.
    pub campaign: String,
    /// The slot it ran for.
    pub slot: DateTime<Utc>,
    /// What came of it, as an admin's command would be answered.
    pub answer: Answer,
}

impl Assistant {
    /// One step of the scheduler: runs every campaign due at `now` and not yet run for its slot.
    #[tracing::instrument(skip_all, fields(now = %now))]
    pub async fn run_due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<CampaignRun>> {
        let mut runs = Vec::new();
        for campaign in self.inner.store.campaigns().await? {
            if campaign.paused {
                continue;
            }
            let schedule = Schedule::from_stored(&campaign.schedule)?;
            let slot = schedule.latest_slot(now);
            if slot < campaign.created_at || now - slot > MAX_LATENESS {
                continue;
            }
            let order_id = format!("c{}-{}", slot.timestamp(), campaign.name);
            let run = self.inner.store.claim_slot(&campaign.name, slot, &order_id).await?;
            if run.sent {
                continue;
            }
            let answer =
                self.run_campaign(&campaign.name, &campaign.command, &campaign.created_by, &run.order_id).await;
            let outcome = match &answer.outcome {
                Outcome::Done => "ok".to_owned(),
                Outcome::Rejected => "rejected".to_owned(),
                other => format!("{other:?}").to_lowercase(),
            };
            if !matches!(answer.outcome, Outcome::Failed) {
                self.inner.store.finish_run(&campaign.name, slot, &outcome).await?;
            }
            tracing::info!(campaign = %campaign.name, %slot, %outcome, "campaign ran");
            runs.push(CampaignRun { campaign: campaign.name, slot, answer });
        }
        Ok(runs)
    }

    async fn run_campaign(&self, name: &str, command: &str, created_by: &str, order_id: &str) -> Answer {
        let built = split_words(command).map_err(anyhow::Error::msg).and_then(|words| {
            let (target, action, params) =
                self.as_command(&words).ok_or_else(|| anyhow::anyhow!("not a command: {command}"))?;
            let (target, mut order) = build_order(&target, action, params, &self.issuer(&format!("campaign:{name}")))?;
            order.id = OrderId::parse(order_id).map_err(anyhow::Error::msg)?;
            order.confirmed_by = Some(created_by.to_owned());
            Ok((target, order))
        });
        let (target, order) = match built {
            Ok(built) => built,
            Err(e) => return Answer::refused(super::Refusal::Invalid, format!("campaign `{name}`: {e:#}")),
        };
        match self.dispatch(&target, order).await {
            Ok(dispatch) => {
                let outcome = if dispatch.any_rejected() { Outcome::Rejected } else { Outcome::Done };
                Answer::new(crate::render::table(&dispatch), outcome)
            }
            Err(SendError::UnknownTarget(target, known)) => Answer::refused(
                super::Refusal::UnknownTarget,
                format!("campaign `{name}`: no shop receives orders for `{target}` (known shops: {known})"),
            ),
            Err(e @ SendError::TooLarge(..)) => {
                Answer::refused(super::Refusal::Invalid, format!("campaign `{name}`: {e}"))
            }
            Err(SendError::Unexpected(e)) => Answer::failed(&e),
        }
    }

    /// Runs the scheduler until the task is dropped: [`Assistant::run_due`] every
    /// `campaigns.tick_secs`.
    pub fn spawn_scheduler(&self) -> tokio::task::JoinHandle<()> {
        let assistant = self.clone();
        let tick = Duration::from_secs(self.inner.settings.campaigns.tick_secs.max(1));
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if let Err(e) = assistant.run_due(Utc::now()).await {
                    tracing::error!(error.cause_chain = ?e, error.message = %e, "campaign scheduler step failed");
                }
            }
        })
    }
}
