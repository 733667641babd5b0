//! A test clock per subscription, as Stripe's test clocks move a customer's subscriptions through
//! time: advancing it sends, in order, `customer.subscription.trial_will_end` three days before a
//! trial ends, then at each period end either the subscription's end (`cancel_at_period_end`) or
//! a renewal invoice (`invoice.paid`, or `invoice.payment_failed` while renewals are declined)
//! and `customer.subscription.updated` with the new period and status. Also
//! `POST /v1/subscriptions/{id}` for `cancel_at_period_end` (cancel at period end, and resume).

use anyhow::{ensure, Context};
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::answers::{error, invalid};
use super::periods::{period_start, subscription_object};
use super::{ApiError, Inner, Stored, StripeStandIn};

/// Stripe sends `customer.subscription.trial_will_end` this long before the trial ends.
const TRIAL_WARNING_SECS: i64 = 3 * 24 * 3600;

/// What happens next on a subscription's clock.
enum Next {
    TrialWillEnd,
    PeriodEnd { at: i64, cancel: bool, declined: bool },
    Nothing,
}

impl StripeStandIn {
    /// The test clock of the subscription of session `session_id`: its frozen Unix time.
    pub fn clock(&self, session_id: &str) -> anyhow::Result<i64> {
        let inner = self.lock();
        let stored = inner.sessions.iter().find(|s| s.session["id"] == session_id).context("no such session")?;
        Ok(stored.payment.as_ref().context("not completed")?.clock)
    }

    /// While `declined`, renewals of the subscription of `session_id` fail (the card is declined).
    pub fn decline_renewals(&self, session_id: &str, declined: bool) -> anyhow::Result<()> {
        let mut inner = self.lock();
        let stored = inner.sessions.iter_mut().find(|s| s.session["id"] == session_id).context("no such session")?;
        stored.payment.as_mut().context("not completed")?.declines = declined;
        Ok(())
    }

    /// Advances the subscription's test clock of session `session_id` to `to` (Unix time) and
    /// returns the events Stripe sends on the way, oldest first (each kept for `GET /v1/events`).
    pub fn advance_clock(&self, session_id: &str, to: i64) -> anyhow::Result<Vec<Value>> {
        let mut events = Vec::new();
        loop {
            let next = {
                let mut inner = self.lock();
                let stored = inner.sessions.iter_mut().find(|s| s.session["id"] == session_id);
                let stored = stored.context("no such session")?;
                next(stored, to)?
            };
            match next {
                Next::TrialWillEnd => {
                    let mut inner = self.lock();
                    let stored = inner.sessions.iter_mut().find(|s| s.session["id"] == session_id);
                    let stored = stored.context("no such session")?;
                    let payment = stored.payment.as_mut().context("not completed")?;
                    payment.trial_warned = true;
                    let status = payment.subscription_status.clone();
                    let event = super::events::event(
                        "customer.subscription.trial_will_end",
                        subscription_object(stored, &status, false)?,
                        None,
                    );
                    inner.log_event(&event);
                    events.push(event);
                }
                Next::PeriodEnd { at, cancel, declined } => {
                    self.set_clock(session_id, at)?;
                    if cancel {
                        events.push(self.subscription(session_id, "canceled", true)?);
                    } else {
                        events.extend(self.phase_boundary(session_id, at)?);
                        events.push(self.invoice(session_id, !declined)?);
                        events.push(self.subscription(
                            session_id,
                            if declined { "past_due" } else { "active" },
                            false,
                        )?);
                    }
                }
                Next::Nothing => {
                    self.set_clock(session_id, to)?;
                    return Ok(events);
                }
            }
        }
    }

    fn set_clock(&self, session_id: &str, at: i64) -> anyhow::Result<()> {
        let mut inner = self.lock();
        let stored = inner.sessions.iter_mut().find(|s| s.session["id"] == session_id).context("no such session")?;
        let payment = stored.payment.as_mut().context("not completed")?;
        payment.clock = payment.clock.max(at);
        Ok(())
    }
}

