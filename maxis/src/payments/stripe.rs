//! The Stripe adapter of the payment port: Checkout Sessions and Refunds through async-stripe 1.0.
//!
//! Each [`Line`] is priced inline (`price_data`), so no Product or Price has to exist in Stripe.
//! Creations (sessions, refunds) are sent once with the request's `Idempotency-Key`: retrying
//! with the same key returns the same object. Nothing is retried here; the caller retries
//! [`PaymentError::Unavailable`] failures.
//!
//! TLS is rustls with the `ring` provider, the only one compiled into this workspace, so rustls
//! picks it as the process default on its own (should another crate ever enable rustls'
//! `aws-lc-rs` too, install a default provider before [`StripePayments::new`], which would
//! otherwise panic inside async-stripe). The base URL can point at a local stand-in (plain
//! `http` works).

use std::collections::HashMap;
use std::time::Duration;

use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionLineItemsPriceDataRecurring, CreateCheckoutSessionLineItemsPriceDataRecurringInterval,
    CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionShippingAddressCollection,
    CreateCheckoutSessionShippingAddressCollectionAllowedCountries, CreateCheckoutSessionSubscriptionData,
    ExpireCheckoutSession, ProductData,
};
use stripe_checkout::CheckoutSessionMode;
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_core::customer::CreateCustomer;
use stripe_core::refund::{CreateRefund, CreateRefundReason};
use stripe_types::{Currency, List};

mod events;
mod plans;
mod subscriptions;

use super::{
    BoxFuture, CancelFeedback, CustomerRequest, EventPage, Interval, InvoicePayment, Line, Mode, PaymentError,
    Payments, PriceChange, PriceChanged, PriceRequest, RefundInfo, RefundRequest, ScheduledChange, Session,
    SessionRequest, SubscriptionInfo,
};

/// How long one HTTP attempt may take before it counts as [`PaymentError::Unavailable`].
const TIMEOUT: Duration = Duration::from_secs(30);

/// The [`Payments`] port backed by the Stripe API.
#[derive(Debug, Clone)]
pub struct StripePayments {
    client: Client,
}

impl StripePayments {
    /// A client authenticated with `secret_key` (`sk_…`), talking to `base_url`
    /// (default `https://api.stripe.com/`; requests go to `{base_url}v1/…`).
    ///
    /// # Errors
    /// The key is not a valid header value or the URL is invalid.
    pub fn new(secret_key: &str, base_url: Option<&str>) -> anyhow::Result<Self> {
        let mut builder = ClientBuilder::new(secret_key).timeout(TIMEOUT);
        if let Some(url) = base_url {
            // async-stripe appends `v1/…` to the base as is: make sure it ends with a slash.
            let url = if url.ends_with('/') { url.to_owned() } else { format!("{url}/") };
            builder = builder.url(url);
        }
        let client = builder.build().map_err(|e| anyhow::anyhow!("Stripe client: {e}"))?;
        Ok(Self { client })
    }

