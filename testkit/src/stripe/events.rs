//! Test-side actions: what happens on Stripe's side once a session exists (the buyer pays, a
//! refund, a dispute, renewals). Each changes the stored state as Stripe would and returns the
//! Stripe `Event` Stripe would send, without sending it: pass it to [`super::deliver`].

use anyhow::{ensure, Context};
use serde_json::{json, Value};

use super::{int, now, random_id, Payment, Stored, StripeStandIn, API_VERSION};

/// A Stripe `Event` of type `kind` about `object`.
fn event(kind: &str, object: Value, previous: Option<Value>) -> Value {
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
fn metadata(value: &Value) -> Value {
    if value.is_object() {
        value.clone()
    } else {
        json!({})
    }
}

/// The first recurring line of the create request.
fn recurring_line(stored: &Stored) -> &Value {
    let lines = stored.form["line_items"].as_array().map(Vec::as_slice).unwrap_or_default();
    lines.iter().find(|l| l["price_data"]["recurring"].is_object()).unwrap_or(&Value::Null)
}

/// The billing period in seconds (months count 30 days, years 365).
fn period(stored: &Stored) -> i64 {
    let recurring = &recurring_line(stored)["price_data"]["recurring"];
    let days = match recurring["interval"].as_str() {
        Some("day") => 1,
        Some("week") => 7,
        Some("year") => 365,
        _ => 30,
    };
    int(&recurring["interval_count"]).unwrap_or(1) * days * 24 * 3600
}

/// The session, its create request and its payment, if it has been paid.
fn paid(stored: &mut Stored) -> anyhow::Result<(&Value, &Value, &mut Payment)> {
    let Stored { session, form, payment } = stored;
    ensure!(session["payment_status"] == "paid", "session {} has not been paid", session["id"]);
    Ok((session, form, payment.as_mut().context("no payment")?))
}

/// The session's charge, as Stripe shows it.
fn charge(session: &Value, form: &Value, payment: &Payment) -> Value {
    let amount = session["amount_total"].as_i64().unwrap_or(0);
    json!({
        "id": payment.charge, "object": "charge", "amount": amount, "amount_captured": amount,
        "amount_refunded": payment.refunded, "balance_transaction": null,
        "billing_details": {"address": null, "email": session["customer_details"]["email"], "name": session["customer_details"]["name"], "phone": null},
        "captured": true, "created": payment.created, "currency": session["currency"], "customer": session["customer"],
        "description": null, "disputed": payment.disputed, "failure_code": null, "failure_message": null, "livemode": false,
        "metadata": metadata(&form["payment_intent_data"]["metadata"]), "paid": true,
        "payment_intent": payment.payment_intent, "receipt_url": null,
        "refunded": payment.refunded >= amount, "status": "succeeded",
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

    /// The buyer finishes the payment page: status `complete`, payment_status `paid`, or `unpaid`
    /// for a delayed method (SEPA debit…) settled later by [`Self::async_payment`]. Creates the
    /// payment intent and charge and, in subscription mode, the customer, the subscription and
    /// its first invoice (a subscription-mode session has no `payment_intent`, as at Stripe).
    /// Returns `checkout.session.completed`.
    pub fn complete(&self, session_id: &str, paid: bool) -> anyhow::Result<Value> {
        self.with_session(session_id, |stored| {
            let session = &mut stored.session;
            ensure!(session["status"] == "open", "session {session_id} is {}, not open", session["status"]);
            let subscription = session["mode"] == "subscription";
            let payment = Payment {
                payment_intent: random_id("pi_", 24),
                charge: random_id("ch_", 24),
                refunded: 0,
                disputed: false,
                invoices: 0,
                invoice: random_id("in_", 24),
                item: random_id("si_", 14),
                subscription_status: if paid { "active" } else { "incomplete" }.to_owned(),
                created: now(),
            };
            session["status"] = "complete".into();
            session["payment_status"] = if paid { "paid" } else { "unpaid" }.into();
            session["collected_information"] = super::shipping::collected(session);
            session["customer_details"] = json!({
                "address": null, "business_name": null, "email": "buyer@example.com", "individual_name": null,
                "name": "Test Buyer", "phone": null, "tax_exempt": "none", "tax_ids": [],
            });
            if subscription || session["customer_creation"] == "always" {
                session["customer"] = random_id("cus_", 14).into();
            }
            if subscription {
                session["subscription"] = random_id("sub_", 24).into();
                session["invoice"] = payment.invoice.clone().into();
            } else {
                session["payment_intent"] = payment.payment_intent.clone().into();
            }
            stored.payment = Some(payment);
            Ok(event("checkout.session.completed", session.clone(), None))
        })
    }

    /// A delayed payment settles: payment_status becomes `paid`, or stays `unpaid` on failure.
    /// Returns `checkout.session.async_payment_succeeded` or `…_failed`.
    pub fn async_payment(&self, session_id: &str, succeeded: bool) -> anyhow::Result<Value> {
        self.with_session(session_id, |stored| {
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
        self.with_session(session_id, |stored| {
            ensure!(stored.session["status"] != "complete", "session {session_id} is complete: it cannot expire");
            stored.session["status"] = "expired".into();
            Ok(event("checkout.session.expired", stored.session.clone(), None))
        })
    }

    /// Refunds `amount` (the rest of the charge if `None`) of a paid session, adding up with the
    /// refunds created through `POST /v1/refunds`. Returns `charge.refunded` with the charge
    /// (`amount_refunded` cumulative, `refunded` once full).
    pub fn refund(&self, session_id: &str, amount: Option<i64>) -> anyhow::Result<Value> {
        self.with_session(session_id, |stored| {
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

    /// The buyer disputes the charge of a paid session. Returns `charge.dispute.created`.
    pub fn dispute(&self, session_id: &str) -> anyhow::Result<Value> {
        self.with_session(session_id, |stored| {
            let (session, _, payment) = paid(stored)?;
            payment.disputed = true;
            let dispute = json!({
                "id": random_id("dp_", 24), "object": "dispute", "amount": session["amount_total"],
                "balance_transactions": [], "charge": payment.charge, "created": now(), "currency": session["currency"],
                "evidence_details": {"due_by": now() + 21 * 24 * 3600, "has_evidence": false, "past_due": false, "submission_count": 0},
                "is_charge_refundable": false, "livemode": false, "metadata": {},
                "payment_intent": payment.payment_intent, "reason": "fraudulent", "status": "needs_response",
            });
            Ok(event("charge.dispute.created", dispute, None))
        })
    }

    /// An invoice of a completed subscription session is paid or fails: the first call is the
    /// invoice the session created (`subscription_create`), later ones are renewals
    /// (`subscription_cycle`). Returns `invoice.paid` or `invoice.payment_failed`.
    pub fn invoice(&self, session_id: &str, paid: bool) -> anyhow::Result<Value> {
        self.with_session(session_id, |stored| {
            let session = &stored.session;
            ensure!(session["subscription"].is_string(), "session {session_id} has no subscription (completed in subscription mode)");
            let payment = stored.payment.as_mut().context("no payment")?;
            payment.invoices += 1;
            if payment.invoices > 1 {
                payment.invoice = random_id("in_", 24);
            }
            let amount = session["amount_total"].as_i64().unwrap_or(0);
            let subscription = &session["subscription"];
            let invoice = json!({
                "id": payment.invoice, "object": "invoice",
                "amount_due": amount, "amount_paid": if paid { amount } else { 0 }, "amount_remaining": if paid { 0 } else { amount },
                "attempt_count": 1, "attempted": true,
                "billing_reason": if payment.invoices == 1 { "subscription_create" } else { "subscription_cycle" },
                "collection_method": "charge_automatically", "created": now(), "currency": session["currency"],
                "customer": session["customer"], "customer_email": session["customer_details"]["email"],
                "hosted_invoice_url": null, "livemode": false, "metadata": {},
                "next_payment_attempt": if paid { Value::Null } else { (now() + 3 * 24 * 3600).into() },
                "parent": {
                    "type": "subscription_details", "quote_details": null,
                    "subscription_details": {"metadata": metadata(&stored.form["subscription_data"]["metadata"]), "subscription": subscription},
                },
                "status": if paid { "paid" } else { "open" }, "subscription": subscription,
                "subtotal": amount, "total": amount,
            });
            Ok(event(if paid { "invoice.paid" } else { "invoice.payment_failed" }, invoice, None))
        })
    }

    /// The subscription of a completed subscription session changes to `status` (`active`,
    /// `past_due`, `canceled`…) or, with `deleted`, ends (pass `canceled`, as Stripe shows it).
    /// The period is the one of the latest invoice. Returns `customer.subscription.updated`
    /// (with the previous status) or `customer.subscription.deleted`.
    pub fn subscription(&self, session_id: &str, status: &str, deleted: bool) -> anyhow::Result<Value> {
        self.with_session(session_id, |stored| {
            let period = period(stored);
            let quantity = int(&recurring_line(stored)["quantity"]).unwrap_or(1);
            let session = &stored.session;
            ensure!(session["subscription"].is_string(), "session {session_id} has no subscription (completed in subscription mode)");
            let payment = stored.payment.as_mut().context("no payment")?;
            let previous = std::mem::replace(&mut payment.subscription_status, status.to_owned());
            let start = payment.created + period * i64::from(payment.invoices.max(1) - 1);
            let (id, ended) = (&session["subscription"], deleted.then(now));
            let subscription = json!({
                "id": id, "object": "subscription", "billing_cycle_anchor": payment.created, "cancel_at": null,
                "cancel_at_period_end": false, "canceled_at": ended, "collection_method": "charge_automatically",
                "created": payment.created, "currency": session["currency"],
                "current_period_start": start, "current_period_end": start + period,
                "customer": session["customer"], "ended_at": ended,
                "items": {"object": "list", "has_more": false, "url": format!("/v1/subscription_items?subscription={}", id.as_str().unwrap_or("")),
                    "data": [{"id": payment.item, "object": "subscription_item", "created": payment.created,
                        "current_period_start": start, "current_period_end": start + period,
                        "metadata": {}, "quantity": quantity, "subscription": id}]},
                "latest_invoice": payment.invoice, "livemode": false,
                "metadata": metadata(&stored.form["subscription_data"]["metadata"]),
                "start_date": payment.created, "status": status,
            });
            if deleted {
                return Ok(event("customer.subscription.deleted", subscription, None));
            }
            let changed = if previous == status { json!({}) } else { json!({ "status": previous }) };
            Ok(event("customer.subscription.updated", subscription, Some(changed)))
        })
    }
}
