//! The stand-in against Stripe's own rules and shapes, read by async-stripe's generated types:
//! every event parses as the typed event the shop handles (a field Stripe always sends that the
//! stand-in forgot fails here), customers and invoice payments go through the product's adapter,
//! and what Stripe refuses is refused.

use maxis::payments::stripe::StripePayments;
use maxis::payments::{CustomerRequest, Line, Mode, Payments, SessionRequest};
use serde_json::Value;
use stripe_webhook::{EventObject, Webhook};

use super::*;

const KEY: &str = "sk_test_standin";
const SECRET: &str = "whsec_shapes";

fn request(mode: Mode, customer: Option<String>) -> SessionRequest {
    let interval = (mode == Mode::Subscription).then_some(maxis::payments::Interval::Month);
    SessionRequest {
        idempotency_key: random_id("k", 12),
        mode,
        lines: vec![Line { name: "Pro".into(), unit_amount: 999, currency: "eur".into(), quantity: 1, interval }],
        client_reference_id: "checkout-1".into(),
        success_url: "https://shop.test/ok".into(),
        cancel_url: "https://shop.test/cancel".into(),
        expires_at: now() + 3600,
        metadata: vec![("shop".into(), "shop1".into()), ("member".into(), "42".into())],
        customer,
        shipping_countries: vec![],
        trial_days: None,
    }
}

/// The typed object of `event`, as the shop's webhook reads it.
fn typed(event: &Value) -> EventObject {
    let body = serde_json::to_string(event).unwrap();
    let header = sign(&body, SECRET, now());
    let parsed = Webhook::construct_event(&body, &header, SECRET);
    parsed.unwrap_or_else(|e| panic!("{} does not parse: {e}\n{body}", event["type"])).data.object
}

#[tokio::test]
async fn every_event_parses_as_stripes_typed_event() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let payments = StripePayments::new(KEY, Some(&stand_in.base_url())).unwrap();
    let customer = payments
        .create_customer(CustomerRequest {
            idempotency_key: "customer-shop1-42".into(),
            description: "member 42".into(),
            metadata: vec![("member".into(), "42".into())],
        })
        .await
        .unwrap();

    let plan = payments.create_session(request(Mode::Subscription, Some(customer.clone()))).await.unwrap();
    let completed = stand_in.complete(&plan.id, true).unwrap();
    assert!(completed["data"]["object"]["payment_intent"].is_null(), "a subscription session has no payment intent");
    assert_eq!(completed["data"]["object"]["customer"], customer.as_str());
    assert!(matches!(typed(&completed), EventObject::CheckoutSessionCompleted(_)));
    let first = stand_in.invoice(&plan.id, true).unwrap();
    assert!(first["data"]["object"].get("subscription").is_none(), "API 2025+: no top-level subscription");
    assert!(first["data"]["object"].get("payment_intent").is_none() && first["data"]["object"].get("charge").is_none());
    let EventObject::InvoicePaid(invoice) = typed(&first) else { panic!("invoice.paid") };
    let parent = invoice.parent.unwrap().subscription_details.unwrap();
    assert_eq!(parent.subscription.id().as_str(), completed["data"]["object"]["subscription"].as_str().unwrap());
    assert!(matches!(typed(&stand_in.invoice(&plan.id, true).unwrap()), EventObject::InvoicePaid(_)));
    assert!(matches!(typed(&stand_in.invoice(&plan.id, false).unwrap()), EventObject::InvoicePaymentFailed(_)));
    let updated = stand_in.subscription(&plan.id, "past_due", false).unwrap();
    assert!(matches!(typed(&updated), EventObject::CustomerSubscriptionUpdated(_)));
    let intents = stand_in.payment_intents(&plan.id).unwrap();
    assert_eq!(intents.len(), 2, "the first invoice's payment and one paid renewal");
    let refund = stand_in.refund_payment(&plan.id, &intents[1], None).unwrap();
    let EventObject::ChargeRefunded(charge) = typed(&refund) else { panic!("charge.refunded") };
    assert_eq!(charge.payment_intent.unwrap().id().as_str(), intents[1]);
    assert!(charge.refunded && charge.metadata.is_empty(), "a subscription's charge carries no metadata");
    assert!(refund["data"]["object"].get("refunds").is_none(), "charges embed no refunds since 2022-11-15");
    assert!(matches!(typed(&stand_in.dispute(&plan.id).unwrap()), EventObject::ChargeDisputeCreated(_)));
    let deleted = stand_in.subscription(&plan.id, "canceled", true).unwrap();
    assert!(matches!(typed(&deleted), EventObject::CustomerSubscriptionDeleted(_)));

    let one_off = payments.create_session(request(Mode::Payment, Some(customer))).await.unwrap();
    assert!(matches!(typed(&stand_in.complete(&one_off.id, true).unwrap()), EventObject::CheckoutSessionCompleted(_)));
    let EventObject::ChargeRefunded(charge) = typed(&stand_in.refund(&one_off.id, Some(100)).unwrap()) else {
        panic!("charge.refunded")
    };
    assert_eq!((charge.amount_refunded, charge.refunded), (100, false));
    assert_eq!(charge.metadata.get("member").map(String::as_str), Some("42"), "payment_intent_data.metadata");
    let open = payments.create_session(request(Mode::Payment, None)).await.unwrap();
    assert!(matches!(typed(&stand_in.expire(&open.id).unwrap()), EventObject::CheckoutSessionExpired(_)));
}

