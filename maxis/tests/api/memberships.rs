//! Memberships end to end: Stripe events missed while the shop was down are caught up with
//! (`GET /v1/events` on the Stripe stand-in) through the webhook's idempotent path.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use testkit::shop::spawn_with_members;
use testkit::stripe::deliver;

use crate::commerce::{Shop, KEY, WEBHOOK_SECRET};

const VIP_ROLE: &str = "100000000000000002";
const BUYERS: [&str; 5] = ["11", "12", "13", "14", "15"];

async fn count(shop: &Shop, sql: &str) -> i64 {
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
    let Shop { fleet, stripe, members, app, dir } = shop;
    app.stop().await;

    let mut missed = Vec::new();
    for session in &sessions {
        let event = stripe.complete(session, true).unwrap();
        assert!(deliver(&down_url, &event, WEBHOOK_SECRET).await.is_err(), "the shop is down: the delivery fails");
        missed.push(event);
    }
    assert!(BUYERS.iter().all(|b| !members.holds(b, VIP_ROLE)));

    let mut settings = testkit::shop::settings(&fleet, "shop1", &dir.path().join("shop1.db"));
    settings.stripe.secret_key = Some(SecretString::from(KEY));
    settings.stripe.webhook_secret = Some(SecretString::from(WEBHOOK_SECRET));
    settings.stripe.api_base = stripe.base_url();
    settings.catalog.path = dir.path().join("catalog.toml").display().to_string();
    let app = spawn_with_members(settings, members.clone()).await;
    let shop = Shop { fleet, stripe, members, app, dir };

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
