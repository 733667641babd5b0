use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use maxis::payments::stripe::StripePayments;
use maxis::payments::{Line, Mode, PaymentError, Payments, RefundInfo, RefundRequest, SessionRequest};
use serde_json::json;
use sha2::Sha256;

use super::webhook::{dechunk, http};
use super::*;

const KEY: &str = "sk_test_standin";

const FORM: &str = "mode=payment&success_url=https://shop.test/ok?a=1%26b=2&client_reference_id=42\
    &line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=2999\
    &line_items[0][price_data][product_data][name]=Gold+plan&line_items[0][quantity]=2\
    &line_items[1][price_data][currency]=eur&line_items[1][price_data][unit_amount]=500\
    &line_items[1][price_data][product_data][name]=Caf%C3%A9&line_items[1][quantity]=1\
    &metadata[shop]=shop1&metadata[buyer]=user@example.com";

pub(super) async fn post(stand_in: &StripeStandIn, path: &str, key: Option<&str>, body: &str) -> (u16, Value) {
    let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
    let auth = format!("Bearer {KEY}");
    headers.push(("Authorization", &auth));
    headers.extend(key.map(|k| ("Idempotency-Key", k)));
    let (status, body) = http("POST", &format!("{}{path}", stand_in.base_url()), &headers, body).await.unwrap();
    (status, serde_json::from_str(&body).unwrap())
}

#[test]
fn signature_is_stripes_hmac() {
    let payload = r#"{"id":"evt_test","object":"event"}"#;
    let header = sign(payload, "whsec_test_secret", 1_700_000_000);
    // Computed apart, with Python's hmac module.
    let known = "8042376f6ca064adbe037642a718227dfd59047137eb49497a54c49eb0cfb724";
    assert_eq!(header, format!("t=1700000000,v1={known}"));
    let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test_secret").unwrap();
    mac.update(b"1700000000.");
    mac.update(payload.as_bytes());
    assert_eq!(hex::encode(mac.finalize().into_bytes()), known);
}

