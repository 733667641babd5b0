//! A stand-in for the Stripe API, for tests: the real async-stripe client is pointed at it
//! (`ClientBuilder::url(stand_in.base_url())`) instead of api.stripe.com.
//!
//! It serves the Checkout Session endpoints the shop uses (create, retrieve, expire) and refund
//! creation (`POST /v1/refunds` on a paid session's payment intent), checks the API key, parses
//! Stripe's nested form bodies, honours `Idempotency-Key`, answers errors in Stripe's shape and
//! records every request. Test-side actions ([`StripeStandIn::complete`],
//! [`StripeStandIn::refund`]…) change a session the way Stripe would and return the
//! Stripe event, which [`deliver`] posts to a webhook endpoint signed as Stripe signs; for a
//! refund created through the API, [`StripeStandIn::refund_event_for`] gives the event Stripe
//! sent then. Both kinds of refund add up on the same charge.
//!
//! Like Stripe, the session's `metadata` is not copied onto charges or subscriptions: those carry
//! `payment_intent_data[metadata]` and `subscription_data[metadata]` from the create request.
//!
//! It is as strict as Stripe where the shop could get it wrong: `expires_at` must lie between
//! 30 minutes and 24 hours after the session's `created`, which is the moment the stand-in
//! receives the request (after any latency added by [`StripeStandIn::set_latency`]), with no
//! slack; `shipping_address_collection[allowed_countries]` must list countries Stripe ships to
//! ([`SHIPPING_COUNTRIES`]). [`StripeStandIn::fail_with`] makes it answer as Stripe does when it
//! fails on its side.

mod answers;
mod billing;
mod clock;
mod event_log;
mod events;
mod form;
mod objects;
mod periods;
mod prices;
mod schedules;
mod sessions;
mod shipping;
mod webhook;

use answers::{error, int, invalid, missing, respond};
pub use event_log::EVENT_WINDOW_SECS;
pub use form::parse_form;

pub use shipping::SHIPPING_COUNTRIES;

pub use webhook::{deliver, deliver_with, sign};

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

