//! Stripe objects in the shape of API version 2026-09-30 (the one async-stripe rc.10 is generated
//! from), with every field that version always sends: a test client that parses them with the
//! generated types (`stripe_shared::Charge`, `Invoice`…) fails on a missing one. What changed in
//! 2025+ and matters here: a charge embeds no `refunds` and no `invoice`; an invoice has no
//! `charge`, `payment_intent` or `subscription` (its subscription is under
//! `parent.subscription_details`, its payments are listed by `GET /v1/invoice_payments`).

use serde_json::{json, Value};

use super::now;

/// A charge of `amount` paid through `payment_intent`.
pub(super) struct ChargeShape<'a> {
    pub id: &'a str,
    pub payment_intent: &'a str,
    pub amount: i64,
    pub refunded: i64,
    pub disputed: bool,
    pub currency: &'a Value,
    pub customer: Option<&'a str>,
    /// `payment_intent_data.metadata` of a one-off payment; a subscription's charges carry none.
    pub metadata: Value,
    pub created: i64,
}

/// The charge object.
pub(super) fn charge(c: &ChargeShape<'_>) -> Value {
    json!({
        "id": c.id, "object": "charge", "amount": c.amount, "amount_captured": c.amount,
        "amount_refunded": c.refunded, "application": null, "application_fee": null, "application_fee_amount": null,
        "balance_transaction": null,
        "billing_details": {"address": null, "email": "buyer@example.com", "name": "Test Buyer", "phone": null, "tax_id": null},
        "calculated_statement_descriptor": null, "captured": true, "created": c.created, "currency": c.currency,
        "customer": c.customer, "description": null, "disputed": c.disputed, "failure_balance_transaction": null,
        "failure_code": null, "failure_message": null, "fraud_details": {}, "livemode": false,
        "metadata": c.metadata, "on_behalf_of": null, "outcome": null, "paid": true,
        "payment_intent": c.payment_intent, "payment_method": null, "receipt_email": null, "receipt_number": null,
        "receipt_url": null, "refunded": c.refunded >= c.amount, "review": null, "shipping": null,
        "source_transfer": null, "statement_descriptor": null, "statement_descriptor_suffix": null,
        "status": "succeeded", "transfer_data": null, "transfer_group": null,
    })
}

/// A dispute of `charge`.
pub(super) fn dispute(charge: &str, payment_intent: &str, amount: i64, currency: &Value) -> Value {
    json!({
        "id": super::random_id("dp_", 24), "object": "dispute", "amount": amount, "balance_transactions": [],
        "charge": charge, "created": now(), "currency": currency, "enhanced_eligibility_types": [],
        "evidence": {"enhanced_evidence": {}},
        "evidence_details": {"due_by": now() + 21 * 24 * 3600, "enhanced_eligibility": {}, "has_evidence": false,
            "past_due": false, "submission_count": 0},
        "is_charge_refundable": false, "livemode": false, "metadata": {}, "payment_intent": payment_intent,
        "payment_method_details": null, "reason": "fraudulent", "status": "needs_response",
    })
}

/// An invoice of a subscription.
pub(super) struct InvoiceShape<'a> {
    pub id: &'a str,
    pub subscription: &'a Value,
    pub subscription_metadata: Value,
    pub customer: &'a Value,
    pub amount: i64,
    pub paid: bool,
    /// `subscription_create`, `subscription_cycle` or `subscription_update` (a proration invoice).
    pub billing_reason: &'a str,
    pub currency: &'a Value,
    pub period: (i64, i64),
    /// Payment attempts so far (Stripe retries a failed renewal on the same invoice).
    pub attempts: u32,
    /// Its lines; empty: one line of the plan for `amount`.
    pub lines: Vec<Value>,
}

/// One invoice line of a subscription item.
pub(super) struct LineShape<'a> {
    pub invoice: &'a str,
    pub amount: i64,
    pub currency: &'a Value,
    pub description: &'a str,
    pub period: (i64, i64),
    pub price: &'a Value,
    pub item: &'a str,
    pub subscription: &'a Value,
    /// A proration (unused time credited, or remaining time charged, after a price change).
    pub proration: bool,
}