#[test]
fn nested_form_parses_into_json() {
    let form = parse_form(&format!("{FORM}&expand[]=line_items&expand[]=invoice&metadata[7]=seven&empty="));
    let expected = json!({
        "mode": "payment", "success_url": "https://shop.test/ok?a=1&b=2", "client_reference_id": "42",
        "line_items": [
            {"price_data": {"currency": "eur", "unit_amount": "2999", "product_data": {"name": "Gold plan"}}, "quantity": "2"},
            {"price_data": {"currency": "eur", "unit_amount": "500", "product_data": {"name": "Café"}}, "quantity": "1"},
        ],
        "metadata": {"shop": "shop1", "buyer": "user@example.com", "7": "seven"},
        "expand": ["line_items", "invoice"], "empty": "",
    });
    assert_eq!(form, expected);
    assert_eq!(parse_form("a[2]=x&b=%zz%4"), json!({"a": [null, null, "x"], "b": "%zz%4"}));
    assert_eq!(dechunk(b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n").unwrap(), b"hello world");
}

#[tokio::test]
async fn sessions_round_trip_over_http() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let url = format!("{}v1/checkout/sessions", stand_in.base_url());
    let (status, body) = http("POST", &url, &[("Authorization", "Bearer sk_test_other")], FORM).await.unwrap();
    assert_eq!(status, 401, "{body}");
    let (status, body) = post(&stand_in, "v1/checkout/sessions", None, "success_url=https://x.test").await;
    assert_eq!((status, &body["error"]["param"]), (400, &json!("mode")), "{body}");
    let (_, body) = post(&stand_in, "v1/checkout/sessions", None, "mode=subscription&success_url=https://x.test").await;
    assert_eq!(body["error"]["param"], "line_items");

    let (status, session) = post(&stand_in, "v1/checkout/sessions", Some("checkout-42"), FORM).await;
    assert_eq!(status, 200, "{session}");
    let id = session["id"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"), "{id}");
    assert_eq!(session["object"], "checkout.session");
    assert_eq!((&session["status"], &session["payment_status"]), (&json!("open"), &json!("unpaid")));
    assert_eq!((&session["amount_total"], &session["currency"]), (&json!(2 * 2999 + 500), &json!("eur")));
    assert_eq!(session["metadata"], json!({"shop": "shop1", "buyer": "user@example.com"}));
    assert_eq!(session["url"], format!("{}pay/{id}", stand_in.base_url()));
    let in_a_day = session["created"].as_i64().unwrap() + 24 * 3600;
    assert_eq!(session["expires_at"], in_a_day);

    let (status, again) = post(&stand_in, "v1/checkout/sessions", Some("checkout-42"), FORM).await;
    assert_eq!((status, &again), (200, &session));
    assert_eq!(stand_in.sessions().len(), 1);
    let (status, other) = post(&stand_in, "v1/checkout/sessions", Some("checkout-42"), "mode=payment").await;
    assert_eq!((status, &other["error"]["type"]), (400, &json!("idempotency_error")));
    let (_, second) = post(&stand_in, "v1/checkout/sessions", Some("checkout-43"), FORM).await;
    assert_ne!(second["id"], session["id"]);

    let auth = [("Authorization", "Bearer sk_test_standin")];
    let (status, body) = http("GET", &format!("{url}/{id}"), &auth, "").await.unwrap();
    assert_eq!((status, serde_json::from_str::<Value>(&body).unwrap()), (200, session.clone()));
    let (status, body) = http("GET", &format!("{url}/cs_test_nope"), &auth, "").await.unwrap();
    assert_eq!(status, 404);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["code"], "resource_missing");

    let (status, expired) = post(&stand_in, &format!("v1/checkout/sessions/{id}/expire"), None, "").await;
    assert_eq!((status, &expired["status"]), (200, &json!("expired")));
    let (status, _) = post(&stand_in, &format!("v1/checkout/sessions/{id}/expire"), None, "").await;
    assert_eq!(status, 400);
    assert!(stand_in.complete(id, true).is_err(), "an expired session cannot be paid");

    let requests = stand_in.requests();
    let create = requests.iter().find(|r| r.header("idempotency-key") == Some("checkout-42")).unwrap();
    assert_eq!((create.method.as_str(), create.path.as_str()), ("POST", "/v1/checkout/sessions"));
    assert_eq!(create.form["line_items"][0]["price_data"]["unit_amount"], "2999");
}

/// The product's adapter (async-stripe) creates, reads back and expires sessions here.
#[tokio::test]
async fn async_stripe_parses_the_answers() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let payments = StripePayments::new(KEY, Some(&stand_in.base_url())).unwrap();
    let line = |name: &str, interval| Line {
        name: name.into(),
        unit_amount: 500,
        currency: "eur".into(),
        quantity: 2,
        interval,
    };
    let request = |key: &str, mode, lines| SessionRequest {
        idempotency_key: key.into(),
        mode,
        lines,
        client_reference_id: "42".into(),
        success_url: "https://shop.test/ok".into(),
        cancel_url: "https://shop.test/cancel".into(),
        expires_at: now() + 3600,
        metadata: vec![("shop".into(), "shop1".into())],
        customer: None,
        shipping_countries: vec![],
        trial_days: None,
    };
    let plan = vec![line("Gold", Some(maxis::payments::Interval::Month))];
    let session = payments.create_session(request("k1", Mode::Subscription, plan)).await.unwrap();
    assert_eq!(stand_in.session(&session.id).unwrap()["amount_total"], 1000);
    let sent = &stand_in.requests()[0];
    assert_eq!(sent.header("idempotency-key"), Some("k1"));
    assert_eq!(sent.form["line_items"][0]["price_data"]["recurring"]["interval"], "month");
    let refused = payments
        .create_session(request("k2", Mode::Payment, vec![line("Gold", Some(maxis::payments::Interval::Year))]))
        .await;
    assert!(refused.is_err(), "a recurring price in payment mode");

    stand_in.complete(&session.id, true).unwrap();
    let client = ::stripe::ClientBuilder::new(KEY).url(stand_in.base_url()).build().unwrap();
    let read = stripe_checkout::checkout_session::RetrieveCheckoutSession::new(session.id.as_str())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(read.status.map(|s| s.as_str().to_owned()).as_deref(), Some("complete"));
    assert!(read.subscription.is_some() && read.customer.is_some());

    let open = payments.create_session(request("k3", Mode::Payment, vec![line("Gold", None)])).await.unwrap();
    payments.expire_session(open.id.clone()).await.unwrap();
    assert_eq!(stand_in.session(&open.id).unwrap()["status"], "expired");
    assert!(payments.expire_session(open.id).await.is_err(), "only open sessions expire");
}

