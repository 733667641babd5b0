//! The control path against the raw engine, on the same broker and config, same loads:
//! - raw: an order published to the control stream, pulled by a durable consumer, answered on
//!   its reply subject, acked, with no application code;
//! - floor ("raw with our guarantees"): the same signed `config` order, its ed25519 signature
//!   checked, one event stored in the events stream before the reply: what no implementation
//!   keeping those guarantees can skip, so ours is given as a ratio to it too;
//! - ours: Shellia's client sending a signed `config shop.name <value>` order to a running
//!   Maxis, which checks the signature, parses, writes the setting in SQLite with the order's
//!   idempotency record and events (`order.executed`, `config.changed`), publishes the events and
//!   replies;
//! - Maxis alone: the same signed order published straight to the control stream by a bare
//!   client (no consumer listing, no reply router), its reply awaited on its own subject: what
//!   the shop adds to the raw path, apart from Shellia's client.

use std::time::Duration;

use async_nats::jetstream;
use async_nats::HeaderMap;
use futures::StreamExt;
use secrecy::SecretString;
use shellia::bus::{Delivery, FleetClient};
use shellia::command::build_order;
use subjects::signature::{self, SIGNATURE_HEADER, SIGNER_HEADER};
use subjects::{subject, Reply};
use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::stats::{self, Latency};
use crate::{raw, Figure};

/// Sequential latency and throughput with 64 in flight.
struct Measured {
    latency: Latency,
    per_sec: f64,
}

async fn measure<F, Fut>(sequential: usize, parallel: usize, one: F) -> anyhow::Result<Measured>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    // A short warm-up (connections, SQLite pages, JIT-free but cache-cold paths).
    stats::sequential(0..50, &one).await?;
    let latency = stats::sequential(100..100 + sequential, &one).await?;
    let per_sec = stats::in_flight(200_000..200_000 + parallel, 64, &one).await?;
    Ok(Measured { latency, per_sec })
}

/// A Shellia client of `fleet` (identity `admin`).
pub async fn shellia(fleet: &TestFleet) -> anyhow::Result<FleetClient> {
    let client = fleet.connect(&fleet.shellia()).await?;
    let seed = SecretString::from(fleet.fleet.seed(&fleet.shellia())?);
    Ok(FleetClient::from_client(client, subjects::Name::parse("admin")?, seed))
}

/// Sends one order through Shellia's client and checks every addressed shop answered `ok`.
pub async fn send_ok(shellia: &FleetClient, target: &str, words: &[String], expected: usize) -> anyhow::Result<()> {
    let (action, pairs) = words.split_first().ok_or_else(|| anyhow::anyhow!("no action"))?;
    let (target, order) = build_order(target, action, pairs, &shellia.issuer())?;
    let dispatch = shellia.send(&target, order, Duration::from_secs(10)).await?;
    let answered = dispatch.shops.values().filter(|d| matches!(d, Delivery::Replied(r) if r.ok)).count();
    anyhow::ensure!(answered == expected, "{answered} of {expected} shops answered ok: {:?}", dispatch.shops);
    Ok(())
}

/// A bare client sending signed orders to one shop: the order path without Shellia's client.
#[derive(Clone)]
struct Direct {
    client: async_nats::Client,
    js: jetstream::Context,
    seed: String,
    issuer: String,
}

impl Direct {
    async fn start(fleet: &TestFleet) -> anyhow::Result<Self> {
        let client = fleet.connect(&fleet.shellia()).await?;
        let seed = fleet.fleet.seed(&fleet.shellia())?;
        Ok(Self { js: jetstream::new(client.clone()), client, seed, issuer: "shellia:admin".to_owned() })
    }

    /// Publishes one signed `config shop.name` order to `shop` and waits for its `ok` reply.
    async fn order(&self, shop: &str, i: usize) -> anyhow::Result<()> {
        let pairs = ["shop.name".to_owned(), format!("Bench shop {i}")];
        let (target, order) = build_order(shop, "config", &pairs, &self.issuer)?;
        let payload = order.to_json();
        let control = subject::control(&target, order.action());
        let (signer, signed) = signature::sign(&self.seed, &control, &payload)?;
        let mut headers = HeaderMap::new();
        headers.insert(subject::MSG_ID_HEADER, order.id.as_ref());
        headers.insert(SIGNER_HEADER, signer.as_str());
        headers.insert(SIGNATURE_HEADER, signed.as_str());
        let mut replies = self.client.subscribe(subject::reply(&shop.parse()?, &order.id)).await?;
        self.js.publish_with_headers(control, headers, payload.into()).await?.await?;
        let message = tokio::time::timeout(Duration::from_secs(10), replies.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the reply subscription ended"))?;
        let reply: Reply = serde_json::from_slice(&message.payload)?;
        anyhow::ensure!(reply.ok, "the order failed: {:?}", reply.error);
        Ok(())
    }
}

/// Raw engine path and ours, same loads.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let (sequential, parallel) = if quick { (300, 3_000) } else { (1_000, 10_000) };
    let fleet = TestFleet::start(&["raw", "floor", "shop1"]).await?;

