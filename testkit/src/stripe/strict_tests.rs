//! The stand-in as strict as Stripe where a plan switch could get it wrong: a subscription
//! managed by a schedule refuses cancellation changes, and an idempotency key replays the first
//! result of a request that started executing (402 and 5xx failures too), not a refusal.

use super::plans_tests::{price, subscription, KEY};
use super::tests::post;
use super::*;
use serde_json::Value;

#[tokio::test]
async fn a_subscription_managed_by_a_schedule_refuses_cancel_at_period_end_until_the_schedule_is_released() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (_, sub, _, _) = subscription(&stand_in).await;
    let (_, schedule) = post(&stand_in, "v1/subscription_schedules", None, &format!("from_subscription={sub}")).await;
    let sched = schedule["id"].as_str().unwrap();
    let path = format!("v1/subscriptions/{sub}");

    for value in ["true", "false"] {
        let (status, refused) = post(&stand_in, &path, None, &format!("cancel_at_period_end={value}")).await;
        assert_eq!(status, 400, "{refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("managed by the subscription schedule `{sched}`")), "{message}");
        assert_eq!(refused["error"]["param"], "cancel_at_period_end");
    }

    assert_eq!(post(&stand_in, &format!("v1/subscription_schedules/{sched}/release"), None, "").await.0, 200);
    let (status, canceling) = post(&stand_in, &path, None, "cancel_at_period_end=true").await;
    assert_eq!((status, &canceling["cancel_at_period_end"]), (200, &true.into()), "{canceling}");
}

#[tokio::test]
async fn a_key_replays_a_5xx_or_402_of_a_request_that_started_executing_but_not_a_400() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (id, sub, item, _) = subscription(&stand_in).await;
    let pro = price(&stand_in, 1200).await;
    let path = format!("v1/subscriptions/{sub}");
    let change = format!("items[0][id]={item}&items[0][price]={pro}&proration_behavior=always_invoice");

    // A 400 is not kept: the same key may carry the corrected request.
    let wrong = format!("items[0][id]=si_nope&items[0][price]={pro}&proration_behavior=always_invoice");
    assert_eq!(post(&stand_in, &path, Some("k1"), &wrong).await.0, 400);
    stand_in.fail_inside(Some(500), false);
    let (status, failed) = post(&stand_in, &path, Some("k1"), &wrong).await;
    assert_eq!((status, &failed["error"]["type"]), (500, &"api_error".into()));
    stand_in.fail_inside(None, false);
    // The 500 is kept for that key: a retry with it gets the 500 again, and nothing changes.
    assert_eq!(post(&stand_in, &path, Some("k1"), &wrong).await.0, 500);
    let (_, object) = post(&stand_in, &path, None, "").await;
    assert_ne!(object["items"]["data"][0]["price"]["id"], pro.as_str());

    // A declined charge (402) is kept too, even once the card works.
    stand_in.decline_renewals(&id, true).unwrap();
    let args = format!("{change}&payment_behavior=error_if_incomplete");
    assert_eq!(post(&stand_in, &path, Some("k2"), &args).await.0, 402);
    stand_in.decline_renewals(&id, false).unwrap();
    assert_eq!(post(&stand_in, &path, Some("k2"), &args).await.0, 402);

    // A failure after the change was made: the change stands, the 500 is replayed.
    stand_in.fail_inside(Some(500), true);
    assert_eq!(post(&stand_in, &path, Some("k3"), &args).await.0, 500);
    stand_in.fail_inside(None, false);
    assert_eq!(post(&stand_in, &path, Some("k3"), &args).await.0, 500);
    let (_, object) = post(&stand_in, &path, None, "").await;
    assert_eq!(object["items"]["data"][0]["price"]["id"], pro.as_str(), "the change was made");
}

#[tokio::test]
async fn a_price_change_refuses_what_the_stand_in_does_not_model_and_its_event_names_only_what_changed() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (_, sub, item, _) = subscription(&stand_in).await;
    let pro = price(&stand_in, 1200).await;
    let path = format!("v1/subscriptions/{sub}");
    let change = format!("items[0][id]={item}&items[0][price]={pro}&proration_behavior=create_prorations");
    for (extra, param) in [
        ("proration_date=1700000000", "proration_date"),
        ("items[0][quantity]=2", "items[0][quantity]"),
        ("metadata[a]=b", "metadata"),
        ("cancel_at_period_end=true", "cancel_at_period_end"),
    ] {
        let (status, refused) = post(&stand_in, &path, None, &format!("{change}&{extra}")).await;
        assert_eq!((status, refused["error"]["param"].as_str()), (400, Some(param)), "{refused}");
    }

    let seen = stand_in.events().len();
    assert_eq!(post(&stand_in, &path, None, &change).await.0, 200);
    let updated = &stand_in.events()[seen];
    let previous = updated["data"]["previous_attributes"].as_object().unwrap();
    let keys: Vec<&str> = previous.keys().map(String::as_str).collect();
    assert_eq!(keys, ["items"], "no top-level plan, no unchanged latest_invoice");
}

#[tokio::test]
async fn a_released_schedule_names_its_subscription_as_released_subscription_only() {
    let stand_in = StripeStandIn::start(KEY).await.unwrap();
    let (_, sub, _, _) = subscription(&stand_in).await;
    let (_, schedule) = post(&stand_in, "v1/subscription_schedules", None, &format!("from_subscription={sub}")).await;
    assert_eq!((&schedule["subscription"], &schedule["released_subscription"]), (&sub.clone().into(), &Value::Null));
    let id = schedule["id"].as_str().unwrap();
    let (status, released) = post(&stand_in, &format!("v1/subscription_schedules/{id}/release"), None, "").await;
    assert_eq!(status, 200);
    assert_eq!((&released["subscription"], &released["released_subscription"]), (&Value::Null, &sub.into()));
}