#[tokio::test]
async fn events_are_shaped_and_delivered_like_stripes() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let form = "mode=subscription&success_url=https://x.test&metadata[shop]=s1&subscription_data[metadata][shop]=s1\
        &line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=700\
        &line_items[0][price_data][product_data][name]=Plan&line_items[0][price_data][recurring][interval]=month\
        &line_items[0][quantity]=1";
    let (_, session) = post(&stand_in, "v1/checkout/sessions", None, form).await;
    let id = session["id"].as_str().unwrap();

    let completed = stand_in.complete(id, true).unwrap();
    for field in ["id", "object", "api_version", "created", "livemode", "pending_webhooks", "request", "type", "data"] {
        assert!(completed.get(field).is_some(), "{field} in {completed}");
    }
    assert_eq!((&completed["type"], &completed["object"]), (&json!("checkout.session.completed"), &json!("event")));
    let paid = &completed["data"]["object"];
    assert_eq!((&paid["status"], &paid["payment_status"]), (&json!("complete"), &json!("paid")));
    assert!(
        paid["subscription"].as_str().unwrap().starts_with("sub_")
            && paid["customer"].as_str().unwrap().starts_with("cus_")
    );

    let invoice = stand_in.invoice(id, true).unwrap();
    assert_eq!(invoice["type"], "invoice.paid");
    let object = &invoice["data"]["object"];
    assert_eq!(object["id"], paid["invoice"]);
    assert_eq!(object["parent"]["subscription_details"]["subscription"], paid["subscription"]);
    assert_eq!((&object["amount_paid"], &object["billing_reason"]), (&json!(700), &json!("subscription_create")));
    let renewal = stand_in.invoice(id, false).unwrap();
    assert_eq!(renewal["type"], "invoice.payment_failed");
    assert_eq!(renewal["data"]["object"]["billing_reason"], "subscription_cycle");

    let updated = stand_in.subscription(id, "past_due", false).unwrap();
    assert_eq!(updated["type"], "customer.subscription.updated");
    assert_eq!(updated["data"]["previous_attributes"], json!({"status": "active"}));
    let sub = &updated["data"]["object"];
    assert_eq!((&sub["status"], &sub["metadata"]), (&json!("past_due"), &json!({"shop": "s1"})));
    let item = &sub["items"]["data"][0];
    assert!(sub.get("current_period_end").is_none(), "API 2025+: the period is on the items");
    assert_eq!(
        item["current_period_end"].as_i64().unwrap() - item["current_period_start"].as_i64().unwrap(),
        30 * 24 * 3600
    );
    assert_eq!(stand_in.subscription(id, "canceled", true).unwrap()["type"], "customer.subscription.deleted");

    let refund = stand_in.refund(id, Some(200)).unwrap();
    let charge = &refund["data"]["object"];
    assert_eq!((&charge["amount_refunded"], &charge["refunded"]), (&json!(200), &json!(false)));
    let charge = stand_in.refund(id, None).unwrap()["data"]["object"].clone();
    assert_eq!((&charge["amount_refunded"], &charge["refunded"]), (&json!(700), &json!(true)));
    assert!(stand_in.refund(id, Some(1)).is_err(), "nothing left to refund");
    let dispute = stand_in.dispute(id).unwrap();
    assert_eq!(dispute["data"]["object"]["charge"], charge["id"]);
    assert_eq!(dispute["data"]["object"]["status"], "needs_response");

    // A webhook endpoint that keeps what it receives.
    let seen: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
        log.lock().unwrap().push((headers, body));
        async { "ok" }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    assert_eq!(deliver(&hook, &completed, "whsec_1").await.unwrap(), (200, "ok".to_owned()));
    assert_eq!(deliver_with(&hook, "{}", None).await.unwrap().0, 200);
    let seen = seen.lock().unwrap();
    let (headers, body) = &seen[0];
    assert_eq!(serde_json::from_str::<Value>(body).unwrap(), completed);
    let signature = headers["stripe-signature"].to_str().unwrap();
    let timestamp = signature.split(',').next().unwrap().strip_prefix("t=").unwrap().parse().unwrap();
    assert_eq!(signature, sign(body, "whsec_1", timestamp));
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
    assert!(!seen[1].0.contains_key("stripe-signature"));
}

