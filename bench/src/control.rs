//! The control path against the raw engine, on the same broker and config:
//! - raw: an order published to the control stream, pulled by the shop's durable consumer,
//!   answered on its reply subject, acked, with no application code;
//! - ours: Shellia's client sending a signed `status` order to a running Maxis, which checks the
//!   signature, parses, executes in SQLite with its idempotency record, publishes its events and
//!   replies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::PullConsumer};
use async_nats::HeaderMap;
use futures::StreamExt;
use secrecy::SecretString;
use shellia::bus::FleetClient;
use shellia::command::build_order;
use subjects::subject::{self, CONTROL_STREAM};
use testkit::shop::spawn_app;
use testkit::TestFleet;
use tokio::sync::oneshot;

use crate::Figure;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Measured {
    p50_us: f64,
    p99_us: f64,
    per_sec_64: f64,
}

async fn measure<F, Fut>(sequential: usize, parallel: usize, one: F) -> anyhow::Result<Measured>
where
    F: Fn(usize) -> Fut + Clone,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut latencies = Vec::with_capacity(sequential);
    for i in 0..sequential {
        let t = Instant::now();
        one(i).await?;
        latencies.push(t.elapsed().as_secs_f64() * 1e6);
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> =
        futures::stream::iter(0..parallel).map(|i| one(sequential + i)).buffer_unordered(64).collect().await;
    results.into_iter().collect::<anyhow::Result<()>>()?;
    let per_sec_64 = parallel as f64 / started.elapsed().as_secs_f64();
    Ok(Measured { p50_us: percentile(&latencies, 0.5), p99_us: percentile(&latencies, 0.99), per_sec_64 })
}

/// Raw engine path and ours, same loads.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let (sequential, parallel) = if quick { (200, 2_000) } else { (1_000, 10_000) };
    let fleet = TestFleet::start(&["raw", "shop1"]).await?;

    // Raw: a responder with the shop's own permissions, no application code.
    let raw_shop = fleet.connect(&fleet.shop("raw")).await?;
    let consumer: PullConsumer =
        jetstream::new(raw_shop.clone()).get_consumer_from_stream("raw", CONTROL_STREAM).await?;
    let responder = tokio::spawn(async move {
        let mut messages = consumer.stream().max_messages_per_batch(256).messages().await?;
        while let Some(Ok(m)) = messages.next().await {
            let id = m
                .headers
                .as_ref()
                .and_then(|h| h.get(subject::MSG_ID_HEADER))
                .map(|v| v.to_string())
                .unwrap_or_default();
            raw_shop.publish(format!("maxis.raw.reply.{id}"), "{}".into()).await?;
            m.ack().await.map_err(|e| anyhow::anyhow!(e))?;
        }
        anyhow::Ok(())
    });
    let requester = fleet.connect(&fleet.shellia()).await?;
    let js = jetstream::new(requester.clone());
    let waiting: Arc<Mutex<HashMap<String, oneshot::Sender<()>>>> = Arc::default();
    let mut replies = requester.subscribe("maxis.raw.reply.>").await?;
    let router = {
        let waiting = waiting.clone();
        tokio::spawn(async move {
            while let Some(m) = replies.next().await {
                let id = m.subject.rsplit('.').next().unwrap_or_default().to_owned();
                if let Some(tx) = waiting.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.remove(&id) {
                    let _ = tx.send(());
                }
            }
            anyhow::Ok(())
        })
    };
    let raw_one = {
        let (js, waiting) = (js.clone(), waiting.clone());
        move |i: usize| {
            let (js, waiting) = (js.clone(), waiting.clone());
            async move {
                let id = format!("raw{i}");
                let (tx, rx) = oneshot::channel();
                waiting.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.insert(id.clone(), tx);
                let mut headers = HeaderMap::new();
                headers.insert(subject::MSG_ID_HEADER, id.as_str());
                js.publish_with_headers("maxis.raw.control.status", headers, "{}".into()).await?.await?;
                tokio::time::timeout(Duration::from_secs(10), rx).await??;
                anyhow::Ok(())
            }
        }
    };
    let raw = measure(sequential, parallel, raw_one).await?;
    responder.abort();
    router.abort();

    // Ours: Shellia's client and a running Maxis.
    let dir = tempfile::tempdir()?;
    let _shop = spawn_app(&fleet, "shop1", dir.path()).await;
    let client = fleet.connect(&fleet.shellia()).await?;
    let seed = SecretString::from(fleet.fleet.seed(&fleet.shellia())?);
    let shellia = FleetClient::from_client(client, subjects::Name::parse("admin")?, seed);
    let ours_one = move |_: usize| {
        let shellia = shellia.clone();
        async move {
            let (target, order) = build_order("shop1", "status", &[] as &[&str], &shellia.issuer())?;
            let dispatch = shellia.send(&target, order, Duration::from_secs(10)).await?;
            anyhow::ensure!(
                dispatch.shops.values().all(|d| matches!(d, shellia::bus::Delivery::Replied(r) if r.ok)),
                "not answered"
            );
            anyhow::Ok(())
        }
    };
    let ours = measure(sequential, parallel, ours_one).await?;

    let ratio = ours.p50_us / raw.p50_us;
    let through = ours.per_sec_64 / raw.per_sec_64;
    Ok(vec![
        Figure {
            scenario: "control",
            metric: "raw engine: p50 sequential".into(),
            value: raw.p50_us,
            unit: "µs",
            target: None,
        },
        Figure {
            scenario: "control",
            metric: "raw engine: p99 sequential".into(),
            value: raw.p99_us,
            unit: "µs",
            target: None,
        },
        Figure {
            scenario: "control",
            metric: "raw engine: 64 in flight".into(),
            value: raw.per_sec_64,
            unit: "/s",
            target: None,
        },
        Figure {
            scenario: "control",
            metric: "ours (signed status, SQLite, events): p50".into(),
            value: ours.p50_us,
            unit: "µs",
            target: None,
        },
        Figure { scenario: "control", metric: "ours: p99".into(), value: ours.p99_us, unit: "µs", target: None },
        Figure {
            scenario: "control",
            metric: "ours: 64 in flight".into(),
            value: ours.per_sec_64,
            unit: "/s",
            target: None,
        },
        Figure {
            scenario: "control",
            metric: "ours / raw: p50".into(),
            value: ratio,
            unit: "x",
            target: Some(("<= 1.5x".into(), ratio <= 1.5)),
        },
        Figure {
            scenario: "control",
            metric: "ours / raw: 64 in flight".into(),
            value: through,
            unit: "x",
            target: Some((">= 0.6x".into(), through >= 0.6)),
        },
    ])
}
