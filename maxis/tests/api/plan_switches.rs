//! Plan switches end to end, through the real Stripe client against the Stripe stand-in (its
//! prices, proration, subscription schedules and test clock), signed webhooks, the ledger and the
//! broker: an upgrade is charged its proration and swaps the roles at once; a downgrade waits for
//! the period's end on the test clock; admins switch members by order.

use serde_json::Value;
use subjects::params::SubscriptionParams;
use subjects::results::SubscriptionResult;
use subjects::{Command, ErrorCode, Order};
use testkit::shop::{request, send, wait_for_event};

use crate::commerce::Shop;

const PRO_ROLE: &str = "100000000000000001";
const BASIC_ROLE: &str = "100000000000000003";
const DAY: i64 = 24 * 3600;

const CATALOG: &str = r#"
currency = "eur"
[[product]]
id = "basic"
name = "Basic"
kind = "plan"
price = "4.99"
interval = "month"
role = "100000000000000003"
[[product]]
id = "pro"
name = "Pro"
kind = "plan"
price = "9.99"
interval = "month"
role = "100000000000000001"
[[product]]
id = "vip"
name = "VIP"
kind = "role"
price = "49.00"
role = "100000000000000002"
"#;

/// Member `who` subscribes to `plan` and pays its first invoice; returns the Stripe session.
async fn subscribed(shop: &Shop, who: &str, plan: &str, role: &str) -> String {
    let (_, session) = shop.buy(who, plan, None).await.unwrap();
    assert_eq!(shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await, 200);
    assert_eq!(shop.webhook(&shop.stripe.invoice(&session, true).unwrap()).await, 200);
    shop.settle().await;
    assert!(shop.members.holds(who, role));
    session
}

/// Delivers every Stripe event emitted after the first `seen` as webhooks; returns them.
async fn deliver_since(shop: &Shop, seen: usize) -> Vec<Value> {
    let events: Vec<Value> = shop.stripe.events().into_iter().skip(seen).collect();
    for event in &events {
        assert_eq!(shop.webhook(event).await, 200, "{}", event["type"]);
    }
    shop.settle().await;
    events
}

async fn audit_rows(shop: &Shop) -> i64 {
    let store = shop.store().await;
    sqlx::query_scalar("SELECT COUNT(*) FROM entitlement_audit").fetch_one(store.pool()).await.unwrap()
}

fn dms(shop: &Shop, who: &str, needle: &str) -> usize {
    shop.members.dms.lock().unwrap().iter().filter(|(u, t)| u == who && t.contains(needle)).count()
}

#[tokio::test]
async fn an_upgrade_from_basic_to_pro_is_charged_its_proration_at_once_and_swaps_the_roles_at_once() {
    let shop = Shop::start_with(CATALOG).await;
    let session = subscribed(&shop, "7", "basic", BASIC_ROLE).await;
    let start = shop.stripe.clock(&session).unwrap();
    assert!(shop.stripe.advance_clock(&session, start + 10 * DAY).unwrap().is_empty());
    let seen = shop.stripe.events().len();

    let switch = shop.app.commerce.switch_plan("7", "pro").await.unwrap();

    // 20 of 30 days remain: 4.99 × 20/30 = 3.33 credited, 9.99 × 20/30 = 6.66 charged.
    assert_eq!((switch.status.as_str(), switch.prorated), ("applied", Some(333)));
    let update = shop.stripe.requests().into_iter().rfind(|r| r.path.starts_with("/v1/subscriptions/")).unwrap();
    assert_eq!(update.method, "POST");
    assert_eq!(update.form["proration_behavior"], "always_invoice");
    assert_eq!(update.form["payment_behavior"], "error_if_incomplete");
    assert!(update.form["items"][0]["id"].as_str().unwrap().starts_with("si_"));
    assert_eq!(update.header("idempotency-key"), Some(format!("switch:{}", switch.id).as_str()));
    let paid = shop.stripe.events().into_iter().skip(seen).find(|e| e["type"] == "invoice.paid").unwrap();
    let invoice = &paid["data"]["object"];
    assert_eq!(
        (invoice["billing_reason"].as_str(), invoice["amount_paid"].as_i64()),
        (Some("subscription_update"), Some(333))
    );
    assert_eq!(Some(invoice["id"].as_str().unwrap()), switch.invoice_id.as_deref());
    let lines = invoice["lines"]["data"].as_array().unwrap();
    let amounts: Vec<i64> = lines.iter().map(|l| l["amount"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [-333, 666]);
    assert!(lines.iter().all(|l| l["parent"]["subscription_item_details"]["proration"] == true));

    shop.settle().await;
    assert!(shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE), "swapped at once");
    wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "subscription.switched" && e.data["prorated"] == 333).await;

    // Stripe's webhooks of the change arrive, then again: nothing changes.
    let events = deliver_since(&shop, seen).await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, ["customer.subscription.updated", "invoice.paid", "invoice.payment_succeeded"]);
    let audited = audit_rows(&shop).await;
    for event in &events {
        assert_eq!(shop.webhook(event).await, 200);
    }
    shop.settle().await;
    assert_eq!(audit_rows(&shop).await, audited, "replayed webhooks change nothing");
    assert!(shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE));
    let store = shop.store().await;
    let sale: (String, i64) = sqlx::query_as("SELECT product_id, amount FROM sales WHERE id = ?")
        .bind(invoice["id"].as_str())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(sale, ("pro".to_owned(), 333), "the proration is a sale of Pro");
    for _ in 0..100 {
        if dms(&shop, "7", "You are now on Pro") == 1 {
            break;
        }
        shop.app.commerce.dunning_once(chrono::Utc::now()).await.unwrap();
    }
    assert_eq!(dms(&shop, "7", "You are now on Pro (was Basic)"), 1);

    // The figures count one member, on Pro, paying Pro's price.
    let figures = shop.analytics().await.memberships.unwrap();
    let active: Vec<(&str, u64)> = figures.active.iter().map(|p| (p.product.as_str(), p.members)).collect();
    assert_eq!((active, figures.mrr[0].amount, figures.new), (vec![("pro", 1)], 999, 1));

    // The next renewal bills Pro's full price.
    let renewed = shop.stripe.advance_clock(&session, start + 31 * DAY).unwrap();
    let renewal = renewed.iter().find(|e| e["type"] == "invoice.paid").unwrap();
    assert_eq!(renewal["data"]["object"]["amount_paid"], 999);
}

