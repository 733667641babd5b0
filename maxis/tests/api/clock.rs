//! Time-driven changes, driven by the clock's single step at chosen instants: each change
//! happens at its instant, not a moment before, without waiting for real time.
//!
//! (Paused tokio time cannot drive this: SQLite works on sqlx's own thread, and paused time
//! jumps over the pool's timeouts while it works; the step function takes `now` instead.)

use chrono::{Duration, Utc};
use maxis::actions;
use maxis::domain::Uptime;
use maxis::execute::ShopContext;
use maxis::store::Store;
use maxis::timers::apply_due;
use serde_json::json;
use subjects::Command;

async fn status(store: &Store, sql: &'static str) -> String {
    sqlx::query_scalar(sql).fetch_one(store.pool()).await.unwrap()
}

#[tokio::test]
async fn giveaways_promotions_and_preorders_change_exactly_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("shop1.db")).await.unwrap();
    let ctx = ShopContext { id: "shop1".parse().unwrap(), groups: vec![], uptime: Uptime::now() };
    let t0 = Utc::now();
    let mut tx = store.begin().await.unwrap();
    sqlx::query("INSERT INTO products (id, name, kind, price, currency, created_at) VALUES ('fig', 'Figurine', 'physical', 2000, 'eur', '')")
        .execute(&mut *tx)
        .await
        .unwrap();
    let orders = [
        ("giveaway", "g1", json!({"prize": "Nitro", "duration_secs": 60, "channel": "1574000000000000001"})),
        ("promo", "p1", json!({"discount": {"percent": 10}, "target": "all", "duration_secs": 90})),
        (
            "preorder",
            "r1",
            json!({"op": "open", "product": "fig", "release_at": t0 + Duration::seconds(120), "cap": 10}),
        ),
    ];
    for (action, id, params) in orders {
        let command = Command::from_parts(action, params).unwrap();
        actions::apply(&mut tx, &ctx, id, &command).await.map_err(|e| e.to_string()).unwrap();
    }
    tx.commit().await.unwrap();
    let at = |secs: i64| t0 + Duration::seconds(secs);

    let next = apply_due(&store, &ctx, at(59)).await.unwrap();
    assert_eq!(status(&store, "SELECT status FROM giveaways").await, "open", "not before its end");
    assert!(next.is_some_and(|n| n > at(59) && n <= at(61)), "the clock wakes at the giveaway's end: {next:?}");
    apply_due(&store, &ctx, at(61)).await.unwrap();
    assert_eq!(status(&store, "SELECT status FROM giveaways").await, "ended");
    assert_eq!(status(&store, "SELECT status FROM promos").await, "active");
    apply_due(&store, &ctx, at(91)).await.unwrap();
    assert_eq!(status(&store, "SELECT status FROM promos").await, "ended");
    assert_eq!(status(&store, "SELECT status FROM preorders").await, "open");
    apply_due(&store, &ctx, at(121)).await.unwrap();
    assert_eq!(status(&store, "SELECT status FROM preorders").await, "released");
    // Running the step again changes nothing: each change happened once.
    apply_due(&store, &ctx, at(200)).await.unwrap();
    let ended: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%giveaway.ended'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let released: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%preorder.released'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!((ended, released), (1, 1));
}

#[tokio::test]
async fn a_gifted_month_that_ended_while_the_shop_was_down_ends_once_when_it_starts_again() {
    use maxis::entitlements::{ledger, SourceKind, SourceSpec};
    use maxis::gifts::store::{self as gifts, Gift};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop1.db");
    let ctx = ShopContext { id: "shop1".parse().unwrap(), groups: vec![], uptime: Uptime::now() };
    let paid_at = Utc::now() - Duration::days(40);
    {
        let store = Store::open(&path).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let gift = Gift {
            checkout_id: "c1".into(),
            giver: "1001".into(),
            recipient: "1002".into(),
            product_id: "pro".into(),
            months: Some(1),
            paid_at: None,
            ends_at: None,
            ended_at: None,
        };
        gifts::insert(&mut tx, &gift, paid_at).await.unwrap();
        assert!(gifts::paid(&mut tx, "c1", paid_at, Some(paid_at + Duration::days(31))).await.unwrap());
        let spec = SourceSpec {
            kind: SourceKind::Gift,
            member: "1002",
            role_id: "99",
            product_id: Some("pro"),
            checkout_id: Some("c1"),
            subscription_id: None,
            amount: 999,
            currency: "eur",
        };
        ledger::set(&mut tx, &ctx, &spec, true, "paid", "a gift from <@1001>").await.unwrap();
        tx.commit().await.unwrap();
    }
    // The shop was down when the month ended; it starts again and its clock runs twice.
    let store = Store::open(&path).await.unwrap();
    apply_due(&store, &ctx, Utc::now()).await.unwrap();
    apply_due(&store, &ctx, Utc::now()).await.unwrap();
    let ended: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%gift.ended'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(ended, 1, "ended once");
    assert_eq!(status(&store, "SELECT state FROM entitlement_sources WHERE checkout_id = 'c1'").await, "ended");
    assert_eq!(status(&store, "SELECT end_reason FROM gifts").await, "expired");
}