    async fn create(&self, request: SessionRequest) -> Result<Session, PaymentError> {
        let key = IdempotencyKey::new(&request.idempotency_key)
            .map_err(|e| PaymentError::Refused(format!("idempotency key: {e}")))?;
        let mode = match request.mode {
            Mode::Payment => CheckoutSessionMode::Payment,
            Mode::Subscription => CheckoutSessionMode::Subscription,
        };
        let metadata: HashMap<String, String> = request.metadata.into_iter().collect();
        let mut create = CreateCheckoutSession::new();
        // Stripe refuses `payment_intent_data` in subscription mode and `subscription_data` in
        // payment mode: each mode names its buyer on the object it creates.
        match request.mode {
            Mode::Payment => {
                let mut data = CreateCheckoutSessionPaymentIntentData::new();
                data.metadata = Some(metadata.clone());
                create = create.payment_intent_data(data);
            }
            Mode::Subscription => {
                let mut data = CreateCheckoutSessionSubscriptionData::new();
                data.metadata = Some(metadata.clone());
                data.trial_period_days = request.trial_days;
                create = create.subscription_data(data);
            }
        }
        if let Some(customer) = &request.customer {
            create = create.customer(customer.as_str());
        }
        create = create
            .mode(mode)
            .line_items(request.lines.iter().map(line_item).collect::<Vec<_>>())
            .client_reference_id(request.client_reference_id.as_str())
            .success_url(request.success_url)
            .cancel_url(request.cancel_url)
            .expires_at(request.expires_at)
            .metadata(metadata);
        if !request.shipping_countries.is_empty() {
            create = create.shipping_address_collection(shipping(&request.shipping_countries));
        }
        let session = create
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("create checkout session", e))?;
        let url = session.url.ok_or_else(|| PaymentError::Refused(format!("session {} has no url", session.id)))?;
        tracing::info!(session = %session.id, checkout = %request.client_reference_id, "Stripe session created");
        Ok(Session { id: session.id.to_string(), url, expires_at: session.expires_at })
    }

    /// Stripe refuses (HTTP 400) to expire a session that is no longer open: that is `Refused`.
    async fn expire(&self, id: String) -> Result<(), PaymentError> {
        ExpireCheckoutSession::new(id.as_str())
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("expire checkout session", e))?;
        tracing::info!(session = %id, "Stripe session expired");
        Ok(())
    }

    /// `POST /v1/refunds` on the payment intent; Stripe refuses (HTTP 400) an unknown payment
    /// intent or an amount above what remains: that is `Refused`.
    async fn create_refund(&self, request: RefundRequest) -> Result<RefundInfo, PaymentError> {
        let key = IdempotencyKey::new(&request.idempotency_key)
            .map_err(|e| PaymentError::Refused(format!("idempotency key: {e}")))?;
        let mut create = CreateRefund::new().payment_intent(request.payment_intent.as_str());
        if let Some(amount) = request.amount {
            create = create.amount(amount);
        }
        if let Some(reason) = &request.reason {
            let reason: CreateRefundReason = match reason.parse() {
                Ok(reason) => reason,
                Err(never) => match never {},
            };
            create = create.reason(reason);
        }
        let refund = create
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("create refund", e))?;
        let status = refund.status.unwrap_or_else(|| "unknown".to_owned());
        let (id, intent) = (refund.id.as_str(), request.payment_intent.as_str());
        tracing::info!(refund = id, payment_intent = intent, amount = refund.amount, %status, "Stripe refund created");
        Ok(RefundInfo { id: id.to_owned(), amount: refund.amount, status })
    }
}

impl StripePayments {
    async fn create_customer(&self, request: CustomerRequest) -> Result<String, PaymentError> {
        let key = IdempotencyKey::new(&request.idempotency_key)
            .map_err(|e| PaymentError::Refused(format!("idempotency key: {e}")))?;
        let metadata: HashMap<String, String> = request.metadata.into_iter().collect();
        let customer = CreateCustomer::new()
            .description(request.description)
            .metadata(metadata)
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("create customer", e))?;
        tracing::info!(customer = %customer.id, "Stripe customer created");
        Ok(customer.id.to_string())
    }

    /// `GET /v1/invoice_payments?invoice=…`: no light async-stripe crate wraps it (it lives in the
    /// heavy billing crate), so the generic request builder sends it and parses the shared type.
    async fn list_invoice_payments(&self, invoice: String) -> Result<Vec<InvoicePayment>, PaymentError> {
        #[derive(serde::Serialize)]
        struct Query<'a> {
            invoice: &'a str,
            limit: u8,
        }
        let list: List<stripe_shared::InvoicePayment> = RequestBuilder::new(StripeMethod::Get, "/invoice_payments")
            .query(&Query { invoice: &invoice, limit: 100 })
            .customize()
            .send(&self.client)
            .await
            .map_err(|e| to_payment_error("list invoice payments", e))?;
        Ok(list
            .data
            .into_iter()
            .filter(|p| p.status == "paid")
            .filter_map(|p| {
                let intent = p.payment.payment_intent?;
                Some(InvoicePayment { payment_intent: intent.id().to_string(), amount: p.amount_paid.unwrap_or(0) })
            })
            .collect())
    }
}

