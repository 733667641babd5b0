//! `GET /v1/events` as Stripe's API reference describes it, and read through the shop's adapter.

use maxis::payments::stripe::StripePayments;
use maxis::payments::Payments;
use serde_json::Value;
use stripe_webhook::{EventObject, Webhook};

use super::tests::paid_session;
use super::webhook::http;
use super::*;

const KEY: &str = "sk_test_standin";

async fn get(stand_in: &StripeStandIn, query: &str) -> (u16, Value) {
    let auth = format!("Bearer {KEY}");
    let url = format!("{}v1/events?{query}", stand_in.base_url());
    let (status, body) = http("GET", &url, &[("Authorization", &auth)], "").await.unwrap();
    (status, serde_json::from_str(&body).unwrap())
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

/// Three events: a completion, a partial refund through the API, a dispute.
async fn three_events(stand_in: &StripeStandIn) -> Vec<String> {
    let (session, intent) = paid_session(stand_in).await;
    let (status, _) =
        super::tests::post(stand_in, "v1/refunds", None, &format!("payment_intent={intent}&amount=100")).await;
    assert_eq!(status, 200);
    stand_in.dispute(&session).unwrap();
    stand_in.events().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn events_are_listed_newest_first_and_paginated_by_starting_after() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let emitted = three_events(&stand_in).await;
    let kinds: Vec<Value> = stand_in.events().iter().map(|e| e["type"].clone()).collect();
    assert_eq!(kinds, ["checkout.session.completed", "charge.refunded", "charge.dispute.created"]);

    let (status, all) = get(&stand_in, "").await;
    assert_eq!(status, 200);
    assert_eq!((&all["object"], &all["url"], &all["has_more"]), (&"list".into(), &"/v1/events".into(), &false.into()));
    let newest_first: Vec<String> = emitted.iter().rev().cloned().collect();
    assert_eq!(ids(&all), newest_first);

    let (_, first) = get(&stand_in, "limit=2").await;
    assert_eq!((ids(&first), first["has_more"].as_bool()), (newest_first[..2].to_vec(), Some(true)));
    let (_, next) = get(&stand_in, &format!("limit=2&starting_after={}", newest_first[1])).await;
    assert_eq!((ids(&next), next["has_more"].as_bool()), (newest_first[2..].to_vec(), Some(false)));
    let (_, before) = get(&stand_in, &format!("ending_before={}", newest_first[2])).await;
    assert_eq!(ids(&before), newest_first[..2].to_vec());
    let (_, disputes) = get(&stand_in, "types[]=charge.dispute.created").await;
    assert_eq!(ids(&disputes), [newest_first[0].clone()]);
    let (_, charges) = get(&stand_in, "types[]=charge.*").await;
    assert_eq!(ids(&charges), newest_first[..2].to_vec());
}

#[tokio::test]
async fn created_filters_and_the_30_day_window_hold() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    three_events(&stand_in).await;
    let (_, later) = get(&stand_in, &format!("created[gt]={}", now() + 10)).await;
    assert!(ids(&later).is_empty());
    let (_, since) = get(&stand_in, &format!("created[gte]={}", now() - 60)).await;
    assert_eq!(ids(&since).len(), 3);

    stand_in.age_events(29 * 24 * 3600);
    assert_eq!(ids(&get(&stand_in, "").await.1).len(), 3, "29 days old: still listed");
    stand_in.age_events(2 * 24 * 3600);
    assert!(ids(&get(&stand_in, "").await.1).is_empty(), "31 days old: Stripe no longer lists them");
}

#[tokio::test]
async fn bad_list_parameters_are_refused_as_stripe_refuses_them() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let emitted = three_events(&stand_in).await;
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("starting_after=evt_nope", "starting_after"),
        ("created[after]=1", "created[after]"),
    ] {
        let (status, body) = get(&stand_in, query).await;
        assert_eq!((status, &body["error"]["param"]), (400, &Value::from(param)), "{query}: {body}");
    }
    let (status, body) = get(&stand_in, &format!("starting_after={0}&ending_before={0}", emitted[0])).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn the_shops_adapter_pages_through_events_that_parse_as_typed_events() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let emitted = three_events(&stand_in).await;
    let payments = StripePayments::new(KEY, Some(&stand_in.base_url())).unwrap();

    let page = payments.events_since(now() - 3600, None).await.unwrap();
    let listed: Vec<String> = page.events.iter().map(|e| e.id.clone()).collect();
    assert_eq!(listed, emitted.iter().rev().cloned().collect::<Vec<_>>());
    assert!(!page.has_more);
    let after = payments.events_since(now() - 3600, Some(listed[0].clone())).await.unwrap();
    assert_eq!(after.events.len(), 2);
    let request = stand_in.requests().into_iter().rfind(|r| r.path == "/v1/events").unwrap();
    assert_eq!(request.form["starting_after"], listed[0].as_str());
    assert_eq!(request.form["limit"], "100");
    assert!(request.form["created"]["gt"].is_string());

    let typed: Vec<EventObject> =
        page.events.iter().map(|e| Webhook::insecure(&e.payload).expect("a listed event parses").data.object).collect();
    assert!(matches!(typed[0], EventObject::ChargeDisputeCreated(_)));
    assert!(matches!(typed[1], EventObject::ChargeRefunded(_)));
    assert!(matches!(typed[2], EventObject::CheckoutSessionCompleted(_)));
}
