//! Subscriptions and the Billing Portal: `GET`/`POST /v1/subscriptions/{id}` and
//! `POST /v1/billing_portal/sessions`. Their typed requests live in async-stripe's heavy billing
//! crate, so the generic request builder sends them; subscriptions parse as the shared type.

use stripe_client_core::{RequestBuilder, StripeMethod};

use super::{to_payment_error, StripePayments};
use crate::payments::{CancelFeedback, PaymentError, SubscriptionInfo};

#[derive(serde::Serialize)]
struct Feedback {
    feedback: &'static str,
}

#[derive(serde::Serialize)]
struct Cancel {
    cancel_at_period_end: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancellation_details: Option<Feedback>,
}

#[derive(serde::Serialize)]
struct Portal<'a> {
    customer: &'a str,
    return_url: &'a str,
}

/// The part of a Billing Portal session the shop reads.
#[derive(miniserde::Deserialize)]
struct PortalSession {
    url: String,
}

pub(super) fn info(sub: stripe_shared::Subscription) -> SubscriptionInfo {
    let item = sub.items.data.first();
    let amount = item.map_or(0, |i| i.price.unit_amount.unwrap_or(0) * i.quantity.unwrap_or(1) as i64);
    SubscriptionInfo {
        id: sub.id.to_string(),
        status: sub.status.as_str().to_owned(),
        cancel_at_period_end: sub.cancel_at_period_end,
        current_period_end: item.map_or(0, |i| i.current_period_end),
        trial_end: sub.trial_end,
        amount,
        currency: sub.currency.to_string(),
        item: item.map(|i| i.id.to_string()).unwrap_or_default(),
        price: item.map(|i| i.price.id.to_string()).unwrap_or_default(),
        current_period_start: item.map_or(0, |i| i.current_period_start),
        schedule: sub.schedule.as_ref().map(|s| s.id().to_string()),
    }
}

impl StripePayments {
    pub(super) async fn get_subscription(&self, id: String) -> Result<SubscriptionInfo, PaymentError> {
        let sub: stripe_shared::Subscription = RequestBuilder::new(StripeMethod::Get, format!("/subscriptions/{id}"))
            .customize()
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("retrieve subscription", e))?;
        Ok(info(sub))
    }

    pub(super) async fn set_cancel_at_period_end(
        &self,
        id: String,
        cancel: bool,
        feedback: Option<CancelFeedback>,
    ) -> Result<SubscriptionInfo, PaymentError> {
        let form = Cancel {
            cancel_at_period_end: cancel,
            cancellation_details: feedback.map(|f| Feedback { feedback: f.as_str() }),
        };
        let sub: stripe_shared::Subscription = RequestBuilder::new(StripeMethod::Post, format!("/subscriptions/{id}"))
            .form(&form)
            .customize()
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("update subscription", e))?;
        Ok(info(sub))
    }

    pub(super) async fn create_portal_session(
        &self,
        customer: String,
        return_url: String,
    ) -> Result<String, PaymentError> {
        let session: PortalSession = RequestBuilder::new(StripeMethod::Post, "/billing_portal/sessions")
            .form(&Portal { customer: &customer, return_url: &return_url })
            .customize()
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("create billing portal session", e))?;
        Ok(session.url)
    }
}