impl Payments for StripePayments {
    fn create_customer(&self, request: CustomerRequest) -> BoxFuture<'_, Result<String, PaymentError>> {
        Box::pin(StripePayments::create_customer(self, request))
    }

    fn invoice_payments(&self, invoice: String) -> BoxFuture<'_, Result<Vec<InvoicePayment>, PaymentError>> {
        Box::pin(self.list_invoice_payments(invoice))
    }

    fn events_since(
        &self,
        created_after: i64,
        starting_after: Option<String>,
    ) -> BoxFuture<'_, Result<EventPage, PaymentError>> {
        Box::pin(self.list_events(created_after, starting_after))
    }

    fn subscription(&self, id: String) -> BoxFuture<'_, Result<SubscriptionInfo, PaymentError>> {
        Box::pin(self.get_subscription(id))
    }

    fn cancel_at_period_end(
        &self,
        id: String,
        cancel: bool,
        feedback: Option<CancelFeedback>,
    ) -> BoxFuture<'_, Result<SubscriptionInfo, PaymentError>> {
        Box::pin(self.set_cancel_at_period_end(id, cancel, feedback))
    }

    fn portal_session(&self, customer: String, return_url: String) -> BoxFuture<'_, Result<String, PaymentError>> {
        Box::pin(self.create_portal_session(customer, return_url))
    }

    fn create_price(&self, request: PriceRequest) -> BoxFuture<'_, Result<String, PaymentError>> {
        Box::pin(self.post_price(request))
    }

    fn change_price_now(&self, change: PriceChange) -> BoxFuture<'_, Result<PriceChanged, PaymentError>> {
        Box::pin(self.post_price_change(change))
    }

    fn schedule_price_change(&self, change: ScheduledChange) -> BoxFuture<'_, Result<String, PaymentError>> {
        Box::pin(self.post_schedule(change))
    }

    fn release_schedule(&self, schedule: String, idempotency_key: String) -> BoxFuture<'_, Result<(), PaymentError>> {
        Box::pin(self.post_release(schedule, idempotency_key))
    }

    fn create_session(&self, request: SessionRequest) -> BoxFuture<'_, Result<Session, PaymentError>> {
        Box::pin(self.create(request))
    }

    fn expire_session(&self, id: String) -> BoxFuture<'_, Result<(), PaymentError>> {
        Box::pin(self.expire(id))
    }

    fn refund(&self, request: RefundRequest) -> BoxFuture<'_, Result<RefundInfo, PaymentError>> {
        Box::pin(self.create_refund(request))
    }
}

/// One `line_items[i]`: inline `price_data` (recurring for a plan) and the quantity.
fn line_item(line: &Line) -> CreateCheckoutSessionLineItems {
    let currency: Currency = match line.currency.parse() {
        Ok(currency) => currency,
        Err(never) => match never {},
    };
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
    price.unit_amount = Some(line.unit_amount);
    price.product_data = Some(ProductData::new(line.name.as_str()));
    price.recurring = line.interval.map(|interval| {
        CreateCheckoutSessionLineItemsPriceDataRecurring::new(match interval {
            Interval::Month => CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Month,
            Interval::Year => CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Year,
        })
    });
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price);
    item.quantity = Some(u64::from(line.quantity));
    item
}

/// `shipping_address_collection[allowed_countries]`: the countries the payment page offers.
fn shipping(countries: &[String]) -> CreateCheckoutSessionShippingAddressCollection {
    let allowed: Vec<CreateCheckoutSessionShippingAddressCollectionAllowedCountries> = countries
        .iter()
        .map(|c| match c.parse() {
            Ok(country) => country,
            Err(never) => match never {},
        })
        .collect();
    CreateCheckoutSessionShippingAddressCollection::new(allowed)
}

