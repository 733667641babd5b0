//! Plan switches where Stripe is strict or late: a cancel while a downgrade is scheduled (Stripe
//! refuses a cancellation on a schedule-managed subscription), a failed or interrupted switch
//! at Stripe (the idempotency key replays a 5xx), a proration paid before the switch is
//! recorded, a failed proration invoice that is no renewal, and Stripe's events in any order.

use testkit::shop::wait_for_event;

use super::plan_switches::{deliver_since, dms, subscribed, BASIC_ROLE, CATALOG, DAY, PRO_ROLE};
use crate::commerce::Shop;

/// Waits until the DM to `who` containing `needle` went out (the delivery worker's pass).
pub(crate) async fn dm_sent(shop: &Shop, who: &str, needle: &str) -> usize {
    for _ in 0..100 {
        if dms(shop, who, needle) > 0 {
            break;
        }
        shop.app.commerce.dunning_once(chrono::Utc::now()).await.unwrap();
    }
    dms(shop, who, needle)
}

#[tokio::test]
async fn cancelling_while_a_downgrade_is_scheduled_releases_the_schedule_drops_the_switch_and_ends_at_the_period_end() {
    let shop = Shop::start_with(CATALOG).await;
    let session = subscribed(&shop, "7", "pro", PRO_ROLE).await;
    let start = shop.stripe.clock(&session).unwrap();
    let down = shop.app.commerce.switch_plan("7", "basic").await.unwrap();
    assert_eq!(down.status, "scheduled");
    let schedule = down.schedule_id.clone().unwrap();

    let reason = maxis::payments::CancelFeedback::TooExpensive;
    // Stripe fails the cancellation itself once the schedule is released: asked again, it is done.
    shop.stripe.fail_inside_when("cancel_at_period_end", 500, false);
    shop.app.commerce.cancel_membership("7", reason).await.unwrap_err();
    shop.stripe.fail_inside(None, false);
    let view = shop.app.commerce.cancel_membership("7", reason).await.unwrap();

    assert!(view.subscription.cancel_at_period_end && view.scheduled_switch.is_none());
    let requests = shop.stripe.requests();
    let release = requests.iter().position(|r| r.path == format!("/v1/subscription_schedules/{schedule}/release"));
    let cancel = requests.iter().rposition(|r| r.form["cancel_at_period_end"] == "true");
    assert!(release.unwrap() < cancel.unwrap(), "released before the cancellation");
    wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "subscription.switch_canceled" && e.data["to"] == "basic").await;
    assert_eq!(dm_sent(&shop, "7", "Your switch to Basic is canceled, as you asked to end your membership").await, 1);
    assert!(shop.app.commerce.membership("7").await.unwrap().scheduled_switch.is_none());

    // The period ends: the membership ends, no switch to Basic, no renewal.
    let seen = shop.stripe.events().len();
    let ended = shop.stripe.advance_clock(&session, start + 31 * DAY).unwrap();
    assert!(ended.iter().all(|e| e["type"] != "invoice.paid"), "no renewal after a cancel");
    deliver_since(&shop, seen).await;
    assert!(!shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE));
}

