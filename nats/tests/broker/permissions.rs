//! Least privilege, checked against the server: each refusal is the server's own
//! "Permissions Violation".

use std::time::Duration;

use async_nats::jetstream;
use async_nats::jetstream::consumer::PullConsumer;
use futures::StreamExt;
use subjects::subject::{CONTROL_STREAM, EVENTS_STREAM};
use testkit::TestFleet;

use crate::helpers::{expect_no_error, expect_violation};

async fn fleet() -> TestFleet {
    TestFleet::start(&["shop1:eu", "shop2:us"]).await.expect("fleet starts")
}

#[tokio::test]
async fn a_shop_cannot_publish_on_another_shops_subjects() {
    let fleet = fleet().await;
    let (client, mut errors) = fleet.connect_watching(&fleet.shop("shop1")).await.unwrap();
    for subject in
        ["maxis.shop2.control.x", "maxis.shop2.events.x", "maxis.shop2.reply.x", "maxis.shop1.control.status"]
    {
        client.publish(subject, "{}".into()).await.unwrap();
        client.flush().await.unwrap();
        expect_violation(&mut errors, "Publish", subject).await;
    }
}

#[tokio::test]
async fn a_shop_may_publish_its_own_replies_and_events() {
    let fleet = fleet().await;
    let (client, mut errors) = fleet.connect_watching(&fleet.shop("shop1")).await.unwrap();
    client.publish("maxis.shop1.reply.abc", "{}".into()).await.unwrap();
    client.publish("maxis.shop1.events.order.executed", "{}".into()).await.unwrap();
    client.flush().await.unwrap();
    expect_no_error(&mut errors).await;
}

#[tokio::test]
async fn a_shop_cannot_pull_from_or_ack_on_another_shops_consumer() {
    let fleet = fleet().await;
    let (client, mut errors) = fleet.connect_watching(&fleet.shop("shop1")).await.unwrap();
    let next = format!("$JS.API.CONSUMER.MSG.NEXT.{CONTROL_STREAM}.shop2");
    client.publish(next.clone(), "{\"batch\":1}".into()).await.unwrap();
    client.flush().await.unwrap();
    expect_violation(&mut errors, "Publish", &next).await;
    let ack = format!("$JS.ACK.{CONTROL_STREAM}.shop2.1.1.1.1700000000000000000.0");
    client.publish(ack.clone(), "+ACK".into()).await.unwrap();
    client.flush().await.unwrap();
    expect_violation(&mut errors, "Publish", &ack).await;
    // Binding to shop2's consumer needs its info, which shop1 may not ask for.
    let mut js = jetstream::new(client);
    js.set_timeout(Duration::from_secs(1));
    let bound: Result<PullConsumer, _> = js.get_consumer_from_stream("shop2", CONTROL_STREAM).await;
    assert!(bound.is_err(), "shop1 bound shop2's consumer");
    expect_violation(&mut errors, "Publish", &format!("$JS.API.CONSUMER.INFO.{CONTROL_STREAM}.shop2")).await;
}

#[tokio::test]
async fn a_shop_pulls_and_acks_its_own_consumer() {
    let fleet = fleet().await;
    let shellia = fleet.connect(&fleet.shellia()).await.unwrap();
    let js_shellia = jetstream::new(shellia);
    js_shellia.publish("maxis.eu.control.status", "{}".into()).await.unwrap().await.unwrap();
    let (client, mut errors) = fleet.connect_watching(&fleet.shop("shop1")).await.unwrap();
    let js = jetstream::new(client);
    let consumer: PullConsumer = js.get_consumer_from_stream("shop1", CONTROL_STREAM).await.unwrap();
    let mut messages = consumer.fetch().max_messages(1).expires(Duration::from_secs(2)).messages().await.unwrap();
    let message = messages.next().await.expect("one order").unwrap();
    assert_eq!(message.subject.as_str(), "maxis.eu.control.status");
    message.ack_with(jetstream::AckKind::Progress).await.unwrap();
    message.double_ack().await.unwrap();
    expect_no_error(&mut errors).await;
}

#[tokio::test]
async fn a_shop_cannot_subscribe_to_the_shared_inbox_another_shop_or_its_own_events() {
    let fleet = fleet().await;
    let (client, mut errors) = fleet.connect_watching(&fleet.shop("shop1")).await.unwrap();
    for subject in [
        "_INBOX.>",
        "maxis.shop2.>",
        "maxis.*.reply.>",
        "_INBOX_maxis_shop2.>",
        "$JS.EVENT.ADVISORY.CONSUMER.CREATED.MAXIS_EVENTS.*",
        // Its own events: a leaked key would see the shop's publications and could answer
        // their acknowledgements in the stream's place.
        "maxis.shop1.events.>",
    ] {
        let _sub = client.subscribe(subject).await.unwrap();
        client.flush().await.unwrap();
        expect_violation(&mut errors, "Subscription", subject).await;
    }
}

