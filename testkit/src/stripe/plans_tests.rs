//! Prices, price changes with proration, and subscription schedules on the test clock.

use serde_json::Value;
use stripe_webhook::{EventObject, Webhook};

use super::tests::post;
use super::webhook::http;
use super::*;

const KEY: &str = "sk_test_standin";
const DAY: i64 = 24 * 3600;

const PLAN: &str = "mode=subscription&success_url=https://shop.test/ok&client_reference_id=c1\
    &line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=600\
    &line_items[0][price_data][product_data][name]=Basic&line_items[0][price_data][recurring][interval]=month\
    &line_items[0][quantity]=1";

async fn get(stand_in: &StripeStandIn, path: &str) -> (u16, Value) {
    let auth = format!("Bearer {KEY}");
    let url = format!("{}{path}", stand_in.base_url());
    let (status, body) = http("GET", &url, &[("Authorization", &auth)], "").await.unwrap();
    (status, serde_json::from_str(&body).unwrap())
}

fn typed(event: &Value) -> EventObject {
    let body = serde_json::to_string(event).unwrap();
    Webhook::insecure(&body).unwrap_or_else(|e| panic!("{} does not parse: {e}\n{body}", event["type"])).data.object
}

/// A paid monthly subscription at 6.00; returns (session, subscription, item, start).
async fn subscription(stand_in: &StripeStandIn) -> (String, String, String, i64) {
    let (status, session) = post(stand_in, "v1/checkout/sessions", None, PLAN).await;
    assert_eq!(status, 200, "{session}");
    let id = session["id"].as_str().unwrap().to_owned();
    stand_in.complete(&id, true).unwrap();
    stand_in.invoice(&id, true).unwrap();
    let sub = stand_in.session(&id).unwrap()["subscription"].as_str().unwrap().to_owned();
    let (_, object) = post(stand_in, &format!("v1/subscriptions/{sub}"), None, "").await;
    let item = object["items"]["data"][0]["id"].as_str().unwrap().to_owned();
    let start = stand_in.clock(&id).unwrap();
    (id, sub, item, start)
}

async fn price(stand_in: &StripeStandIn, amount: i64) -> String {
    let form = format!("currency=eur&unit_amount={amount}&recurring[interval]=month&product_data[name]=Pro");
    let (status, price) = post(stand_in, "v1/prices", None, &form).await;
    assert_eq!(status, 200, "{price}");
    assert_eq!((&price["type"], &price["recurring"]["interval"]), (&"recurring".into(), &"month".into()));
    price["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_price_change_with_always_invoice_charges_the_proration_now_in_two_lines() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (id, sub, item, start) = subscription(&stand_in).await;
    let pro = price(&stand_in, 1200).await;
    stand_in.advance_clock(&id, start + 15 * DAY).unwrap();
    let seen = stand_in.events().len();

    let form =
        format!("items[0][id]={item}&items[0][price]={pro}&proration_behavior=always_invoice&expand[0]=latest_invoice");
    let (status, updated) = post(&stand_in, &format!("v1/subscriptions/{sub}"), None, &form).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["items"]["data"][0]["price"]["id"], pro.as_str());
    // Half the period remains: 3.00 credited, 6.00 charged.
    let invoice = &updated["latest_invoice"];
    assert_eq!(
        (&invoice["billing_reason"], &invoice["total"], &invoice["amount_paid"]),
        (&"subscription_update".into(), &300.into(), &300.into())
    );
    let lines: Vec<i64> =
        invoice["lines"]["data"].as_array().unwrap().iter().map(|l| l["amount"].as_i64().unwrap()).collect();
    assert_eq!(lines, [-300, 600]);

    let events: Vec<Value> = stand_in.events().into_iter().skip(seen).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["customer.subscription.updated", "invoice.paid", "invoice.payment_succeeded"]);
    assert!(events[0]["data"]["previous_attributes"]["items"].is_object());
    assert!(matches!(typed(&events[0]), EventObject::CustomerSubscriptionUpdated(_)));
    assert!(matches!(typed(&events[1]), EventObject::InvoicePaid(_)));
    let paid = &events[1]["data"]["object"];
    assert_eq!(paid["parent"]["subscription_details"]["subscription"], sub.as_str());
    let (_, payments) = get(&stand_in, &format!("v1/invoice_payments?invoice={}", paid["id"].as_str().unwrap())).await;
    assert_eq!(payments["data"][0]["amount_paid"], 300, "the proration has a payment of its own");

    // The same price again changes nothing.
    let (status, same) = post(&stand_in, &format!("v1/subscriptions/{sub}"), None, &form).await;
    assert_eq!((status, &same["items"]["data"][0]["price"]["id"]), (200, &Value::from(pro.as_str())));
    assert_eq!(stand_in.events().len(), seen + 3, "no event for no change");
}

