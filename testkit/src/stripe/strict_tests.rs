//! The stand-in as strict as Stripe where a plan switch could get it wrong: a subscription
//! managed by a schedule refuses cancellation changes, and an idempotency key replays the first
//! result of a request that started executing (402 and 5xx failures too), not a refusal.

use super::plans_tests::{price, subscription, KEY};
use super::tests::post;
use super::*;

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
