//! Trials, the test clock, cancel at period end and resume, and Billing Portal sessions.

use serde_json::Value;
use stripe_webhook::{EventObject, Webhook};

use super::tests::post;
use super::*;

const KEY: &str = "sk_test_standin";
const DAY: i64 = 24 * 3600;

const PLAN: &str = "mode=subscription&success_url=https://shop.test/ok&client_reference_id=c1\
    &line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=999\
    &line_items[0][price_data][product_data][name]=Pro&line_items[0][price_data][recurring][interval]=month\
    &line_items[0][quantity]=1";

fn typed(event: &Value) -> EventObject {
    let body = serde_json::to_string(event).unwrap();
    Webhook::insecure(&body).unwrap_or_else(|e| panic!("{} does not parse: {e}\n{body}", event["type"])).data.object
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

async fn session(stand_in: &StripeStandIn, extra: &str) -> String {
    let (status, session) = post(stand_in, "v1/checkout/sessions", None, &format!("{PLAN}{extra}")).await;
    assert_eq!(status, 200, "{session}");
    session["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_trial_is_free_at_checkout_warned_three_days_before_and_converts_on_the_clock() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let id = session(&stand_in, "&subscription_data[trial_period_days]=7").await;
    assert_eq!(stand_in.session(&id).unwrap()["amount_total"], 0, "nothing is due today");
    let completed = stand_in.complete(&id, true).unwrap();
    assert_eq!(completed["data"]["object"]["payment_status"], "no_payment_required");
    let first = stand_in.invoice(&id, true).unwrap();
    assert_eq!(first["data"]["object"]["amount_paid"], 0);
    let start = stand_in.clock(&id).unwrap();

    assert!(stand_in.advance_clock(&id, start + 3 * DAY).unwrap().is_empty());
    let warned = stand_in.advance_clock(&id, start + 4 * DAY + 60).unwrap();
    assert_eq!(kinds(&warned), ["customer.subscription.trial_will_end"]);
    let sub = &warned[0]["data"]["object"];
    assert_eq!((&sub["status"], &sub["trial_end"]), (&Value::from("trialing"), &Value::from(start + 7 * DAY)));
    assert!(matches!(typed(&warned[0]), EventObject::CustomerSubscriptionTrialWillEnd(_)));

    let converted = stand_in.advance_clock(&id, start + 7 * DAY + 60).unwrap();
    assert_eq!(kinds(&converted), ["invoice.paid", "customer.subscription.updated"]);
    let invoice = &converted[0]["data"]["object"];
    assert_eq!((&invoice["amount_paid"], &invoice["billing_reason"]), (&999.into(), &"subscription_cycle".into()));
    assert_eq!(invoice["period_start"], start + 7 * DAY);
    assert_eq!(converted[1]["data"]["object"]["status"], "active");
    assert_eq!(converted[1]["data"]["previous_attributes"]["status"], "trialing");
    assert!(matches!(typed(&converted[1]), EventObject::CustomerSubscriptionUpdated(_)));

    let renewed = stand_in.advance_clock(&id, start + 37 * DAY + 60).unwrap();
    assert_eq!(kinds(&renewed), ["invoice.paid", "customer.subscription.updated"]);
    stand_in.decline_renewals(&id, true).unwrap();
    let failed = stand_in.advance_clock(&id, start + 67 * DAY + 60).unwrap();
    assert_eq!(kinds(&failed), ["invoice.payment_failed", "customer.subscription.updated"]);
    assert_eq!(failed[1]["data"]["object"]["status"], "past_due");
    assert_eq!(stand_in.events().len(), 9, "every event is listed, the checkout and first invoice too");
}

#[tokio::test]
async fn trial_days_are_checked_as_stripe_checks_them() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    for days in ["0", "731", "seven"] {
        let body = format!("{PLAN}&subscription_data[trial_period_days]={days}");
        let (status, answer) = post(&stand_in, "v1/checkout/sessions", None, &body).await;
        assert_eq!((status, &answer["error"]["param"]), (400, &"subscription_data[trial_period_days]".into()));
    }
}

#[tokio::test]
async fn cancel_at_period_end_then_resume_then_cancel_ends_the_subscription_at_the_period_end() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let id = session(&stand_in, "").await;
    stand_in.complete(&id, true).unwrap();
    stand_in.invoice(&id, true).unwrap();
    let sub = stand_in.session(&id).unwrap()["subscription"].as_str().unwrap().to_owned();
    let path = format!("v1/subscriptions/{sub}");

    let (status, canceled) = post(&stand_in, &path, None, "cancel_at_period_end=true").await;
    assert_eq!((status, &canceled["cancel_at_period_end"]), (200, &true.into()));
    assert_eq!(canceled["cancel_at"], canceled["items"]["data"][0]["current_period_end"]);
    let (_, resumed) = post(&stand_in, &path, None, "cancel_at_period_end=false").await;
    assert_eq!((&resumed["cancel_at_period_end"], &resumed["status"]), (&false.into(), &"active".into()));
    let updates = stand_in.events().iter().filter(|e| e["type"] == "customer.subscription.updated").count();
    assert_eq!(updates, 2);
    assert_eq!(post(&stand_in, "v1/subscriptions/sub_nope", None, "cancel_at_period_end=true").await.0, 404);

    post(&stand_in, &path, None, "cancel_at_period_end=true").await;
    let start = stand_in.clock(&id).unwrap();
    assert!(stand_in.advance_clock(&id, start + 29 * DAY).unwrap().is_empty(), "nothing before the period ends");
    let ended = stand_in.advance_clock(&id, start + 31 * DAY).unwrap();
    assert_eq!(kinds(&ended), ["customer.subscription.deleted"]);
    assert_eq!(ended[0]["data"]["object"]["status"], "canceled");
}

