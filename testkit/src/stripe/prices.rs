//! Prices and plan changes: `POST /v1/prices`, `GET /v1/prices/{id}`, and a subscription's price
//! change (`items[0][id]` + `items[0][price]` on `POST /v1/subscriptions/{id}`) with Stripe's
//! proration ("Prorations", Stripe's Billing docs): at the test clock's time, the unused time on
//! the old price is credited and the remaining time on the new price charged, each a line with
//! `proration: true`. `proration_behavior` is `create_prorations` (the default: the lines wait for
//! the next invoice), `always_invoice` (an invoice for them now, charged at once) or `none`. With
//! `payment_behavior=error_if_incomplete` a declined charge refuses the whole update (HTTP 402).

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::answers::{error, int, invalid, missing};
use super::events::{event, metadata};
use super::objects::{self, InvoiceShape, LineShape};
use super::periods::{current_period, plan_amount, quantity, subscription_object};
use super::{now, random_id, ApiError, Inner, InvoiceCharge, Stored};

const PRORATIONS: [&str; 3] = ["always_invoice", "create_prorations", "none"];
const PAYMENT_BEHAVIORS: [&str; 2] = ["allow_incomplete", "error_if_incomplete"];

impl Inner {
    /// `POST /v1/prices`: a price of an existing product (`product`) or of a new one
    /// (`product_data[name]`); recurring with `recurring[interval]`.
    pub(super) fn create_price(&mut self, form: &Value) -> Result<Value, ApiError> {
        let currency = form["currency"].as_str().ok_or_else(|| missing("currency"))?;
        let amount = int(&form["unit_amount"]).ok_or_else(|| missing("unit_amount"))?;
        if amount < 0 {
            return Err(invalid("unit_amount", "This value must be greater than or equal to 0."));
        }
        let interval = form["recurring"]["interval"].as_str();
        if let Some(i) = interval.filter(|i| !["day", "week", "month", "year"].contains(i)) {
            return Err(invalid(
                "recurring[interval]",
                format!("Invalid recurring[interval]: must be one of day, week, month, or year (got {i})."),
            ));
        }
        if form["recurring"].is_object() && interval.is_none() {
            return Err(missing("recurring[interval]"));
        }
        let product = match (form["product"].as_str(), form["product_data"]["name"].as_str()) {
            (Some(product), _) if self.known_product(product) => product.to_owned(),
            (Some(product), _) => {
                let message = format!("No such product: '{product}'");
                return Err(error(StatusCode::BAD_REQUEST, Some("resource_missing"), Some("product"), message));
            }
            (None, Some(_)) => random_id("prod_", 14),
            (None, None) => return Err(missing("product")),
        };
        let mut price = objects::price(&random_id("price_", 24), &product, amount, &json!(currency), interval);
        price["metadata"] = metadata(&form["metadata"]);
        self.prices.insert(price["id"].as_str().unwrap_or_default().to_owned(), price.clone());
        Ok(price)
    }

    /// `GET /v1/prices/{id}`.
    pub(super) fn price(&self, id: &str) -> Result<Value, ApiError> {
        self.find_price(id).ok_or_else(|| {
            error(StatusCode::NOT_FOUND, Some("resource_missing"), Some("id"), format!("No such price: '{id}'"))
        })
    }

    /// A price created through the API or by a Checkout Session.
    pub(super) fn find_price(&self, id: &str) -> Option<Value> {
        self.prices.get(id).cloned().or_else(|| {
            self.sessions
                .iter()
                .filter_map(|s| s.payment.as_ref())
                .find(|p| p.price["id"] == id)
                .map(|p| p.price.clone())
        })
    }

    fn known_product(&self, product: &str) -> bool {
        self.prices.values().any(|p| p["product"] == product)
            || self.sessions.iter().filter_map(|s| s.payment.as_ref()).any(|p| p.price["product"] == product)
    }

