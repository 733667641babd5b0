//! Test-side actions: what happens on Stripe's side once a session exists (the buyer pays, a
//! refund, a dispute, renewals). Each changes the stored state as Stripe would and returns the
//! Stripe `Event` Stripe would send, without sending it: pass it to [`super::deliver`].

use anyhow::{ensure, Context};
use serde_json::{json, Value};

use super::objects::{self, ChargeShape, InvoiceShape};
use super::periods::{period, period_start, plan_amount, recurring_line, subscription_object, with_plan_line};
use super::{int, now, random_id, InvoiceCharge, Payment, Stored, StripeStandIn, API_VERSION};

/// A Stripe `Event` of type `kind` about `object`.
pub(super) fn event(kind: &str, object: Value, previous: Option<Value>) -> Value {
    let mut data = json!({ "object": object });
    if let Some(previous) = previous {
        data["previous_attributes"] = previous;
    }
    json!({
        "id": random_id("evt_", 24), "object": "event", "api_version": API_VERSION, "created": now(),
        "data": data, "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null}, "type": kind,
    })
}

/// `value` if it is an object (metadata sent with the request), else `{}`.
pub(super) fn metadata(value: &Value) -> Value {
    if value.is_object() {
        value.clone()
    } else {
        json!({})
    }
}

/// The session, its create request and its payment, if it has been paid.
fn paid(stored: &mut Stored) -> anyhow::Result<(&Value, &Value, &mut Payment)> {
    let Stored { session, form, payment } = stored;
    ensure!(session["payment_status"] == "paid", "session {} has not been paid", session["id"]);
    Ok((session, form, payment.as_mut().context("no payment")?))
}

/// The session's charge (payment mode), or its first invoice's (subscription mode), as Stripe
/// shows it: a subscription's charges carry no metadata (Stripe copies `subscription_data`'s onto
/// the subscription only).
fn charge(session: &Value, form: &Value, payment: &Payment) -> Value {
    let subscription = session["mode"] == "subscription";
    objects::charge(&ChargeShape {
        id: &payment.charge,
        payment_intent: &payment.payment_intent,
        amount: session["amount_total"].as_i64().unwrap_or(0),
        refunded: payment.refunded,
        disputed: payment.disputed,
        currency: &session["currency"],
        customer: payment.customer.as_deref(),
        metadata: if subscription { json!({}) } else { metadata(&form["payment_intent_data"]["metadata"]) },
        created: payment.created,
    })
}

/// A renewal's charge.
fn renewal_charge(session: &Value, payment: &Payment, r: &InvoiceCharge) -> Value {
    objects::charge(&ChargeShape {
        id: &r.charge,
        payment_intent: &r.payment_intent,
        amount: r.amount,
        refunded: r.refunded,
        disputed: r.disputed,
        currency: &session["currency"],
        customer: payment.customer.as_deref(),
        metadata: json!({}),
        created: r.created,
    })
}

/// `charge.refunded` for a payment whose refunded total went from `before` to its current one.
pub(super) fn refunded(session: &Value, form: &Value, payment: &Payment, before: i64) -> Value {
    let previous = json!({"amount_refunded": before, "refunded": false});
    event("charge.refunded", charge(session, form, payment), Some(previous))
}

impl StripeStandIn {
    fn with_session<T>(&self, id: &str, action: impl FnOnce(&mut Stored) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let mut inner = self.lock();
        let stored = inner.sessions.iter_mut().find(|s| s.session["id"] == id);
        action(stored.with_context(|| format!("no checkout session {id}"))?)
    }

    /// [`Self::with_session`] for an action that emits an event: the event is kept for
    /// `GET /v1/events`.
    fn with_event(&self, id: &str, action: impl FnOnce(&mut Stored) -> anyhow::Result<Value>) -> anyhow::Result<Value> {
        let mut inner = self.lock();
        let stored = inner.sessions.iter_mut().find(|s| s.session["id"] == id);
        let event = action(stored.with_context(|| format!("no checkout session {id}"))?)?;
        inner.log_event(&event);
        Ok(event)
    }

