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