#[tokio::test]
async fn create_prorations_bills_them_with_the_next_renewal_and_none_bills_nothing() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (id, sub, item, start) = subscription(&stand_in).await;
    let pro = price(&stand_in, 1200).await;
    stand_in.advance_clock(&id, start + 15 * DAY).unwrap();
    let form = format!("items[0][id]={item}&items[0][price]={pro}");
    assert_eq!(post(&stand_in, &format!("v1/subscriptions/{sub}"), None, &form).await.0, 200);
    let renewal = stand_in.advance_clock(&id, start + 31 * DAY).unwrap();
    let invoice = &renewal.iter().find(|e| e["type"] == "invoice.paid").unwrap()["data"]["object"];
    assert_eq!(invoice["amount_paid"], 1200 + 300, "the new price and the proration waiting for it");
    assert_eq!(invoice["lines"]["data"].as_array().unwrap().len(), 3);

    let basic = price(&stand_in, 600).await;
    let form = format!("items[0][id]={item}&items[0][price]={basic}&proration_behavior=none");
    let seen = stand_in.events().len();
    assert_eq!(post(&stand_in, &format!("v1/subscriptions/{sub}"), None, &form).await.0, 200);
    assert_eq!(stand_in.events().len(), seen + 1, "only customer.subscription.updated");
    let renewal = stand_in.advance_clock(&id, start + 61 * DAY).unwrap();
    assert_eq!(renewal.iter().find(|e| e["type"] == "invoice.paid").unwrap()["data"]["object"]["amount_paid"], 600);
}

#[tokio::test]
async fn price_changes_are_refused_as_stripe_refuses_them() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (id, sub, item, _) = subscription(&stand_in).await;
    let path = format!("v1/subscriptions/{sub}");
    let (status, body) = post(&stand_in, &path, None, &format!("items[0][id]={item}&items[0][price]=price_nope")).await;
    assert_eq!(
        (status, &body["error"]["code"], &body["error"]["param"]),
        (400, &"resource_missing".into(), &"items[0][price]".into())
    );
    let pro = price(&stand_in, 1200).await;
    let (status, body) = post(&stand_in, &path, None, &format!("items[0][id]=si_nope&items[0][price]={pro}")).await;
    assert_eq!((status, &body["error"]["code"]), (400, &"resource_missing".into()));
    let (status, _) = post(
        &stand_in,
        &path,
        None,
        &format!("items[0][id]={item}&items[0][price]={pro}&proration_behavior=sometimes"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = post(&stand_in, "v1/prices", None, "currency=eur&unit_amount=100").await;
    assert_eq!((status, &body["error"]["param"]), (400, &"product".into()));

    // A declined card refuses the whole update under error_if_incomplete.
    stand_in.decline_renewals(&id, true).unwrap();
    let form = format!("items[0][id]={item}&items[0][price]={pro}&proration_behavior=always_invoice&payment_behavior=error_if_incomplete");
    let (status, body) = post(&stand_in, &path, None, &form).await;
    assert_eq!((status, &body["error"]["code"]), (402, &"card_declined".into()));
    let (_, object) = post(&stand_in, &path, None, "").await;
    assert_ne!(object["items"]["data"][0]["price"]["id"], pro.as_str(), "nothing changed");
}

#[tokio::test]
async fn a_schedule_switches_the_price_at_the_period_boundary_and_is_released_after_its_last_phase() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (id, sub, _, start) = subscription(&stand_in).await;
    let cheaper = price(&stand_in, 300).await;
    let (status, schedule) =
        post(&stand_in, "v1/subscription_schedules", None, &format!("from_subscription={sub}")).await;
    assert_eq!(status, 200, "{schedule}");
    let sched = schedule["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&schedule["phases"][0]["start_date"], &schedule["phases"][0]["end_date"]),
        (&start.into(), &(start + 30 * DAY).into())
    );
    let (status, again) = post(&stand_in, "v1/subscription_schedules", None, &format!("from_subscription={sub}")).await;
    assert_eq!(status, 400, "already attached: {again}");
    let current = schedule["phases"][0]["items"][0]["price"].as_str().unwrap().to_owned();
    let path = format!("v1/subscription_schedules/{sched}");
    let moved = format!(
        "phases[0][items][0][price]={current}&phases[0][start_date]={}&phases[0][end_date]={}",
        start + DAY,
        start + 30 * DAY
    );
    assert_eq!(post(&stand_in, &path, None, &moved).await.0, 400, "the current phase's start cannot move");
    let phases = format!(
        "end_behavior=release&phases[0][items][0][price]={current}&phases[0][start_date]={start}&phases[0][end_date]={}\
         &phases[1][items][0][price]={cheaper}&phases[1][duration][interval]=month&phases[1][duration][interval_count]=1",
        start + 30 * DAY
    );
    let (status, updated) = post(&stand_in, &path, None, &phases).await;
    assert_eq!((status, &updated["phases"][1]["end_date"]), (200, &(start + 60 * DAY).into()), "{updated}");
    let (_, object) = post(&stand_in, &format!("v1/subscriptions/{sub}"), None, "").await;
    assert_eq!(object["schedule"], sched.as_str());

    let boundary = stand_in.advance_clock(&id, start + 31 * DAY).unwrap();
    let kinds: Vec<&str> = boundary.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["customer.subscription.updated", "invoice.paid", "customer.subscription.updated"]);
    assert_eq!(boundary[0]["data"]["object"]["items"]["data"][0]["price"]["id"], cheaper.as_str());
    assert_eq!(boundary[1]["data"]["object"]["amount_paid"], 300);
    let end = stand_in.advance_clock(&id, start + 61 * DAY).unwrap();
    assert!(end.iter().any(|e| e["type"] == "subscription_schedule.released"));
    let (_, object) = post(&stand_in, &format!("v1/subscriptions/{sub}"), None, "").await;
    assert!(object["schedule"].is_null(), "released: the subscription goes on at the last price");
    assert_eq!(post(&stand_in, &format!("{path}/release"), None, "").await.0, 400, "released already");
}