    /// The buyer finishes the payment page: status `complete`, payment_status `paid`, or `unpaid`
    /// for a delayed method (SEPA debit…) settled later by [`Self::async_payment`]. Creates the
    /// payment intent and charge and, in subscription mode, the customer, the subscription and
    /// its first invoice (a subscription-mode session has no `payment_intent`, as at Stripe).
    /// Returns `checkout.session.completed`.
    pub fn complete(&self, session_id: &str, paid: bool) -> anyhow::Result<Value> {
        self.with_event(session_id, |stored| {
            // Checkout makes a Price (and its Product) of a line's `price_data`.
            let data = &recurring_line(stored)["price_data"];
            let price = objects::price(
                &random_id("price_", 24),
                &random_id("prod_", 14),
                int(&data["unit_amount"]).unwrap_or(0),
                &stored.session["currency"],
                data["recurring"]["interval"].as_str(),
            );
            let session = &mut stored.session;
            ensure!(session["status"] == "open", "session {session_id} is {}, not open", session["status"]);
            let subscription = session["mode"] == "subscription";
            let trial_days = int(&stored.form["subscription_data"]["trial_period_days"]);
            let created = now();
            let payment = Payment {
                payment_intent: random_id("pi_", 24),
                charge: random_id("ch_", 24),
                refunded: 0,
                disputed: false,
                customer: None,
                renewals: Vec::new(),
                invoices: 0,
                attempts: 0,
                latest_paid: false,
                invoice: random_id("in_", 24),
                item: random_id("si_", 14),
                subscription_status: match (paid, trial_days) {
                    (true, Some(_)) => "trialing",
                    (true, None) => "active",
                    (false, _) => "incomplete",
                }
                .to_owned(),
                created,
                clock: created,
                trial_end: trial_days.map(|days| created + days * 24 * 3600),
                trial_warned: false,
                declines: false,
                cancel_at_period_end: false,
                feedback: None,
                price,
                pending_lines: Vec::new(),
                latest_invoice: None,
                schedule: None,
            };
            session["status"] = "complete".into();
            // A trial is paid later: nothing is due at checkout.
            session["payment_status"] = match (paid, trial_days) {
                (true, Some(_)) => "no_payment_required",
                (true, None) => "paid",
                (false, _) => "unpaid",
            }
            .into();
            session["collected_information"] = super::shipping::collected(session);
            session["customer_details"] = json!({
                "address": null, "business_name": null, "email": "buyer@example.com", "individual_name": null,
                "name": "Test Buyer", "phone": null, "tax_exempt": "none", "tax_ids": [],
            });
            if session["customer"].is_null() && (subscription || session["customer_creation"] == "always") {
                session["customer"] = random_id("cus_", 14).into();
            }
            if subscription {
                session["subscription"] = random_id("sub_", 24).into();
                session["invoice"] = payment.invoice.clone().into();
            } else {
                session["payment_intent"] = payment.payment_intent.clone().into();
            }
            let mut payment = payment;
            payment.customer = session["customer"].as_str().map(str::to_owned);
            stored.payment = Some(payment);
            Ok(event("checkout.session.completed", session.clone(), None))
        })
    }

    /// A delayed payment settles: payment_status becomes `paid`, or stays `unpaid` on failure.
    /// Returns `checkout.session.async_payment_succeeded` or `…_failed`.
    pub fn async_payment(&self, session_id: &str, succeeded: bool) -> anyhow::Result<Value> {
        self.with_event(session_id, |stored| {
            let session = &mut stored.session;
            let waiting = session["status"] == "complete" && session["payment_status"] == "unpaid";
            ensure!(waiting, "session {session_id} is not waiting for a delayed payment");
            if succeeded {
                session["payment_status"] = "paid".into();
            }
            let kind = if succeeded { "succeeded" } else { "failed" };
            Ok(event(&format!("checkout.session.async_payment_{kind}"), session.clone(), None))
        })
    }

    /// The session times out: status `expired`. A session already expired through the API gives
    /// its event too (Stripe sends one either way). Returns `checkout.session.expired`.
    pub fn expire(&self, session_id: &str) -> anyhow::Result<Value> {
        self.with_event(session_id, |stored| {
            ensure!(stored.session["status"] != "complete", "session {session_id} is complete: it cannot expire");
            stored.session["status"] = "expired".into();
            Ok(event("checkout.session.expired", stored.session.clone(), None))
        })
    }

