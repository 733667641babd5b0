//! The one order path: every order (a command, a confirmed plan, a campaign run) goes out here,
//! signed by the fleet client, recorded in the audit with who asked and who confirmed, and
//! answered with each shop's result (report charts as attachments).

use chrono::Utc;
use subjects::{Order, Target};

use super::{Answer, Assistant, Outcome, Refusal, Requester};
use crate::brain::Plan;
use crate::bus::{Delivery, Dispatch, SendError};
use crate::command::build_order;
use crate::render;
use crate::store::AuditRow;

impl Assistant {
    /// An explicit command: the admin typed the exact order, which is its own confirmation
    /// (`confirmed_by` = the same admin).
    pub(super) async fn send_command(
        &self,
        who: &Requester,
        target: &str,
        action: &str,
        params: &[String],
    ) -> anyhow::Result<Answer> {
        let issued_by = self.issuer(&who.id);
        let (target, mut order) = match build_order(target, action, params, &issued_by) {
            Ok(built) => built,
            Err(e) => return Ok(Answer::refused(Refusal::Invalid, e.to_string())),
        };
        order.confirmed_by = Some(who.id.clone());
        let dispatch = match self.dispatch(&target, order).await {
            Ok(dispatch) => dispatch,
            Err(SendError::UnknownTarget(..)) => {
                return Ok(Answer::refused(Refusal::UnknownTarget, dispatch_error(&target, self).await))
            }
            Err(e @ SendError::TooLarge(..)) => return Ok(Answer::refused(Refusal::Invalid, e.to_string())),
            Err(SendError::Unexpected(e)) => return Err(e),
        };
        let mut answer = Answer::new(render::table(&dispatch), outcome(std::slice::from_ref(&dispatch)));
        answer.attachments = charts(&dispatch)?;
        Ok(answer)
    }

    /// Sends a confirmed plan's orders, in order.
    pub(super) async fn send_plan(&self, plan: &Plan, issued_by: &str, confirmed_by: &str) -> anyhow::Result<Answer> {
        let mut dispatches = Vec::new();
        for command in &plan.commands {
            let mut order = Order::new(command.clone(), issued_by);
            order.confirmed_by = Some(confirmed_by.to_owned());
            match self.dispatch(&plan.target, order).await {
                Ok(dispatch) => dispatches.push(dispatch),
                Err(SendError::UnknownTarget(..)) => {
                    return Ok(Answer::refused(Refusal::UnknownTarget, dispatch_error(&plan.target, self).await))
                }
                Err(e @ SendError::TooLarge(..)) => return Ok(Answer::refused(Refusal::Invalid, e.to_string())),
                Err(SendError::Unexpected(e)) => return Err(e),
            }
        }
        let mut answer = Answer::new(crate::ask::answer(plan, &dispatches), outcome(&dispatches));
        for d in &dispatches {
            answer.attachments.extend(charts(d)?);
        }
        Ok(answer)
    }

    /// Sends one order and records it in the audit.
    pub(super) async fn dispatch(&self, target: &Target, order: Order) -> Result<Dispatch, SendError> {
        let dispatch = self.inner.fleet.send(target, order, self.inner.settings.reply_timeout()).await?;
        let row = AuditRow {
            order_id: dispatch.order.id.to_string(),
            action: dispatch.order.action().to_string(),
            target: target.to_string(),
            issued_by: dispatch.order.issued_by.clone(),
            confirmed_by: dispatch.order.confirmed_by.clone(),
            outcome: audit_outcome(&dispatch).to_owned(),
            sent_at: Utc::now(),
        };
        self.inner.store.record_sent(&row).await?;
        Ok(dispatch)
    }
}

async fn dispatch_error(target: &Target, assistant: &Assistant) -> String {
    let known = assistant.inner.fleet.shops().await.unwrap_or_default();
    let known = known.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    format!("No shop receives orders for `{target}`: name a shop, a group or `all` (known shops: {known}).")
}

/// `ok`, `rejected` or `unanswered` (some shop queued it or did not answer in time).
pub(super) fn audit_outcome(dispatch: &Dispatch) -> &'static str {
    if dispatch.any_rejected() {
        "rejected"
    } else if dispatch.shops.values().all(|d| matches!(d, Delivery::Replied(_))) {
        "ok"
    } else {
        "unanswered"
    }
}

fn outcome(dispatches: &[Dispatch]) -> Outcome {
    if dispatches.iter().any(Dispatch::any_rejected) {
        Outcome::Rejected
    } else {
        Outcome::Done
    }
}

/// The report charts of a dispatch, as `report-<shop>.png` attachments.
fn charts(dispatch: &Dispatch) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    Ok(render::charts(dispatch)?.into_iter().map(|(shop, png)| (format!("report-{shop}.png"), png)).collect())
}