#[tokio::test]
async fn billing_portal_sessions_need_a_known_customer() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let id = session(&stand_in, "").await;
    stand_in.complete(&id, true).unwrap();
    let customer = stand_in.session(&id).unwrap()["customer"].as_str().unwrap().to_owned();

    let body = format!("customer={customer}&return_url=https://discord.com/channels/1");
    let (status, portal) = post(&stand_in, "v1/billing_portal/sessions", None, &body).await;
    assert_eq!((status, &portal["object"]), (200, &"billing_portal.session".into()));
    assert!(portal["url"].as_str().unwrap().starts_with(&stand_in.base_url()));
    assert_eq!(post(&stand_in, "v1/billing_portal/sessions", None, "customer=cus_nope").await.0, 400);
    assert_eq!(post(&stand_in, "v1/billing_portal/sessions", None, "").await.0, 400);
}

#[tokio::test]
async fn a_failed_renewal_is_retried_on_the_same_invoice_and_its_payment_is_listed() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let id = session(&stand_in, "").await;
    stand_in.complete(&id, true).unwrap();
    stand_in.invoice(&id, true).unwrap();
    let failed = stand_in.invoice(&id, false).unwrap();
    let invoice = failed["data"]["object"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&failed["data"]["object"]["status"], &failed["data"]["object"]["attempt_count"]),
        (&"open".into(), &1.into())
    );

    let again = stand_in.retry_invoice(&id, false).unwrap();
    assert_eq!(
        (again["data"]["object"]["id"].as_str(), &again["data"]["object"]["attempt_count"]),
        (Some(invoice.as_str()), &2.into())
    );
    let paid = stand_in.retry_invoice(&id, true).unwrap();
    assert_eq!(paid["type"], "invoice.paid");
    assert_eq!(
        (paid["data"]["object"]["id"].as_str(), &paid["data"]["object"]["amount_paid"]),
        (Some(invoice.as_str()), &999.into())
    );
    assert!(matches!(typed(&paid), EventObject::InvoicePaid(_)));
    assert!(stand_in.retry_invoice(&id, true).is_err(), "a paid invoice is not retried");
    let auth = format!("Bearer {KEY}");
    let url = format!("{}v1/invoice_payments?invoice={invoice}", stand_in.base_url());
    let (_, body) = super::webhook::http("GET", &url, &[("Authorization", &auth)], "").await.unwrap();
    let payments: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payments["data"].as_array().unwrap().len(), 1, "{payments}");
}