    /// Refunds `amount` (the rest of the charge if `None`) of a paid session, adding up with the
    /// refunds created through `POST /v1/refunds`. Returns `charge.refunded` with the charge
    /// (`amount_refunded` cumulative, `refunded` once full).
    pub fn refund(&self, session_id: &str, amount: Option<i64>) -> anyhow::Result<Value> {
        self.with_event(session_id, |stored| {
            let (session, form, payment) = paid(stored)?;
            let total = session["amount_total"].as_i64().unwrap_or(0);
            let amount = amount.unwrap_or(total - payment.refunded);
            let refundable = amount > 0 && payment.refunded + amount <= total;
            ensure!(refundable, "cannot refund {amount}: {} of {total} is already refunded", payment.refunded);
            let before = payment.refunded;
            payment.refunded += amount;
            Ok(refunded(session, form, payment, before))
        })
    }

    /// The `charge.refunded` event Stripe sent after refund `refund_id`, one created through
    /// `POST /v1/refunds`: the charge as it was just after that refund (`amount_refunded`
    /// cumulative, `refunded` once full). The same event (same id) on every call.
    ///
    /// # Errors
    /// No refund `refund_id` was created through the API.
    pub fn refund_event_for(&self, refund_id: &str) -> anyhow::Result<Value> {
        let inner = self.lock();
        let event = inner.refund_events.get(refund_id);
        event.cloned().with_context(|| format!("no refund {refund_id} created through POST /v1/refunds"))
    }

    /// The buyer disputes the charge of a paid session (in subscription mode: of its first
    /// invoice). Returns `charge.dispute.created`.
    pub fn dispute(&self, session_id: &str) -> anyhow::Result<Value> {
        self.with_event(session_id, |stored| {
            let (session, _, payment) = paid(stored)?;
            payment.disputed = true;
            let amount = session["amount_total"].as_i64().unwrap_or(0);
            let dispute = objects::dispute(&payment.charge, &payment.payment_intent, amount, &session["currency"]);
            Ok(event("charge.dispute.created", dispute, None))
        })
    }

    /// The payment intents of a paid session: its own (payment mode) or, in subscription mode,
    /// its first invoice's then each paid renewal's, in order.
    pub fn payment_intents(&self, session_id: &str) -> anyhow::Result<Vec<String>> {
        self.with_session(session_id, |stored| {
            let payment = stored.payment.as_ref().context("no payment")?;
            let mut all = vec![payment.payment_intent.clone()];
            all.extend(payment.renewals.iter().map(|r| r.payment_intent.clone()));
            Ok(all)
        })
    }

    /// Refunds `amount` (the rest if `None`) of the charge of `payment_intent`, one of
    /// [`Self::payment_intents`]. Returns `charge.refunded` (cumulative `amount_refunded`).
    pub fn refund_payment(&self, session_id: &str, payment_intent: &str, amount: Option<i64>) -> anyhow::Result<Value> {
        let first = self.payment_intents(session_id)?.first().cloned();
        if first.as_deref() == Some(payment_intent) {
            return self.refund(session_id, amount);
        }
        self.with_event(session_id, |stored| {
            let session = &stored.session;
            let payment = stored.payment.as_mut().context("no payment")?;
            let r = payment.renewals.iter_mut().find(|r| r.payment_intent == payment_intent);
            let r = r.with_context(|| format!("no payment {payment_intent} in session {session_id}"))?;
            let amount = amount.unwrap_or(r.amount - r.refunded);
            ensure!(amount > 0 && r.refunded + amount <= r.amount, "cannot refund {amount} of {}", r.amount);
            let before = r.refunded;
            r.refunded += amount;
            let r = r.clone();
            let previous = json!({"amount_refunded": before, "refunded": false});
            Ok(event("charge.refunded", renewal_charge(session, payment, &r), Some(previous)))
        })
    }