/// An invoice line (API 2025+: the subscription item and `proration` under
/// `parent.subscription_item_details`, the price under `pricing.price_details`).
pub(super) fn line(l: &LineShape<'_>) -> Value {
    let (start, end) = l.period;
    json!({
        "id": super::random_id("il_", 24), "object": "line_item", "amount": l.amount, "currency": l.currency,
        "description": l.description, "discount_amounts": [], "discountable": !l.proration, "discounts": [],
        "invoice": l.invoice, "livemode": false, "metadata": {},
        "parent": {
            "type": "subscription_item_details", "invoice_item_details": null,
            "subscription_item_details": {
                "invoice_item": if l.proration { Value::from(super::random_id("ii_", 24)) } else { Value::Null },
                "proration": l.proration, "proration_details": {"credited_items": null},
                "subscription": l.subscription, "subscription_item": l.item,
            },
        },
        "period": {"end": end, "start": start}, "pretax_credit_amounts": [],
        "pricing": {"type": "price_details", "price_details": {"price": l.price["id"], "product": l.price["product"]},
            "unit_amount_decimal": l.price["unit_amount_decimal"]},
        "quantity": 1, "subtotal": l.amount, "taxes": [],
    })
}

/// The invoice object.
pub(super) fn invoice(i: &InvoiceShape<'_>) -> Value {
    let (start, end) = i.period;
    let created = now();
    let plan_line = json!({
        "id": super::random_id("il_", 24), "object": "line_item", "amount": i.amount, "currency": i.currency,
        "description": "1 × plan", "discount_amounts": [], "discountable": true, "discounts": [],
        "invoice": i.id, "livemode": false, "metadata": {}, "parent": null,
        "period": {"end": end, "start": start}, "pretax_credit_amounts": [], "pricing": null, "quantity": 1,
        "subtotal": i.amount, "taxes": [],
    });
    let lines = if i.lines.is_empty() { vec![plan_line] } else { i.lines.clone() };
    let mut invoice = json!({
        "id": i.id, "object": "invoice", "account_country": "FR", "account_name": "Test shop",
        "amount_due": i.amount, "amount_overpaid": 0, "amount_paid": if i.paid { i.amount } else { 0 },
        "amount_remaining": if i.paid { 0 } else { i.amount }, "amount_shipping": 0, "application": null,
        "attempt_count": i.attempts, "attempted": true, "auto_advance": false,
        "automatic_tax": {"disabled_reason": null, "enabled": false, "liability": null, "provider": null, "status": null},
        "billing_reason": i.billing_reason,
        "collection_method": "charge_automatically", "created": created, "currency": i.currency,
        "customer": i.customer, "customer_email": "buyer@example.com", "default_tax_rates": [], "description": null,
        "discounts": [],
    });
    let rest = json!({
        "hosted_invoice_url": format!("https://invoice.stripe.test/{}", i.id), "issuer": {"type": "self"},
        "lines": {"object": "list", "data": lines, "has_more": false, "url": format!("/v1/invoices/{}/lines", i.id)},
        "livemode": false, "metadata": {},
        "next_payment_attempt": if i.paid { Value::Null } else { (created + 3 * 24 * 3600).into() },
        "parent": {
            "type": "subscription_details", "quote_details": null,
            "subscription_details": {"metadata": i.subscription_metadata, "subscription": i.subscription},
        },
        "payment_settings": {"default_mandate": null, "payment_method_options": null, "payment_method_types": null},
        "period_end": end, "period_start": start, "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0, "starting_balance": 0,
        "status": if i.paid { "paid" } else { "open" },
        "status_transitions": {"finalized_at": created, "marked_uncollectible_at": null,
            "paid_at": if i.paid { Value::from(created) } else { Value::Null }, "voided_at": null},
        "subtotal": i.amount, "total": i.amount, "total_discount_amounts": [], "total_taxes": [],
    });
    if let (Value::Object(invoice), Value::Object(rest)) = (&mut invoice, rest) {
        invoice.extend(rest);
    }
    invoice
}

/// An `invoice_payment`: how invoice `invoice` was paid.
pub(super) fn invoice_payment(invoice: &str, payment_intent: &str, amount: i64, currency: &Value, at: i64) -> Value {
    json!({
        "id": super::random_id("inpay_", 24), "object": "invoice_payment", "amount_paid": amount,
        "amount_requested": amount, "created": at, "currency": currency, "invoice": invoice, "is_default": true,
        "livemode": false, "payment": {"type": "payment_intent", "payment_intent": payment_intent},
        "status": "paid", "status_transitions": {"canceled_at": null, "paid_at": at},
    })
}