#[tokio::test]
async fn a_downgrade_from_pro_to_basic_keeps_pro_until_the_test_clock_crosses_the_period_end_then_basic() {
    let shop = Shop::start_with(CATALOG).await;
    let session = subscribed(&shop, "7", "pro", PRO_ROLE).await;
    let start = shop.stripe.clock(&session).unwrap();
    let seen = shop.stripe.events().len();

    let switch = shop.app.commerce.switch_plan("7", "basic").await.unwrap();
    assert_eq!(switch.status, "scheduled");
    assert_eq!(switch.effective_at.map(|at| at.timestamp()), Some(start + 30 * DAY));
    let requests = shop.stripe.requests();
    let create = requests.iter().find(|r| r.path == "/v1/subscription_schedules").unwrap();
    assert!(create.form["from_subscription"].as_str().unwrap().starts_with("sub_"));
    let phases = requests.iter().rfind(|r| r.path.starts_with("/v1/subscription_schedules/sub_sched_")).unwrap();
    assert_eq!(phases.form["phases"][0]["end_date"], (start + 30 * DAY).to_string());
    assert_eq!(phases.form["end_behavior"], "release");
    deliver_since(&shop, seen).await;
    assert!(shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE), "Pro until the period ends");
    let status = shop.app.commerce.membership("7").await.unwrap();
    assert_eq!(
        status.scheduled_switch.map(|(plan, at)| (plan, at.timestamp())),
        Some(("Basic".to_owned(), start + 30 * DAY))
    );
    // Asking again is refused in a sentence.
    let again = shop.app.commerce.switch_plan("7", "basic").await.unwrap_err().to_string();
    assert!(again.contains("already scheduled"), "{again}");

    assert!(shop.stripe.advance_clock(&session, start + 29 * DAY).unwrap().is_empty());
    assert!(shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE));

    let seen = shop.stripe.events().len();
    let crossed = shop.stripe.advance_clock(&session, start + 31 * DAY).unwrap();
    let kinds: Vec<&str> = crossed.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, ["customer.subscription.updated", "invoice.paid", "customer.subscription.updated"]);
    assert_eq!(crossed[1]["data"]["object"]["amount_paid"], 499, "the renewal bills Basic");
    let events = deliver_since(&shop, seen).await;
    assert!(shop.members.holds("7", BASIC_ROLE) && !shop.members.holds("7", PRO_ROLE), "Basic from the period end");
    wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "subscription.switched" && e.data["to"] == "basic").await;

    let audited = audit_rows(&shop).await;
    for event in &events {
        assert_eq!(shop.webhook(event).await, 200);
    }
    shop.settle().await;
    assert_eq!(audit_rows(&shop).await, audited, "replayed webhooks change nothing");
    let store = shop.store().await;
    let status: String = sqlx::query_scalar("SELECT status FROM plan_switches WHERE id = ?")
        .bind(&switch.id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(status, "applied");
}

fn switch_order(member: &str, plan: &str) -> Order {
    Order::new(Command::Subscription(SubscriptionParams { member: member.into(), switch_to: plan.into() }), "t")
}

