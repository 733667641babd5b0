//! Subscription schedules, as Stripe documents them for a change at the end of the period
//! ("Subscription schedules", use case "downgrade at the end of the billing period"):
//! `POST /v1/subscription_schedules` with `from_subscription` (one phase: the current period and
//! price), `POST /v1/subscription_schedules/{id}` with the phases (the current one kept, the next
//! one with the new price, `end_date` or `duration`, one period by default), `…/release` and
//! `GET`. On the test clock, the subscription takes the next phase's price at the period boundary
//! where it starts (before that renewal is invoiced), and the schedule is released when its last
//! phase ends (`end_behavior=release`, the only end the stand-in models besides none).

use anyhow::Context;
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::answers::{error, int, invalid, missing};
use super::events::event;
use super::periods::{current_period, period, subscription_object};
use super::{now, random_id, ApiError, Inner, Stored, StripeStandIn};

/// A schedule attached to a subscription.
#[derive(Debug, Clone)]
pub(super) struct Schedule {
    pub id: String,
    created: i64,
    /// `active`, then `released` (or `canceled`).
    status: String,
    phases: Vec<Phase>,
    released_at: Option<i64>,
}

/// One phase: from `start` to `end`, the item at `price`.
#[derive(Debug, Clone)]
struct Phase {
    start: i64,
    end: i64,
    price: Value,
    quantity: i64,
}

impl Schedule {
    /// It still manages its subscription.
    pub fn attached(&self) -> bool {
        self.status == "active"
    }
}

fn no_such(id: &str) -> ApiError {
    let message = format!("No such subscription_schedule: '{id}'");
    error(StatusCode::NOT_FOUND, Some("resource_missing"), Some("id"), message)
}

/// The schedule object.
fn object(stored: &Stored, s: &Schedule) -> Value {
    let at = stored.payment.as_ref().map_or(0, |p| p.clock);
    let current = s.phases.iter().find(|p| p.start <= at && at < p.end).filter(|_| s.attached());
    let phases: Vec<Value> = s
        .phases
        .iter()
        .map(|p| {
            json!({
                "add_invoice_items": [], "application_fee_percent": null, "automatic_tax": null,
                "billing_cycle_anchor": null, "billing_thresholds": null, "collection_method": null,
                "currency": stored.session["currency"], "default_payment_method": null, "default_tax_rates": [],
                "description": null, "discounts": [], "end_date": p.end, "invoice_settings": null,
                "items": [{"billing_thresholds": null, "discounts": [], "metadata": {}, "plan": p.price["id"],
                    "price": p.price["id"], "quantity": p.quantity, "tax_rates": []}],
                "metadata": {}, "on_behalf_of": null, "proration_behavior": "create_prorations",
                "start_date": p.start, "transfer_data": null, "trial_end": null,
            })
        })
        .collect();
    json!({
        "id": s.id, "object": "subscription_schedule", "application": null, "billing_mode": {"type": "classic"},
        "canceled_at": null, "completed_at": null, "created": s.created,
        "current_phase": current.map(|p| json!({"start_date": p.start, "end_date": p.end})),
        "customer": stored.session["customer"], "customer_account": null,
        "default_settings": {"application_fee_percent": null,
            "automatic_tax": {"disabled_reason": null, "enabled": false, "liability": null},
            "billing_cycle_anchor": "automatic", "billing_thresholds": null, "collection_method": "charge_automatically",
            "default_payment_method": null, "description": null,
            "invoice_settings": {"account_tax_ids": null, "days_until_due": null, "issuer": {"type": "self"}},
            "on_behalf_of": null, "transfer_data": null},
        "end_behavior": "release", "livemode": false, "metadata": {}, "phases": phases,
        "released_at": s.released_at,
        "released_subscription": if s.status == "released" { stored.session["subscription"].clone() } else { Value::Null },
        "status": s.status, "subscription": stored.session["subscription"], "test_clock": null,
    })
}

impl Inner {
    fn schedule_index(&self, id: &str) -> Result<usize, ApiError> {
        let held = |s: &Stored| s.payment.as_ref().and_then(|p| p.schedule.as_ref()).is_some_and(|s| s.id == id);
        self.sessions.iter().position(held).ok_or_else(|| no_such(id))
    }

