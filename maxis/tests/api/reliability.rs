//! Exactly once in effect, whatever the broker and the shop go through.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer};
use broker::fleet::StreamSettings;
use futures::StreamExt;
use maxis::domain::Uptime;
use maxis::execute::{self, ShopContext};
use maxis::store::Store;
use serde_json::json;
use subjects::params::{ConfigParams, PromoParams, StatusParams};
use subjects::{Command, Order};
use testkit::TestFleet;

use crate::helpers::{events, publish_signed, request, send, spawn_app, wait_for_event};

fn quick_redelivery() -> StreamSettings {
    StreamSettings { max_deliver: 3, backoff_secs: vec![1], ..StreamSettings::default() }
}

fn promo_order() -> Order {
    let params: PromoParams =
        serde_json::from_value(json!({"discount": {"percent": 20}, "target": {"plan": "pro"}, "duration_secs": 3600}))
            .unwrap();
    Order::new(Command::Promo(params), "shellia:admin")
}

async fn promo_rows(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM promos").fetch_one(store.pool()).await.unwrap()
}

#[tokio::test]
async fn a_shop_killed_after_its_commit_but_before_the_ack_replays_the_same_reply() {
    let fleet = TestFleet::start_with(&["shop1"], quick_redelivery()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop1.db");
    let order = promo_order();
    publish_signed(&fleet, "maxis.shop1.control.promo", order.to_json()).await;
    // The first life of the shop: it pulls the order and commits it, then dies before acking.
    let first = {
        let js = jetstream::new(fleet.connect(&fleet.shop("shop1")).await.unwrap());
        let consumer: PullConsumer = js.get_consumer_from_stream("shop1", "MAXIS_CONTROL").await.unwrap();
        let mut batch = consumer.fetch().max_messages(1).expires(Duration::from_secs(5)).messages().await.unwrap();
        let message = batch.next().await.unwrap().unwrap();
        let store = Store::open(&db).await.unwrap();
        let ctx = ShopContext { id: "shop1".parse().unwrap(), groups: vec![], uptime: Uptime::now() };
        let parsed = Order::from_json(&message.payload).unwrap();
        execute::execute(&store, &ctx, &parsed).await.unwrap()
        // dropped here: no ack, no reply, no event published
    };
    let watcher = fleet.connect(&fleet.shellia()).await.unwrap();
    let mut replies = watcher.subscribe(subjects::subject::reply(&"shop1".parse().unwrap(), &order.id)).await.unwrap();

    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let message = tokio::time::timeout(Duration::from_secs(15), replies.next()).await.expect("redelivered").unwrap();
    let again: subjects::Reply = serde_json::from_slice(&message.payload).unwrap();

    assert!(again.replayed);
    assert_eq!(again.result, first.result);
    assert_eq!(promo_rows(&Store::open(&db).await.unwrap()).await, 1, "the effect exists once");
    let started = wait_for_event(&fleet, |e| e.kind.as_ref() == "promo.started").await;
    assert_eq!(started.order_id, Some(order.id.clone()), "the outbox delivered the first life's events");
    let all = events(&fleet).await;
    assert_eq!(all.iter().filter(|e| e.kind.as_ref() == "promo.started").count(), 1);
}

#[tokio::test]
async fn the_same_order_id_published_twice_executes_once() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let order = promo_order();

    let first = send(&fleet, "shop1", &order).await;
    let seed = fleet.fleet.seed(&fleet.shellia()).unwrap();
    let (signer, signature) = subjects::signature::sign(&seed, "maxis.shop1.control.promo", &order.to_json()).unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(subjects::subject::MSG_ID_HEADER, order.id.as_ref());
    headers.insert(subjects::signature::SIGNER_HEADER, signer.as_str());
    headers.insert(subjects::signature::SIGNATURE_HEADER, signature.as_str());
    let js = jetstream::new(fleet.connect(&fleet.shellia()).await.unwrap());
    let ack = js
        .publish_with_headers("maxis.shop1.control.promo", headers, order.to_json().into())
        .await
        .unwrap()
        .await
        .unwrap();

    assert!(first.ok);
    assert!(ack.duplicate, "the stream dropped the second copy");
    assert!(send(&fleet, "shop1", &Order::new(Command::Status(StatusParams {}), "t")).await.ok);
    let executed = events(&fleet)
        .await
        .into_iter()
        .filter(|e| e.kind.as_ref() == "order.executed" && e.order_id == Some(order.id.clone()));
    assert_eq!(executed.count(), 1);
}

