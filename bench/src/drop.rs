//! Drop sale: members buy a role product through Discord (`/shop`, then **Buy**: async-stripe
//! opens a Checkout Session on the Stripe stand-in), then their paid webhooks arrive at a steady
//! rate (signed, Stripe's shape) at Maxis' `/stripe/webhook`, Maxis in its own process. Measured:
//! webhook sent → the role PUT reaching the fake Discord, and the shop's CPU time per webhook
//! (`/proc/<pid>/stat` from the first webhook to the last role).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::{Call, FakeDiscord};
use futures::StreamExt;
use serde_json::json;
use testkit::stripe::{deliver, StripeStandIn};
use testkit::TestFleet;

use crate::process::{shop_env, ShopProcess};
use crate::stats::Latency;
use crate::Figure;

const KEY: &str = "sk_test_bench_drop";
const SECRET: &str = "whsec_bench_drop";
const WAIT: Duration = Duration::from_secs(60);

/// `buyers` checkouts, then their webhooks at `rate` per second.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let (buyers, rate) = if quick { (400, 200.0) } else { (1_000, 200.0) };
    let discord = FakeDiscord::start().await;
    let bot = discord.add_bot("Maxis");
    let role = discord.add_role("Drop", 2);
    let channel = discord.add_text_channel("shop");
    let members: Vec<u64> = (0..buyers).map(|i| discord.add_member(&format!("buyer{i}"), &[])).collect();
    let fleet = TestFleet::start(&["shop1"]).await?;
    let stripe = StripeStandIn::start(KEY).await?;
    let dir = tempfile::tempdir()?;
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(
        &catalog,
        format!("currency = \"eur\"\n[[product]]\nid = \"drop\"\nname = \"Drop\"\nkind = \"role\"\nprice = \"20.00\"\nrole = \"{role}\"\n"),
    )?;
    let mut env = shop_env(&fleet, "shop1", dir.path())?;
    for (k, v) in [
        ("MAXIS_DISCORD__TOKEN", bot.token.clone()),
        ("MAXIS_DISCORD__GUILD_ID", discord.guild_id().to_string()),
        ("MAXIS_DISCORD__API_BASE", discord.base_url()),
        ("MAXIS_STRIPE__SECRET_KEY", KEY.to_owned()),
        ("MAXIS_STRIPE__WEBHOOK_SECRET", SECRET.to_owned()),
        ("MAXIS_STRIPE__API_BASE", stripe.base_url()),
        ("MAXIS_CATALOG__PATH", catalog.display().to_string()),
    ] {
        env.insert(k.to_owned(), v);
    }
    let shop = ShopProcess::start(env).await?;
    discord.wait_connected(&bot, WAIT).await?;
    let commands = format!("/applications/{}/guilds/{}/commands", bot.application_id, discord.guild_id());
    discord.wait_for_call(|c| c.method == "PUT" && c.path.ends_with(&commands), WAIT).await?;

    // Every buyer: `/shop`, then Buy under the answer; Maxis defers and edits in the Stripe link.
    let started = Instant::now();
    let bought = futures::stream::iter(members.iter().copied())
        .map(|member| {
            let (discord, bot) = (discord.clone(), bot.clone());
            async move {
                let shop = discord.slash_command(&bot, member, channel, "shop", json!([])).await;
                let window = shop.final_message(WAIT).await?;
                let click = discord.click_button(member, window.id, "buy:drop").await;
                let link = click.final_message(WAIT).await?;
                anyhow::ensure!(link.content.contains("http"), "no payment link: {}", link.content);
                anyhow::Ok(())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    bought.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    let checkout_rate = buyers as f64 / started.elapsed().as_secs_f64();

    // Each session paid: `checkout.session.completed` for its buyer.
    let mut events = Vec::with_capacity(buyers);
    for session in stripe.sessions() {
        let buyer: u64 = session["metadata"]["member"].as_str().unwrap_or_default().parse()?;
        events.push((buyer, stripe.complete(session["id"].as_str().unwrap_or_default(), true)?));
    }
    anyhow::ensure!(events.len() == buyers, "{} Stripe sessions for {buyers} buyers", events.len());

    let url = Arc::new(format!("http://{}/stripe/webhook", shop.http));
    let cpu = shop.cpu_seconds()?;
    let mut sent: HashMap<u64, Instant> = HashMap::with_capacity(buyers);
    let mut deliveries = Vec::with_capacity(buyers);
    let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    for (buyer, event) in events {
        interval.tick().await;
        sent.insert(buyer, Instant::now());
        let url = url.clone();
        deliveries.push(tokio::spawn(async move { deliver(&url, &event, SECRET).await }));
    }
    for delivery in deliveries {
        let (status, body) = delivery.await??;
        anyhow::ensure!(status == 200, "webhook answered {status}: {body}");
    }
    let role_path = format!("/roles/{role}");
    let is_grant = |c: &Call| c.method == "PUT" && c.path.ends_with(&role_path) && c.status < 300;
    let deadline = Instant::now() + WAIT;
    let grants = loop {
        let grants: Vec<Call> = discord.calls().into_iter().filter(is_grant).collect();
        if grants.len() >= buyers || Instant::now() > deadline {
            break grants;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let cpu_ms = (shop.cpu_seconds()? - cpu) / buyers as f64 * 1000.0;
    // Settle, then count: a second grant of the same role to the same member would show here.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all: Vec<Call> = discord.calls().into_iter().filter(is_grant).collect();
    let mut per_member: HashMap<u64, usize> = HashMap::new();
    let mut samples = Vec::with_capacity(all.len());
    for call in &all {
        let member: u64 = call.path.split('/').nth(6).unwrap_or_default().parse()?;
        *per_member.entry(member).or_default() += 1;
        if let Some(at) = sent.get(&member) {
            samples.push(call.at.saturating_duration_since(*at).as_secs_f64() * 1e6);
        }
    }
    let once = members.iter().all(|m| per_member.get(m) == Some(&1) && discord.member_roles(*m).contains(&role));
    anyhow::ensure!(grants.len() >= buyers, "only {} of {buyers} roles granted within {WAIT:?}", grants.len());
    let latency = Latency::of(samples);
    let p99 = latency.p99_us / 1000.0;
    Ok(vec![
        Figure::new(
            "drop sale",
            format!("{buyers} buyers: /shop + Buy (Stripe session) per second"),
            checkout_rate,
            "/s",
        ),
        Figure::new("drop sale", format!("webhook → role PUT at {rate:.0}/s: p50"), latency.p50_us / 1000.0, "ms"),
        Figure::new("drop sale", "webhook → role PUT: p99", p99, "ms").target("< 100 ms", p99 < 100.0),
        Figure::new("drop sale", "every role granted exactly once", f64::from(u8::from(once)), "").target("= 1", once),
        Figure::new("drop sale", "Maxis CPU per webhook (its process)", cpu_ms, "ms").target("<= 1 ms", cpu_ms <= 1.0),
    ])
}