    /// An invoice of a completed subscription session is paid or fails: the first call is the
    /// invoice the session created (`subscription_create`, paid by the session's payment), later
    /// ones are renewals (`subscription_cycle`), each paid by a payment intent and charge of its
    /// own. Returns `invoice.paid` or `invoice.payment_failed`.
    pub fn invoice(&self, session_id: &str, paid: bool) -> anyhow::Result<Value> {
        self.with_event(session_id, |stored| {
            let period = period(stored);
            let plan = plan_amount(stored);
            let session = &stored.session;
            ensure!(
                session["subscription"].is_string(),
                "session {session_id} has no subscription (completed in subscription mode)"
            );
            let payment = stored.payment.as_mut().context("no payment")?;
            payment.invoices += 1;
            let first = payment.invoices == 1;
            if !first {
                payment.invoice = random_id("in_", 24);
            }
            // Prorations waiting for this invoice are billed with the period.
            let pending = if first { Vec::new() } else { std::mem::take(&mut payment.pending_lines) };
            let extra: i64 = pending.iter().filter_map(|l| l["amount"].as_i64()).sum();
            let amount = if first { session["amount_total"].as_i64().unwrap_or(0) } else { plan + extra };
            (payment.attempts, payment.latest_paid, payment.latest_invoice) = (1, paid, None);
            if paid && !first {
                payment.renewals.push(InvoiceCharge {
                    invoice: payment.invoice.clone(),
                    payment_intent: random_id("pi_", 24),
                    charge: random_id("ch_", 24),
                    amount,
                    refunded: 0,
                    disputed: false,
                    created: now(),
                });
            }
            let start = period_start(payment, period, payment.invoices);
            let end = match payment.trial_end {
                Some(trial_end) if first => trial_end,
                _ => start + period,
            };
            let invoice = objects::invoice(&InvoiceShape {
                id: &payment.invoice,
                subscription: &session["subscription"],
                subscription_metadata: metadata(&stored.form["subscription_data"]["metadata"]),
                customer: &session["customer"],
                amount,
                paid,
                billing_reason: if first { "subscription_create" } else { "subscription_cycle" },
                currency: &session["currency"],
                period: (start, end),
                attempts: payment.attempts,
                lines: if pending.is_empty() {
                    Vec::new()
                } else {
                    with_plan_line(payment, &session["subscription"], plan, (start, end), pending)
                },
            });
            Ok(event(if paid { "invoice.paid" } else { "invoice.payment_failed" }, invoice, None))
        })
    }

    /// Stripe retries the latest renewal invoice, which failed: the same invoice, one more
    /// attempt, paid this time (by a payment intent and charge of its own) or failed again.
    /// Returns `invoice.paid` or `invoice.payment_failed`.
    pub fn retry_invoice(&self, session_id: &str, paid: bool) -> anyhow::Result<Value> {
        self.with_event(session_id, |stored| {
            let period = period(stored);
            let amount = plan_amount(stored);
            let session = &stored.session;
            let payment = stored.payment.as_mut().context("no payment")?;
            ensure!(
                payment.invoices >= 2 && !payment.latest_paid,
                "session {session_id} has no failed renewal to retry"
            );
            payment.attempts += 1;
            payment.latest_paid = paid;
            if paid {
                payment.renewals.push(InvoiceCharge {
                    invoice: payment.invoice.clone(),
                    payment_intent: random_id("pi_", 24),
                    charge: random_id("ch_", 24),
                    amount,
                    refunded: 0,
                    disputed: false,
                    created: now(),
                });
            }
            let start = period_start(payment, period, payment.invoices);
            let invoice = objects::invoice(&InvoiceShape {
                id: &payment.invoice,
                subscription: &session["subscription"],
                subscription_metadata: metadata(&stored.form["subscription_data"]["metadata"]),
                customer: &session["customer"],
                amount,
                paid,
                billing_reason: "subscription_cycle",
                currency: &session["currency"],
                period: (start, start + period),
                attempts: payment.attempts,
                lines: Vec::new(),
            });
            Ok(event(if paid { "invoice.paid" } else { "invoice.payment_failed" }, invoice, None))
        })
    }

    /// The subscription of a completed subscription session changes to `status` (`active`,
    /// `past_due`, `canceled`…) or, with `deleted`, ends (pass `canceled`, as Stripe shows it).
    /// The period is the one of the latest invoice. Returns `customer.subscription.updated`
    /// (with the previous status) or `customer.subscription.deleted`.
    pub fn subscription(&self, session_id: &str, status: &str, deleted: bool) -> anyhow::Result<Value> {
        self.with_event(session_id, |stored| {
            ensure!(
                stored.session["subscription"].is_string(),
                "session {session_id} has no subscription (completed in subscription mode)"
            );
            let payment = stored.payment.as_mut().context("no payment")?;
            let previous = std::mem::replace(&mut payment.subscription_status, status.to_owned());
            let subscription = subscription_object(stored, status, deleted)?;
            if deleted {
                return Ok(event("customer.subscription.deleted", subscription, None));
            }
            let changed = if previous == status { json!({}) } else { json!({ "status": previous }) };
            Ok(event("customer.subscription.updated", subscription, Some(changed)))
        })
    }
}
