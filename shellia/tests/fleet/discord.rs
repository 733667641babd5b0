//! Both bots in Discord, through serenity and poise against the project's fake Discord, with the
//! real broker and a real Maxis shop: the seed's example from a mention to the announcement,
//! `!maxis` and `/maxis` commands, who may command, and report charts attached.

use std::time::Duration;

use fake_discord::{Bot, FakeDiscord, Message};
use maxis::store::Store;
use secrecy::SecretString;
use serde_json::json;
use shellia::discord::{DiscordConfig, DiscordSettings};
use subjects::{Command, Order};
use testkit::shop::{send, spawn_with, TestApp};
use testkit::TestFleet;

use crate::helpers::assistant;

const WAIT: Duration = Duration::from_secs(20);
const THREE_SECONDS: Duration = Duration::from_secs(3);
const DONE: &str = "✅ Promotion lancée ! 20% sur les plans Pro pendant 48h.";

struct Server {
    discord: FakeDiscord,
    shellia: Bot,
    maxis: Bot,
    _fleet: TestFleet,
    admin: u64,
    member: u64,
    talk: u64,
    news: u64,
    dir: tempfile::TempDir,
    _shop: TestApp,
    bot_task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.bot_task.abort();
    }
}

impl Server {
    /// One guild with both bots, an admin (by role) and a plain member; shop1 runs in Discord
    /// and announces in #announcements; Shellia listens in #admins.
    async fn start() -> Self {
        let discord = FakeDiscord::start().await;
        let shellia = discord.add_bot("Shellia");
        let maxis = discord.add_bot("Maxis");
        let admins = discord.add_role("Admins", 5);
        // Manage Server: Discord shows them `/maxis` (hidden from other members).
        discord.set_role_permissions(admins, 1 << 5);
        let admin = discord.add_member("alice", &[admins]);
        let member = discord.add_member("bob", &[]);
        let talk = discord.add_text_channel("admins");
        let news = discord.add_text_channel("announcements");

        let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut settings = testkit::shop::settings(&fleet, "shop1", &dir.path().join("shop1.db"));
        settings.discord.token = Some(SecretString::from(maxis.token.clone()));
        settings.discord.guild_id = discord.guild_id().to_string();
        settings.discord.api_base = discord.base_url();
        let shop = spawn_with(settings).await;
        let channel = Command::from_parts("config", json!({"key": "announce.channel", "value": news.to_string()}));
        assert!(send(&fleet, "shop1", &Order::new(channel.unwrap(), "test")).await.ok);

        let assistant = assistant(&fleet, dir.path(), &format!("[admin]\nroles = [{admins}]\n")).await;
        let config = DiscordConfig::from_settings(&DiscordSettings {
            token: Some(SecretString::from(shellia.token.clone())),
            guild_id: discord.guild_id().to_string(),
            api_base: discord.base_url(),
        })
        .unwrap()
        .unwrap();
        let bot_task = tokio::spawn(shellia::discord::run(config, assistant, std::future::pending()));
        for bot in [&shellia, &maxis] {
            discord.wait_connected(bot, WAIT).await.unwrap();
            let registered = format!("/applications/{}/guilds/{}/commands", bot.application_id, discord.guild_id());
            discord.wait_for_call(|c| c.method == "PUT" && c.path.ends_with(&registered), WAIT).await.unwrap();
        }
        Self { discord, shellia, maxis, _fleet: fleet, admin, member, talk, news, dir, _shop: shop, bot_task }
    }

    /// `user` writes `text` in #admins; returns Shellia's answer to it.
    async fn say(&self, user: u64, text: &str) -> Message {
        let asked = self.discord.send_message(self.talk, user, text).await;
        let me = self.shellia.user_id;
        // Shellia's messages carry increasing ids: its answer is the first one after the question.
        self.discord.wait_for_message(self.talk, |m| m.author_id == me && m.id > asked, WAIT).await.unwrap()
    }

    /// How many orders with one of `actions` the shop handled.
    async fn handled(&self, actions: &[&str]) -> usize {
        let store = Store::open(&self.dir.path().join("shop1.db")).await.unwrap();
        let all: Vec<(Option<String>,)> =
            sqlx::query_as("SELECT action FROM handled_orders").fetch_all(store.pool()).await.unwrap();
        all.iter().filter(|(a,)| a.as_deref().is_some_and(|a| actions.contains(&a))).count()
    }

    async fn promos(&self) -> Vec<(String, String)> {
        let store = Store::open(&self.dir.path().join("shop1.db")).await.unwrap();
        sqlx::query_as("SELECT discount, target FROM promos").fetch_all(store.pool()).await.unwrap()
    }
}

