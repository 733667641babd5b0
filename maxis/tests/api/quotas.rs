//! Quotas: a leaked shop credential flooding the events stream with junk is capped by the
//! stream's limits, and the other shops keep executing orders meanwhile.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use broker::fleet::StreamSettings;
use subjects::params::StatusParams;
use subjects::subject::{CONTROL_STREAM, EVENTS_STREAM};
use subjects::{Command, Order};
use testkit::TestFleet;

use crate::helpers::{send, spawn_app};

const CAP: i64 = 32 << 20;

/// `rounds` status orders, alternately to shop2 and shop3: each latency, all answered ok.
async fn orders(fleet: &TestFleet, rounds: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let shop = if i % 2 == 0 { "shop2" } else { "shop3" };
        let started = Instant::now();
        let reply = send(fleet, shop, &Order::new(Command::Status(StatusParams {}), "shellia:admin")).await;
        latencies.push(started.elapsed());
        assert!(reply.ok, "{shop}: {reply:?}");
    }
    latencies
}

fn summary(latencies: &mut [Duration]) -> String {
    latencies.sort();
    let total: Duration = latencies.iter().sum();
    let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    format!(
        "{} orders, {:.0}/s, p50 {:?}, p99 {:?}",
        latencies.len(),
        latencies.len() as f64 / total.as_secs_f64(),
        p(0.5),
        p(0.99)
    )
}

