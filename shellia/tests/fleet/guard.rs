//! The events stream's consumers deliver only to a reader's own inbox: nats-server lets the ops
//! identity create a push consumer delivering anywhere (it does not check the deliver subject),
//! so Shellia deletes such a consumer as soon as the server announces it.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::push};
use subjects::subject::EVENTS_STREAM;
use testkit::TestFleet;

use crate::helpers::shellia;

async fn exists(stream: &jetstream::stream::Stream<()>, name: &str) -> bool {
    stream.consumer_info(name).await.is_ok()
}

#[tokio::test]
async fn an_ops_push_consumer_delivering_to_a_shops_subjects_is_deleted_and_one_to_its_inbox_stays() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let shellia = shellia(&fleet).await;
    shellia.guard_event_consumers().await.unwrap();
    let ops = jetstream::new(fleet.connect(&fleet.ops()).await.unwrap());
    let stream = ops.get_stream_no_info(EVENTS_STREAM).await.unwrap();

    let rogue = push::Config {
        name: Some("ops_ops".into()),
        durable_name: Some("ops_ops".into()),
        deliver_subject: "maxis.shop1.reply.stolen".into(),
        ..Default::default()
    };
    stream.create_consumer(rogue).await.expect("nats-server accepts any deliver subject");
    let own = push::Config { deliver_subject: "_INBOX_ops_ops.tail".into(), ..Default::default() };
    let own = stream.create_consumer(own).await.unwrap().cached_info().name.clone();

    let deadline = Instant::now() + Duration::from_secs(5);
    while exists(&stream, "ops_ops").await {
        assert!(Instant::now() < deadline, "the consumer pushing to a shop's reply subject is deleted within 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(exists(&stream, &own).await, "the consumer delivering to ops' own inbox stays");
    assert_eq!(shellia.rogue_consumers_removed(), 1);
}