fn next(stored: &Stored, to: i64) -> anyhow::Result<Next> {
    let period = super::periods::period(stored);
    let payment = stored.payment.as_ref().context("not completed")?;
    ensure!(payment.invoices >= 1, "the subscription's first invoice has not been issued yet");
    if matches!(payment.subscription_status.as_str(), "canceled" | "unpaid" | "incomplete_expired") {
        return Ok(Next::Nothing);
    }
    if let (Some(end), false) = (payment.trial_end, payment.trial_warned) {
        if payment.subscription_status == "trialing" && end - TRIAL_WARNING_SECS <= to && payment.clock < end {
            return Ok(Next::TrialWillEnd);
        }
    }
    let at = period_start(payment, period, payment.invoices + 1);
    if at <= to {
        return Ok(Next::PeriodEnd { at, cancel: payment.cancel_at_period_end, declined: payment.declines });
    }
    Ok(Next::Nothing)
}

impl Inner {
    /// `POST /v1/subscriptions/{id}`: `cancel_at_period_end` true (cancel at the end of the
    /// period) or false (resume), or a price change (`items`, see [`Inner::change_price`]);
    /// emits `customer.subscription.updated`.
    pub(super) fn update_subscription(&mut self, id: &str, form: &Value) -> Result<Value, ApiError> {
        let Some(index) = self.sessions.iter().position(|s| s.session["subscription"] == id) else {
            let message = format!("No such subscription: '{id}'");
            return Err(error(StatusCode::NOT_FOUND, Some("resource_missing"), Some("id"), message));
        };
        if !form["items"].is_null() {
            return self.change_price(index, form);
        }
        let stored = &mut self.sessions[index];
        let cancel = match form["cancel_at_period_end"].as_str() {
            Some("true") => true,
            Some("false") => false,
            None => return subscription_of(stored),
            Some(other) => return Err(invalid("cancel_at_period_end", format!("Invalid boolean: {other}"))),
        };
        let feedbacks = [
            "customer_service",
            "low_quality",
            "missing_features",
            "other",
            "switched_service",
            "too_complex",
            "too_expensive",
            "unused",
        ];
        if let Some(feedback) = form["cancellation_details"]["feedback"].as_str().filter(|f| !feedbacks.contains(f)) {
            let message =
                format!("Invalid cancellation_details[feedback]: {feedback}. Must be one of {}.", feedbacks.join(", "));
            return Err(invalid("cancellation_details[feedback]", message));
        }
        let payment = stored.payment.as_mut().ok_or_else(|| invalid("id", "The subscription has no payment"))?;
        if payment.subscription_status == "canceled" {
            let message = "A canceled subscription can only update its cancellation_details and metadata.";
            return Err(error(StatusCode::BAD_REQUEST, Some("resource_missing"), None, message.into()));
        }
        let before = std::mem::replace(&mut payment.cancel_at_period_end, cancel);
        payment.feedback =
            if cancel { form["cancellation_details"]["feedback"].as_str().map(str::to_owned) } else { None };
        let object = subscription_of(stored)?;
        if before != cancel {
            let previous = json!({"cancel_at_period_end": before});
            let event = super::events::event("customer.subscription.updated", object.clone(), Some(previous));
            self.log_event(&event);
        }
        Ok(object)
    }

    /// `GET /v1/subscriptions/{id}`.
    pub(super) fn get_subscription(&self, id: &str) -> Result<Value, ApiError> {
        let stored = self.sessions.iter().find(|s| s.session["subscription"] == id).ok_or_else(|| {
            let message = format!("No such subscription: '{id}'");
            error(StatusCode::NOT_FOUND, Some("resource_missing"), Some("id"), message)
        })?;
        subscription_of(stored)
    }
}

fn subscription_of(stored: &Stored) -> Result<Value, ApiError> {
    let status = stored.payment.as_ref().map_or("incomplete", |p| p.subscription_status.as_str()).to_owned();
    subscription_object(stored, &status, status == "canceled")
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, None, None, e.to_string()))
}
