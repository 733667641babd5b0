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
    // Stored in each shop's intake before the reply; in MAXIS_EVENTS milliseconds later.
    fleet.events_sourced().await;

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
    fleet.events_sourced().await;
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

/// shop1 running, with three `status` orders (and their events) behind it.
async fn shop_with_three_orders() -> (TestFleet, tempfile::TempDir, testkit::shop::TestApp, shellia::bus::FleetClient) {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shop = spawn_app(&fleet, "shop1", dir.path()).await;
    let shellia = shellia(&fleet).await;
    for _ in 0..3 {
        send(&shellia, "shop1", "status", &[], WAIT).await;
    }
    fleet.events_sourced().await;
    (fleet, dir, shop, shellia)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_each_replayed_event_as_a_json_line_in_stream_order() {
    let (fleet, dir, _shop1, shellia) = shop_with_three_orders().await;
    let since = chrono::Utc::now() - chrono::Duration::minutes(5);
    let stored = shellia.replay(since, &EventFilter::default(), |_, _| {}).await.unwrap();

    let out = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_shellia"))
            .args(["events", "replay", "--since", "1h", "--json"])
            .env("SHELLIA_NATS__URL", fleet.url())
            .env("SHELLIA_NATS__SEED_FILE", fleet.fleet.key_path(&fleet.shellia()))
            .env("SHELLIA_DATABASE__PATH", dir.path().join("shellia.db"))
            .output()
            .unwrap()
    });

    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Vec<subjects::Event> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ids = |events: &[subjects::Event]| events.iter().map(|e| e.id.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&printed), ids(&stored));
    assert_eq!(printed.iter().filter(|e| e.kind.as_ref() == "order.executed").count(), 3);
}

#[tokio::test]
async fn a_replay_stops_as_soon_as_its_reader_has_enough() {
    let (_fleet, _dir, _shop1, shellia) = shop_with_three_orders().await;
    let mut handed = 0;

    let read = shellia
        .replay_each(
            chrono::Utc::now() - chrono::Duration::minutes(5),
            &EventFilter::default(),
            |_, _| {},
            |_| {
                handed += 1;
                handed < 2
            },
        )
        .await
        .unwrap();

    assert_eq!(handed, 2);
    assert_eq!(read, 2);
}
