//! Click storm: thousands of members click **Enter** under one giveaway within 2 s, through
//! serenity against the fake Discord (`testkit/discord`), with Maxis in its own process (real
//! broker, SQLite). Every click must be answered; the first answer's delay is read on the fake's
//! clock (INTERACTION_CREATE dispatched → callback received, what Discord holds to 3 s), and the
//! shop's CPU time per click from its `/proc/<pid>/stat` around the storm.
//!
//! The stand-in's own share is measured by the same storm against a bot that answers without
//! work (a bare serenity client in the bench process): what remains above it is Maxis'.

use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Interaction};
use serde_json::json;
use serenity::all::{
    ButtonStyle, ChannelId, ClientBuilder, Context, CreateActionRow, CreateButton, CreateInteractionResponse,
    CreateInteractionResponseMessage, CreateMessage, EventHandler, GatewayIntents, HttpBuilder, Ready,
};
use subjects::{Command, Order, Target};
use testkit::TestFleet;

use crate::control::shellia;
use crate::process::{cpu_seconds, shop_env, ShopProcess};
use crate::stats::Latency;
use crate::Figure;

const WAIT: Duration = Duration::from_secs(60);
/// Discord fails an interaction not answered within 3 s.
const LATE: f64 = 3_000.0;

/// What one storm measured.
struct Storm {
    latency: Latency,
    late: usize,
    seconds: f64,
}

/// `members` clicks on `custom_id` under `message`, spread evenly over `spread`; then every
/// first answer, checked by `answered_ok`.
async fn storm(
    discord: &FakeDiscord,
    members: &[u64],
    message: u64,
    custom_id: &str,
    spread: Duration,
    answered_ok: impl Fn(&serde_json::Value) -> bool,
) -> anyhow::Result<Storm> {
    let started = Instant::now();
    let tick = Duration::from_millis(10);
    let per_tick = (members.len() as f64 * tick.as_secs_f64() / spread.as_secs_f64()).ceil() as usize;
    let mut clicks: Vec<Interaction> = Vec::with_capacity(members.len());
    let mut interval = tokio::time::interval(tick);
    for chunk in members.chunks(per_tick.max(1)) {
        interval.tick().await;
        for member in chunk {
            clicks.push(discord.click_button(*member, message, custom_id).await);
        }
    }
    let mut samples = Vec::with_capacity(clicks.len());
    for click in &clicks {
        let response = click.response(WAIT).await?;
        anyhow::ensure!(answered_ok(&response.data), "click {} answered {:?}", click.id, response.data);
        samples.push(response.elapsed.as_secs_f64() * 1e6);
    }
    let late = samples.iter().filter(|us| **us / 1000.0 > LATE).count();
    Ok(Storm { latency: Latency::of(samples), late, seconds: started.elapsed().as_secs_f64() })
}

/// A bot that posts one button at start and answers every click with an ephemeral message, no work.
struct Bare {
    channel: u64,
}

#[serenity::async_trait]
impl EventHandler for Bare {
    async fn ready(&self, ctx: Context, _: Ready) {
        let button = CreateButton::new("enter:bare").label("Enter").style(ButtonStyle::Primary);
        let post =
            CreateMessage::new().content("Bare giveaway").components(vec![CreateActionRow::Buttons(vec![button])]);
        let _ = ChannelId::new(self.channel).send_message(&ctx.http, post).await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: serenity::all::Interaction) {
        if let serenity::all::Interaction::Component(click) = interaction {
            let message = CreateInteractionResponseMessage::new().content("ok").ephemeral(true);
            let _ = click.create_response(&ctx.http, CreateInteractionResponse::Message(message)).await;
        }
    }
}

/// The storm against the bare bot: the stand-in's and serenity's own latency.
async fn bare_storm(count: usize, spread: Duration) -> anyhow::Result<Storm> {
    let discord = FakeDiscord::start().await;
    let bot = discord.add_bot("Bare");
    let channel = discord.add_text_channel("giveaways");
    let members: Vec<u64> = (0..count).map(|i| discord.add_member(&format!("m{i}"), &[])).collect();
    let http = HttpBuilder::new(&bot.token).proxy(discord.base_url()).ratelimiter_disabled(true).build();
    let mut client = ClientBuilder::new_with_http(http, GatewayIntents::GUILDS).event_handler(Bare { channel }).await?;
    let task = tokio::spawn(async move { client.start().await });
    discord.wait_connected(&bot, WAIT).await?;
    let post = discord.wait_for_message(channel, |m| m.custom_ids().contains(&"enter:bare".to_owned()), WAIT).await?;
    let measured = storm(&discord, &members, post.id, "enter:bare", spread, |d| d["content"] == "ok").await;
    task.abort();
    measured
}