#[tokio::test]
async fn a_broker_restart_loses_no_acknowledged_order_and_the_shop_resumes() {
    let mut fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let config = |i: usize| {
        Order::new(Command::Config(ConfigParams { key: "shop.name".into(), value: Some(format!("Shop {i}")) }), "t")
    };
    let mut sent = Vec::new();
    for i in 0..10 {
        let order = config(i);
        publish_signed(&fleet, "maxis.shop1.control.config", order.to_json()).await;
        sent.push(order.id);
    }

    fleet.server.restart().unwrap();
    for i in 10..20 {
        let order = config(i);
        publish_signed(&fleet, "maxis.shop1.control.config", order.to_json()).await;
        sent.push(order.id);
    }
    let last = config(20);
    let reply =
        tokio::time::timeout(Duration::from_secs(30), send(&fleet, "shop1", &last)).await.expect("the shop resumed");

    assert!(reply.ok);
    let executed = crate::group::executed_ids(&fleet).await;
    for id in &sent {
        assert_eq!(executed.iter().filter(|e| *e == id).count(), 1, "order {id} executed once");
    }
}

#[tokio::test]
async fn a_poison_order_is_given_up_after_its_last_delivery_and_the_next_orders_flow() {
    let fleet = TestFleet::start_with(&["shop1"], quick_redelivery()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    // Break what `promo` needs, as a corrupted database would: every delivery of it fails.
    let store = Store::open(&dir.path().join("shop1.db")).await.unwrap();
    sqlx::query("DROP TABLE promos").execute(store.pool()).await.unwrap();
    let poison = promo_order();

    publish_signed(&fleet, "maxis.shop1.control.promo", poison.to_json()).await;
    let dead = wait_for_event(&fleet, |e| e.kind.as_ref() == "order.dead").await;
    let next =
        send(&fleet, "shop1", &Order::new(Command::Config(ConfigParams { key: "shop.name".into(), value: None }), "t"))
            .await;

    assert_eq!(dead.order_id, Some(poison.id.clone()));
    assert_eq!(dead.data["action"], "promo");
    assert_eq!(dead.data["deliveries"], 3);
    assert!(dead.data["reason"].as_str().unwrap().contains("promos"), "{dead:?}");
    assert!(next.ok, "{next:?}");
}

fn malformed(i: usize, rng: &mut u64) -> (&'static str, Vec<u8>) {
    let mut next = || {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        *rng
    };
    let id = format!("bad{i}");
    match i % 5 {
        0 => ("maxis.shop1.control.status", (0..(next() % 200)).map(|_| next() as u8).collect()),
        1 => ("maxis.shop1.control.promo", json!({"v": "1.0", "id": id, "action": "promo", "issued_by": "x", "issued_at": "2026-01-01T00:00:00Z", "params": {"discount": {"percent": "lots"}, "target": 7, "duration_secs": -1}}).to_string().into_bytes()),
        2 => ("maxis.shop1.control.announce", json!({"v": "1.0", "id": id, "action": "announce", "issued_by": "x", "issued_at": "2026-01-01T00:00:00Z", "params": {"message": "x".repeat(100_000)}}).to_string().into_bytes()),
        3 => ("maxis.shop1.control.stop", json!({"v": "1.0", "id": id, "action": "status", "issued_by": "x", "issued_at": "2026-01-01T00:00:00Z"}).to_string().into_bytes()),
        _ => ("maxis.shop1.control.status", json!({"v": 1, "id": id, "action": ["status"], "issued_at": null}).to_string().into_bytes()),
    }
}

#[tokio::test]
async fn a_thousand_malformed_orders_get_a_thousand_typed_rejections() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let seed = fleet.fleet.seed(&fleet.shellia()).unwrap();
    let js = jetstream::new(fleet.connect(&fleet.shellia()).await.unwrap());
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    for i in 0..1000 {
        let (subject, payload) = malformed(i, &mut rng);
        let (signer, signature) = subjects::signature::sign(&seed, subject, &payload).unwrap();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(subjects::signature::SIGNER_HEADER, signer.as_str());
        headers.insert(subjects::signature::SIGNATURE_HEADER, signature.as_str());
        js.publish_with_headers(subject, headers, payload.into()).await.unwrap().await.unwrap();
    }

    let started = std::time::Instant::now();
    let mut rejected = Vec::new();
    while rejected.len() < 1000 && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        rejected = events(&fleet).await.into_iter().filter(|e| e.kind.as_ref() == "order.rejected").collect();
    }
    eprintln!("1000 malformed orders handled in {:?}", started.elapsed());
    let status = Order::new(Command::Status(StatusParams {}), "t");
    assert!(send(&fleet, "shop1", &status).await.ok, "the consumer is not stuck");

    assert_eq!(rejected.len(), 1000);
    assert!(rejected.iter().all(|e| e.data["error"]["code"].is_string()));
    let codes: std::collections::BTreeSet<String> =
        rejected.iter().map(|e| e.data["error"]["code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(codes, ["action_mismatch", "invalid_params", "malformed"].map(String::from).into());
    let _ = request; // the typed replies themselves are checked in orders.rs
}