async fn switch_row(shop: &Shop, id: &str) -> (String, i64) {
    let store = shop.store().await;
    sqlx::query_as("SELECT status, attempt FROM plan_switches WHERE id = ?")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

fn keys(shop: &Shop, path_start: &str) -> Vec<String> {
    let requests = shop.stripe.requests().into_iter().filter(|r| r.method == "POST" && r.path.starts_with(path_start));
    requests.filter_map(|r| r.header("idempotency-key").map(str::to_owned)).collect()
}

#[tokio::test]
async fn a_downgrade_whose_phases_fail_leaves_no_schedule_attached_and_the_retry_schedules_it_under_new_keys() {
    let shop = Shop::start_with(CATALOG).await;
    let session = subscribed(&shop, "7", "pro", PRO_ROLE).await;
    let start = shop.stripe.clock(&session).unwrap();
    shop.stripe.fail_inside_when("phases", 500, false);

    let failed = shop.app.commerce.switch_plan("7", "basic").await.unwrap_err().to_string();
    assert!(failed.contains("try again in a minute"), "{failed}");
    let status = shop.app.commerce.membership("7").await.unwrap();
    assert_eq!((status.subscription.schedule, status.scheduled_switch), (None, None), "released, not left attached");
    let id = sqlx::query_scalar::<_, String>("SELECT id FROM plan_switches")
        .fetch_one(shop.store().await.pool())
        .await
        .unwrap();
    assert_eq!(switch_row(&shop, &id).await, ("requested".to_owned(), 1));

    // Stripe is back: the worker's pass schedules it under the next attempt's keys.
    shop.stripe.fail_inside(None, false);
    let done = shop.app.commerce.perform_switch(&id).await.unwrap();
    assert_eq!(done.status, "scheduled");
    assert_eq!(done.effective_at.map(|at| at.timestamp()), Some(start + 30 * DAY), "the phase's end, from Stripe");
    assert_eq!(keys(&shop, "/v1/subscription_schedules").last().unwrap(), &format!("switch:{id}:1:phases"));
    let live = shop.app.commerce.membership("7").await.unwrap();
    assert_eq!(live.subscription.schedule, done.schedule_id);
}

#[tokio::test]
async fn a_schedule_the_shop_does_not_track_is_released_before_a_switch() {
    let shop = Shop::start_with(CATALOG).await;
    let session = subscribed(&shop, "7", "pro", PRO_ROLE).await;
    let stray = shop.stripe.attach_schedule(&session).unwrap();

    let down = shop.app.commerce.switch_plan("7", "basic").await.unwrap();

    assert_eq!(down.status, "scheduled");
    let released = format!("/v1/subscription_schedules/{stray}/release");
    assert!(shop.stripe.requests().iter().any(|r| r.path == released), "the stray schedule is released");
    assert_ne!(down.schedule_id.as_deref(), Some(stray.as_str()));
    assert_eq!(switch_row(&shop, &down.id).await, ("scheduled".to_owned(), 1), "new keys after the release");
}

#[tokio::test]
async fn an_upgrade_after_a_stripe_5xx_retries_under_a_new_key_since_stripe_replays_the_5xx_for_the_old_one() {
    let shop = Shop::start_with(CATALOG).await;
    subscribed(&shop, "7", "basic", BASIC_ROLE).await;
    shop.stripe.fail_inside_when("items", 500, false);

    let failed = shop.app.commerce.switch_plan("7", "pro").await.unwrap_err().to_string();
    assert!(failed.contains("try again in a minute"), "{failed}");
    shop.stripe.fail_inside(None, false);
    let id = keys(&shop, "/v1/subscriptions/").pop().unwrap().trim_start_matches("switch:").to_owned();
    assert_eq!(switch_row(&shop, &id).await, ("requested".to_owned(), 1));

    let done = shop.app.commerce.perform_switch(&id).await.unwrap();

    assert_eq!((done.status.as_str(), done.prorated), ("applied", Some(500)));
    assert_eq!(keys(&shop, "/v1/subscriptions/"), [format!("switch:{id}"), format!("switch:{id}:1")]);
    shop.settle().await;
    assert!(shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE));
    assert_eq!(dm_sent(&shop, "7", "Stripe charged 5.00 EUR").await, 1);
}

#[tokio::test]
async fn an_upgrade_whose_answer_was_a_5xx_after_it_executed_is_recorded_from_the_live_subscription_without_a_second_change(
) {
    let shop = Shop::start_with(CATALOG).await;
    subscribed(&shop, "7", "basic", BASIC_ROLE).await;
    let seen = shop.stripe.events().len();
    shop.stripe.fail_inside_when("items", 500, true);

    shop.app.commerce.switch_plan("7", "pro").await.unwrap_err();
    shop.stripe.fail_inside(None, false);
    let id = keys(&shop, "/v1/subscriptions/").pop().unwrap().trim_start_matches("switch:").to_owned();

    // Stripe's webhooks of the change arrive before the shop recorded the switch.
    deliver_since(&shop, seen).await;
    assert_eq!(switch_row(&shop, &id).await.0, "requested");
    let sale: (String, i64) = sqlx::query_as("SELECT product_id, amount FROM sales WHERE amount = 500")
        .fetch_one(shop.store().await.pool())
        .await
        .unwrap();
    assert_eq!(sale, ("pro".to_owned(), 500), "the proration Stripe charged is a sale of Pro, from its line's price");

    let done = shop.app.commerce.perform_switch(&id).await.unwrap();

    assert_eq!(done.status, "applied");
    assert_eq!(keys(&shop, "/v1/subscriptions/").len(), 1, "no second price change");
    shop.settle().await;
    assert!(shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE));
    assert_eq!(dm_sent(&shop, "7", "You are now on Pro (was Basic)").await, 1);
}

