//! The fleet on a three-node JetStream cluster (R3 streams and consumers): a real shop and
//! Shellia's own client, the stream leader killed while orders flow.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream;
use broker::fleet::StreamSettings;
use broker::Identity;
use futures::StreamExt;
use secrecy::SecretString;
use shellia::bus::{Delivery, FleetClient};
use subjects::subject::{CONTROL_STREAM, EVENTS_STREAM};
use subjects::{Command, EventKind, Order, Target};
use testkit::cluster::NatsCluster;
use testkit::fleet::name;
use tokio::sync::mpsc;

/// What became of one order the sender sent.
#[derive(Debug)]
struct Sent {
    order_id: String,
    sku: String,
    /// The control stream stored it (the publish was acknowledged).
    stored: bool,
    /// The shop answered `ok`.
    answered: bool,
}

/// A catalog upsert: its effect is one `products` row named after `sku`.
fn upsert(client: &FleetClient, sku: &str) -> Order {
    let params =
        serde_json::json!({"op": "upsert", "product": {"id": sku, "name": sku, "kind": "digital", "price": "1.00"}});
    Order::new(Command::from_parts("catalog", params).expect("valid catalog params"), client.issuer())
}

/// Sends orders one after another until `stop` is dropped, reporting each outcome.
fn spawn_sender(client: FleetClient, report: mpsc::UnboundedSender<Sent>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let target = Target::parse("shop1").expect("a target");
        for i in 0.. {
            let sku = format!("sku-{i}");
            let order = upsert(&client, &sku);
            let order_id = order.id.to_string();
            let outcome = client.send(&target, order, Duration::from_secs(10)).await;
            let stored = outcome.is_ok();
            if outcome.is_err() {
                // As an admin would: try again a moment later.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let answered =
                matches!(&outcome, Ok(d) if matches!(d.shops.values().next(), Some(Delivery::Replied(r)) if r.ok));
            if report.send(Sent { order_id, sku, stored, answered }).is_err() {
                return;
            }
        }
    })
}

/// Collects outcomes until `answered` more orders got an ok reply.
async fn until_answered(rx: &mut mpsc::UnboundedReceiver<Sent>, sent: &mut Vec<Sent>, answered: usize) {
    let mut seen = 0;
    while seen < answered {
        let next = tokio::time::timeout(Duration::from_secs(90), rx.recv()).await;
        let one = next.expect("orders kept being answered").expect("the sender runs");
        seen += usize::from(one.answered);
        sent.push(one);
    }
}

/// Retries `probe` until it returns `Some`, or panics with `what` after a generous while.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..240 {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{what} never happened");
}

