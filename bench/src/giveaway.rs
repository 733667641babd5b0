//! Giveaway entries and the draw: 100,000 members enter (many at once, as button clicks
//! arrive), then the giveaway ends and its winners are drawn and verified.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use maxis::domain::draw::{self, Entry, Seed};
use maxis::domain::giveaway::MemberInfo;
use subjects::params::{GiveawayParams, GiveawayTrigger};
use subjects::results::GiveawayInfo;
use subjects::{Command, Order};
use testkit::shop::{send, spawn_with_members, RecordingMembers};
use testkit::TestFleet;

use crate::Figure;

/// Entries per second through the real entry path, and the draw's time.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let members: u64 = if quick { 10_000 } else { 100_000 };
    let fleet = TestFleet::start(&["shop1"]).await?;
    let dir = tempfile::tempdir()?;
    let settings = testkit::shop::settings(&fleet, "shop1", &dir.path().join("shop1.db"));
    let app = spawn_with_members(settings, Arc::new(RecordingMembers::default())).await;
    let params = GiveawayParams {
        prize: "Nitro".into(),
        winners: 10,
        duration_secs: 3600,
        trigger: GiveawayTrigger::Now,
        channel: Some("1574000000000000001".into()),
        requirements: Default::default(),
        bonus: vec![],
    };
    let created: GiveawayInfo =
        send(&fleet, "shop1", &Order::new(Command::Giveaway(params), "bench")).await.result_as().unwrap()?;
    let commerce = app.commerce.clone();

    let started = Instant::now();
    let clicks = futures::stream::iter(0..members).map(|i| {
        let commerce = commerce.clone();
        let id = created.id.clone();
        async move {
            let member = MemberInfo { id: (4_000_000 + i).to_string(), roles: vec![], joined_at: None };
            commerce.enter_giveaway(&id, &member, Utc::now()).await
        }
    });
    use futures::StreamExt;
    let results: Vec<_> = clicks.buffer_unordered(64).collect().await;
    let entering = started.elapsed().as_secs_f64();
    anyhow::ensure!(results.iter().all(|r| r.as_ref().is_ok_and(|e| e.new)), "every member enters once");

    // The draw itself, over the stored list, as the shop runs it at the end.
    let entries: Vec<Entry> =
        (0..members).map(|i| Entry::new((4_000_000 + i).to_string(), 1)).collect::<Result<_, _>>()?;
    let entries = draw::canonical_entries(entries)?;
    let seed = Seed::generate()?;
    let t = Instant::now();
    let winners = draw::draw(&seed, &entries, 10, &[], "draw")?;
    let draw_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(winners.len() == 10, "ten winners");
    let end = Instant::now();
    let ended = send(
        &fleet,
        "shop1",
        &Order::new(Command::from_parts("giveaways", serde_json::json!({"op": "end", "id": created.id}))?, "bench"),
    )
    .await;
    let end_ms = end.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(ended.ok, "the giveaway ends: {:?}", ended.error);

    let rate = members as f64 / entering;
    Ok(vec![
        Figure::new("giveaway", format!("{members} entries, 64 at once"), rate, "/s")
            .target(">= 20000/s", rate >= 20_000.0),
        Figure::new("giveaway", format!("draw of 10 winners among {members}"), draw_ms, "ms")
            .target("< 100 ms", draw_ms < 100.0),
        Figure::new("giveaway", "end order: draw, proof and entry list published", end_ms, "ms"),
    ])
}