#[tokio::test]
async fn delayed_payments_settle_later() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (_, session) = post(&stand_in, "v1/checkout/sessions", None, FORM).await;
    let id = session["id"].as_str().unwrap();
    let completed = stand_in.complete(id, false).unwrap();
    assert_eq!(completed["data"]["object"]["payment_status"], "unpaid");
    assert!(completed["data"]["object"]["payment_intent"].as_str().unwrap().starts_with("pi_"));
    assert!(stand_in.refund(id, None).is_err(), "nothing paid yet");
    let settled = stand_in.async_payment(id, true).unwrap();
    assert_eq!(settled["type"], "checkout.session.async_payment_succeeded");
    assert_eq!(stand_in.session(id).unwrap()["payment_status"], "paid");
    assert!(stand_in.async_payment(id, false).is_err(), "already settled");
    assert!(stand_in.expire(id).is_err(), "a complete session does not expire");
    let (_, open) = post(&stand_in, "v1/checkout/sessions", None, FORM).await;
    let expired = stand_in.expire(open["id"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&expired["type"], &expired["data"]["object"]["status"]),
        (&json!("checkout.session.expired"), &json!("expired"))
    );
}

/// A paid payment-mode session of [`FORM`] (2 × 2999 + 500 EUR): its id and payment intent.
pub(super) async fn paid_session(stand_in: &StripeStandIn) -> (String, String) {
    let (_, session) = post(stand_in, "v1/checkout/sessions", None, FORM).await;
    let id = session["id"].as_str().unwrap().to_owned();
    let completed = stand_in.complete(&id, true).unwrap();
    (id, completed["data"]["object"]["payment_intent"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn refunds_partly_then_fully_and_keep_the_charge_consistent() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (session, intent) = paid_session(&stand_in).await;
    let total = 2 * 2999 + 500;

    let form = format!("payment_intent={intent}&amount=1000&reason=requested_by_customer&metadata[order]=42");
    let (status, refund) = post(&stand_in, "v1/refunds", Some("refund-1"), &form).await;
    assert_eq!(status, 200, "{refund}");
    let id = refund["id"].as_str().unwrap();
    assert!(id.starts_with("re_"), "{id}");
    assert!(refund["charge"].as_str().unwrap().starts_with("ch_"), "{refund}");
    assert!(refund["created"].is_i64(), "{refund}");
    let expected = json!({
        "object": "refund", "amount": 1000, "payment_intent": intent, "currency": "eur", "status": "succeeded",
        "reason": "requested_by_customer", "metadata": {"order": "42"},
    });
    for (field, value) in expected.as_object().unwrap() {
        assert_eq!(&refund[field], value, "{field} in {refund}");
    }
    let event = stand_in.refund_event_for(id).unwrap();
    assert_eq!(event["type"], "charge.refunded");
    let charge = &event["data"]["object"];
    assert_eq!((&charge["id"], &charge["payment_intent"]), (&refund["charge"], &json!(intent)));
    assert_eq!(
        (&charge["amount"], &charge["amount_refunded"], &charge["refunded"]),
        (&json!(total), &json!(1000), &json!(false))
    );
    assert_eq!(event["data"]["previous_attributes"], json!({"amount_refunded": 0, "refunded": false}));
    assert_eq!(stand_in.refund_event_for(id).unwrap(), event, "the same event every time");

    // A test-side refund adds up with the API's.
    let builder = stand_in.refund(&session, Some(498)).unwrap();
    assert_eq!(builder["data"]["object"]["amount_refunded"], 1498);

    let (status, full) = post(&stand_in, "v1/refunds", Some("refund-2"), &format!("payment_intent={intent}")).await;
    assert_eq!((status, &full["amount"], &full["reason"]), (200, &json!(total - 1498), &Value::Null), "{full}");
    let event = stand_in.refund_event_for(full["id"].as_str().unwrap()).unwrap();
    let charge = &event["data"]["object"];
    assert_eq!((&charge["amount_refunded"], &charge["refunded"]), (&json!(total), &json!(true)));
    assert_eq!(event["data"]["previous_attributes"]["amount_refunded"], 1498);
    // The first refund's event is still the charge of its moment.
    assert_eq!(stand_in.refund_event_for(id).unwrap()["data"]["object"]["amount_refunded"], 1000);

    let (status, again) = post(&stand_in, "v1/refunds", None, &format!("payment_intent={intent}")).await;
    assert_eq!((status, &again["error"]["code"]), (400, &json!("charge_already_refunded")), "{again}");
    assert!(stand_in.refund(&session, Some(1)).is_err(), "nothing left to refund");
    assert!(stand_in.refund_event_for("re_nope").is_err());
}

#[tokio::test]
async fn refunds_no_more_than_what_remains() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (session, intent) = paid_session(&stand_in).await;
    let total = 2 * 2999 + 500;
    for amount in [total + 1, 0, -5] {
        let (status, body) =
            post(&stand_in, "v1/refunds", None, &format!("payment_intent={intent}&amount={amount}")).await;
        assert_eq!((status, &body["error"]["param"]), (400, &json!("amount")), "{amount}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    let (_, body) = post(&stand_in, "v1/refunds", None, &format!("payment_intent={intent}&amount=x")).await;
    assert_eq!(body["error"]["code"], "parameter_invalid_integer");
    let (_, body) = post(&stand_in, "v1/refunds", None, &format!("payment_intent={intent}&reason=because")).await;
    assert_eq!(body["error"]["param"], "reason");

    stand_in.refund(&session, Some(total - 100)).unwrap();
    let (status, body) = post(&stand_in, "v1/refunds", None, &format!("payment_intent={intent}&amount=101")).await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("amount_too_large")), "{body}");
    let (status, body) = post(&stand_in, "v1/refunds", None, &format!("payment_intent={intent}&amount=100")).await;
    assert_eq!((status, &body["amount"]), (200, &json!(100)), "{body}");
    let charge = stand_in.refund_event_for(body["id"].as_str().unwrap()).unwrap()["data"]["object"].clone();
    assert_eq!((&charge["amount_refunded"], &charge["refunded"]), (&json!(total), &json!(true)));
}

#[tokio::test]
async fn refunds_need_a_paid_payment_intent() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let url = format!("{}v1/refunds", stand_in.base_url());
    let (status, _) =
        http("POST", &url, &[("Authorization", "Bearer sk_test_other")], "payment_intent=pi_x").await.unwrap();
    assert_eq!(status, 401);
    let (status, body) = post(&stand_in, "v1/refunds", None, "amount=100").await;
    assert_eq!(
        (status, &body["error"]["code"], &body["error"]["param"]),
        (400, &json!("parameter_missing"), &json!("payment_intent"))
    );

    let (status, body) = post(&stand_in, "v1/refunds", Some("refund-x"), "payment_intent=pi_nope").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        json!({
            "type": "invalid_request_error", "code": "resource_missing", "param": "payment_intent",
            "message": "No such payment_intent: 'pi_nope'",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        })
    );

    // A delayed payment not settled yet has a payment intent but no charge to refund.
    let (_, session) = post(&stand_in, "v1/checkout/sessions", None, FORM).await;
    let pending = stand_in.complete(session["id"].as_str().unwrap(), false).unwrap();
    let intent = pending["data"]["object"]["payment_intent"].as_str().unwrap();
    let (status, body) = post(&stand_in, "v1/refunds", None, &format!("payment_intent={intent}")).await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("resource_missing")), "{body}");

    // A disputed charge cannot be refunded.
    let (disputed, intent) = paid_session(&stand_in).await;
    stand_in.dispute(&disputed).unwrap();
    let (status, body) = post(&stand_in, "v1/refunds", None, &format!("payment_intent={intent}")).await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("charge_disputed")), "{body}");
}