#[tokio::test]
async fn a_failed_proration_invoice_is_no_missed_renewal_and_starts_no_dunning_but_a_failed_renewal_does() {
    let shop = Shop::start_with(CATALOG).await;
    let session = subscribed(&shop, "7", "basic", BASIC_ROLE).await;
    let start = shop.stripe.clock(&session).unwrap();
    shop.stripe.decline_renewals(&session, true).unwrap();

    let events = shop.stripe.dashboard_price_change(&session, 1500).unwrap();
    let failed = events.iter().find(|e| e["type"] == "invoice.payment_failed").expect("the proration failed");
    assert_eq!(failed["data"]["object"]["billing_reason"], "subscription_update");
    for event in &events {
        assert_eq!(shop.webhook(event).await, 200);
    }
    shop.settle().await;
    assert_eq!(dunnings(&shop).await, 0, "a failed proration is no failed renewal");
    assert!(shop.app.commerce.membership("7").await.unwrap().grace_until.is_none());

    for event in shop.stripe.advance_clock(&session, start + 31 * DAY).unwrap() {
        assert_eq!(shop.webhook(&event).await, 200);
    }
    assert_eq!(dunnings(&shop).await, 1, "the failed renewal starts dunning");
}

async fn dunnings(shop: &Shop) -> i64 {
    let store = shop.store().await;
    sqlx::query_scalar("SELECT COUNT(*) FROM dunning").fetch_one(store.pool()).await.unwrap()
}

#[tokio::test]
async fn an_upgrades_webhooks_in_any_order_before_or_after_the_switch_is_recorded_end_the_same() {
    for order in [[2, 1, 0], [1, 0, 2], [0, 2, 1]] {
        for before_commit in [false, true] {
            let shop = Shop::start_with(CATALOG).await;
            subscribed(&shop, "7", "basic", BASIC_ROLE).await;
            let seen = shop.stripe.events().len();
            if before_commit {
                shop.stripe.fail_inside_when("items", 500, true);
            }
            let asked = shop.app.commerce.switch_plan("7", "pro").await;
            shop.stripe.fail_inside(None, false);
            let events: Vec<_> = shop.stripe.events().into_iter().skip(seen).collect();
            assert_eq!(events.len(), 3, "{events:?}");
            for i in order {
                assert_eq!(shop.webhook(&events[i]).await, 200, "{}", events[i]["type"]);
            }
            if before_commit {
                assert!(asked.is_err());
                let id = keys(&shop, "/v1/subscriptions/").pop().unwrap().trim_start_matches("switch:").to_owned();
                assert_eq!(shop.app.commerce.perform_switch(&id).await.unwrap().status, "applied");
            }
            shop.settle().await;
            let case = format!("order {order:?}, before the commit: {before_commit}");
            assert!(shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE), "{case}");
            let sales: Vec<(String, i64)> = sqlx::query_as("SELECT product_id, amount FROM sales ORDER BY amount")
                .fetch_all(shop.store().await.pool())
                .await
                .unwrap();
            assert_eq!(sales, [("basic".to_owned(), 499), ("pro".to_owned(), 500)], "{case}");
            let store = shop.store().await;
            let plan: String =
                sqlx::query_scalar("SELECT product_id FROM subscription_plans").fetch_one(store.pool()).await.unwrap();
            assert_eq!(plan, "pro", "{case}");
        }
    }
}
