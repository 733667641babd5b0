//! A subscription's billing periods and what each costs: the period of its recurring line, where
//! each period starts (a trial is the first), the item's price now, and the subscription object
//! of a completed session.

use anyhow::Context;
use serde_json::Value;

use super::events::metadata;
use super::objects::{self, SubscriptionShape};
use super::{int, now, Payment, Stored};

/// The first recurring line of the create request.
pub(super) fn recurring_line(stored: &Stored) -> &Value {
    let lines = stored.form["line_items"].as_array().map(Vec::as_slice).unwrap_or_default();
    lines.iter().find(|l| l["price_data"]["recurring"].is_object()).unwrap_or(&Value::Null)
}

/// The billing period in seconds (months count 30 days, years 365).
pub(super) fn period(stored: &Stored) -> i64 {
    let recurring = &recurring_line(stored)["price_data"]["recurring"];
    let days = match recurring["interval"].as_str() {
        Some("day") => 1,
        Some("week") => 7,
        Some("year") => 365,
        _ => 30,
    };
    int(&recurring["interval_count"]).unwrap_or(1) * days * 24 * 3600
}

/// The start of the `n`th billing period (the first is 1): a trial is the first period, and the
/// paid periods follow its end.
pub(super) fn period_start(payment: &Payment, period: i64, n: u32) -> i64 {
    match payment.trial_end {
        _ if n <= 1 => payment.created,
        Some(end) => end + period * i64::from(n - 2),
        None => payment.created + period * i64::from(n - 1),
    }
}

/// What the recurring lines cost each period (a renewal bills only them).
pub(super) fn plan_amount_of(form: &Value) -> i64 {
    let lines = form["line_items"].as_array().map(Vec::as_slice).unwrap_or_default();
    lines
        .iter()
        .filter(|l| l["price_data"]["recurring"].is_object())
        .map(|l| int(&l["price_data"]["unit_amount"]).unwrap_or(0) * int(&l["quantity"]).unwrap_or(1))
        .sum()
}

/// The quantity of the subscription's item (the recurring line's).
pub(super) fn quantity(stored: &Stored) -> i64 {
    int(&recurring_line(stored)["quantity"]).unwrap_or(1)
}

/// What each period costs now: the item's price times its quantity.
pub(super) fn plan_amount(stored: &Stored) -> i64 {
    match &stored.payment {
        Some(p) => int(&p.price["unit_amount"]).unwrap_or(0) * quantity(stored),
        None => plan_amount_of(&stored.form),
    }
}

/// The current billing period, (start, end): the trial is the first.
pub(super) fn current_period(stored: &Stored, payment: &Payment) -> (i64, i64) {
    let period = period(stored);
    let start = period_start(payment, period, payment.invoices.max(1));
    match payment.trial_end {
        Some(trial_end) if payment.invoices <= 1 => (start, trial_end),
        _ => (start, start + period),
    }
}

/// The subscription object of a completed subscription session, in `status`, ended now if `ended`.
pub(super) fn subscription_object(stored: &Stored, status: &str, ended: bool) -> anyhow::Result<Value> {
    let session = &stored.session;
    let payment = stored.payment.as_ref().context("no payment")?;
    let schedule = payment.schedule.as_ref().filter(|s| s.attached()).map(|s| s.id.as_str());
    Ok(objects::subscription(&SubscriptionShape {
        id: &session["subscription"],
        customer: &session["customer"],
        currency: &session["currency"],
        item: &payment.item,
        quantity: quantity(stored),
        price: &payment.price,
        created: payment.created,
        period: current_period(stored, payment),
        status,
        ended: ended.then(now),
        latest_invoice: payment.latest_invoice.as_deref().unwrap_or(&payment.invoice),
        metadata: metadata(&stored.form["subscription_data"]["metadata"]),
        trial: payment.trial_end.map(|end| (payment.created, end)),
        cancel_at_period_end: payment.cancel_at_period_end,
        feedback: payment.feedback.as_deref(),
        schedule,
    }))
}

/// A renewal's lines when prorations wait for it: the period's plan line, then the prorations.
pub(super) fn with_plan_line(
    payment: &Payment,
    subscription: &Value,
    plan: i64,
    (start, end): (i64, i64),
    pending: Vec<Value>,
) -> Vec<Value> {
    let mut lines = vec![objects::line(&objects::LineShape {
        invoice: &payment.invoice,
        amount: plan,
        currency: &payment.price["currency"],
        description: "1 × plan",
        period: (start, end),
        price: &payment.price,
        item: &payment.item,
        subscription,
        proration: false,
    })];
    for mut line in pending {
        line["invoice"] = payment.invoice.clone().into();
        lines.push(line);
    }
    lines
}
