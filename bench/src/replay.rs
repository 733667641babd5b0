//! Replay of stored events: Shellia's `events replay` code path against a raw ordered consumer.
//!
//! - raw: one unnamed ordered pull consumer over the stream, on the caller's task; each message's
//!   metadata is read (its pending count says when the stream is caught up), nothing is parsed
//!   or kept.
//! - ours: `FleetClient::replay_each`, the call `shellia events replay --since` makes: the same
//!   kind of consumer from a start time, every event parsed into `subjects::Event` and passed
//!   through the (empty, as without `--shop`/`--kind`) filter, then handed to the printer (here a
//!   counter), with the progress callback told every 1,000 events.
//!
//! Neither side prints: the CLI's formatting and writing are the terminal's cost, not the
//! replay's. Each side reads the whole stream once, in a fresh consumer, raw first; the figure is events over the wall time from opening the stream to the last event.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::pull::OrderedConfig, consumer::DeliverPolicy};
use broker::fleet::StreamSettings;
use futures::StreamExt;
use serde_json::json;
use shellia::bus::EventFilter;
use subjects::subject::{self, EVENTS_STREAM};
use subjects::{Event, EventKind, OrderId};
use testkit::TestFleet;

use crate::control::shellia;
use crate::Figure;

/// Fills the events stream with `count` `order.executed` events of shop `r1`, acks pipelined.
async fn fill(fleet: &TestFleet, count: usize) -> anyhow::Result<()> {
    let js = jetstream::new(fleet.connect(&fleet.shop("r1")).await?);
    let shop = subjects::Name::parse("r1")?;
    let kind = EventKind::known(EventKind::ORDER_EXECUTED);
    let subject = subject::event(&shop, &kind);
    let data = json!({"action": "status", "issued_by": "shellia:admin", "result": {"open": true}});
    let order = Some(OrderId::generate());
    let published: Vec<anyhow::Result<()>> = futures::stream::iter(0..count)
        .map(|_| {
            let payload = Event::new(shop.clone(), kind.clone(), order.clone(), &data).to_json();
            let (js, subject) = (js.clone(), subject.clone());
            async move {
                js.publish(subject, payload.into()).await?.await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(4_096)
        .collect()
        .await;
    published.into_iter().collect()
}

/// A raw ordered consumer over the whole stream: messages per second, nothing parsed.
async fn raw(fleet: &TestFleet, count: usize) -> anyhow::Result<f64> {
    let js = jetstream::new(fleet.connect(&fleet.shellia()).await?);
    let started = Instant::now();
    let stream = js.get_stream_no_info(EVENTS_STREAM).await?;
    let config = OrderedConfig {
        filter_subject: subject::events_all(),
        deliver_policy: DeliverPolicy::All,
        ..Default::default()
    };
    let mut messages = stream.create_consumer(config).await?.messages().await?;
    let mut seen = 0;
    while let Some(message) = tokio::time::timeout(Duration::from_secs(10), messages.next()).await? {
        seen += 1;
        if message?.info().map_err(|e| anyhow::anyhow!(e))?.pending == 0 {
            break;
        }
    }
    anyhow::ensure!(seen == count, "raw replay read {seen} of {count}");
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// Waits until `MAXIS_EVENTS` has sourced the `count` events from the shop's intake.
async fn sourced(fleet: &TestFleet, count: usize) -> anyhow::Result<()> {
    let js = jetstream::new(fleet.connect(&testkit::fleet::provisioner()).await?);
    let mut stream = js.get_stream(EVENTS_STREAM).await?;
    for _ in 0..600 {
        if stream.info().await?.state.messages as usize >= count {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("MAXIS_EVENTS did not source the {count} events within a minute")
}

/// Replays `count` events both ways.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let count = if quick { 100_000 } else { 1_000_000 };
    // The one shop publishes every event of the run at once: its events quota takes them all.
    let settings = StreamSettings {
        shop_events_max_bytes: 512 << 20,
        shop_events_max_msgs: 2_000_000,
        ..StreamSettings::default()
    };
    let fleet = TestFleet::start_with(&["r1"], settings).await?;
    let since = chrono::Utc::now() - chrono::Duration::seconds(5);
    let t = Instant::now();
    fill(&fleet, count).await?;
    let fill_rate = count as f64 / t.elapsed().as_secs_f64();
    sourced(&fleet, count).await?;

    let raw = raw(&fleet, count).await?;
    let shellia = shellia(&fleet).await?;
    let started = Instant::now();
    // The CLI draws its progress bar from these calls; keep what it would draw.
    let mut progress = (0, 0);
    let mut parsed = 0usize;
    let progress_of = |done, pending| progress = (done, pending);
    shellia
        .replay_each(since, &EventFilter::default(), progress_of, |event| {
            // What the CLI has in hand to print: a parsed event that passed the filter.
            parsed += usize::from(!event.kind.as_ref().is_empty());
            true
        })
        .await?;
    let ours = count as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(parsed == count, "replay read {parsed} of {count}");
    anyhow::ensure!(progress == (count as u64, 0), "progress ended at {progress:?}");

    let ratio = ours / raw;
    Ok(vec![
        Figure::new("replay", format!("fill: {count} events published, acks pipelined"), fill_rate, "/s"),
        Figure::new("replay", format!("raw ordered consumer, {count} events"), raw, "/s"),
        Figure::new("replay", "ours: Shellia `events replay` path".to_owned(), ours, "/s")
            .ratio(ratio)
            .target(">= 0.7x raw", ratio >= 0.7),
    ])
}
