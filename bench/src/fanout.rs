//! Fan-out: one order to `all` with 100 shops, until every reply is in.
//! - raw: 100 plain responders, one connection and durable consumer each (pull, reply, ack);
//! - ours: 100 Maxis shops in this process, one connection, consumer and SQLite database each,
//!   every one running the real order path (signature, SQLite transaction with the idempotency
//!   record and `order.executed`, outbox published before the reply), and Shellia's client.
//!
//! Both use the same 100 durable consumers on the same broker, one after the other.

use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::control::{send_ok, shellia};
use crate::stats;
use crate::{raw, Figure};

/// The latency of a broadcast until all replies are in, raw and ours.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let shops = 100;
    let rounds = if quick { 30 } else { 100 };
    let ids: Vec<String> = (0..shops).map(|i| format!("f{i:03}")).collect();
    let specs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let fleet = TestFleet::start(&specs).await?;

    let mut responders = Vec::new();
    for id in &ids {
        responders.push(raw::responder(&fleet, id).await?);
    }
    let requester = raw::Requester::start(&fleet).await?;
    let one = |i: usize| {
        let requester = requester.clone();
        async move { requester.order("all", &format!("fan{i}"), shops).await }
    };
    stats::sequential(0..5, &one).await?;
    let raw = stats::sequential(10..10 + rounds, &one).await?;
    requester.stop();
    responders.iter().for_each(|r| r.abort());

    let dir = tempfile::tempdir()?;
    let mut apps = Vec::new();
    for id in &ids {
        apps.push(spawn_app(&fleet, id, dir.path()).await);
    }
    let shellia = shellia(&fleet).await?;
    let status = ["status".to_owned()];
    let one = |_: usize| send_ok(&shellia, "all", &status, shops);
    stats::sequential(0..5, &one).await?;
    let ours = stats::sequential(0..rounds, &one).await?;
    drop(apps);

    let p50 = ours.p50_us / raw.p50_us;
    let p99 = ours.p99_us / raw.p99_us;
    let ms = |us: f64| us / 1000.0;
    Ok(vec![
        Figure::new("fan-out", "raw: `all` to 100 responders, p50", ms(raw.p50_us), "ms"),
        Figure::new("fan-out", "raw: p99", ms(raw.p99_us), "ms"),
        Figure::new("fan-out", "ours: `status` to 100 Maxis, p50", ms(ours.p50_us), "ms").ratio(p50),
        Figure::new("fan-out", "ours: p99", ms(ours.p99_us), "ms").ratio(p99).target("<= 2x raw", p99 <= 2.0),
    ])
}