/// The order ids of the `order.executed` events in MAXIS_EVENTS, with their counts.
async fn executed_events(cluster: &NatsCluster) -> anyhow::Result<BTreeMap<String, usize>> {
    let js = jetstream::new(cluster.connect(&Identity::Ops(name("ops"))).await?);
    let mut stream = js.get_stream(EVENTS_STREAM).await?;
    let count = stream.info().await?.state.messages as usize;
    let mut out = BTreeMap::new();
    if count == 0 {
        return Ok(out);
    }
    let consumer = stream.create_consumer(jetstream::consumer::pull::OrderedConfig::default()).await?;
    let mut messages = consumer.messages().await?.take(count);
    while let Some(message) = tokio::time::timeout(Duration::from_secs(10), messages.next()).await? {
        let event: subjects::Event = serde_json::from_slice(&message?.payload)?;
        if event.kind == EventKind::known(EventKind::ORDER_EXECUTED) {
            if let Some(id) = event.order_id {
                *out.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_stream_leader_mid_flow_loses_no_acknowledged_order_and_the_node_catches_up() {
    // Arrange: three nodes, R3 streams, a real shop and Shellia, both given every node's URL.
    // A short first backoff: an order whose event could not be stored while the events stream
    // changed leader is retried after 3 s instead of 30.
    let streams = StreamSettings { replicas: 3, backoff_secs: vec![3, 5, 10], ..StreamSettings::default() };
    let mut cluster = NatsCluster::start_with(&["shop1:eu"], streams).await.expect("the cluster starts");
    let dir = tempfile::tempdir().unwrap();
    let shop = testkit::shop::spawn_with(cluster.shop_settings("shop1", dir.path()).unwrap()).await;
    let seed = cluster.fleet.seed(&Identity::Shellia(name("admin"))).unwrap();
    let client = FleetClient::connect(&cluster.urls(), name("admin"), SecretString::from(seed)).await.unwrap();
    let (report, mut outcomes) = mpsc::unbounded_channel();
    let sender = spawn_sender(client, report);
    let mut sent = Vec::new();

    // Act: orders flow; the control stream's leader is killed while they do; it comes back.
    until_answered(&mut outcomes, &mut sent, 10).await;
    let killed = cluster.stream_leader(CONTROL_STREAM).await.unwrap();
    cluster.kill(&killed).unwrap();
    let before_kill = sent.len();
    until_answered(&mut outcomes, &mut sent, 15).await;
    let answered_while_down = sent[before_kill..].iter().filter(|s| s.answered).count();
    let new_stream_leader = cluster.stream_leader(CONTROL_STREAM).await.unwrap();
    let consumer_leader = cluster.consumer_leader(CONTROL_STREAM, "shop1").await.unwrap();
    cluster.restart(&killed).unwrap();
    until_answered(&mut outcomes, &mut sent, 5).await;
    sender.abort();
    let _ = sender.await;
    while let Ok(one) = outcomes.try_recv() {
        sent.push(one);
    }

    // Assert: orders kept flowing on the surviving nodes, and the shop followed the new leaders.
    assert!(answered_while_down >= 15, "only {answered_while_down} orders answered while {killed} was down");
    assert_ne!(new_stream_leader, killed, "the dead node still leads the control stream");
    assert_ne!(consumer_leader, killed, "the dead node still leads the shop's consumer");

    // No acknowledged order is lost: every order the stream stored takes effect (the ones not
    // answered in time run late), once, with its event; every answered one is among them.
    let store = maxis::store::Store::open(&dir.path().join("shop1.db")).await.unwrap();
    let stored: Vec<&Sent> = sent.iter().filter(|s| s.stored).collect();
    assert!(sent.iter().all(|s| !s.answered || s.stored));
    eventually("every stored order's effect in the shop's SQLite", || async {
        let mut missing = 0;
        for s in &stored {
            let row: Option<(i64,)> = sqlx::query_as("SELECT ok FROM handled_orders WHERE order_id = ?")
                .bind(&s.order_id)
                .fetch_optional(store.pool())
                .await
                .unwrap();
            let product: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE id = ?")
                .bind(&s.sku)
                .fetch_one(store.pool())
                .await
                .unwrap();
            missing += usize::from(row != Some((1,)) || product != 1);
        }
        (missing == 0).then_some(())
    })
    .await;
    let events = eventually("every stored order's event in MAXIS_EVENTS", || async {
        let events = executed_events(&cluster).await.ok()?;
        stored.iter().all(|s| events.contains_key(&s.order_id)).then_some(events)
    })
    .await;
    for s in &stored {
        assert_eq!(events[&s.order_id], 1, "order {} has one order.executed event", s.order_id);
    }

    // The restarted node catches up: its own replica of each stream reaches the leader's last
    // sequence.
    for stream in [CONTROL_STREAM, EVENTS_STREAM] {
        eventually(&format!("{killed} catching up on {stream}"), || async {
            let leader = cluster.stream_leader(stream).await.ok()?;
            let want = cluster.node_last_seq(&leader, stream).await.ok()??;
            let have = cluster.node_last_seq(&killed, stream).await.ok()??;
            (want > 0 && have == want).then_some(())
        })
        .await;
    }
    drop(shop);
}

#[tokio::test]
async fn a_shop_added_to_a_running_cluster_is_accepted_by_every_node_and_gets_a_replicated_consumer() {
    let mut cluster = NatsCluster::start(&["shop1:eu"]).await.expect("the cluster starts");
    let urls = cluster.urls();

    let steps = broker::reload::add_shop(&mut cluster.fleet, broker::ShopSpec::parse("shop3:eu").unwrap(), &urls)
        .await
        .expect("add-shop on a cluster");

    let changes: Vec<_> = steps.iter().map(|s| (s.what.as_str(), s.change)).collect();
    use broker::provision::Change::{Created, Updated};
    assert_eq!(
        changes,
        [
            ("stream MAXIS_EVENTS", Updated),
            ("stream MAXIS_EVENTS_IN_shop3", Created),
            ("consumer MAXIS_CONTROL/shop3", Created)
        ]
    );
    let shop3 = Identity::Shop(broker::ShopSpec::parse("shop3:eu").unwrap());
    for node in cluster.node_names() {
        let url = cluster.node_url(&node).unwrap();
        eventually(&format!("{node} accepting shop3's key"), || async {
            broker::connect::connect_identity(&cluster.fleet, &shop3, &url, "check").await.ok()
        })
        .await;
    }
    let js = jetstream::new(cluster.connect(&Identity::Provisioner).await.unwrap());
    let mut consumer: jetstream::consumer::PullConsumer =
        js.get_consumer_from_stream("shop3", CONTROL_STREAM).await.unwrap();
    let info = consumer.info().await.unwrap();
    assert_eq!(info.config.num_replicas, 3);
    assert_eq!(info.cluster.as_ref().map(|c| c.replicas.len()), Some(2), "a leader and two followers");
}
