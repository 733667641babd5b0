//! Bounded payloads: oversized orders get a typed answer (or cannot be sent at all), errors never
//! repeat unbounded input, an unpublishable outbox row is set aside without blocking anything,
//! and a signed order moved to another shop's subject is refused.

use async_nats::HeaderMap;
use serde_json::json;
use subjects::params::{StatusParams, StopParams};
use subjects::signature::{sign, SIGNATURE_HEADER, SIGNER_HEADER};
use subjects::{Command, ErrorCode, EventKind, Order};
use testkit::TestFleet;

use crate::helpers::{request, request_with, send, spawn_app, wait_for_event};

fn status() -> Order {
    Order::new(Command::Status(StatusParams {}), "shellia:admin")
}

/// A signed order to shop1 whose `params`, `action` or `issued_by` is `filler` long.
fn oversized(field: &str, filler: usize) -> (String, String, Vec<u8>) {
    let id = subjects::OrderId::generate().to_string();
    let mut order = json!({"v": "1.0", "id": id, "action": "announce", "params": {"message": "hi"},
        "issued_by": "shellia:admin", "issued_at": chrono::Utc::now()});
    let long = "x".repeat(filler);
    match field {
        "params" => order["params"]["message"] = json!(long),
        "action" => order["action"] = json!(long),
        _ => order["issued_by"] = json!(long),
    }
    (id, "maxis.shop1.control.announce".to_owned(), order.to_string().into_bytes())
}

#[tokio::test]
async fn orders_over_the_bound_get_a_typed_refusal_from_the_shop_or_the_stream_and_the_shop_goes_on() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(&fleet, "shop1", dir.path()).await;

    // Over the contract's 64 KiB but under the stream's 128 KiB: the shop answers `malformed`.
    for (field, size) in [("params", 100_000), ("action", 100_000), ("issued_by", 100_000), ("issued_by", 60_000)] {
        let (id, subject, payload) = oversized(field, size);
        let reply = request(&fleet, &subject, &id, payload, "shop1", &id).await;
        let error = reply.error.expect("refused");
        assert_eq!(error.code, ErrorCode::Malformed, "{field} {size}: {}", error.message);
        assert!(error.message.len() < 300, "{field} {size}: the message repeats the input");
    }
    // Over the stream's limit: the broker refuses to store it, with its own typed error.
    let js = async_nats::jetstream::new(fleet.connect(&fleet.shellia()).await.unwrap());
    let seed = fleet.fleet.seed(&fleet.shellia()).unwrap();
    for (field, size) in [("params", 900_000), ("action", 600_000), ("issued_by", 600_000)] {
        let (id, subject, payload) = oversized(field, size);
        let (signer, signature) = sign(&seed, &subject, &payload).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(SIGNER_HEADER, signer.as_str());
        headers.insert(SIGNATURE_HEADER, signature.as_str());
        headers.insert(subjects::subject::MSG_ID_HEADER, id.as_str());
        let stored = js.publish_with_headers(subject, headers, payload.into()).await.unwrap().await;
        let error = stored.expect_err("refused by the stream").to_string();
        assert!(error.contains("10054") || error.contains("exceeds maximum"), "{field} {size}: {error}");
    }
    let answered = send(&fleet, "shop1", &status()).await;
    assert!(answered.ok, "the next order is answered at once: {answered:?}");

    app.stop().await;
    let _again = spawn_app(&fleet, "shop1", dir.path()).await;
    assert!(send(&fleet, "shop1", &status()).await.ok, "the shop restarts cleanly");
}

#[tokio::test]
async fn a_signed_order_republished_on_another_shops_subject_is_unauthorized() {
    let fleet = TestFleet::start(&["shop1", "shop2"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;
    let order = Order::new(Command::Stop(StopParams::default()), "shellia:admin");
    let seed = fleet.fleet.seed(&fleet.shellia()).unwrap();
    let (signer, signature) = sign(&seed, "maxis.shop1.control.stop", &order.to_json()).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(SIGNER_HEADER, signer.as_str());
    headers.insert(SIGNATURE_HEADER, signature.as_str());

    let reply = request_with(
        &fleet,
        "maxis.shop2.control.stop",
        order.id.as_ref(),
        headers,
        order.to_json(),
        ("shop2", order.id.as_ref()),
    )
    .await;

    assert_eq!(reply.error.map(|e| e.code), Some(ErrorCode::Unauthorized));
    let status = send(&fleet, "shop2", &status()).await;
    assert_eq!(status.result.unwrap()["open"], json!(true), "shop2 did not stop");
}

#[tokio::test]
async fn params_sent_as_an_array_are_invalid_params() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let id = subjects::OrderId::generate().to_string();
    let payload = json!({"v": "1.0", "id": id, "action": "config", "params": ["shop.name", "Evil"],
        "issued_by": "shellia:admin", "issued_at": chrono::Utc::now()});

    let reply =
        request(&fleet, "maxis.shop1.control.config", &id, payload.to_string().into_bytes(), "shop1", &id).await;

    assert_eq!(reply.error.map(|e| e.code), Some(ErrorCode::InvalidParams));
}

#[tokio::test]
async fn an_outbox_event_the_broker_cannot_carry_is_set_aside_and_neither_blocks_nor_stops_the_shop() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(&fleet, "shop1", dir.path()).await;
    app.stop().await;
    // A 200 KB event in the outbox (over the contract's 128 KiB, so the events stream would refuse
    // it), as a path without the order's check could leave one.
    let store = maxis::store::Store::open(&dir.path().join("shop1.db")).await.unwrap();
    let kind = EventKind::parse("giveaway.entries").unwrap();
    let huge =
        subjects::Event::new("shop1".parse().unwrap(), kind.clone(), None, json!({"entries": "e".repeat(200_000)}));
    let mut tx = store.begin().await.unwrap();
    maxis::store::orders::enqueue(&mut tx, "maxis.shop1.events.giveaway.entries", &huge).await.unwrap();
    tx.commit().await.unwrap();
    drop(store);

    let app = spawn_app(&fleet, "shop1", dir.path()).await;
    let answered = send(&fleet, "shop1", &status()).await;
    let notice = wait_for_event(&fleet, |e| e.kind.as_ref() == EventKind::OUTBOX_DEAD).await;
    let (_, metrics) = testkit::shop::http_get(app.http, "/metrics").await;

    assert!(answered.ok, "{answered:?}");
    assert_eq!(notice.data["event_id"], json!(huge.id));
    assert!(notice.data["bytes"].as_u64().unwrap() > 200_000);
    assert!(metrics.contains("maxis_outbox_dead_total 1"), "{metrics}");
    app.stop().await;
    let _again = spawn_app(&fleet, "shop1", dir.path()).await;
    assert!(send(&fleet, "shop1", &status()).await.ok, "restarts cleanly, the row stays set aside");
}
