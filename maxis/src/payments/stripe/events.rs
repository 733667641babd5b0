//! `GET /v1/events`: the account's events, for a shop that catches up with what it missed. Each
//! event is kept as the JSON Stripe sent, so that it goes through the same parser as a webhook.

use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_types::List;

use super::{to_payment_error, StripePayments};
use crate::payments::{EventPage, PaymentError, ProviderEvent};

/// Events per page (Stripe's maximum).
const PAGE: u8 = 100;

#[derive(serde::Serialize)]
struct Created {
    gt: i64,
}

#[derive(serde::Serialize)]
struct Query<'a> {
    created: Created,
    limit: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    starting_after: Option<&'a str>,
}

impl StripePayments {
    /// One page of events created after `created_after`, newest first.
    pub(super) async fn list_events(
        &self,
        created_after: i64,
        starting_after: Option<String>,
    ) -> Result<EventPage, PaymentError> {
        let query =
            Query { created: Created { gt: created_after }, limit: PAGE, starting_after: starting_after.as_deref() };
        let list: List<miniserde::json::Value> = RequestBuilder::new(StripeMethod::Get, "/events")
            .query(&query)
            .customize()
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("list events", e))?;
        let mut events = Vec::with_capacity(list.data.len());
        for value in list.data {
            let miniserde::json::Value::Object(fields) = &value else {
                return Err(PaymentError::Unavailable("list events: an event is not an object".into()));
            };
            let id = match fields.get("id") {
                Some(miniserde::json::Value::String(id)) => id.clone(),
                _ => return Err(PaymentError::Unavailable("list events: an event has no id".into())),
            };
            let created = match fields.get("created") {
                Some(miniserde::json::Value::Number(n)) => number(n),
                _ => return Err(PaymentError::Unavailable(format!("list events: event {id} has no created"))),
            };
            events.push(ProviderEvent { id, created, payload: miniserde::json::to_string(&value) });
        }
        Ok(EventPage { events, has_more: list.has_more })
    }
}

fn number(n: &miniserde::json::Number) -> i64 {
    match *n {
        miniserde::json::Number::I64(i) => i,
        miniserde::json::Number::U64(u) => i64::try_from(u).unwrap_or(i64::MAX),
        miniserde::json::Number::F64(f) => f as i64,
    }
}