/// The API version stamped on events: the one async-stripe 1.0.0-rc.10 is generated from.
pub const API_VERSION: &str = "2026-09-30.endive";

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`…
    pub method: String,
    /// The path, e.g. `/v1/checkout/sessions`.
    pub path: String,
    /// Headers, names in lowercase.
    pub headers: Vec<(String, String)>,
    /// The form body (the query string for a GET), parsed by [`parse_form`].
    pub form: Value,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A Stripe API stand-in on a loopback port, stopped on drop.
pub struct StripeStandIn {
    state: Arc<Mutex<Inner>>,
    base_url: String,
    task: JoinHandle<()>,
}

/// A session and what Stripe keeps next to it.
struct Stored {
    session: Value,
    /// The create request's form.
    form: Value,
    /// Set by `complete`.
    payment: Option<Payment>,
}

struct Payment {
    /// The session's payment (payment mode), or its first invoice's (subscription mode).
    payment_intent: String,
    charge: String,
    refunded: i64,
    disputed: bool,
    /// The customer (`cus_…`): the one the session was created for, or one made at completion.
    customer: Option<String>,
    /// Renewal invoices paid after the first: each with its own payment intent and charge.
    renewals: Vec<InvoiceCharge>,
    /// Invoices so far, and the latest one.
    invoices: u32,
    invoice: String,
    /// Payment attempts of the latest invoice, and whether it is paid.
    attempts: u32,
    latest_paid: bool,
    /// The subscription item.
    item: String,
    subscription_status: String,
    created: i64,
    /// The subscription's test clock: its frozen time (see [`StripeStandIn::advance_clock`]).
    clock: i64,
    /// The end of its trial, if it started with one.
    trial_end: Option<i64>,
    /// `customer.subscription.trial_will_end` was sent.
    trial_warned: bool,
    /// Renewals are declined (the card fails).
    declines: bool,
    /// The subscription ends at the end of the current period.
    cancel_at_period_end: bool,
    /// `cancellation_details[feedback]` of the cancellation.
    feedback: Option<String>,
    /// The item's price now (a Price object; created from the session's `price_data`).
    price: Value,
    /// Proration lines waiting for the next invoice (`proration_behavior=create_prorations`).
    pending_lines: Vec<Value>,
    /// An invoice issued after the latest period's (a proration invoice), if any.
    latest_invoice: Option<String>,
    /// The subscription schedule attached to it (kept once released, for its id).
    schedule: Option<schedules::Schedule>,
}

/// A paid renewal invoice and its charge.
#[derive(Debug, Clone)]
struct InvoiceCharge {
    invoice: String,
    payment_intent: String,
    charge: String,
    amount: i64,
    refunded: i64,
    disputed: bool,
    created: i64,
}

struct Inner {
    api_key: String,
    /// Customers created through `POST /v1/customers`, by id.
    customers: HashMap<String, Value>,
    /// Prices created through `POST /v1/prices`, by id.
    prices: HashMap<String, Value>,
    base_url: String,
    sessions: Vec<Stored>,
    /// Every event emitted, oldest first (`GET /v1/events`).
    events: Vec<Value>,
    /// Refunds created through the API: refund id → the `charge.refunded` event of that moment.
    refund_events: HashMap<String, Value>,
    /// Idempotency key → (path, form, response) of a successful POST.
    replays: HashMap<String, (String, Value, Value)>,
    requests: Vec<RecordedRequest>,
    /// Added before each request is received (the network between the shop and Stripe).
    latency: Duration,
    /// While set, every API request is answered with this HTTP status and Stripe's `api_error`.
    failure: Option<u16>,
}

/// A Stripe error response.
type ApiError = (StatusCode, Value);

impl StripeStandIn {
    /// Starts the stand-in on a free loopback port; requests must carry `Bearer <api_key>`.
    pub async fn start(api_key: &str) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}/", listener.local_addr()?);
        let state = Arc::new(Mutex::new(Inner {
            api_key: api_key.to_owned(),
            base_url: base_url.clone(),
            sessions: Vec::new(),
            events: Vec::new(),
            customers: HashMap::new(),
            prices: HashMap::new(),
            refund_events: HashMap::new(),
            replays: HashMap::new(),
            requests: Vec::new(),
            latency: Duration::ZERO,
            failure: None,
        }));
        let app = axum::Router::new().fallback(handle).with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { state, base_url, task })
    }

    /// The base URL for the client, `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Every session created so far, oldest first, as Stripe would return them.
    pub fn sessions(&self) -> Vec<Value> {
        self.lock().sessions.iter().map(|s| s.session.clone()).collect()
    }

    /// Session `id`, if it exists.
    pub fn session(&self, id: &str) -> Option<Value> {
        self.lock().sessions.iter().find(|s| s.session["id"] == id).map(|s| s.session.clone())
    }

    /// Delays every request by `latency` before the stand-in receives it, as a slow network
    /// would: timestamps such as a session's `created` are taken after the delay.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// While `Some(status)`, answers every API request with that HTTP status and Stripe's own
    /// failure body (`api_error`, "An unknown error occurred"), as during a Stripe incident.
    pub fn fail_with(&self, status: Option<u16>) {
        self.lock().failure = status;
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for StripeStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    State(state): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let latency = state.lock().unwrap_or_else(|e| e.into_inner()).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let form = parse_form(if method == Method::GET { uri.query().unwrap_or("") } else { &body });
    let path = uri.path().to_owned();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut inner = state.lock().unwrap_or_else(|e| e.into_inner());
    inner.requests.push(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        form: form.clone(),
    });
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let (&Method::GET, ["pay", id]) = (&method, segments.as_slice()) {
        return format!("Stripe stand-in: payment page of {id}").into_response();
    }
    if let (&Method::GET, ["portal", id]) = (&method, segments.as_slice()) {
        return format!("Stripe stand-in: Billing Portal session {id}").into_response();
    }
    if header("authorization").as_deref() != Some(&format!("Bearer {}", inner.api_key)) {
        let message = "Invalid API Key provided: the stand-in expects `Authorization: Bearer <its key>`.";
        return respond(Err(error(StatusCode::UNAUTHORIZED, None, None, message.into())), false);
    }
    if let Some(status) = inner.failure.and_then(|s| StatusCode::from_u16(s).ok()) {
        let body = json!({"error": {"type": "api_error", "message": "An unknown error occurred"}});
        return respond(Err((status, body)), false);
    }
    let key = header("idempotency-key").filter(|_| method == Method::POST);
    if let Some((p, f, response)) = key.as_ref().and_then(|k| inner.replays.get(k)) {
        if *p == path && *f == form {
            return respond(Ok(response.clone()), true);
        }
        let message = format!(
            "Keys for idempotent requests can only be used with the same parameters they were first used with. \
             Try using a key other than '{}' if you meant to execute a different request.",
            key.unwrap_or_default()
        );
        let (status, mut body) = error(StatusCode::BAD_REQUEST, None, None, message);
        body["error"]["type"] = "idempotency_error".into();
        return respond(Err((status, body)), false);
    }
    let result = match (&method, segments.as_slice()) {
        (&Method::POST, ["v1", "checkout", "sessions"]) => inner.create(&form),
        (&Method::GET, ["v1", "checkout", "sessions", id]) => inner.find(id).map(|s| s.session.clone()),
        (&Method::POST, ["v1", "checkout", "sessions", id, "expire"]) => inner.expire_open(id),
        (&Method::POST, ["v1", "refunds"]) => inner.create_refund(&form),
        (&Method::POST, ["v1", "customers"]) => Ok(inner.create_customer(&form)),
        (&Method::GET, ["v1", "customers", id]) => inner.customer(id),
        (&Method::GET, ["v1", "invoice_payments"]) => inner.invoice_payments(&form),
        (&Method::GET, ["v1", "events"]) => inner.list_events(&form),
        (&Method::GET, ["v1", "subscriptions", id]) => inner.get_subscription(id),
        (&Method::POST, ["v1", "subscriptions", id]) => inner.update_subscription(id, &form),
        (&Method::POST, ["v1", "billing_portal", "sessions"]) => inner.portal_session(&form),
        (&Method::POST, ["v1", "prices"]) => inner.create_price(&form),
        (&Method::GET, ["v1", "prices", id]) => inner.price(id),
        (&Method::POST, ["v1", "subscription_schedules"]) => inner.create_schedule(&form),
        (&Method::GET, ["v1", "subscription_schedules", id]) => inner.get_schedule(id),
        (&Method::POST, ["v1", "subscription_schedules", id]) => inner.update_schedule(id, &form),
        (&Method::POST, ["v1", "subscription_schedules", id, "release"]) => inner.release_schedule(id),
        _ => Err(error(StatusCode::NOT_FOUND, None, None, format!("Unrecognized request URL ({method}: {path})."))),
    };
    if let (Some(key), Ok(response)) = (key, &result) {
        inner.replays.insert(key, (path, form, response.clone()));
    }
    respond(result, false)
}