#[tokio::test]
async fn refunds_honour_the_idempotency_key() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (session, intent) = paid_session(&stand_in).await;
    let form = format!("payment_intent={intent}&amount=700");
    let (status, first) = post(&stand_in, "v1/refunds", Some("refund-1"), &form).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = post(&stand_in, "v1/refunds", Some("refund-1"), &form).await;
    assert_eq!((status, &again), (200, &first), "the same refund, not a second one");
    let (status, other) =
        post(&stand_in, "v1/refunds", Some("refund-1"), &format!("payment_intent={intent}&amount=800")).await;
    assert_eq!((status, &other["error"]["type"]), (400, &json!("idempotency_error")));
    let (_, second) = post(&stand_in, "v1/refunds", Some("refund-2"), &form).await;
    assert_ne!(second["id"], first["id"]);
    let charge = &stand_in.refund_event_for(second["id"].as_str().unwrap()).unwrap()["data"]["object"];
    assert_eq!(charge["amount_refunded"], 1400, "two refunds of 700, the replay did not count");
    let event = stand_in.refund(&session, None).unwrap();
    assert_eq!(event["data"]["object"]["amount_refunded"], 2 * 2999 + 500);
    let replayed = stand_in.requests().iter().filter(|r| r.header("idempotency-key") == Some("refund-1")).count();
    assert_eq!(replayed, 3);
}

