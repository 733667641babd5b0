//! Memberships end to end: Stripe events missed while the shop was down are caught up with
//! (`GET /v1/events` on the Stripe stand-in) through the webhook's idempotent path; a failed
//! renewal keeps the role through its grace, with the payment link, a reminder and an end.

use std::time::{Duration, Instant};

use chrono::Utc;
use subjects::params::{AnalyticsParams, Period, WhyParams};
use subjects::results::{AnalyticsResult, WhyResult};
use subjects::{Command, Order};
use testkit::shop::send;
use testkit::stripe::deliver;

use crate::commerce::{Shop, WEBHOOK_SECRET};

const VIP_ROLE: &str = "100000000000000002";
const BUYERS: [&str; 5] = ["11", "12", "13", "14", "15"];

async fn count(shop: &Shop, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(shop.store().await.pool()).await.unwrap()
}

#[tokio::test]
async fn five_webhooks_that_failed_while_the_shop_was_down_are_applied_once_when_it_starts() {
    let shop = Shop::start().await;
    let mut sessions = Vec::new();
    for buyer in BUYERS {
        sessions.push(shop.buy(buyer, "vip", None).await.unwrap().1);
    }
    let down_url = shop.webhook_url();
    let stopped = shop.stop().await;
    let (stripe, members) = (&stopped.stripe, &stopped.members);

    let mut missed = Vec::new();
    for session in &sessions {
        let event = stripe.complete(session, true).unwrap();
        assert!(deliver(&down_url, &event, WEBHOOK_SECRET).await.is_err(), "the shop is down: the delivery fails");
        missed.push(event);
    }
    assert!(BUYERS.iter().all(|b| !members.holds(b, VIP_ROLE)));

    let shop = stopped.start().await;

    // The shop catches up by itself as it starts: no webhook is delivered again.
    let started = Instant::now();
    while !BUYERS.iter().all(|b| shop.members.holds(b, VIP_ROLE)) {
        assert!(started.elapsed() < Duration::from_secs(60), "the missed events were not applied within a minute");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shop.settle().await;
    let listed = shop.stripe.requests().iter().filter(|r| r.path == "/v1/events").count();
    assert!(listed >= 2, "listed at the first start and again at the second ({listed})");

    // Stripe's own retries arrive later: each is a duplicate, and another pass applies nothing.
    for event in &missed {
        assert_eq!(shop.webhook(event).await, 200);
    }
    let pass = shop.app.commerce.catch_up().await.unwrap();
    assert_eq!((pass.applied, pass.listed), (0, 5));
    shop.settle().await;

    assert_eq!(count(&shop, "SELECT COUNT(*) FROM webhook_events WHERE type = 'checkout.session.completed'").await, 5);
    assert_eq!(count(&shop, "SELECT COUNT(*) FROM sales").await, 5);
    let grants = shop.members.grants.lock().unwrap().clone();
    for buyer in BUYERS {
        assert_eq!(grants.iter().filter(|(u, r)| u == buyer && r == VIP_ROLE).count(), 1, "{buyer}: {grants:?}");
        let dms = shop.members.dms.lock().unwrap().clone();
        assert_eq!(dms.iter().filter(|(u, t)| u == buyer && t.contains("Thank you")).count(), 1, "{dms:?}");
    }
    assert_eq!(shop.analytics().await.sales, 5);
}

const PRO_ROLE: &str = "100000000000000001";

async fn why(shop: &Shop, member: &str) -> WhyResult {
    let order = Order::new(Command::Why(WhyParams { member: member.into() }), "t");
    send(&shop.fleet, "shop1", &order).await.result_as().unwrap().unwrap()
}

/// Member `who` subscribes to Pro and pays its first invoice; returns the Stripe session.
async fn subscribed(shop: &Shop, who: &str) -> String {
    let (_, session) = shop.buy(who, "pro", None).await.unwrap();
    assert_eq!(shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await, 200);
    assert_eq!(shop.webhook(&shop.stripe.invoice(&session, true).unwrap()).await, 200);
    shop.settle().await;
    assert!(shop.members.holds(who, PRO_ROLE));
    session
}

/// The DMs to `who` containing `needle`, once the shop's worker or the test sent them.
async fn dms_to(shop: &Shop, who: &str, needle: &str, expected: usize) -> Vec<String> {
    for _ in 0..100 {
        let dms: Vec<String> = shop
            .members
            .dms
            .lock()
            .unwrap()
            .iter()
            .filter(|(u, t)| u == who && t.contains(needle))
            .map(|(_, t)| t.clone())
            .collect();
        if dms.len() >= expected {
            return dms;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shop.members
        .dms
        .lock()
        .unwrap()
        .iter()
        .filter(|(u, t)| u == who && t.contains(needle))
        .map(|(_, t)| t.clone())
        .collect()
}

async fn outcomes(shop: &Shop) -> (i64, i64) {
    let store = shop.store().await;
    let mut conn = store.pool().acquire().await.unwrap();
    maxis::memberships::store::outcomes_since(&mut conn, Utc::now() - chrono::Duration::days(1)).await.unwrap()
}

/// A renewal of `session` fails at Stripe and the webhook arrives; returns the hosted invoice URL.
async fn renewal_fails(shop: &Shop, session: &str) -> String {
    let failed = shop.stripe.invoice(session, false).unwrap();
    assert_eq!(shop.webhook(&failed).await, 200);
    shop.settle().await;
    failed["data"]["object"]["hosted_invoice_url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_failed_renewal_keeps_the_role_sends_the_payment_link_and_a_payment_in_grace_changes_nothing_else() {
    let shop = Shop::start().await;
    let session = subscribed(&shop, "7").await;

    let url = renewal_fails(&shop, &session).await;
    shop.app.commerce.dunning_once(Utc::now()).await.unwrap();

    assert!(shop.members.holds("7", PRO_ROLE), "the role stays during the grace");
    let dms = dms_to(&shop, "7", &url, 1).await;
    assert_eq!(dms.len(), 1, "one DM with Stripe's payment link");
    assert!(dms[0].contains("Pro") && dms[0].contains("did not go through"), "{dms:?}");
    let notes = shop.members.admin_notes.lock().unwrap().clone();
    assert!(notes.iter().any(|n| n.contains("<@7>") && n.contains("renewal of Pro failed")), "{notes:?}");
    let w = why(&shop, "7").await;
    assert!(w.roles[0].should_hold && w.roles[0].sources[0].state == "grace", "{w:?}");

    // Stripe retries the card on the same invoice and it goes through.
    let paid = shop.stripe.retry_invoice(&session, true).unwrap();
    assert_eq!(paid["data"]["object"]["attempt_count"], 2);
    assert_eq!(paid["data"]["object"]["hosted_invoice_url"].as_str(), Some(url.as_str()), "the same invoice");
    assert_eq!(shop.webhook(&paid).await, 200);
    shop.settle().await;
    let later = shop.app.commerce.dunning_once(Utc::now() + chrono::Duration::days(8)).await.unwrap();

    assert_eq!((later.reminded, later.lost), (0, 0), "a recovered renewal has no reminder and no end");
    assert!(shop.members.holds("7", PRO_ROLE));
    let all = shop.members.dms.lock().unwrap().iter().filter(|(u, _)| u == "7").count();
    assert_eq!(all, 2, "the receipt and the failure notice, nothing about the recovery");
    assert_eq!(outcomes(&shop).await, (1, 0), "one recovered renewal");
    assert_eq!(why(&shop, "7").await.roles[0].sources[0].state, "active");
}

#[tokio::test]
async fn a_renewal_unpaid_at_the_end_of_grace_is_reminded_once_then_revoked_and_the_member_told() {
    let shop = Shop::start().await;
    let session = subscribed(&shop, "7").await;
    let url = renewal_fails(&shop, &session).await;
    let start = Utc::now();

    let early = shop.app.commerce.dunning_once(start + chrono::Duration::days(4)).await.unwrap();
    let due =
        shop.app.commerce.dunning_once(start + chrono::Duration::days(5) + chrono::Duration::hours(1)).await.unwrap();
    let again = shop.app.commerce.dunning_once(start + chrono::Duration::days(6)).await.unwrap();
    assert_eq!((early.reminded, due.reminded, again.reminded), (0, 1, 0), "one reminder, 2 days before the end");
    let reminders = dms_to(&shop, "7", "Reminder", 1).await;
    assert!(reminders.len() == 1 && reminders[0].contains(&url), "{reminders:?}");
    assert!(shop.members.holds("7", PRO_ROLE), "not before the grace ends");

    let end =
        shop.app.commerce.dunning_once(start + chrono::Duration::days(7) + chrono::Duration::minutes(1)).await.unwrap();
    shop.settle().await;

    assert_eq!(end.lost, 1);
    assert!(!shop.members.holds("7", PRO_ROLE), "revoked at the end of the grace");
    assert_eq!(dms_to(&shop, "7", "has ended", 1).await.len(), 1);
    assert_eq!(why(&shop, "7").await.roles[0].sources[0].state, "grace_ended");
    assert_eq!(outcomes(&shop).await, (0, 1), "one lost renewal");

    // Stripe gives up too: the subscription turns unpaid. Nothing is granted or told again.
    assert_eq!(shop.webhook(&shop.stripe.subscription(&session, "past_due", false).unwrap()).await, 200);
    assert_eq!(shop.webhook(&shop.stripe.subscription(&session, "unpaid", false).unwrap()).await, 200);
    shop.settle().await;
    assert!(!shop.members.holds("7", PRO_ROLE));
    assert_eq!(dms_to(&shop, "7", "has ended", 2).await.len(), 1, "told once");
    assert_eq!(outcomes(&shop).await, (0, 1));
}

#[tokio::test]
async fn a_subscription_canceled_during_its_grace_is_lost_at_once_and_the_member_told() {
    let shop = Shop::start().await;
    let session = subscribed(&shop, "7").await;
    renewal_fails(&shop, &session).await;
    assert!(shop.members.holds("7", PRO_ROLE));

    assert_eq!(shop.webhook(&shop.stripe.subscription(&session, "canceled", true).unwrap()).await, 200);
    shop.settle().await;
    shop.app.commerce.dunning_once(Utc::now()).await.unwrap();

    assert!(!shop.members.holds("7", PRO_ROLE));
    assert_eq!(dms_to(&shop, "7", "has ended", 1).await.len(), 1);
    assert_eq!(outcomes(&shop).await, (0, 1));
}

#[tokio::test]
async fn analytics_show_the_members_mrr_churn_and_recovered_renewals_the_test_produced() {
    let shop = Shop::start().await;
    subscribed(&shop, "21").await;
    let lost = subscribed(&shop, "22").await;
    let recovered = subscribed(&shop, "23").await;
    let leaving = subscribed(&shop, "24").await;

    renewal_fails(&shop, &recovered).await;
    assert_eq!(shop.webhook(&shop.stripe.retry_invoice(&recovered, true).unwrap()).await, 200);
    renewal_fails(&shop, &lost).await;
    shop.app.commerce.dunning_once(Utc::now() + chrono::Duration::days(8)).await.unwrap();

    let reason = maxis::payments::CancelFeedback::TooExpensive;
    shop.app.commerce.cancel_membership("24", reason).await.unwrap();
    assert_eq!(shop.webhook(shop.stripe.events().last().unwrap()).await, 200);
    let start = shop.stripe.clock(&leaving).unwrap();
    for event in shop.stripe.advance_clock(&leaving, start + 31 * 24 * 3600).unwrap() {
        assert_eq!(shop.webhook(&event).await, 200);
    }
    shop.settle().await;

    // The grace of 22 ended on the test's clock, 8 days from now: the period reaches past it.
    let (from, to) = (Utc::now() - chrono::Duration::days(1), Utc::now() + chrono::Duration::days(9));
    let params = AnalyticsParams { period: Period::Today, from: Some(from), to: Some(to) };
    let analytics: AnalyticsResult =
        send(&shop.fleet, "shop1", &Order::new(Command::Analytics(params), "t")).await.result_as().unwrap().unwrap();
    let figures = analytics.memberships.unwrap();
    assert_eq!(figures.active.len(), 1);
    assert_eq!((figures.active[0].product.as_str(), figures.active[0].members), ("pro", 2), "21 and 23 hold Pro");
    assert_eq!((figures.mrr[0].currency.as_str(), figures.mrr[0].amount), ("eur", 2 * 999));
    assert_eq!(figures.new, 4);
    assert_eq!((figures.churned_voluntary, figures.churned_failed, figures.recovered), (1, 1, 1));
    assert_eq!(figures.cancel_reasons.len(), 1);
    assert_eq!((figures.cancel_reasons[0].reason.as_str(), figures.cancel_reasons[0].count), ("too_expensive", 1));
    assert!(!shop.members.holds("22", PRO_ROLE) && !shop.members.holds("24", PRO_ROLE));
}

#[tokio::test]
async fn a_cancellation_made_in_the_billing_portal_counts_as_voluntary_churn_with_its_feedback() {
    let shop = Shop::start().await;
    let session = subscribed(&shop, "31").await;
    let sub = shop.stripe.session(&session).unwrap()["subscription"].as_str().unwrap().to_owned();

    // The member cancels in Stripe's Billing Portal: Stripe updates the subscription itself.
    let portal =
        maxis::payments::stripe::StripePayments::new(crate::commerce::KEY, Some(&shop.stripe.base_url())).unwrap();
    let feedback = maxis::payments::CancelFeedback::Unused;
    maxis::payments::Payments::cancel_at_period_end(&portal, sub, true, Some(feedback)).await.unwrap();
    assert_eq!(shop.webhook(shop.stripe.events().last().unwrap()).await, 200);
    shop.settle().await;
    assert!(shop.members.holds("31", PRO_ROLE), "the role stays until the period ends");
    let start = shop.stripe.clock(&session).unwrap();
    for event in shop.stripe.advance_clock(&session, start + 31 * 24 * 3600).unwrap() {
        assert_eq!(shop.webhook(&event).await, 200);
    }
    shop.settle().await;

    assert!(!shop.members.holds("31", PRO_ROLE));
    let figures = shop.analytics().await.memberships.unwrap();
    assert_eq!((figures.churned_voluntary, figures.churned_failed), (1, 0));
    assert_eq!(
        figures.cancel_reasons.iter().map(|r| (r.reason.as_str(), r.count)).collect::<Vec<_>>(),
        [("unused", 1)]
    );
}
