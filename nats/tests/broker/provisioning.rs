//! Streams and consumers: created by the provisioner only, idempotently, one durable per shop.

use async_nats::jetstream::{self, consumer::PullConsumer};
use broker::provision::{self, Change};
use broker::Identity;
use subjects::subject::CONTROL_STREAM;
use testkit::TestFleet;

#[tokio::test]
async fn provisioning_twice_changes_nothing() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let js = jetstream::new(fleet.connect(&Identity::Provisioner).await.unwrap());
    let mut before: PullConsumer = js.get_consumer_from_stream("shop1", CONTROL_STREAM).await.unwrap();
    let created = before.info().await.unwrap().created;

    let steps = provision::provision(&js, &fleet.fleet).await.unwrap();

    assert_eq!(steps.len(), 4);
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
