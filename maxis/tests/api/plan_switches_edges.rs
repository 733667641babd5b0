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
    let view = shop.app.commerce.cancel_membership("7", reason).await.unwrap();

    assert!(view.subscription.cancel_at_period_end && view.scheduled_switch.is_none());
    let requests = shop.stripe.requests();
    let release = requests.iter().position(|r| r.path == format!("/v1/subscription_schedules/{schedule}/release"));
    let cancel = requests.iter().rposition(|r| r.form["cancel_at_period_end"] == "true");
    assert!(release.unwrap() < cancel.unwrap(), "released before the cancellation");
    wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "subscription.switch_canceled" && e.data["to"] == "basic").await;
    assert_eq!(dm_sent(&shop, "7", "Your switch to Basic is canceled").await, 1);
    assert!(shop.app.commerce.membership("7").await.unwrap().scheduled_switch.is_none());

    // The period ends: the membership ends, no switch to Basic, no renewal.
    let seen = shop.stripe.events().len();
    let ended = shop.stripe.advance_clock(&session, start + 31 * DAY).unwrap();
    assert!(ended.iter().all(|e| e["type"] != "invoice.paid"), "no renewal after a cancel");
    deliver_since(&shop, seen).await;
    assert!(!shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE));
}