    /// `POST /v1/subscription_schedules` `from_subscription=sub_…`.
    pub(super) fn create_schedule(&mut self, form: &Value) -> Result<Value, ApiError> {
        let sub = form["from_subscription"].as_str();
        if sub.is_some() && !form["customer"].is_null() {
            return Err(invalid("customer", "You may not specify both `customer` and `from_subscription`."));
        }
        let sub = sub.ok_or_else(|| {
            invalid(
                "from_subscription",
                "The stand-in creates schedules from an existing subscription only (`from_subscription`).",
            )
        })?;
        let index = self.sessions.iter().position(|s| s.session["subscription"] == sub).ok_or_else(|| {
            let message = format!("No such subscription: '{sub}'");
            error(StatusCode::BAD_REQUEST, Some("resource_missing"), Some("from_subscription"), message)
        })?;
        let stored = &mut self.sessions[index];
        let payment = stored.payment.as_ref().ok_or_else(|| missing("from_subscription"))?;
        if payment.subscription_status == "canceled" {
            return Err(invalid("from_subscription", "A canceled subscription cannot be attached to a schedule."));
        }
        if let Some(s) = payment.schedule.as_ref().filter(|s| s.attached()) {
            let message =
                format!("You cannot migrate a subscription that is already attached to a schedule: `{}`.", s.id);
            return Err(invalid("from_subscription", message));
        }
        let (start, end) = current_period(stored, payment);
        let phase = Phase { start, end, price: payment.price.clone(), quantity: super::periods::quantity(stored) };
        let schedule = Schedule {
            id: random_id("sub_sched_", 24),
            created: now(),
            status: "active".into(),
            phases: vec![phase],
            released_at: None,
        };
        let status = payment.subscription_status.clone();
        if let Some(p) = stored.payment.as_mut() {
            p.schedule = Some(schedule.clone());
        }
        let answer = object(stored, &schedule);
        let sub = subscription_object(stored, &status, false).map_err(internal)?;
        self.log_event(&event("subscription_schedule.created", answer.clone(), None));
        self.log_event(&event("customer.subscription.updated", sub, Some(json!({"schedule": null}))));
        Ok(answer)
    }

    /// `GET /v1/subscription_schedules/{id}`.
    pub(super) fn get_schedule(&self, id: &str) -> Result<Value, ApiError> {
        let stored = &self.sessions[self.schedule_index(id)?];
        let schedule = stored.payment.as_ref().and_then(|p| p.schedule.as_ref()).ok_or_else(|| no_such(id))?;
        Ok(object(stored, schedule))
    }

    /// `POST /v1/subscription_schedules/{id}` with `phases`: the current phase as it is (its start,
    /// its price), then the phases to come, each starting where the previous ends.
    pub(super) fn update_schedule(&mut self, id: &str, form: &Value) -> Result<Value, ApiError> {
        let index = self.schedule_index(id)?;
        if let Some(behavior) = form["end_behavior"].as_str().filter(|b| *b != "release") {
            let message = format!("The stand-in models end_behavior `release` only (got `{behavior}`).");
            return Err(invalid("end_behavior", message));
        }
        let given = form["phases"].as_array().cloned().unwrap_or_default();
        if given.is_empty() {
            return self.get_schedule(id);
        }
        let mut phases = Vec::new();
        for (i, p) in given.iter().enumerate() {
            let param = |f: &str| format!("phases[{i}][{f}]");
            let price_id = p["items"][0]["price"].as_str().ok_or_else(|| missing(&param("items][0][price")))?;
            let price = self.find_price(price_id).ok_or_else(|| {
                let message = format!("No such price: '{price_id}'");
                error(StatusCode::BAD_REQUEST, Some("resource_missing"), Some(&param("items][0][price")), message)
            })?;
            let quantity = int(&p["items"][0]["quantity"]).unwrap_or(1);
            phases.push((price, quantity, p.clone()));
        }
        let stored = &mut self.sessions[index];
        let payment = stored.payment.as_ref().ok_or_else(|| no_such(id))?;
        let schedule = payment.schedule.as_ref().ok_or_else(|| no_such(id))?;
        if !schedule.attached() {
            let message = format!(
                "You cannot update a subscription schedule that is currently in the `{}` status.",
                schedule.status
            );
            return Err(invalid("id", message));
        }
        let length = period(stored);
        let (current_start, _) = current_period(stored, payment);
        let mut built: Vec<Phase> = Vec::new();
        for (i, (price, quantity, p)) in phases.into_iter().enumerate() {
            let param = |f: &str| format!("phases[{i}][{f}]");
            let start = match (&p["start_date"], built.last()) {
                (Value::Null, Some(previous)) => previous.end,
                (Value::Null, None) => return Err(missing(&param("start_date"))),
                (v, _) => int(v).ok_or_else(|| invalid(&param("start_date"), "Invalid timestamp."))?,
            };
            if i == 0 && start != current_start {
                return Err(invalid(&param("start_date"), "You can not modify the start date of the current phase."));
            }
            if built.last().is_some_and(|previous| previous.end != start) {
                return Err(invalid(
                    &param("start_date"),
                    "Phases must be contiguous: each starts where the previous ends.",
                ));
            }
            if i == 0 && price["id"] != payment.price["id"] {
                return Err(invalid(&param("items][0][price]"), "The stand-in does not model changing the current phase's items: schedule the change in a later phase."));
            }
            if price["recurring"]["interval"] != payment.price["recurring"]["interval"] {
                return Err(invalid(
                    &param("items][0][price]"),
                    "The stand-in does not model phases of another billing interval.",
                ));
            }
            let end = match (&p["end_date"], &p["duration"]) {
                (Value::Null, Value::Null) => start + length,
                (Value::Null, d) => {
                    if d["interval"] != payment.price["recurring"]["interval"] {
                        return Err(invalid(
                            &param("duration][interval]"),
                            "The stand-in models durations in the plan's own interval.",
                        ));
                    }
                    start + length * int(&d["interval_count"]).unwrap_or(1).max(1)
                }
                (e, Value::Null) => int(e).ok_or_else(|| invalid(&param("end_date"), "Invalid timestamp."))?,
                _ => {
                    return Err(invalid(
                        &param("duration"),
                        "You may only specify one of these parameters: duration, end_date.",
                    ))
                }
            };
            if end <= start {
                return Err(invalid(&param("end_date"), "A phase must end after it starts."));
            }
            if (end - current_start) % length != 0 {
                return Err(invalid(
                    &param("end_date"),
                    "The stand-in models phases that end on the subscription's period boundaries.",
                ));
            }
            built.push(Phase { start, end, price, quantity });
        }
        let payment = stored.payment.as_mut().ok_or_else(|| no_such(id))?;
        let schedule = payment.schedule.as_mut().ok_or_else(|| no_such(id))?;
        schedule.phases = built;
        let schedule = schedule.clone();
        let answer = object(stored, &schedule);
        self.log_event(&event("subscription_schedule.updated", answer.clone(), None));
        Ok(answer)
    }

