//! `events replay` prints every event of the period in order; `tail` shows new ones live.

use std::time::Duration;

use futures::StreamExt;
use shellia::bus::EventFilter;
use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::helpers::{send, shellia, WAIT};

#[tokio::test]
async fn replay_prints_every_event_of_the_period_in_order_and_tail_shows_new_ones() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;
    let shellia = shellia(&fleet).await;
    let since = chrono::Utc::now() - chrono::Duration::minutes(1);
    for _ in 0..3 {
        send(&shellia, "all", "status", &[], WAIT).await;
    }

    let all = shellia.replay(since, &EventFilter::default(), |_, _| {}).await.unwrap();
    let shop1_orders =
        EventFilter { shop: Some("shop1".parse().unwrap()), kind: Some(subjects::EventKind::parse("order").unwrap()) };
    let only = shellia.replay(since, &shop1_orders, |_, _| {}).await.unwrap();

    assert_eq!(all.iter().filter(|e| e.kind.as_ref() == "order.executed").count(), 6);
    assert!(all.iter().any(|e| e.kind.as_ref() == "shop.started"));
    assert!(all.windows(2).all(|w| w[0].at <= w[1].at || w[0].instance != w[1].instance), "in stream order");
    assert_eq!(only.len(), 3);
    assert!(only.iter().all(|e| e.instance.as_ref() == "shop1" && e.kind.as_ref() == "order.executed"));

    let mut live =
        std::pin::pin!(shellia.tail(&EventFilter { shop: Some("shop2".parse().unwrap()), kind: None }).await.unwrap());
    send(&shellia, "all", "stop", &["maintenance"], WAIT).await;
    let first = tokio::time::timeout(Duration::from_secs(5), live.next()).await.unwrap().unwrap();
    assert_eq!(first.instance.as_ref(), "shop2");
}

#[tokio::test]
async fn order_history_lines_say_who_asked_what_and_the_outcome() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let shellia = shellia(&fleet).await;
    send(&shellia, "shop1", "status", &[], WAIT).await;
    send(&shellia, "shop1", "config", &["key=nope"], WAIT).await;
    let filter = EventFilter { shop: None, kind: Some(subjects::EventKind::parse("order").unwrap()) };

    let lines: Vec<String> = shellia
        .replay(chrono::Utc::now() - chrono::Duration::minutes(5), &filter, |_, _| {})
        .await
        .unwrap()
        .iter()
        .map(shellia::render::order_line)
        .collect();

    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("executed status by shellia:admin"), "{lines:?}");
    assert!(lines[1].contains("rejected config") && lines[1].contains("unknown setting"), "{lines:?}");
}