fn confirm_id(preview: &Message) -> String {
    preview.custom_ids().into_iter().find(|id| id.starts_with("plan:confirm:")).expect("a Confirm button")
}

#[tokio::test]
async fn the_seeds_example_goes_from_a_mention_to_the_shops_announcement_and_shellias_answer() {
    let s = Server::start().await;

    let preview =
        s.say(s.admin, &format!("<@{}> Lance une promotion de 20% sur les plans Pro", s.shellia.user_id)).await;
    assert!(preview.content.contains("shop1"), "{}", preview.content);
    let click = s.discord.click_button(s.admin, preview.id, &confirm_id(&preview)).await;
    let response = click.response(WAIT).await.unwrap();
    assert!(response.elapsed < THREE_SECONDS, "answered in {:?}", response.elapsed);

    let done = s.discord.wait_for_message(s.talk, |m| m.content.contains(DONE), WAIT).await.unwrap();
    assert_eq!(done.author_id, s.shellia.user_id);
    let announced = s.discord.wait_for_message(s.news, |m| m.content.contains("-20%"), WAIT).await.unwrap();
    assert_eq!(announced.author_id, s.maxis.user_id);
    assert!(announced.content.contains("pro"), "{}", announced.content);
    assert_eq!(s.promos().await, vec![("{\"percent\":20}".to_owned(), "{\"plan\":\"pro\"}".to_owned())]);
    let buttons_left = s.discord.messages(s.talk).into_iter().find(|m| m.id == preview.id).unwrap().custom_ids();
    assert!(buttons_left.is_empty(), "the plan's buttons are taken off once confirmed: {buttons_left:?}");
}

#[tokio::test]
async fn a_non_admins_stop_is_refused_and_their_confirm_click_sends_nothing() {
    let s = Server::start().await;

    let refused = s.say(s.member, "!maxis stop").await;
    assert!(refused.content.contains("Only admins"), "{}", refused.content);

    let preview =
        s.say(s.admin, &format!("<@{}> Lance une promotion de 20% sur les plans Pro", s.shellia.user_id)).await;
    let click = s.discord.click_button(s.member, preview.id, &confirm_id(&preview)).await;
    click.response(WAIT).await.unwrap();
    let told = s.discord.wait_for_message(s.talk, |m| m.content.contains("Only admins") && m.flags & 64 == 64, WAIT);
    told.await.unwrap();
    assert_eq!(s.handled(&["stop", "promo"]).await, 0, "no stop and no promotion reached the shop");
    assert!(s.promos().await.is_empty());
}

#[tokio::test]
async fn the_maxis_slash_command_defers_at_once_and_answers_with_each_shop() {
    let s = Server::start().await;

    let status = s
        .discord
        .slash_command(&s.shellia, s.admin, s.talk, "maxis", json!([{"name": "request", "value": "@shop1 status"}]))
        .await;
    let response = status.response(WAIT).await.unwrap();
    let answer = status.final_message(WAIT).await.unwrap();

    assert!(response.elapsed < THREE_SECONDS, "answered in {:?}", response.elapsed);
    assert!(answer.content.contains("shop1"), "{}", answer.content);
    assert_eq!(answer.flags & 64, 64, "a slash conversation with Shellia is private");
}

#[tokio::test]
async fn a_plan_asked_by_slash_command_is_previewed_privately_and_its_result_is_posted_for_everyone() {
    let s = Server::start().await;
    let request = json!([{"name": "request", "value": "Lance une promotion de 20% sur les plans Pro"}]);

    let ask = s.discord.slash_command(&s.shellia, s.admin, s.talk, "maxis", request).await;
    let preview = ask.final_message(WAIT).await.unwrap();
    let click = s.discord.click_button(s.admin, preview.id, &confirm_id(&preview)).await;
    click.response(WAIT).await.unwrap();
    let done = s.discord.wait_for_message(s.talk, |m| m.content.contains(DONE), WAIT).await.unwrap();

    assert_eq!(preview.flags & 64, 64, "the preview is the admin's alone");
    assert_eq!(done.flags & 64, 0, "the result is for everyone");
}

