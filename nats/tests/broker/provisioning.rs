//! Streams and consumers: created by the provisioner only, idempotently, one durable per shop.

use async_nats::jetstream::{self, consumer::PullConsumer};
use broker::provision::{self, Change};
use broker::Identity;
use subjects::subject::{CONTROL_STREAM, EVENTS_STREAM};
use testkit::TestFleet;

#[tokio::test]
async fn provisioning_twice_changes_nothing() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let js = jetstream::new(fleet.connect(&Identity::Provisioner).await.unwrap());
    let mut before: PullConsumer = js.get_consumer_from_stream("shop1", CONTROL_STREAM).await.unwrap();
    let created = before.info().await.unwrap().created;

    let steps = provision::provision(&js, &fleet.fleet).await.unwrap();

    assert_eq!(steps.len(), 6, "two streams, then each shop's intake and consumer: {steps:?}");
    assert!(steps.iter().all(|s| s.change == Change::Unchanged), "{steps:?}");
    let mut after: PullConsumer = js.get_consumer_from_stream("shop1", CONTROL_STREAM).await.unwrap();
    assert_eq!(after.info().await.unwrap().created, created);
}

#[tokio::test]
async fn each_shop_consumer_reads_its_id_its_groups_and_all() {
    let fleet = TestFleet::start(&["shop1:eu,vip", "shop2:us"]).await.unwrap();
    let js = jetstream::new(fleet.connect(&Identity::Provisioner).await.unwrap());
    let mut consumer: PullConsumer = js.get_consumer_from_stream("shop1", CONTROL_STREAM).await.unwrap();
    let mut filters = consumer.info().await.unwrap().config.filter_subjects.clone();
    filters.sort();
    assert_eq!(
        filters,
        vec!["maxis.all.control.>", "maxis.eu.control.>", "maxis.shop1.control.>", "maxis.vip.control.>"]
    );
    let config = &consumer.info().await.unwrap().config;
    assert_eq!(config.deliver_policy, jetstream::consumer::DeliverPolicy::New);
    assert_eq!(config.ack_policy, jetstream::consumer::AckPolicy::Explicit);
    assert!(config.max_deliver > 1 && !config.backoff.is_empty());
}

#[tokio::test]
async fn changing_a_shops_groups_updates_its_consumer_in_place() {
    let mut fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let js = jetstream::new(fleet.connect(&Identity::Provisioner).await.unwrap());
    fleet.fleet.upsert_shop(broker::ShopSpec::parse("shop1:eu,vip").unwrap());
    let steps = provision::provision(&js, &fleet.fleet).await.unwrap();
    let shop_step = steps.iter().find(|s| s.what.ends_with("/shop1")).unwrap();
    assert_eq!(shop_step.change, Change::Updated);
}

#[tokio::test]
async fn a_group_named_like_a_shop_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shops = [broker::ShopSpec::parse("shop1:eu").unwrap(), broker::ShopSpec::parse("eu").unwrap()];
    let err = broker::Fleet::init(dir.path(), None, &shops, &[], &[]).unwrap_err();
    assert!(err.to_string().contains("ambiguous"), "{err}");
}

#[tokio::test]
async fn init_keeps_existing_keys() {
    let dir = tempfile::tempdir().unwrap();
    let shops = [broker::ShopSpec::parse("shop1:eu").unwrap()];
    let first = broker::Fleet::init(dir.path(), None, &shops, &[], &[]).unwrap();
    let key = first.public_key(&Identity::Shop(shops[0].clone())).unwrap();
    let config = std::fs::read_to_string(first.server_config_path()).unwrap();
    let second = broker::Fleet::init(dir.path(), None, &shops, &[], &[]).unwrap();
    assert_eq!(second.public_key(&Identity::Shop(shops[0].clone())).unwrap(), key);
    assert_eq!(std::fs::read_to_string(second.server_config_path()).unwrap(), config);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(second.key_path(&Identity::Shop(shops[0].clone()))).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "seeds are readable by their owner only");
}