/// The product's adapter (async-stripe) refunds here and reads the answers.
#[tokio::test]
async fn async_stripe_refunds() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let payments = StripePayments::new(KEY, Some(&stand_in.base_url())).unwrap();
    let (_, intent) = paid_session(&stand_in).await;
    let request = |key: &str, payment_intent: &str, amount| RefundRequest {
        idempotency_key: key.into(),
        payment_intent: payment_intent.into(),
        amount,
        reason: Some("requested_by_customer".into()),
    };
    let partial = payments.refund(request("r1", &intent, Some(500))).await.unwrap();
    assert!(partial.id.starts_with("re_"), "{partial:?}");
    assert_eq!((partial.amount, partial.status.as_str()), (500, "succeeded"));
    assert_eq!(payments.refund(request("r1", &intent, Some(500))).await.unwrap(), partial, "replayed");
    let sent = stand_in.requests().last().unwrap().clone();
    assert_eq!((sent.path.as_str(), sent.header("idempotency-key")), ("/v1/refunds", Some("r1")));
    assert_eq!(sent.form, json!({"payment_intent": intent, "amount": "500", "reason": "requested_by_customer"}));

    let too_much = payments.refund(request("r2", &intent, Some(2 * 2999 + 1))).await;
    assert!(matches!(too_much, Err(PaymentError::Refused(_))), "{too_much:?}");
    let unknown = payments.refund(request("r3", "pi_nope", None)).await;
    assert!(
        matches!(unknown, Err(PaymentError::Refused(ref m)) if m.contains("No such payment_intent")),
        "{unknown:?}"
    );
    let rest = payments.refund(request("r4", &intent, None)).await.unwrap();
    assert_eq!(rest, RefundInfo { amount: 2 * 2999, ..rest.clone() });
    let charge = &stand_in.refund_event_for(&rest.id).unwrap()["data"]["object"];
    assert_eq!((&charge["amount_refunded"], &charge["refunded"]), (&json!(2 * 2999 + 500), &json!(true)));
}