    /// `items[0][price]` on `POST /v1/subscriptions/{id}`: the item's price changes now.
    pub(super) fn change_price(&mut self, index: usize, form: &Value) -> Result<Value, ApiError> {
        let items = form["items"].as_array().cloned().unwrap_or_default();
        let [item] = items.as_slice() else {
            return Err(invalid("items", "The stand-in changes one item: pass items[0][id] and items[0][price]."));
        };
        let proration = form["proration_behavior"].as_str().unwrap_or("create_prorations");
        if !PRORATIONS.contains(&proration) {
            let message = format!("Invalid proration_behavior: must be one of {}.", PRORATIONS.join(", "));
            return Err(invalid("proration_behavior", message));
        }
        let behavior = form["payment_behavior"].as_str().unwrap_or("allow_incomplete");
        if !PAYMENT_BEHAVIORS.contains(&behavior) {
            let message = format!("The stand-in models payment_behavior {} only.", PAYMENT_BEHAVIORS.join(" and "));
            return Err(invalid("payment_behavior", message));
        }
        let price_id = item["price"].as_str().ok_or_else(|| missing("items[0][price]"))?;
        let price = self.find_price(price_id).ok_or_else(|| {
            let message = format!("No such price: '{price_id}'");
            error(StatusCode::BAD_REQUEST, Some("resource_missing"), Some("items[0][price]"), message)
        })?;
        let stored = &mut self.sessions[index];
        let payment = stored.payment.as_ref().ok_or_else(|| invalid("id", "The subscription has no payment"))?;
        if item["id"] != payment.item.as_str() {
            let message = format!("No such subscription item: '{}'", item["id"].as_str().unwrap_or(""));
            return Err(error(StatusCode::BAD_REQUEST, Some("resource_missing"), Some("items[0][id]"), message));
        }
        if payment.subscription_status == "canceled" {
            let message = "A canceled subscription can only update its cancellation_details and metadata.";
            return Err(error(StatusCode::BAD_REQUEST, Some("resource_missing"), None, message.into()));
        }
        if price["recurring"].is_null() {
            let message = format!("The price specified ({price_id}) is not a recurring price; subscriptions need one.");
            return Err(invalid("items[0][price]", message));
        }
        if price["currency"] != stored.session["currency"] {
            let message = format!("The price specified ({price_id}) has a different currency than the subscription.");
            return Err(invalid("items[0][price]", message));
        }
        if price["recurring"]["interval"] != payment.price["recurring"]["interval"] {
            let message = "The stand-in does not model a change of billing interval (Stripe resets the billing cycle anchor then).";
            return Err(invalid("items[0][price]", message));
        }
        if payment.price["id"] == price_id {
            // Nothing changes: no proration, no event.
            return subscription_object(stored, &payment.subscription_status.clone(), false).map_err(internal);
        }
        let lines = prorations(stored, &price);
        let payment = stored.payment.as_ref().ok_or_else(|| invalid("id", "no payment"))?;
        let amount: i64 = lines.iter().filter_map(|l| l["amount"].as_i64()).sum();
        let charge_now = proration == "always_invoice";
        if charge_now && amount > 0 && payment.declines && behavior == "error_if_incomplete" {
            let body = json!({"error": {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
                "message": "Your card was declined. The subscription was not updated (payment_behavior=error_if_incomplete)."}});
            return Err((StatusCode::PAYMENT_REQUIRED, body));
        }
        let before = subscription_object(stored, &payment.subscription_status.clone(), false).map_err(internal)?;
        let payment = stored.payment.as_mut().ok_or_else(|| invalid("id", "no payment"))?;
        payment.price = price;
        let mut emitted = Vec::new();
        match proration {
            "create_prorations" => payment.pending_lines.extend(lines),
            "always_invoice" => emitted.extend(invoice_now(stored, lines, amount)),
            _ => {}
        }
        let status = stored.payment.as_ref().map_or_else(String::new, |p| p.subscription_status.clone());
        let after = subscription_object(stored, &status, false).map_err(internal)?;
        let previous = json!({"items": before["items"], "plan": before["items"]["data"][0]["plan"], "latest_invoice": before["latest_invoice"]});
        let mut events = vec![event("customer.subscription.updated", after.clone(), Some(previous))];
        events.extend(emitted.clone());
        for e in &events {
            self.log_event(e);
        }
        let mut answer = after;
        let expand = form["expand"].as_array().cloned().unwrap_or_default();
        if expand.iter().any(|e| e == "latest_invoice") {
            if let Some(invoice) = emitted.first() {
                answer["latest_invoice"] = invoice["data"]["object"].clone();
            }
        }
        Ok(answer)
    }
}