#[tokio::test]
async fn invoice_payments_name_the_payment_intent_of_each_invoice() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let payments = StripePayments::new(KEY, Some(&stand_in.base_url())).unwrap();
    let plan = payments.create_session(request(Mode::Subscription, None)).await.unwrap();
    stand_in.complete(&plan.id, true).unwrap();
    let first = stand_in.invoice(&plan.id, true).unwrap()["data"]["object"]["id"].as_str().unwrap().to_owned();
    let renewal = stand_in.invoice(&plan.id, true).unwrap()["data"]["object"]["id"].as_str().unwrap().to_owned();
    let unpaid = stand_in.invoice(&plan.id, false).unwrap()["data"]["object"]["id"].as_str().unwrap().to_owned();
    let intents = stand_in.payment_intents(&plan.id).unwrap();

    let paid_first = payments.invoice_payments(first).await.unwrap();
    let paid_renewal = payments.invoice_payments(renewal).await.unwrap();
    let paid_unpaid = payments.invoice_payments(unpaid).await.unwrap();

    assert_eq!(paid_first.iter().map(|p| p.payment_intent.as_str()).collect::<Vec<_>>(), [intents[0].as_str()]);
    assert_eq!(
        paid_renewal.iter().map(|p| (p.payment_intent.as_str(), p.amount)).collect::<Vec<_>>(),
        [(intents[1].as_str(), 999)]
    );
    assert!(paid_unpaid.is_empty(), "an unpaid invoice has no paid payment");
}

#[tokio::test]
async fn sessions_refuse_an_unknown_customer_and_the_other_modes_data() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let payments = StripePayments::new(KEY, Some(&stand_in.base_url())).unwrap();
    let unknown = payments.create_session(request(Mode::Payment, Some("cus_nobody".into()))).await;
    assert!(unknown.unwrap_err().to_string().contains("No such customer"));

    let form = "mode=subscription&success_url=https://x.test&payment_intent_data[metadata][a]=b\
        &line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=700\
        &line_items[0][price_data][product_data][name]=Plan&line_items[0][price_data][recurring][interval]=month\
        &line_items[0][quantity]=1";
    let (status, body) = super::tests::post(&stand_in, "v1/checkout/sessions", None, form).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "payment_intent_data");
    let form = "mode=payment&success_url=https://x.test&subscription_data[metadata][a]=b\
        &line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=700\
        &line_items[0][price_data][product_data][name]=Thing&line_items[0][quantity]=1";
    let (status, body) = super::tests::post(&stand_in, "v1/checkout/sessions", None, form).await;
    assert_eq!((status, body["error"]["param"].as_str()), (400, Some("subscription_data")));
}