/// Maxis (own process) connected to a fake Discord with `count` members and a giveaway posted.
async fn maxis_storm(count: usize, spread: Duration) -> anyhow::Result<(Storm, f64, f64)> {
    let discord = FakeDiscord::start().await;
    let bot = discord.add_bot("Maxis");
    let channel = discord.add_text_channel("giveaways");
    let members: Vec<u64> = (0..count).map(|i| discord.add_member(&format!("m{i}"), &[])).collect();
    let fleet = TestFleet::start(&["shop1"]).await?;
    let dir = tempfile::tempdir()?;
    let mut env = shop_env(&fleet, "shop1", dir.path())?;
    env.insert("MAXIS_DISCORD__TOKEN".into(), bot.token.clone());
    env.insert("MAXIS_DISCORD__GUILD_ID".into(), discord.guild_id().to_string());
    env.insert("MAXIS_DISCORD__API_BASE".into(), discord.base_url());
    let shop = ShopProcess::start(env).await?;
    discord.wait_connected(&bot, WAIT).await?;
    let commands = format!("/applications/{}/guilds/{}/commands", bot.application_id, discord.guild_id());
    discord.wait_for_call(|c| c.method == "PUT" && c.path.ends_with(&commands), WAIT).await?;

    let shellia = shellia(&fleet).await?;
    let params = json!({"prize": "Nitro", "winners": 1, "duration_secs": 3600, "channel": channel.to_string()});
    let order = Order::new(Command::from_parts("giveaway", params)?, shellia.issuer());
    let enter = format!("enter:{}", order.id);
    let target: Target = "shop1".parse()?;
    let sent = shellia.send(&target, order, Duration::from_secs(10)).await?;
    anyhow::ensure!(!sent.any_rejected() && !sent.shops.is_empty(), "the giveaway was not created: {:?}", sent.shops);
    let post = discord.wait_for_message(channel, |m| m.custom_ids().contains(&enter), WAIT).await?;

    let (cpu, harness) = (shop.cpu_seconds()?, cpu_seconds(std::process::id())?);
    let measured = storm(&discord, &members, post.id, &enter, spread, |d| {
        d["content"].as_str().is_some_and(|c| c.contains("You are in"))
    })
    .await?;
    let per_click = |seconds: f64| seconds / count as f64 * 1000.0;
    let shop_cpu = per_click(shop.cpu_seconds()? - cpu);
    let harness_cpu = per_click(cpu_seconds(std::process::id())? - harness);
    drop(shop);
    Ok((measured, shop_cpu, harness_cpu))
}

/// 5,000 clicks in 2 s (1,000 with `--quick`, same rate): Maxis, and the bare bot for reference.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let (count, spread) = if quick { (2_000, Duration::from_millis(800)) } else { (5_000, Duration::from_secs(2)) };
    let bare = bare_storm(count, spread).await?;
    let (maxis, cpu, harness) = maxis_storm(count, spread).await?;
    let ms = |us: f64| us / 1000.0;
    let p99 = ms(maxis.latency.p99_us);
    Ok(vec![
        Figure::new(
            "clicks",
            format!("{count} Enter clicks sent within {:.1} s: bare bot p50", spread.as_secs_f64()),
            ms(bare.latency.p50_us),
            "ms",
        ),
        Figure::new("clicks", "bare bot (stand-in + serenity only): p99", ms(bare.latency.p99_us), "ms"),
        Figure::new("clicks", "Maxis: first answer p50", ms(maxis.latency.p50_us), "ms"),
        Figure::new("clicks", "Maxis: first answer p99", p99, "ms")
            .ratio(maxis.latency.p99_us / bare.latency.p99_us)
            .target("< 200 ms", p99 < 200.0),
        Figure::new("clicks", "Maxis: answered after 3 s (late)", maxis.late as f64, "")
            .target("0", maxis.late == 0 && bare.late == 0),
        Figure::new("clicks", "Maxis: CPU per click (its process)", cpu, "ms").target("<= 0.15 ms", cpu <= 0.15),
        Figure::new("clicks", "stand-in + harness CPU per click (bench process)", harness, "ms"),
        Figure::new("clicks", "storm until the last answer", maxis.seconds, "s"),
    ])
}
