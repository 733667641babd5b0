//! Plan switches at Stripe: a recurring Price per plan (`POST /v1/prices` with `product_data`),
//! an upgrade now (`POST /v1/subscriptions/{id}` with `items[0][id]`, `items[0][price]`,
//! `proration_behavior=always_invoice`, `payment_behavior=error_if_incomplete` and the proration
//! invoice expanded), and a change at the end of the period through a subscription schedule
//! (`from_subscription`, then its two phases; `…/release` drops it), as Stripe's "Change prices"
//! and "Subscription schedules" guides do it. Each request carries an idempotency key.

use stripe::{IdempotencyKey, RequestStrategy};
use stripe_client_core::{RequestBuilder, StripeMethod};

use super::subscriptions::info;
use super::{to_payment_error, StripePayments};
use crate::payments::{Interval, PaymentError, PriceChange, PriceChanged, PriceRequest, ScheduledChange};

#[derive(serde::Serialize)]
struct ProductData<'a> {
    name: &'a str,
}

#[derive(serde::Serialize)]
struct Recurring {
    interval: &'static str,
}

#[derive(serde::Serialize)]
struct NewPrice<'a> {
    currency: &'a str,
    unit_amount: i64,
    recurring: Recurring,
    product_data: ProductData<'a>,
}

#[derive(serde::Serialize)]
struct Item<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    price: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quantity: Option<u64>,
}

#[derive(serde::Serialize)]
struct ChangeNow<'a> {
    items: Vec<Item<'a>>,
    proration_behavior: &'static str,
    payment_behavior: &'static str,
    expand: Vec<&'static str>,
}

#[derive(serde::Serialize)]
struct FromSubscription<'a> {
    from_subscription: &'a str,
}

#[derive(serde::Serialize)]
struct Duration {
    interval: &'static str,
    interval_count: u32,
}

#[derive(serde::Serialize)]
struct Phase<'a> {
    items: Vec<Item<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<Duration>,
}

#[derive(serde::Serialize)]
struct Phases<'a> {
    end_behavior: &'static str,
    proration_behavior: &'static str,
    phases: Vec<Phase<'a>>,
}

/// The part of a created object the shop reads.
#[derive(miniserde::Deserialize)]
struct Created {
    id: String,
}

fn key(key: &str) -> Result<RequestStrategy, PaymentError> {
    let key = IdempotencyKey::new(key).map_err(|e| PaymentError::Refused(format!("idempotency key: {e}")))?;
    Ok(RequestStrategy::Idempotent(key))
}

fn interval(i: Interval) -> &'static str {
    match i {
        Interval::Month => "month",
        Interval::Year => "year",
    }
}

impl StripePayments {
    pub(super) async fn post_price(&self, request: PriceRequest) -> Result<String, PaymentError> {
        let form = NewPrice {
            currency: &request.currency,
            unit_amount: request.unit_amount,
            recurring: Recurring { interval: interval(request.interval) },
            product_data: ProductData { name: &request.name },
        };
        let price: Created = RequestBuilder::new(StripeMethod::Post, "/prices")
            .form(&form)
            .customize()
            .request_strategy(key(&request.idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("create price", e))?;
        Ok(price.id)
    }

    pub(super) async fn post_price_change(&self, change: PriceChange) -> Result<PriceChanged, PaymentError> {
        let form = ChangeNow {
            items: vec![Item { id: Some(&change.item), price: &change.price, quantity: None }],
            proration_behavior: "always_invoice",
            payment_behavior: "error_if_incomplete",
            expand: vec!["latest_invoice"],
        };
        let sub: stripe_shared::Subscription =
            RequestBuilder::new(StripeMethod::Post, format!("/subscriptions/{}", change.subscription))
                .form(&form)
                .customize()
                .request_strategy(key(&change.idempotency_key)?)
                .send(&self.client)
                .await
                .map_err(|e| to_payment_error("change subscription price", e))?;
        let invoice = match &sub.latest_invoice {
            Some(stripe_types::Expandable::Object(invoice)) => Some((**invoice).clone()),
            _ => None,
        };
        let is_update = invoice
            .as_ref()
            .and_then(|i| i.billing_reason.as_ref())
            .is_some_and(|r| r.as_str() == "subscription_update");
        let invoice = invoice.filter(|_| is_update);
        Ok(PriceChanged {
            invoice: invoice.as_ref().and_then(|i| i.id.as_ref()).map(|i| i.to_string()),
            prorated: invoice.as_ref().map_or(0, |i| i.total),
            amount_paid: invoice.as_ref().map_or(0, |i| i.amount_paid),
            subscription: info(sub),
        })
    }

    pub(super) async fn post_schedule(&self, change: ScheduledChange) -> Result<String, PaymentError> {
        let schedule: Created = RequestBuilder::new(StripeMethod::Post, "/subscription_schedules")
            .form(&FromSubscription { from_subscription: &change.subscription })
            .customize()
            .request_strategy(key(&format!("{}:create", change.idempotency_key))?)
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("create subscription schedule", e))?;
        let form = Phases {
            end_behavior: "release",
            proration_behavior: "none",
            phases: vec![
                Phase {
                    items: vec![Item { id: None, price: &change.current_price, quantity: Some(1) }],
                    start_date: Some(change.period_start),
                    end_date: Some(change.period_end),
                    duration: None,
                },
                Phase {
                    items: vec![Item { id: None, price: &change.new_price, quantity: Some(1) }],
                    start_date: None,
                    end_date: None,
                    duration: Some(Duration { interval: interval(change.interval), interval_count: 1 }),
                },
            ],
        };
        let _: Created = RequestBuilder::new(StripeMethod::Post, format!("/subscription_schedules/{}", schedule.id))
            .form(&form)
            .customize()
            .request_strategy(key(&format!("{}:phases", change.idempotency_key))?)
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("schedule the price change", e))?;
        Ok(schedule.id)
    }

    pub(super) async fn post_release(&self, schedule: String, idempotency_key: String) -> Result<(), PaymentError> {
        let _: Created = RequestBuilder::new(StripeMethod::Post, format!("/subscription_schedules/{schedule}/release"))
            .customize()
            .request_strategy(key(&idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("release subscription schedule", e))?;
        Ok(())
    }
}