/// Floods `maxis.shop1.events.junk` with shop1's leaked credential, `size` bytes a message, as
/// fast as the connection takes them, while 20 orders go to the other shops: the latencies of
/// those orders and the MB offered.
async fn flood(fleet: &TestFleet, size: usize) -> (Vec<Duration>, f64, f64) {
    // The attacker is its own connection and its own task: the orders do not wait behind it.
    let attacker = fleet.connect(&fleet.shop("shop1")).await.unwrap();
    let (stop, sent) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let task = tokio::spawn({
        let (stop, sent) = (stop.clone(), sent.clone());
        async move {
            let junk: async_nats::Subject = "maxis.shop1.events.junk".into();
            let payload = vec![b'j'; size];
            while !stop.load(Ordering::Relaxed) {
                attacker.publish(junk.clone(), payload.clone().into()).await.unwrap();
                sent.fetch_add(1, Ordering::Relaxed);
            }
            attacker.flush().await.unwrap();
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let flooding = Instant::now();
    let during = orders(fleet, 20).await;
    let secs = flooding.elapsed().as_secs_f64() + 0.5;
    stop.store(true, Ordering::Relaxed);
    task.await.unwrap();
    (during, sent.load(Ordering::Relaxed) as f64 * size as f64 / (1 << 20) as f64, secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_credential_flooding_junk_is_capped_while_the_other_shops_keep_executing_orders() {
    let settings = StreamSettings { events_max_bytes: CAP, ..StreamSettings::default() };
    let fleet = TestFleet::start_with(&["shop1", "shop2", "shop3"], settings).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;
    let _shop3 = spawn_app(&fleet, "shop3", dir.path()).await;
    // shop1 runs too: its own credential is the one leaked.
    let shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let mut before = orders(&fleet, 40).await;

    // Admins follow the alerts live (`shellia events tail`): the flood may push them out of the
    // stream's retention soon after.
    let watcher = fleet.connect(&fleet.shellia()).await.unwrap();
    let mut alerts = watcher.subscribe("maxis.*.events.credential.misused").await.unwrap();
    watcher.flush().await.unwrap();
    let js = async_nats::jetstream::new(fleet.connect(&testkit::fleet::provisioner()).await.unwrap());
    let stored = |js: async_nats::jetstream::Context| async move {
        js.get_stream(EVENTS_STREAM).await.unwrap().info().await.unwrap().state.bytes
    };

    // Messages over the contract's event size: the stream refuses them without storing anything.
    let (mut oversize, oversize_mb, oversize_secs) = flood(&fleet, 512 * 1024).await;
    let after_oversize = stored(js.clone()).await;
    // Messages just under it: stored, until the stream's cap drops the oldest.
    let (mut under, under_mb, under_secs) = flood(&fleet, subjects::limits::MAX_EVENT_BYTES - 1024).await;
    let last = orders(&fleet, 1).await;

    let events = js.get_stream(EVENTS_STREAM).await.unwrap().info().await.unwrap().state.clone();
    let control = js.get_stream(CONTROL_STREAM).await.unwrap().info().await.unwrap().state.clone();
    eprintln!("other shops before the flood: {}", summary(&mut before));
    eprintln!(
        "flood of 512 KiB junk, {oversize_mb:.0} MB in {oversize_secs:.1} s (refused, stream holds {} KB): {}",
        after_oversize >> 10,
        summary(&mut oversize)
    );
    eprintln!(
        "flood of 127 KiB junk, {under_mb:.0} MB in {under_secs:.1} s (stream holds {} MB, cap {} MB): {}",
        events.bytes >> 20,
        CAP >> 20,
        summary(&mut under)
    );

    assert!(after_oversize < 1 << 20, "oversize junk is not stored: {after_oversize} bytes");
    assert!(under_mb > (CAP >> 20) as f64, "the flood went past the cap");
    assert!(events.bytes <= CAP as u64, "capped: {} bytes", events.bytes);
    let quota = StreamSettings::default().shop_events_max_bytes as u64;
    assert!(
        events.bytes <= quota + (1 << 20),
        "the junk stops at shop1's quota for the minute: {} bytes",
        events.bytes
    );
    assert_eq!(control.messages, 81, "every order stored, none dropped");
    assert_eq!(last.len(), 1);
    // The misuse watch reads shop1's intake every 2 s and accounts for a reading at the next.
    let alert =
        tokio::time::timeout(Duration::from_secs(15), futures::StreamExt::next(&mut alerts)).await.unwrap().unwrap();
    let (_, metrics) = testkit::shop::http_get(shop1.http, "/metrics").await;
    let foreign: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("maxis_foreign_events_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    eprintln!("alert: shop1 found {foreign} foreign messages in its events intake");
    assert!(foreign > 0, "{metrics}");
    let alert: subjects::Event = serde_json::from_slice(&alert.payload).unwrap();
    let stream = js.get_stream(EVENTS_STREAM).await.unwrap();
    assert_eq!(alert.instance.as_ref(), "shop1");
    assert_eq!(alert.data["identity"], serde_json::json!("shop-shop1"), "the alert names the shop");
    let stored = stream.get_last_raw_message_by_subject("maxis.shop2.events.order.executed").await.unwrap();
    let event: subjects::Event = serde_json::from_slice(&stored.payload).unwrap();
    assert!(event.at > chrono::Utc::now() - chrono::Duration::seconds(5), "shop2's events are still stored");
}

#[tokio::test]
async fn a_shop_over_its_own_events_quota_answers_late_but_loses_no_event() {
    // A quota of 16 KiB per 2 s: about a dozen order events.
    let settings =
        StreamSettings { shop_events_max_bytes: 16 * 1024, shop_events_window_secs: 2, ..StreamSettings::default() };
    let fleet = TestFleet::start_with(&["shop1"], settings).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shop = spawn_app(&fleet, "shop1", dir.path()).await;

    let mut ids = Vec::new();
    for _ in 0..40 {
        let order = Order::new(Command::Status(StatusParams {}), "shellia:admin");
        assert!(send(&fleet, "shop1", &order).await.ok);
        ids.push(order.id);
    }

    let executed: Vec<_> = testkit::shop::events(&fleet)
        .await
        .into_iter()
        .filter(|e| e.kind.as_ref() == "order.executed")
        .filter_map(|e| e.order_id)
        .collect();
    let (_, metrics) = testkit::shop::http_get(shop.http, "/metrics").await;
    let throttled: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("maxis_events_throttled_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert_eq!(executed, ids, "every order's event, once, in order");
    assert!(throttled > 0, "the quota was hit: {metrics}");
    // The misuse watch accounts for the intake a reading late: its own events are never foreign.
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    let (_, metrics) = testkit::shop::http_get(shop.http, "/metrics").await;
    assert!(metrics.contains("maxis_foreign_events_total 0"), "{metrics}");
}