/// A subscription.
pub(super) struct SubscriptionShape<'a> {
    pub id: &'a Value,
    pub customer: &'a Value,
    pub currency: &'a Value,
    pub item: &'a str,
    pub quantity: i64,
    /// The item's price (see [`price`]).
    pub price: &'a Value,
    pub created: i64,
    pub period: (i64, i64),
    pub status: &'a str,
    pub ended: Option<i64>,
    pub latest_invoice: &'a str,
    pub metadata: Value,
    /// Start and end of the trial, if any.
    pub trial: Option<(i64, i64)>,
    pub cancel_at_period_end: bool,
    /// Why it was canceled (`cancellation_details[feedback]`), if it was.
    pub feedback: Option<&'a str>,
    /// The subscription schedule managing it, if any.
    pub schedule: Option<&'a str>,
}

/// A price: recurring when `interval` is given.
pub(super) fn price(id: &str, product: &str, unit_amount: i64, currency: &Value, interval: Option<&str>) -> Value {
    json!({
        "id": id, "object": "price", "active": true, "billing_scheme": "per_unit", "created": now(),
        "currency": currency, "custom_unit_amount": null, "livemode": false, "lookup_key": null, "metadata": {},
        "nickname": null, "product": product,
        "recurring": interval.map(|i| json!({"interval": i, "interval_count": 1, "meter": null, "trial_period_days": null, "usage_type": "licensed"})),
        "tax_behavior": "unspecified", "tiers_mode": null, "transform_quantity": null,
        "type": if interval.is_some() { "recurring" } else { "one_time" },
        "unit_amount": unit_amount, "unit_amount_decimal": unit_amount.to_string(),
    })
}

/// The legacy `plan` Stripe still shows next to an item's recurring `price`.
pub(super) fn plan_of(price: &Value) -> Value {
    json!({
        "id": price["id"], "object": "plan", "active": true, "amount": price["unit_amount"],
        "billing_scheme": "per_unit", "created": price["created"], "currency": price["currency"],
        "interval": price["recurring"]["interval"], "interval_count": 1, "livemode": false,
        "usage_type": "licensed", "product": price["product"],
    })
}

/// The subscription object.
pub(super) fn subscription(s: &SubscriptionShape<'_>) -> Value {
    let (start, end) = s.period;
    let item = json!({
        "id": s.item, "object": "subscription_item", "created": s.created, "current_period_start": start,
        "current_period_end": end, "discounts": [], "metadata": {}, "plan": plan_of(s.price), "price": s.price,
        "quantity": s.quantity, "subscription": s.id,
    });
    let mut sub = json!({
        "id": s.id, "object": "subscription",
        "automatic_tax": {"disabled_reason": null, "enabled": false, "liability": null},
        "billing_cycle_anchor": s.created, "billing_mode": {"type": "classic"}, "billing_schedules": [],
        "cancel_at": if s.cancel_at_period_end { Value::from(end) } else { Value::Null },
        "cancel_at_period_end": s.cancel_at_period_end, "canceled_at": s.ended,
        "cancellation_details": {
            "comment": null, "feedback": s.feedback,
            "reason": if s.cancel_at_period_end || s.ended.is_some() { Value::from("cancellation_requested") } else { Value::Null },
        },
        "collection_method": "charge_automatically", "created": s.created, "currency": s.currency,
        "customer": s.customer, "discounts": [], "ended_at": s.ended,
    });
    let rest = json!({
        "invoice_settings": {"account_tax_ids": null, "issuer": {"type": "self"}},
        "items": {"object": "list", "data": [item], "has_more": false,
            "url": format!("/v1/subscription_items?subscription={}", s.id.as_str().unwrap_or(""))},
        "latest_invoice": s.latest_invoice, "livemode": false, "metadata": s.metadata,
        "schedule": s.schedule, "start_date": s.created, "status": s.status,
        "trial_end": s.trial.map(|t| t.1), "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": s.trial.map(|t| t.0),
    });
    if let (Value::Object(sub), Value::Object(rest)) = (&mut sub, rest) {
        sub.extend(rest);
    }
    sub
}