#[tokio::test]
async fn expires_at_is_checked_from_the_moment_the_request_arrives_with_no_slack() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let at = |secs: i64| format!("{FORM}&expires_at={}", now() + secs);

    let (short, body) = post(&stand_in, "v1/checkout/sessions", None, &at(1799)).await;
    assert_eq!((short, &body["error"]["param"]), (400, &json!("expires_at")), "{body}");
    let (long, _) = post(&stand_in, "v1/checkout/sessions", None, &at(24 * 3600 + 1)).await;
    assert_eq!(long, 400);
    let (ok, body) = post(&stand_in, "v1/checkout/sessions", None, &at(1800 + 5)).await;
    assert_eq!(ok, 200, "{body}");

    // Computed before a slow request: by the time Stripe gets it, 30 min have not yet lapsed.
    stand_in.set_latency(std::time::Duration::from_millis(1100));
    let (late, body) = post(&stand_in, "v1/checkout/sessions", None, &at(1800)).await;
    assert_eq!((late, &body["error"]["param"]), (400, &json!("expires_at")), "{body}");
}

#[tokio::test]
async fn shipping_address_collection_is_checked_and_the_address_comes_back_in_collected_information() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let ship = |extra: &str| format!("{FORM}{extra}");
    let param = "shipping_address_collection[allowed_countries][1]";

    let (cuba, body) = post(&stand_in, "v1/checkout/sessions", None, &ship("&shipping_address_collection[allowed_countries][0]=FR&shipping_address_collection[allowed_countries][1]=CU")).await;
    assert_eq!((cuba, &body["error"]["param"]), (400, &json!(param)), "{body}");
    let (missing, body) =
        post(&stand_in, "v1/checkout/sessions", None, &ship("&shipping_address_collection[x]=1")).await;
    assert_eq!(missing, 400, "{body}");
    let (status, session) = post(&stand_in, "v1/checkout/sessions", None, &ship("&shipping_address_collection[allowed_countries][0]=FR&shipping_address_collection[allowed_countries][1]=BE")).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["shipping_address_collection"], json!({"allowed_countries": ["FR", "BE"]}));

    let id = session["id"].as_str().unwrap();
    let completed = stand_in.complete(id, true).unwrap();
    let object = &completed["data"]["object"];
    assert_eq!(object["collected_information"]["shipping_details"]["address"]["country"], "FR");
    assert!(object.get("shipping_details").is_none(), "no top-level shipping_details since API 2025-03-31");
    let client = ::stripe::ClientBuilder::new(KEY).url(stand_in.base_url()).build().unwrap();
    let read = stripe_checkout::checkout_session::RetrieveCheckoutSession::new(id).send(&client).await.unwrap();
    let details = read.collected_information.and_then(|c| c.shipping_details).expect("async-stripe reads the address");
    assert_eq!((details.address.country.as_deref(), details.name.as_str()), (Some("FR"), "Test Buyer"));
}