/// Stripe's transient statuses (conflict, failed dependency, rate limit, server errors) may be
/// retried; any other API error is a refusal. Transport failures, timeouts and unreadable
/// answers are unavailability.
fn to_payment_error(what: &str, error: StripeError) -> PaymentError {
    let failure = match error {
        StripeError::Stripe(api, status) => {
            let message = api.message.clone().unwrap_or_else(|| format!("{:?}", api.type_));
            let message = format!("{what}: HTTP {status}: {message}");
            if matches!(status, 409 | 424 | 429) || status >= 500 {
                PaymentError::Unavailable(message)
            } else {
                PaymentError::Refused(message)
            }
        }
        StripeError::ConfigError(e) => PaymentError::Refused(format!("{what}: {e}")),
        other => PaymentError::Unavailable(format!("{what}: {other}")),
    };
    tracing::warn!(error = %failure, "Stripe request failed");
    failure
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::Router;

    use super::*;

    /// The smallest CheckoutSession answer async-stripe rc.10 parses: every field is required
    /// (`url` by us, the others by the parser; see `the_canned_session_is_minimal`).
    const SESSION: &str = r#"{"id":"cs_test_1","created":1700000000,"expires_at":1700003600,
        "livemode":false,"mode":"payment","payment_status":"unpaid","payment_method_types":[],
        "shipping_options":[],"custom_fields":[],"custom_text":{},"automatic_tax":{"enabled":false},
        "url":"https://checkout.test/cs_test_1"}"#;

    /// The smallest Refund answer async-stripe rc.10 parses: every field is required by the
    /// parser (see `the_canned_refund_is_minimal`); a missing `status` reads as `unknown`.
    const REFUND: &str = r#"{"id":"re_test_1","amount":500,"created":1700000000,"currency":"eur"}"#;

    /// [`REFUND`] with a `status`, as Stripe always sends one.
    fn refund_with_status(status: &str) -> String {
        REFUND.replace('}', &format!(r#","status":"{status}"}}"#))
    }

    /// What the stand-in saw, one `(method path, headers, body)` per request.
    type Seen = Arc<Mutex<Vec<(String, HeaderMap, String)>>>;

    /// A local Stripe stand-in answering every request with `status` and `body`.
    async fn stand_in(status: u16, body: &str) -> (StripePayments, Seen) {
        let (seen, status, body) = (Seen::default(), StatusCode::from_u16(status).unwrap(), body.to_owned());
        let log = seen.clone();
        let app = Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, form: String| {
            log.lock().unwrap().push((format!("{method} {uri}"), headers, form));
            let body = body.clone();
            async move { (status, [("content-type", "application/json")], body) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (StripePayments::new("sk_test_x", Some(&url)).unwrap(), seen)
    }

    fn line(name: &str, unit_amount: i64, quantity: u32, interval: Option<Interval>) -> Line {
        Line { name: name.into(), unit_amount, currency: "eur".into(), quantity, interval }
    }

    fn request() -> SessionRequest {
        SessionRequest {
            idempotency_key: "checkout-42".into(),
            mode: Mode::Subscription,
            lines: vec![line("Gold plan", 500, 1, Some(Interval::Year)), line("Setup & help", 250, 2, None)],
            client_reference_id: "42".into(),
            success_url: "https://shop.test/ok?session={CHECKOUT_SESSION_ID}".into(),
            cancel_url: "https://shop.test/cancel".into(),
            expires_at: 1_700_003_600,
            metadata: vec![("shop".into(), "7".into()), ("buyer".into(), "99".into())],
            customer: Some("cus_42".into()),
            shipping_countries: vec![],
            trial_days: None,
        }
    }

    #[tokio::test]
    async fn creates_a_session_with_the_form_and_the_idempotency_key() {
        let (stripe, seen) = stand_in(200, SESSION).await;
        let session = stripe.create_session(request()).await.unwrap();
        let url = "https://checkout.test/cs_test_1".to_owned();
        assert_eq!(session, Session { id: "cs_test_1".into(), url, expires_at: 1_700_003_600 });

        let seen = seen.lock().unwrap();
        let (path, headers, form) = &seen[0];
        assert_eq!(path, "POST /v1/checkout/sessions");
        assert_eq!(headers["idempotency-key"], "checkout-42");
        assert_eq!(headers["authorization"], "Bearer sk_test_x");
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
        let mut fields: Vec<&str> = form.split('&').collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "cancel_url=https://shop.test/cancel",
                "client_reference_id=42",
                "customer=cus_42",
                "expires_at=1700003600",
                "line_items[0][price_data][currency]=eur",
                "line_items[0][price_data][product_data][name]=Gold+plan",
                "line_items[0][price_data][recurring][interval]=year",
                "line_items[0][price_data][unit_amount]=500",
                "line_items[0][quantity]=1",
                "line_items[1][price_data][currency]=eur",
                "line_items[1][price_data][product_data][name]=Setup+%26+help",
                "line_items[1][price_data][unit_amount]=250",
                "line_items[1][quantity]=2",
                "metadata[buyer]=99",
                "metadata[shop]=7",
                "mode=subscription",
                "subscription_data[metadata][buyer]=99",
                "subscription_data[metadata][shop]=7",
                "success_url=https://shop.test/ok?session%3D{CHECKOUT_SESSION_ID}",
            ]
        );
    }

    fn refund_request(amount: Option<i64>, reason: Option<&str>) -> RefundRequest {
        RefundRequest {
            idempotency_key: "refund-42".into(),
            payment_intent: "pi_test_1".into(),
            amount,
            reason: reason.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn refunds_with_the_form_and_the_idempotency_key() {
        let (stripe, seen) = stand_in(200, &refund_with_status("succeeded")).await;
        let refund = stripe.refund(refund_request(Some(500), Some("requested_by_customer"))).await.unwrap();
        assert_eq!(refund, RefundInfo { id: "re_test_1".into(), amount: 500, status: "succeeded".into() });

        let seen = seen.lock().unwrap();
        let (path, headers, form) = &seen[0];
        assert_eq!(path, "POST /v1/refunds");
        assert_eq!(headers["idempotency-key"], "refund-42");
        assert_eq!(headers["authorization"], "Bearer sk_test_x");
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
        let mut fields: Vec<&str> = form.split('&').collect();
        fields.sort_unstable();
        assert_eq!(fields, ["amount=500", "payment_intent=pi_test_1", "reason=requested_by_customer"]);
    }

    #[tokio::test]
    async fn a_full_refund_sends_no_amount() {
        let (stripe, seen) = stand_in(200, REFUND).await;
        let refund = stripe.refund(refund_request(None, None)).await.unwrap();
        assert_eq!(refund, RefundInfo { id: "re_test_1".into(), amount: 500, status: "unknown".into() });
        let seen = seen.lock().unwrap();
        assert_eq!((seen[0].0.as_str(), seen[0].2.as_str()), ("POST /v1/refunds", "payment_intent=pi_test_1"));
        assert_eq!(seen[0].1["idempotency-key"], "refund-42");
    }

    #[tokio::test]
    async fn expires_a_session() {
        let (stripe, seen) = stand_in(200, &SESSION.replace("\"payment\"", "\"payment\",\"status\":\"expired\"")).await;
        stripe.expire_session("cs_test_1".into()).await.unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!((seen[0].0.as_str(), seen[0].2.as_str()), ("POST /v1/checkout/sessions/cs_test_1/expire", ""));
    }

    #[tokio::test]
    async fn maps_failures_to_refused_or_unavailable() {
        let error = |kind: &str| format!(r#"{{"error":{{"type":"{kind}","message":"nope"}}}}"#);
        let no_url = SESSION.replace(r#""url":"https://checkout.test/cs_test_1""#, r#""url":null"#);
        let kind = |result: &Result<_, PaymentError>| match result {
            Ok(_) => "ok",
            Err(PaymentError::Refused(_)) => "refused",
            Err(PaymentError::Unavailable(_)) => "unavailable",
        };
        for (status, body, expected) in [
            (400, error("invalid_request_error"), "refused"),
            (404, error("invalid_request_error"), "refused"),
            (200, no_url, "refused"),
            (429, error("rate_limit_error"), "unavailable"),
            (500, error("api_error"), "unavailable"),
            (502, "<html>Bad gateway</html>".to_owned(), "unavailable"),
        ] {
            let (stripe, _) = stand_in(status, &body).await;
            let result = stripe.create_session(request()).await.map(drop);
            assert_eq!(kind(&result), expected, "{status} {body}: {result:?}");
        }
        let unreachable = StripePayments::new("sk_test_x", Some("http://127.0.0.1:1")).unwrap();
        assert_eq!(kind(&unreachable.expire_session("cs_test_1".into()).await), "unavailable");

        let missing = r#"{"error":{"type":"invalid_request_error","code":"resource_missing",
            "message":"No such payment_intent: 'pi_test_1'","param":"payment_intent"}}"#;
        for (status, body, expected) in [
            (400, missing.to_owned(), "refused"),
            (400, error("invalid_request_error"), "refused"),
            (409, error("idempotency_error"), "unavailable"),
            (429, error("rate_limit_error"), "unavailable"),
            (500, error("api_error"), "unavailable"),
            (502, "<html>Bad gateway</html>".to_owned(), "unavailable"),
        ] {
            let (stripe, _) = stand_in(status, &body).await;
            let result = stripe.refund(refund_request(Some(500), None)).await.map(drop);
            assert_eq!(kind(&result), expected, "refund: {status} {body}: {result:?}");
        }
        assert_eq!(kind(&unreachable.refund(refund_request(None, None)).await.map(drop)), "unavailable");
        let empty_key = RefundRequest { idempotency_key: String::new(), ..refund_request(None, None) };
        assert_eq!(kind(&unreachable.refund(empty_key).await.map(drop)), "refused");
    }

    #[tokio::test]
    async fn the_canned_session_is_minimal() {
        let session: serde_json::Map<String, serde_json::Value> = serde_json::from_str(SESSION).unwrap();
        for field in session.keys() {
            let mut without = session.clone();
            without.remove(field);
            let (stripe, _) = stand_in(200, &serde_json::Value::Object(without).to_string()).await;
            assert!(stripe.create_session(request()).await.is_err(), "{field} is not required");
        }
    }

    #[tokio::test]
    async fn the_canned_refund_is_minimal() {
        let refund: serde_json::Map<String, serde_json::Value> = serde_json::from_str(REFUND).unwrap();
        for field in refund.keys() {
            let mut without = refund.clone();
            without.remove(field);
            let (stripe, _) = stand_in(200, &serde_json::Value::Object(without).to_string()).await;
            assert!(stripe.refund(refund_request(None, None)).await.is_err(), "{field} is not required");
        }
    }
}
