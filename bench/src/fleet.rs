//! A fleet of 1,000 shops: one order to a target answered by 10, 100, then 1,000 shops. The
//! shops are lightweight responders that speak the contract (the order parsed, a `Reply` on its
//! reply subject, acked) on the real control stream, each with its own connection, nkey, durable
//! consumer and the generated permissions; the first 10 are in group `ten`, the first 100 in
//! `hundred`. Measured per size: the raw requester (publish, count replies) and ours (Shellia's
//! `FleetClient::send`: who is addressed, signed publish, one reply per shop collected). For
//! `all`, where the raw path takes its time: the CPU the broker and the responders spend per
//! order, and the latency that CPU alone allows on this machine's cores.

use std::time::Duration;

use broker::fleet::StreamSettings;
use futures::StreamExt;
use shellia::bus::Delivery;
use subjects::{Command, Order, Target};
use testkit::TestFleet;

use crate::control::shellia;
use crate::process;
use crate::raw::{self, Answer};
use crate::stats::{self, Latency};
use crate::Figure;

/// CPU seconds spent so far by the broker and by this process (the responders and requester).
struct Cpu {
    broker: f64,
    harness: f64,
}

impl Cpu {
    fn read(fleet: &TestFleet) -> anyhow::Result<Self> {
        let broker = process::cpu_seconds(fleet.server.pid())?;
        Ok(Self { broker, harness: process::cpu_seconds(std::process::id())? })
    }

    /// CPU per order since `self`, over `orders` orders.
    fn since(&self, fleet: &TestFleet, orders: usize) -> anyhow::Result<Self> {
        let now = Self::read(fleet)?;
        let per = |a: f64, b: f64| (a - b) / orders as f64;
        Ok(Self { broker: per(now.broker, self.broker), harness: per(now.harness, self.harness) })
    }

    /// Where the raw path's time goes: the CPU one broadcast costs, and the latency that CPU alone
    /// allows on this machine's cores (every shop's delivery, reply and ack are work somebody does).
    fn figures(&self, target: &str, shops: usize) -> Vec<Figure> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let ms = |s: f64| s * 1000.0;
        vec![
            Figure::new("fleet", format!("raw `{target}`: nats-server CPU per order"), ms(self.broker), "ms"),
            Figure::new(
                "fleet",
                format!("raw `{target}`: {shops} responders + requester CPU per order"),
                ms(self.harness),
                "ms",
            ),
            Figure::new(
                "fleet",
                format!("raw `{target}`: CPU-bound floor on {cores} cores"),
                ms((self.broker + self.harness) / cores),
                "ms",
            ),
        ]
    }
}

/// The shop specs: `s0000:ten,hundred` … `s0099:hundred` … `s0999`.
fn specs(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| match i {
            0..10 => format!("s{i:04}:ten,hundred"),
            10..100 => format!("s{i:04}:hundred"),
            _ => format!("s{i:04}"),
        })
        .collect()
}

/// p50/p99 for orders to `ten`, `hundred` and `all`, raw and ours.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let count = 1_000;
    let rounds = if quick { 15 } else { 50 };
    let specs = specs(count);
    let refs: Vec<&str> = specs.iter().map(String::as_str).collect();
    // 1,000 intakes each reserve their events quota from the broker's store: a small one each.
    let settings = StreamSettings { shop_events_max_bytes: 256 << 10, ..StreamSettings::default() };
    let fleet = TestFleet::start_with(&refs, settings).await?;
    let ids: Vec<String> = (0..count).map(|i| format!("s{i:04}")).collect();
    let responders: Vec<_> = futures::stream::iter(ids.iter())
        .map(|id| raw::responder_with(&fleet, id, Answer::Contract))
        .buffer_unordered(16)
        .collect()
        .await;
    let responders = responders.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let requester = raw::Requester::start(&fleet).await?;
    let shellia = shellia(&fleet).await?;

    // What the broker spends with nobody ordering anything (heartbeats, sourcing, expiries).
    let idle_from = process::cpu_seconds(fleet.server.pid())?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = (process::cpu_seconds(fleet.server.pid())? - idle_from) / 3.0;
    let mut figures =
        vec![Figure::new("fleet", format!("idle: nats-server CPU per second with {count} shops"), idle * 1000.0, "ms")];
    for (target, shops) in [("ten", 10), ("hundred", 100), ("all", count)] {
        let status =
            || Order::new(Command::from_parts("status", serde_json::json!({})).expect("status"), "shellia:admin");
        let raw_one = |_: usize| {
            let requester = requester.clone();
            async move { requester.order_json(target, &status(), shops).await }
        };
        stats::sequential(0..3, &raw_one).await?;
        let cpu = Cpu::read(&fleet)?;
        let raw = stats::sequential(0..rounds, &raw_one).await?;
        let cpu = cpu.since(&fleet, rounds)?;
        let target_name: Target = target.parse()?;
        let ours_one = |_: usize| {
            let (shellia, target_name) = (shellia.clone(), target_name.clone());
            async move {
                let dispatch = shellia.send(&target_name, status(), Duration::from_secs(10)).await?;
                let answered = dispatch.shops.values().filter(|d| matches!(d, Delivery::Replied(r) if r.ok)).count();
                anyhow::ensure!(answered == shops, "{answered} of {shops} shops answered");
                anyhow::Ok(())
            }
        };
        stats::sequential(0..3, &ours_one).await?;
        let ours: Latency = stats::sequential(0..rounds, &ours_one).await?;
        let ms = |us: f64| us / 1000.0;
        let p99 = ms(ours.p99_us);
        figures.push(Figure::new("fleet", format!("raw: `{target}` to {shops} shops, p50"), ms(raw.p50_us), "ms"));
        figures.push(Figure::new("fleet", format!("raw: `{target}` p99"), ms(raw.p99_us), "ms"));
        figures.push(
            Figure::new("fleet", format!("ours: `{target}` to {shops} shops, p50"), ms(ours.p50_us), "ms")
                .ratio(ours.p50_us / raw.p50_us),
        );
        let p99_figure =
            Figure::new("fleet", format!("ours: `{target}` p99"), p99, "ms").ratio(ours.p99_us / raw.p99_us);
        figures.push(if shops == count { p99_figure.target("< 50 ms", p99 < 50.0) } else { p99_figure });
        if shops == count {
            figures.extend(cpu.figures(target, shops));
        }
    }
    requester.stop();
    responders.iter().for_each(|r| r.abort());
    Ok(figures)
}
