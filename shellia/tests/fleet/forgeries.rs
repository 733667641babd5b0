//! A leaked shop credential cannot speak in another shop's name: forged replies, events and
//! discovery answers are dropped and counted by every reader (`send`, `fleet`, `events`,
//! `orders history`).

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::service::ServiceExt;
use futures::StreamExt;
use shellia::bus::{Delivery, EventFilter};
use subjects::subject::{self, CONTROL_STREAM};
use subjects::{Event, EventKind, Name, Reply};
use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::helpers::{send, shellia};

fn shop(id: &str) -> Name {
    Name::parse(id).unwrap()
}

#[tokio::test]
async fn replies_forged_with_shop1s_credential_in_shop2s_and_shop3s_name_are_dropped_and_counted() {
    let fleet = TestFleet::start(&["shop1", "shop2", "shop3"]).await.unwrap();
    let shellia = shellia(&fleet).await;
    // The attacker holds shop1's credential: it pulls shop1's orders and answers in others' names.
    let attacker = fleet.connect(&fleet.shop("shop1")).await.unwrap();
    let forger = tokio::spawn(async move {
        let js = async_nats::jetstream::new(attacker.clone());
        let consumer: PullConsumer =
            js.get_consumer_from_stream(subject::shop_consumer(&shop("shop1")), CONTROL_STREAM).await.unwrap();
        let mut orders = consumer.messages().await.unwrap();
        let order = orders.next().await.unwrap().unwrap();
        let order = subjects::Order::from_json(&order.payload).unwrap();
        for claimed in ["shop2", "shop3"] {
            let forged = Reply::ok(order.id.clone(), shop(claimed), serde_json::json!({"online": true}));
            let on = subject::reply(&shop("shop1"), &order.id);
            attacker.publish(on, forged.to_json().into()).await.unwrap();
        }
        attacker.flush().await.unwrap();
    });

    let dispatch = send(&shellia, "all", "status", &[], Duration::from_secs(2)).await;
    forger.await.unwrap();

    for id in ["shop2", "shop3"] {
        assert_eq!(dispatch.shops[&shop(id)], Delivery::Queued, "{id} never answered: its order waits");
    }
    assert!(!matches!(dispatch.shops[&shop("shop1")], Delivery::Replied(_)));
    assert_eq!(shellia.forgeries(), 2);
}

#[tokio::test]
async fn an_event_stored_with_shop1s_credential_in_shop2s_name_is_shown_by_no_reader() {
    let fleet = TestFleet::start(&["shop1", "shop2"]).await.unwrap();
    let shellia = shellia(&fleet).await;
    let since = chrono::Utc::now() - chrono::Duration::minutes(1);
    let mut live = std::pin::pin!(shellia.tail(&EventFilter::default()).await.unwrap());
    let attacker = async_nats::jetstream::new(fleet.connect(&fleet.shop("shop1")).await.unwrap());
    let data = serde_json::json!({"action": "stop", "issued_by": "shellia:admin", "result": {}});
    let forged = Event::new(shop("shop2"), EventKind::known(EventKind::ORDER_EXECUTED), None, data);
    let on = subject::event(&shop("shop1"), &forged.kind);
    attacker.publish(on, forged.to_json().into()).await.unwrap().await.unwrap();
    fleet.events_sourced().await;

    let shop2 = EventFilter { shop: Some(shop("shop2")), kind: None };
    let replayed = shellia.replay(since, &shop2, |_, _| {}).await.unwrap();
    let history = EventFilter { shop: None, kind: Some(EventKind::parse("order").unwrap()) };
    let orders = shellia.replay(since, &history, |_, _| {}).await.unwrap();
    let tailed = tokio::time::timeout(Duration::from_millis(500), live.next()).await;

    assert!(replayed.is_empty(), "{replayed:?}");
    assert!(orders.is_empty(), "orders history shows nothing in shop2's name: {orders:?}");
    assert!(tailed.is_err(), "tail shows nothing: {tailed:?}");
    assert_eq!(shellia.forgeries(), 3, "counted by the replay, the history and the tail");
}

#[tokio::test]
async fn a_discovery_answer_in_shop2s_name_from_shop1s_credential_does_not_show_shop2_online() {
    let fleet = TestFleet::start(&["shop1", "shop2"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let shellia = shellia(&fleet).await;
    // shop1's credential registers a second `maxis` service claiming to be shop2, version 6.6.6,
    // once signed with its own key and once with a made-up key.
    let seed = fleet.fleet.seed(&fleet.shop("shop1")).unwrap();
    let stranger = nkeys::KeyPair::new_user().seed().unwrap();
    let mut services = Vec::new();
    let mut errors = Vec::new();
    for seed in [seed, stranger] {
        // One connection per answer: a credential may answer each request once.
        let (attacker, watch) = fleet.connect_watching(&fleet.shop("shop1")).await.unwrap();
        errors.push(watch);
        let claim = subjects::signature::discovery_claim("shop2", "", "1.0", "6.6.6");
        let (key, signature) = subjects::signature::sign_claim(&seed, &claim).unwrap();
        let metadata = HashMap::from([
            ("instance".to_owned(), "shop2".to_owned()),
            ("groups".to_owned(), String::new()),
            ("contract".to_owned(), "1.0".to_owned()),
            ("nkey".to_owned(), key),
            ("signature".to_owned(), signature),
        ]);
        services.push(attacker.service_builder().metadata(metadata).start("maxis", "6.6.6").await.unwrap());
        attacker.flush().await.unwrap();
    }

    let members = shellia.fleet(Duration::from_secs(1)).await.unwrap();
    for watch in &mut errors {
        assert!(watch.try_recv().is_err(), "the forged answers reached Shellia");
    }

    let by_id: HashMap<String, Option<String>> = members.into_iter().map(|m| (m.id.to_string(), m.version)).collect();
    assert_eq!(by_id["shop2"], None, "shop2 is offline");
    assert_eq!(by_id["shop1"].as_deref(), Some(maxis::VERSION), "shop1's own signed answer counts");
    assert_eq!(shellia.forgeries(), 2);
}

#[tokio::test]
async fn tail_shows_an_event_published_again_once() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let shellia = shellia(&fleet).await;
    let mut live = std::pin::pin!(shellia.tail(&EventFilter::default()).await.unwrap());
    let shop1 = fleet.connect(&fleet.shop("shop1")).await.unwrap();
    let data = serde_json::json!({"action": "status", "issued_by": "shellia:admin", "result": {}});
    let event = Event::new(shop("shop1"), EventKind::known(EventKind::ORDER_EXECUTED), None, data);
    let on = subject::event(&shop("shop1"), &event.kind);
    // As a shop whose publication its quota refused tries again: every try reaches live readers.
    for _ in 0..3 {
        shop1.publish(on.clone(), event.to_json().into()).await.unwrap();
    }
    shop1.flush().await.unwrap();

    let first = tokio::time::timeout(Duration::from_secs(5), live.next()).await.unwrap().unwrap();
    let again = tokio::time::timeout(Duration::from_millis(500), live.next()).await;

    assert_eq!(first.id, event.id);
    assert!(again.is_err(), "shown once: {again:?}");
}