fn internal(e: anyhow::Error) -> ApiError {
    error(StatusCode::INTERNAL_SERVER_ERROR, None, None, e.to_string())
}

/// The proration lines of a change to `price` now (the test clock's time): the unused time on
/// the old price credited, the remaining time on the new one charged. Nothing during a trial.
fn prorations(stored: &Stored, price: &Value) -> Vec<Value> {
    let Some(payment) = &stored.payment else { return Vec::new() };
    let (start, end) = current_period(stored, payment);
    let at = payment.clock.clamp(start, end);
    if payment.subscription_status == "trialing" || end <= start || at >= end {
        return Vec::new();
    }
    let part = |unit: i64| ((unit * quantity(stored)) as f64 * (end - at) as f64 / (end - start) as f64).round() as i64;
    let old = plan_amount(stored);
    let new = part(int(&price["unit_amount"]).unwrap_or(0));
    let unused = -((old as f64) * (end - at) as f64 / (end - start) as f64).round() as i64;
    let line = |amount: i64, description: String, price: &Value| {
        objects::line(&LineShape {
            invoice: "",
            amount,
            currency: &stored.session["currency"],
            description: &description,
            period: (at, end),
            price,
            item: &payment.item,
            subscription: &stored.session["subscription"],
            proration: true,
        })
    };
    vec![
        line(unused, "Unused time on the previous price".into(), &payment.price),
        line(new, "Remaining time on the new price".into(), price),
    ]
}

/// `always_invoice`: an invoice of `lines` now, charged at once (a credit is left on the
/// customer's balance: nothing is due). Returns `invoice.paid` and `invoice.payment_succeeded`,
/// or `invoice.payment_failed` when the card is declined.
fn invoice_now(stored: &mut Stored, mut lines: Vec<Value>, amount: i64) -> Vec<Value> {
    let Some(payment) = stored.payment.as_mut() else { return Vec::new() };
    let id = random_id("in_", 24);
    for line in &mut lines {
        line["invoice"] = id.clone().into();
    }
    let due = amount.max(0);
    let paid = due == 0 || !payment.declines;
    if paid && due > 0 {
        payment.renewals.push(InvoiceCharge {
            invoice: id.clone(),
            payment_intent: random_id("pi_", 24),
            charge: random_id("ch_", 24),
            amount: due,
            refunded: 0,
            disputed: false,
            created: now(),
        });
    }
    if !paid {
        payment.subscription_status = "past_due".into();
    }
    payment.latest_invoice = Some(id.clone());
    let period = (payment.clock, payment.clock);
    let mut invoice = objects::invoice(&InvoiceShape {
        id: &id,
        subscription: &stored.session["subscription"],
        subscription_metadata: metadata(&stored.form["subscription_data"]["metadata"]),
        customer: &stored.session["customer"],
        amount: due,
        paid,
        billing_reason: "subscription_update",
        currency: &stored.session["currency"],
        period,
        attempts: 1,
        lines,
    });
    invoice["subtotal"] = amount.into();
    invoice["total"] = amount.into();
    if paid {
        vec![event("invoice.paid", invoice.clone(), None), event("invoice.payment_succeeded", invoice, None)]
    } else {
        vec![event("invoice.payment_failed", invoice, None)]
    }
}
