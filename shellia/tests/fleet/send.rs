//! `send` to a shop, a group, everyone, an offline shop, and a shop added to a running fleet.

use std::time::Duration;

use futures::StreamExt;
use shellia::bus::{Delivery, SendError};
use shellia::command::build_order;
use subjects::subject;
use testkit::shop::{events, spawn_app};
use testkit::TestFleet;

use crate::helpers::{answered, send, shellia, WAIT};

async fn fleet_with_two_shops() -> (TestFleet, tempfile::TempDir) {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    (fleet, tempfile::tempdir().unwrap())
}

#[tokio::test]
async fn status_to_a_shop_is_answered_by_that_shop_only() {
    let (fleet, dir) = fleet_with_two_shops().await;
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;

    let dispatch = send(&shellia(&fleet).await, "shop1", "status", &[], WAIT).await;

    assert_eq!(answered(&dispatch), vec!["shop1"]);
    assert_eq!(dispatch.shops.len(), 1);
}

#[tokio::test]
async fn status_to_all_is_answered_by_every_shop() {
    let (fleet, dir) = fleet_with_two_shops().await;
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;

    let dispatch = send(&shellia(&fleet).await, "all", "status", &[], WAIT).await;

    assert_eq!(answered(&dispatch), vec!["shop1", "shop2"]);
}

#[tokio::test]
async fn status_to_a_group_is_answered_by_its_members_only() {
    let (fleet, dir) = fleet_with_two_shops().await;
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;

    let dispatch = send(&shellia(&fleet).await, "@eu", "status", &[], WAIT).await;

    assert_eq!(answered(&dispatch), vec!["shop1"]);
    assert_eq!(dispatch.shops.len(), 1);
}

#[tokio::test]
async fn an_order_to_an_offline_shop_is_queued_then_executed_when_it_starts() {
    let (fleet, dir) = fleet_with_two_shops().await;
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let shellia = shellia(&fleet).await;
    let (target, order) = build_order("all", "status", &[] as &[&str], &shellia.issuer()).unwrap();
    let order_id = order.id.clone();
    let watcher = fleet.connect(&fleet.shellia()).await.unwrap();
    let mut late_reply = watcher.subscribe(subject::reply(&"shop2".parse().unwrap(), &order_id)).await.unwrap();

    let dispatch = shellia.send(&target, order, Duration::from_secs(2)).await.unwrap();

    assert_eq!(answered(&dispatch), vec!["shop1"]);
    assert_eq!(dispatch.shops[&"shop2".parse().unwrap()], Delivery::Queued);
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;
    let message =
        tokio::time::timeout(Duration::from_secs(10), late_reply.next()).await.expect("shop2 ran it").unwrap();
    let reply: subjects::Reply = serde_json::from_slice(&message.payload).unwrap();
    assert!(reply.ok && reply.order_id == order_id);
}

#[tokio::test]
async fn a_shop_added_to_a_running_fleet_answers_the_next_broadcast_and_none_before() {
    let (mut fleet, dir) = fleet_with_two_shops().await;
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;
    let shellia = shellia(&fleet).await;
    let before = send(&shellia, "all", "status", &[], WAIT).await;

    fleet.add_shop("shop3:eu").await.unwrap();
    let _shop3 = spawn_app(&fleet, "shop3", dir.path()).await;
    let after = send(&shellia, "all", "status", &[], WAIT).await;

    assert_eq!(answered(&before), vec!["shop1", "shop2"]);
    assert_eq!(answered(&after), vec!["shop1", "shop2", "shop3"]);
    let shop3_orders: Vec<_> = events(&fleet)
        .await
        .into_iter()
        .filter(|e| e.instance.as_ref() == "shop3" && e.kind.as_ref().starts_with("order."))
        .filter_map(|e| e.order_id)
        .collect();
    assert_eq!(shop3_orders, vec![after.order.id.clone()], "shop3 executed only the order sent after it joined");
    // The running shops kept their connections through the reload.
    assert_eq!(answered(&send(&shellia, "eu", "status", &[], WAIT).await), vec!["shop1", "shop3"]);
}

#[tokio::test]
async fn an_order_to_an_unknown_target_is_refused_and_not_sent() {
    let (fleet, _dir) = fleet_with_two_shops().await;
    let shellia = shellia(&fleet).await;
    let (target, order) = build_order("nowhere", "status", &[] as &[&str], &shellia.issuer()).unwrap();

    let err = shellia.send(&target, order, WAIT).await.unwrap_err();

    assert!(matches!(err, SendError::UnknownTarget(..)), "{err}");
    assert!(err.to_string().contains("shop1, shop2"), "{err}");
    let js = async_nats::jetstream::new(fleet.connect(&testkit::fleet::provisioner()).await.unwrap());
    let mut stream = js.get_stream(subject::CONTROL_STREAM).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 0);
}

#[tokio::test]
async fn bad_params_are_refused_before_anything_is_sent() {
    let err =
        build_order("all", "promo", &["discount.percent=150", "target=all", "duration_secs=60"], "t").unwrap_err();
    assert!(err.to_string().contains("between 1 and 100"), "{err}");
    assert!(build_order("shop.1", "status", &[] as &[&str], "t").is_err());
    assert!(build_order("all", "explode", &[] as &[&str], "t").is_err());
}

#[tokio::test]
async fn a_promo_sent_on_a_plan_the_shop_lacks_is_refused_by_the_shop_naming_its_plans() {
    let (fleet, dir) = fleet_with_two_shops().await;
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let client = shellia(&fleet).await;
    let plan = [
        "op=upsert",
        "product.id=pro",
        "product.name=Pro",
        "product.kind=plan",
        "product.price=\"9.99\"",
        "product.role=\"100000000000000001\"",
        "product.interval=month",
    ];
    assert_eq!(answered(&send(&client, "shop1", "catalog", &plan, WAIT).await), vec!["shop1"]);

    // The seed's short form, as typed after `shellia send shop1`.
    let dispatch = send(&client, "shop1", "promo", &["20%", "gold", "48h"], WAIT).await;

    let Some(Delivery::Replied(reply)) = dispatch.shops.values().next() else { panic!("{dispatch:?}") };
    let error = reply.error.as_ref().unwrap_or_else(|| panic!("accepted: {reply:?}"));
    assert_eq!(error.code, subjects::ErrorCode::NotFound);
    assert!(error.message.contains("\"gold\"") && error.message.contains("its plans: pro"), "{}", error.message);
}