#[tokio::test]
async fn a_fleet_provisioned_before_shop_quotas_keeps_its_events_and_takes_new_ones_through_the_intakes() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let js = jetstream::new(fleet.connect(&Identity::Provisioner).await.unwrap());
    // The events stream as it was: the shops' subjects on it, no intake.
    js.delete_stream(subjects::subject::events_intake(&"shop1".parse().unwrap())).await.unwrap();
    js.delete_stream(EVENTS_STREAM).await.unwrap();
    let mut old = provision::events_stream(&fleet.fleet.manifest.streams, &[]);
    old.subjects = vec![subjects::subject::events_all()];
    old.sources = None;
    js.create_stream(old).await.unwrap();
    let shop = jetstream::new(fleet.connect(&fleet.shop("shop1")).await.unwrap());
    shop.publish("maxis.shop1.events.order.executed", "before".into()).await.unwrap().await.unwrap();

    let steps = provision::provision(&js, &fleet.fleet).await.unwrap();
    let after = shop.publish("maxis.shop1.events.order.executed", "after".into()).await.unwrap().await.unwrap();

    let changes: Vec<_> = steps.iter().map(|s| (s.what.as_str(), s.change)).collect();
    assert!(changes.contains(&("stream MAXIS_EVENTS", Change::Updated)), "{changes:?}");
    assert!(changes.contains(&("stream MAXIS_EVENTS_IN_shop1", Change::Created)), "{changes:?}");
    assert_eq!(after.stream, "MAXIS_EVENTS_IN_shop1", "the shop's events go through its quota");
    let mut events = js.get_stream(EVENTS_STREAM).await.unwrap();
    for _ in 0..100 {
        if events.info().await.unwrap().state.messages == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let state = &events.info().await.unwrap().state;
    assert_eq!(state.messages, 2, "the old event is kept and the new one sourced: {state:?}");
    let last = events.get_last_raw_message_by_subject("maxis.shop1.events.order.executed").await.unwrap();
    assert_eq!(&last.payload[..], b"after");
}

#[tokio::test]
async fn a_shop_over_its_events_quota_is_refused_until_the_window_passes_and_the_others_are_not() {
    let settings = broker::fleet::StreamSettings {
        shop_events_max_bytes: 64 * 1024,
        shop_events_window_secs: 2,
        ..Default::default()
    };
    let fleet = TestFleet::start_with(&["shop1", "shop2"], settings).await.unwrap();
    let shop1 = jetstream::new(fleet.connect(&fleet.shop("shop1")).await.unwrap());
    let shop2 = jetstream::new(fleet.connect(&fleet.shop("shop2")).await.unwrap());
    let junk = vec![b'j'; 16 * 1024];

    let mut stored = 0;
    let refusal = loop {
        match shop1.publish("maxis.shop1.events.junk", junk.clone().into()).await.unwrap().await {
            Ok(_) => stored += 1,
            Err(e) => break e,
        }
        assert!(stored < 100, "the quota never refused");
    };
    let other = shop2.publish("maxis.shop2.events.order.executed", "ok".into()).await.unwrap().await;
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let later = shop1.publish("maxis.shop1.events.order.executed", "ok".into()).await.unwrap().await;

    assert!(stored <= 4, "64 KiB take at most four 16 KiB events: {stored}");
    assert!(refusal.to_string().contains("maximum bytes"), "{refusal}");
    assert!(other.is_ok(), "shop2 is not affected: {other:?}");
    assert!(later.is_ok(), "the window passed: {later:?}");
}

#[tokio::test]
async fn an_event_of_the_largest_size_the_intake_takes_reaches_the_events_stream_and_the_next_ones_follow() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let shop = jetstream::new(fleet.connect(&fleet.shop("shop1")).await.unwrap());
    let js = jetstream::new(fleet.connect(&Identity::Provisioner).await.unwrap());
    let largest = fleet.fleet.manifest.streams.events_max_msg_size as usize;
    // Subject and headers count towards the stream's limit: find the largest payload it takes.
    let mut size = largest;
    let ack = loop {
        match shop.publish("maxis.shop1.events.big", vec![b'x'; size].into()).await.unwrap().await {
            Ok(ack) => break ack,
            Err(_) => size -= 16,
        }
    };
    shop.publish("maxis.shop1.events.after", "after".into()).await.unwrap().await.unwrap();

    assert!(size > largest - 512, "{size}");
    assert_eq!(ack.stream, "MAXIS_EVENTS_IN_shop1");
    let mut events = js.get_stream(EVENTS_STREAM).await.unwrap();
    for _ in 0..100 {
        if events.info().await.unwrap().state.messages == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(events.info().await.unwrap().state.messages, 2, "the large event and the next were copied");
}