#[tokio::test]
async fn a_report_asked_with_maxis_comes_back_with_its_chart_attached() {
    let s = Server::start().await;

    let report = s.say(s.admin, "!maxis @shop1 report chart=true").await;

    assert!(!report.attachments.is_empty(), "{}", report.content);
    let (name, png) = &report.attachments[0];
    assert!(name.ends_with(".png"), "{name}");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[tokio::test]
async fn a_giveaway_started_from_shellia_is_entered_by_button_then_drawn_announced_and_told() {
    let s = Server::start().await;
    let entrants: Vec<u64> = (0..3).map(|i| s.discord.add_member(&format!("fan{i}"), &[])).collect();

    let started =
        s.say(s.admin, &format!("!maxis @shop1 giveaway prize=Nitro duration_secs=3600 channel={}", s.news)).await;
    let post = s.discord.wait_for_message(s.news, |m| m.custom_ids().iter().any(|c| c.starts_with("enter:")), WAIT);
    let post = post.await.unwrap();
    let enter = post.custom_ids().into_iter().find(|c| c.starts_with("enter:")).unwrap();
    for fan in &entrants {
        let click = s.discord.click_button(*fan, post.id, &enter).await;
        assert!(click.final_message(WAIT).await.unwrap().content.contains("You are in"));
    }
    let id = enter.trim_start_matches("enter:");
    s.say(s.admin, &format!("!maxis @shop1 giveaways op=end id={id}")).await;

    let announced = s.discord.wait_for_message(s.news, |m| m.content.contains("congratulations"), WAIT).await.unwrap();
    let winner = entrants.iter().copied().find(|f| announced.content.contains(&format!("<@{f}>"))).expect("a winner");
    let dm = s.discord.wait_for_dm(winner, |m| m.content.contains("You won"), WAIT).await.unwrap();
    assert!(started.content.contains("shop1"), "{}", started.content);
    assert_eq!(post.author_id, s.maxis.user_id);
    assert!(dm.content.contains("Nitro"));
}

#[tokio::test]
async fn every_seed_command_typed_after_maxis_in_discord_is_executed_by_the_shop() {
    let s = Server::start().await;
    // The seed's table, in the seed's short forms. `restart` needs a supervisor to start the shop
    // again: `ops.rs` shows it with one (the table reports "back after").
    let commands = [
        ("status", "status"),
        ("analytics", "analytics"),
        ("promo 20% pro 48h", "promo"),
        ("giveaway 100members", "giveaway"),
        ("config price_pro 29.99", "config"),
        ("stop inventaire", "stop"),
        ("start", "start"),
        ("execute !announce Promo", "execute"),
        ("report", "report"),
    ];
    for (typed, action) in commands {
        let answer = s.say(s.admin, &format!("!maxis @shop1 {typed}")).await;
        assert!(answer.content.contains(&format!("{action} → shop1 · 1 shop(s)")), "{typed}: {}", answer.content);
        let shop_line = answer.content.lines().find(|l| l.trim_start().starts_with("shop1")).unwrap_or_default();
        assert!(shop_line.contains(" ok "), "{typed}: {}", answer.content);
    }
}

/// Log lines written while `f` runs on this thread (the test runtime runs every task on it).
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn apostrophes_work_in_a_mention_after_maxis_and_in_the_slash_command() {
    let s = Server::start().await;
    let me = s.shellia.user_id;

    let mention = s.say(s.admin, &format!("<@{me}> c'est quoi l'état de shop1 aujourd'hui ?")).await;
    let command = s.say(s.admin, "!maxis @shop1 stop l'inventaire d'aujourd'hui").await;
    let request = json!([{"name": "request", "value": "ferme shop1 pour l'inventaire d'aujourd'hui"}]);
    let slash = s.discord.slash_command(&s.shellia, s.admin, s.talk, "maxis", request).await;
    let slash = slash.final_message(WAIT).await.unwrap();

    for answer in [&mention, &command, &slash] {
        assert!(!answer.content.to_lowercase().contains("quote"), "{}", answer.content);
        assert!(answer.content.contains("shop1"), "{}", answer.content);
    }
    assert!(command.content.contains("stop → shop1"), "{}", command.content);
    assert!(slash.content.contains("inventaire d'aujourd'hui"), "{}", slash.content);
}

#[tokio::test]
async fn a_command_written_after_a_mention_gets_exactly_one_answer_and_no_warning() {
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = logs.clone();
    // Shellia's own lines and those of the Discord libraries (the shop's start warnings are its own).
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("warn,maxis=off,testkit=off,fake_discord=off")
        .with_ansi(false)
        .with_writer(move || Logs(sink.clone()))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let s = Server::start().await;
    let me = s.shellia.user_id;

    let mut questions = Vec::new();
    for typed in ["maxis @shop1 status", "!maxis @shop1 status", "quel est l'état de shop1 ?"] {
        let asked = s.discord.send_message(s.talk, s.admin, &format!("<@{me}> {typed}")).await;
        let answer = s.discord.wait_for_message(s.talk, |m| m.author_id == me && m.id > asked, WAIT).await.unwrap();
        assert!(answer.content.contains("shop1"), "{typed}: {}", answer.content);
        questions.push((typed, asked, answer.id));
    }
    // A last command answered after all of them: any second answer to the first ones came before it.
    let last = s.say(s.admin, "!maxis @shop1 status").await;

    let answers: Vec<u64> =
        s.discord.messages(s.talk).into_iter().filter(|m| m.author_id == me && m.id < last.id).map(|m| m.id).collect();
    assert_eq!(answers, questions.iter().map(|q| q.2).collect::<Vec<_>>(), "one answer per mention: {questions:?}");
    let written = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(!written.contains("WARN"), "no warning for a normal mention: {written}");
}

#[tokio::test]
async fn answers_are_tables_in_code_blocks_with_the_order_id_in_a_footer_and_previews_are_sentences() {
    let s = Server::start().await;

    let status = s.say(s.admin, "!maxis @shop1 status").await;
    let preview =
        s.say(s.admin, &format!("<@{}> promo de 20% sur le plan pro pour tout le monde", s.shellia.user_id)).await;

    assert!(status.content.contains("```\n  shop1"), "{}", status.content);
    let footer = status.content.lines().last().unwrap_or_default();
    assert!(footer.starts_with("-# order "), "{}", status.content);
    assert!(!status.content.starts_with("order "), "{}", status.content);
    assert!(!preview.content.contains('{'), "a preview is sentences, not JSON: {}", preview.content);
    assert!(preview.content.contains("Confirmer ?") && !preview.content.contains("Confirm?"), "{}", preview.content);
    assert!(preview.content.contains("Impact (7 derniers jours de ventes)"), "{}", preview.content);
}

#[tokio::test]
async fn a_promotion_whose_audience_reaches_no_member_says_so_and_suggests_one_that_would() {
    let s = Server::start().await;

    let preview = s.say(s.admin, &format!("<@{}> 20% off the pro plan", s.shellia.user_id)).await;

    assert!(preview.content.contains("reaches no member (members inactive for 30 days)"), "{}", preview.content);
    assert!(preview.content.contains("💡 Announced to every member, it would reach"), "{}", preview.content);
}

#[tokio::test]
async fn the_maxis_slash_command_is_hidden_from_members_without_manage_server() {
    let s = Server::start().await;

    let registered = s.discord.registered_commands(&s.shellia);
    let maxis = registered.iter().find(|c| c["name"] == "maxis").expect("/maxis registered");
    let refused = s.say(s.member, "!maxis @shop1 status").await;

    assert_eq!(maxis["default_member_permissions"], "32", "Manage Server: {maxis}");
    assert!(s.discord.can_use_command(&s.shellia, s.admin, "maxis"));
    assert!(!s.discord.can_use_command(&s.shellia, s.member, "maxis"), "hidden from a member");
    assert!(refused.content.contains("Only admins"), "still checked in code: {}", refused.content);
}

#[tokio::test]
async fn one_admin_role_id_in_the_environment_starts_the_bot_and_is_enforced() {
    let discord = FakeDiscord::start().await;
    let shellia = discord.add_bot("Shellia");
    let admins = discord.add_role("Admins", 5);
    let admin = discord.add_member("alice", &[admins]);
    let member = discord.add_member("bob", &[]);
    let talk = discord.add_text_channel("admins");
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("SHELLIA_ADMIN__ROLES".to_owned(), admins.to_string()),
        ("SHELLIA_DATABASE__PATH".to_owned(), dir.path().join("shellia.db").display().to_string()),
    ];
    let settings = shellia::configuration::Settings::load_with_env(None, Some(env)).unwrap();
    assert_eq!(settings.admin.roles, vec![admins]);
    let assistant =
        shellia::assistant::Assistant::build(crate::helpers::shellia(&fleet).await, &settings).await.unwrap();
    let config = DiscordConfig::from_settings(&DiscordSettings {
        token: Some(SecretString::from(shellia.token.clone())),
        guild_id: discord.guild_id().to_string(),
        api_base: discord.base_url(),
    })
    .unwrap()
    .unwrap();
    let task = tokio::spawn(shellia::discord::run(config, assistant, std::future::pending()));
    discord.wait_connected(&shellia, WAIT).await.unwrap();

    let mut answers = Vec::new();
    for user in [admin, member] {
        let asked = discord.send_message(talk, user, "!maxis help").await;
        let me = shellia.user_id;
        answers.push(discord.wait_for_message(talk, |m| m.author_id == me && m.id > asked, WAIT).await.unwrap());
    }
    task.abort();

    assert!(!answers[0].content.contains("Only admins"), "{}", answers[0].content);
    assert!(answers[1].content.contains("Only admins"), "{}", answers[1].content);
}