    /// `POST /v1/subscription_schedules/{id}/release`: the subscription goes on as it is.
    pub(super) fn release_schedule(&mut self, id: &str) -> Result<Value, ApiError> {
        let index = self.schedule_index(id)?;
        let stored = &mut self.sessions[index];
        let payment = stored.payment.as_mut().ok_or_else(|| no_such(id))?;
        let clock = payment.clock;
        let status = payment.subscription_status.clone();
        let schedule = payment.schedule.as_mut().ok_or_else(|| no_such(id))?;
        if !schedule.attached() {
            let message = format!(
                "You cannot release a subscription schedule that is currently in the `{}` status.",
                schedule.status
            );
            return Err(invalid("id", message));
        }
        schedule.status = "released".into();
        schedule.released_at = Some(clock);
        let schedule = schedule.clone();
        let answer = object(stored, &schedule);
        let sub = subscription_object(stored, &status, false).map_err(internal)?;
        self.log_event(&event("subscription_schedule.released", answer.clone(), None));
        self.log_event(&event("customer.subscription.updated", sub, Some(json!({"schedule": id}))));
        Ok(answer)
    }
}

fn internal(e: anyhow::Error) -> ApiError {
    error(StatusCode::INTERNAL_SERVER_ERROR, None, None, e.to_string())
}

impl StripeStandIn {
    /// The period boundary `at` of the subscription of `session_id` on its test clock: the
    /// schedule's phase starting then gives the item its price (`customer.subscription.updated`
    /// with the previous items), and a schedule whose last phase ends then is released. Returns
    /// the events, oldest first (each kept for `GET /v1/events`).
    pub(super) fn phase_boundary(&self, session_id: &str, at: i64) -> anyhow::Result<Vec<Value>> {
        let mut inner = self.lock();
        let stored = inner.sessions.iter_mut().find(|s| s.session["id"] == session_id).context("no such session")?;
        let payment = stored.payment.as_mut().context("not completed")?;
        let Some(schedule) = payment.schedule.as_mut().filter(|s| s.attached()) else { return Ok(Vec::new()) };
        let mut changed = None;
        if let Some(next) = schedule.phases.iter().find(|p| p.start == at) {
            if next.price["id"] != payment.price["id"] {
                changed = Some(std::mem::replace(&mut payment.price, next.price.clone()));
            }
        }
        let ends = schedule.phases.last().is_some_and(|p| p.end <= at);
        if ends {
            schedule.status = "released".into();
            schedule.released_at = Some(at);
        }
        let (status, schedule) = (payment.subscription_status.clone(), schedule.clone());
        let mut events = Vec::new();
        if let Some(old) = changed {
            let sub = subscription_object(stored, &status, false)?;
            let mut previous_items = sub["items"].clone();
            previous_items["data"][0]["price"] = old.clone();
            previous_items["data"][0]["plan"] = super::objects::plan_of(&old);
            let previous = json!({"items": previous_items, "plan": super::objects::plan_of(&old)});
            events.push(event("customer.subscription.updated", sub, Some(previous)));
        }
        if ends {
            events.push(event("subscription_schedule.released", object(stored, &schedule), None));
        }
        for e in &events {
            inner.log_event(e);
        }
        Ok(events)
    }
}