impl Inner {
    fn find(&mut self, id: &str) -> Result<&mut Stored, ApiError> {
        let message = format!("No such checkout.session: '{id}'");
        let param = Some("session");
        self.sessions
            .iter_mut()
            .find(|s| s.session["id"] == id)
            .ok_or_else(|| error(StatusCode::NOT_FOUND, Some("resource_missing"), param, message))
    }

    fn expire_open(&mut self, id: &str) -> Result<Value, ApiError> {
        let stored = self.find(id)?;
        if stored.session["status"] != "open" {
            let message = format!(
                "This Checkout Session is {} and cannot be expired: only open sessions can.",
                stored.session["status"]
            );
            return Err(error(StatusCode::BAD_REQUEST, Some("checkout_session_not_open"), None, message));
        }
        stored.session["status"] = "expired".into();
        Ok(stored.session.clone())
    }

    /// `POST /v1/refunds` of a paid session's `payment_intent`, validated as Stripe would:
    /// `amount` defaults to what remains of the charge and may not exceed it. Adds to the charge's
    /// refunded total and keeps the `charge.refunded` event for
    /// [`StripeStandIn::refund_event_for`].
    fn create_refund(&mut self, form: &Value) -> Result<Value, ApiError> {
        let intent = form["payment_intent"].as_str().ok_or_else(|| missing("payment_intent"))?;
        let no_such =
            |message: String| error(StatusCode::BAD_REQUEST, Some("resource_missing"), Some("payment_intent"), message);
        let found = self.sessions.iter_mut().find_map(|Stored { session, form, payment }| match payment {
            Some(payment) if payment.payment_intent == intent => Some((&*session, &*form, payment)),
            _ => None,
        });
        let (session, created_with, payment) =
            found.ok_or_else(|| no_such(format!("No such payment_intent: '{intent}'")))?;
        if session["payment_status"] != "paid" {
            return Err(no_such(format!("This PaymentIntent ({intent}) does not have a successful charge to refund.")));
        }
        let charge = payment.charge.clone();
        if payment.disputed {
            let message = format!("Charge {charge} has been charged back; it cannot be refunded.");
            return Err(error(StatusCode::BAD_REQUEST, Some("charge_disputed"), None, message));
        }
        let remaining = session["amount_total"].as_i64().unwrap_or(0) - payment.refunded;
        if remaining <= 0 {
            let message = format!("Charge {charge} has already been refunded.");
            return Err(error(StatusCode::BAD_REQUEST, Some("charge_already_refunded"), None, message));
        }
        let amount = match &form["amount"] {
            Value::Null => remaining,
            value => int(value).filter(|a| *a > 0).ok_or_else(|| {
                let message = "Invalid integer: the refund amount must be a positive integer.".to_owned();
                error(StatusCode::BAD_REQUEST, Some("parameter_invalid_integer"), Some("amount"), message)
            })?,
        };
        if amount > remaining {
            let message =
                format!("Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining}).");
            return Err(error(StatusCode::BAD_REQUEST, Some("amount_too_large"), Some("amount"), message));
        }
        let reasons = ["duplicate", "fraudulent", "requested_by_customer"];
        if let Some(reason) = form["reason"].as_str().filter(|r| !reasons.contains(r)) {
            let message =
                format!("Invalid reason: {reason}. Must be one of duplicate, fraudulent, or requested_by_customer.");
            return Err(invalid("reason", message));
        }
        let before = payment.refunded;
        payment.refunded += amount;
        let id = random_id("re_", 24);
        let refund = json!({
            "id": id, "object": "refund", "amount": amount, "balance_transaction": null, "charge": charge,
            "created": now(), "currency": session["currency"], "destination_details": null,
            "metadata": form.get("metadata").filter(|m| m.is_object()).cloned().unwrap_or_else(|| json!({})),
            "payment_intent": intent, "reason": form["reason"], "receipt_number": null,
            "source_transfer_reversal": null, "status": "succeeded", "transfer_reversal": null,
        });
        let event = events::refunded(session, created_with, payment, before);
        self.events.push(event.clone());
        self.refund_events.insert(id, event);
        Ok(refund)
    }
}

/// Unix time now.
fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `prefix` and `len` random alphanumerics, as in Stripe ids (`cs_test_a1B2…`).
fn random_id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut id = String::from(prefix);
    while id.len() < prefix.len() + len {
        // Each RandomState has fresh keys: its hash of a constant is a random u64.
        let mut seed = RandomState::new().hash_one(0u8);
        for _ in 0..10.min(prefix.len() + len - id.len()) {
            id.push(ALPHABET[(seed % 62) as usize] as char);
            seed /= 62;
        }
    }
    id
}

#[cfg(test)]
mod clock_tests;
#[cfg(test)]
mod event_log_tests;
#[cfg(test)]
mod plans_tests;
#[cfg(test)]
mod shapes_tests;
#[cfg(test)]
mod tests;