#[tokio::test]
async fn a_shop_cannot_delete_or_purge_streams_or_create_consumers() {
    let fleet = fleet().await;
    let (client, mut errors) = fleet.connect_watching(&fleet.shop("shop1")).await.unwrap();
    for subject in [
        format!("$JS.API.STREAM.DELETE.{CONTROL_STREAM}"),
        format!("$JS.API.STREAM.PURGE.{CONTROL_STREAM}"),
        format!("$JS.API.STREAM.DELETE.{EVENTS_STREAM}"),
        format!("$JS.API.CONSUMER.CREATE.{CONTROL_STREAM}.evil"),
        format!("$JS.API.CONSUMER.CREATE.{CONTROL_STREAM}"),
        format!("$JS.API.CONSUMER.DELETE.{CONTROL_STREAM}.shop2"),
    ] {
        client.publish(subject.clone(), "{}".into()).await.unwrap();
        client.flush().await.unwrap();
        expect_violation(&mut errors, "Publish", &subject).await;
    }
    let provisioner = jetstream::new(fleet.connect(&broker::Identity::Provisioner).await.unwrap());
    assert!(provisioner.get_stream(CONTROL_STREAM).await.is_ok(), "the control stream survived");
}

#[tokio::test]
async fn ops_reads_events_and_publishes_nothing_else() {
    let fleet = fleet().await;
    let shop = jetstream::new(fleet.connect(&fleet.shop("shop1")).await.unwrap());
    shop.publish("maxis.shop1.events.shop.started", "{\"hello\":1}".into()).await.unwrap().await.unwrap();

    let (client, mut errors) = fleet.connect_watching(&fleet.ops()).await.unwrap();
    let js = jetstream::new(client.clone());
    let stream = js.get_stream_no_info(EVENTS_STREAM).await.unwrap();
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .expect("ops creates an ordered consumer");
    let mut messages = consumer.messages().await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), messages.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(first.subject.as_str(), "maxis.shop1.events.shop.started");
    expect_no_error(&mut errors).await;

    for subject in [
        "maxis.shop1.control.status".to_owned(),
        "maxis.shop1.events.x".to_owned(),
        "maxis.shop1.reply.x".to_owned(),
        format!("$JS.API.STREAM.DELETE.{EVENTS_STREAM}"),
        format!("$JS.API.STREAM.PURGE.{EVENTS_STREAM}"),
        format!("$JS.API.CONSUMER.CREATE.{CONTROL_STREAM}"),
        format!("$JS.API.CONSUMER.MSG.NEXT.{CONTROL_STREAM}.shop1"),
    ] {
        client.publish(subject.clone(), "{}".into()).await.unwrap();
        client.flush().await.unwrap();
        expect_violation(&mut errors, "Publish", &subject).await;
    }
}

#[tokio::test]
async fn ops_creates_only_its_own_durable_consumer_on_the_events_stream() {
    let fleet = fleet().await;
    let (client, mut errors) = fleet.connect_watching(&fleet.ops()).await.unwrap();
    let mut js = jetstream::new(client);
    js.set_timeout(Duration::from_secs(1));
    let stream = js.get_stream_no_info(EVENTS_STREAM).await.unwrap();
    let durable = jetstream::consumer::pull::Config { durable_name: Some("mine".into()), ..Default::default() };
    assert!(stream.create_consumer(durable).await.is_err(), "ops created a durable consumer");
    expect_violation(&mut errors, "Publish", &format!("$JS.API.CONSUMER.CREATE.{EVENTS_STREAM}.mine")).await;
    let own = jetstream::consumer::pull::Config { durable_name: Some("ops_ops".into()), ..Default::default() };
    stream.create_consumer(own).await.expect("its own `ops_<name>` durable");
    expect_no_error(&mut errors).await;
    // Another reader's consumer (Shellia's, another operator's) is not its to delete; its own is.
    let provisioner = jetstream::new(fleet.connect(&testkit::fleet::provisioner()).await.unwrap());
    let theirs = jetstream::consumer::pull::Config { durable_name: Some("ops_other".into()), ..Default::default() };
    provisioner.get_stream(EVENTS_STREAM).await.unwrap().create_consumer(theirs).await.unwrap();
    assert!(stream.delete_consumer("ops_other").await.is_err(), "ops deleted another reader's consumer");
    expect_violation(&mut errors, "Publish", &format!("$JS.API.CONSUMER.DELETE.{EVENTS_STREAM}.ops_other")).await;
    stream.delete_consumer("ops_ops").await.expect("its own durable");
}

#[tokio::test]
async fn a_wrong_seed_or_no_credentials_are_refused_at_connect() {
    let fleet = fleet().await;
    let stranger = nkeys::KeyPair::new_user().seed().unwrap();
    let refused = broker::connect::options(&stranger, "_INBOX_x", "stranger", None).connect(fleet.url()).await;
    assert!(refused.is_err(), "an unknown nkey was accepted");
    let anonymous = async_nats::ConnectOptions::new().connect(fleet.url()).await;
    assert!(anonymous.is_err(), "a client without credentials was accepted");
    let stranger_key = nkeys::KeyPair::from_seed(&stranger).unwrap().public_key();
    assert!(
        fleet.server.log_contains(&format!("authentication error - Nkey \"{stranger_key}\"")),
        "the server logs the refused key"
    );
}