#[tokio::test]
async fn an_admin_switches_a_member_by_order_over_nats_and_the_same_order_again_changes_nothing() {
    let shop = Shop::start_with(CATALOG).await;
    subscribed(&shop, "7", "basic", BASIC_ROLE).await;

    let order = switch_order("<@7>", "pro");
    let reply = send(&shop.fleet, "shop1", &order).await;
    let result: SubscriptionResult = reply.result_as().unwrap().unwrap();
    assert_eq!(
        (result.from.as_str(), result.to.as_str(), result.direction.as_str(), result.takes_effect.as_str()),
        ("basic", "pro", "upgrade", "now")
    );
    assert_eq!((result.status.as_str(), result.switch_id.as_str()), ("requested", order.id.as_ref()));

    // The shop's worker carries it out at Stripe.
    let switched = wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "subscription.switched").await;
    assert_eq!(
        (switched.data["requested_by"].as_str(), switched.data["switch_id"].as_str()),
        (Some("order"), Some(order.id.as_ref()))
    );
    shop.settle().await;
    assert!(shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE));

    // The same order delivered again (a new stream message, as after a redelivery).
    let subject = "maxis.shop1.control.subscription";
    let again = request(&shop.fleet, subject, "another-msg-id", order.to_json(), "shop1", order.id.as_ref()).await;
    assert!(again.replayed && again.result == reply.result, "{again:?}");
    let updates = |shop: &Shop| shop.stripe.requests().iter().filter(|r| r.form["items"].is_array()).count();
    let before = updates(&shop);
    shop.app.commerce.switches_once().await.unwrap();
    assert_eq!(updates(&shop), before, "no second price change");
    assert_eq!(updates(&shop), 1);
}

async fn refused(shop: &Shop, member: &str, plan: &str) -> (ErrorCode, String) {
    let reply = send(&shop.fleet, "shop1", &switch_order(member, plan)).await;
    let error = reply.error.expect("refused");
    (error.code, error.message)
}

#[tokio::test]
async fn switches_that_cannot_be_done_are_refused_in_a_sentence_and_change_nothing() {
    let shop = Shop::start_with(CATALOG).await;
    let (code, message) = refused(&shop, "7", "pro").await;
    assert_eq!(code, ErrorCode::NotFound);
    assert!(message.contains("<@7> has no live membership"), "{message}");
    let member = shop.app.commerce.switch_plan("7", "pro").await.unwrap_err().to_string();
    assert!(member.contains("you have no membership"), "{member}");

    let session = subscribed(&shop, "7", "basic", BASIC_ROLE).await;
    let (code, message) = refused(&shop, "7", "vip").await;
    assert_eq!(code, ErrorCode::InvalidParams);
    assert!(message.contains("`vip` is not a plan") && message.contains("Pro (`pro`)"), "{message}");
    let (code, message) = refused(&shop, "7", "Basic").await;
    assert_eq!(code, ErrorCode::Conflict);
    assert!(message.contains("is on Basic already"), "{message}");

    // A renewal fails: no switch until it is paid.
    let start = shop.stripe.clock(&session).unwrap();
    shop.stripe.decline_renewals(&session, true).unwrap();
    for event in shop.stripe.advance_clock(&session, start + 31 * DAY).unwrap() {
        assert_eq!(shop.webhook(&event).await, 200);
    }
    let (code, message) = refused(&shop, "7", "pro").await;
    assert_eq!(code, ErrorCode::Conflict);
    assert!(message.contains("last payment did not go through"), "{message}");
    let member = shop.app.commerce.switch_plan("7", "pro").await.unwrap_err().to_string();
    assert!(member.contains("fix it with `/subscription manage`"), "{member}");
    assert!(!shop.stripe.requests().iter().any(|r| r.form["items"].is_array() || r.path == "/v1/prices"));
    assert!(shop.members.holds("7", BASIC_ROLE) && !shop.members.holds("7", PRO_ROLE));
}

#[tokio::test]
async fn switching_back_to_the_current_plan_drops_a_scheduled_downgrade_and_pro_renews_as_usual() {
    let shop = Shop::start_with(CATALOG).await;
    let session = subscribed(&shop, "7", "pro", PRO_ROLE).await;
    let start = shop.stripe.clock(&session).unwrap();
    let down = shop.app.commerce.switch_plan("7", "basic").await.unwrap();
    assert_eq!(down.status, "scheduled");

    let stay = shop.app.commerce.switch_plan("7", "Pro").await.unwrap();
    assert_eq!((stay.direction.as_str(), stay.status.as_str()), ("stay", "applied"));
    let release = format!("/v1/subscription_schedules/{}/release", down.schedule_id.clone().unwrap());
    assert!(shop.stripe.requests().iter().any(|r| r.path == release), "the schedule is released at Stripe");
    wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "subscription.switch_canceled" && e.data["to"] == "basic").await;
    assert!(shop.app.commerce.membership("7").await.unwrap().scheduled_switch.is_none());
    let again = shop.app.commerce.switch_plan("7", "pro").await.unwrap_err().to_string();
    assert!(again.contains("on Pro already"), "{again}");

    let seen = shop.stripe.events().len();
    shop.stripe.advance_clock(&session, start + 31 * DAY).unwrap();
    let renewal = deliver_since(&shop, seen).await;
    let paid = renewal.iter().find(|e| e["type"] == "invoice.paid").unwrap();
    assert_eq!(paid["data"]["object"]["amount_paid"], 999, "Pro renews");
    assert!(shop.members.holds("7", PRO_ROLE) && !shop.members.holds("7", BASIC_ROLE));
}