    let responder = raw::responder(&fleet, "raw").await?;
    let requester = raw::Requester::start(&fleet).await?;
    let raw = measure(sequential, parallel, |i| {
        let requester = requester.clone();
        async move { requester.order("raw", &format!("raw{i}"), 1).await }
    })
    .await?;
    responder.abort();

    let trusted = vec![fleet.fleet.public_key(&fleet.shellia())?];
    let responder = raw::responder_with(&fleet, "floor", raw::Answer::Floor(trusted)).await?;
    let signing = requester.clone().signing(&fleet)?;
    let floor = measure(sequential, parallel, |i| {
        let requester = signing.clone();
        async move {
            let pairs = ["shop.name".to_owned(), format!("Bench shop {i}")];
            let (_, order) = build_order("floor", "config", &pairs, "shellia:admin")?;
            requester.order_json("floor", &order, 1).await
        }
    })
    .await?;
    requester.stop();
    responder.abort();

    let dir = tempfile::tempdir()?;
    let _shop = spawn_app(&fleet, "shop1", dir.path()).await;
    let shellia = shellia(&fleet).await?;
    let ours = measure(sequential, parallel, |i| {
        let shellia = shellia.clone();
        async move {
            let words = ["config".to_owned(), "shop.name".to_owned(), format!("Bench shop {i}")];
            send_ok(&shellia, "shop1", &words, 1).await
        }
    })
    .await?;

    let direct = Direct::start(&fleet).await?;
    let alone = measure(sequential, parallel, |i| {
        let direct = direct.clone();
        async move { direct.order("shop1", 1_000_000 + i).await }
    })
    .await?;

    let p50 = ours.latency.p50_us / raw.latency.p50_us;
    let p99 = ours.latency.p99_us / raw.latency.p99_us;
    let through = ours.per_sec / raw.per_sec;
    let floor_p50 = ours.latency.p50_us / floor.latency.p50_us;
    let floor_through = ours.per_sec / floor.per_sec;
    Ok(vec![
        Figure::new("control", "raw engine: p50, sequential", raw.latency.p50_us, "µs"),
        Figure::new("control", "raw engine: p99, sequential", raw.latency.p99_us, "µs"),
        Figure::new("control", "raw engine: 64 in flight", raw.per_sec, "/s"),
        Figure::new("control", "floor (raw + ed25519 + 1 stored event): p50", floor.latency.p50_us, "µs")
            .ratio(floor.latency.p50_us / raw.latency.p50_us),
        Figure::new("control", "floor: p99, sequential", floor.latency.p99_us, "µs")
            .ratio(floor.latency.p99_us / raw.latency.p99_us),
        Figure::new("control", "floor: 64 in flight", floor.per_sec, "/s").ratio(floor.per_sec / raw.per_sec),
        Figure::new("control", "ours (signed config write): p50", ours.latency.p50_us, "µs").ratio(p50),
        Figure::new("control", "ours: p99, sequential", ours.latency.p99_us, "µs").ratio(p99),
        Figure::new("control", "ours: 64 in flight", ours.per_sec, "/s").ratio(through),
        Figure::new("control", "ours / floor: p50", floor_p50, "x").target("<= 1.5x floor", floor_p50 <= 1.5),
        Figure::new("control", "ours / floor: 64 in flight", floor_through, "x")
            .target(">= 0.5x floor", floor_through >= 0.5),
        Figure::new("control", "Maxis alone (bare client): p50", alone.latency.p50_us, "µs")
            .ratio(alone.latency.p50_us / raw.latency.p50_us),
        Figure::new("control", "Maxis alone: p99, sequential", alone.latency.p99_us, "µs")
            .ratio(alone.latency.p99_us / raw.latency.p99_us),
        Figure::new("control", "Maxis alone: 64 in flight", alone.per_sec, "/s").ratio(alone.per_sec / raw.per_sec),
    ])
}
