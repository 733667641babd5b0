//! Maxis in Discord, through serenity and poise against the project's fake Discord (its real
//! gateway and REST protocol), with the real broker, SQLite and the Stripe stand-in.

use std::time::Duration;

use fake_discord::{Bot, FakeDiscord, Message};
use secrecy::SecretString;
use serde_json::{json, Value};
use subjects::{Command, Order};
use testkit::shop::{send, spawn_with, wait_for_event, TestApp};
use testkit::stripe::{deliver, StripeStandIn};
use testkit::TestFleet;

const KEY: &str = "sk_test_discord";
const WEBHOOK_SECRET: &str = "whsec_test_discord";
const WAIT: Duration = Duration::from_secs(20);
/// Discord's rule: an interaction not answered (or deferred) within 3 s fails for the member.
const THREE_SECONDS: Duration = Duration::from_secs(3);

struct Guild {
    discord: FakeDiscord,
    bot: Bot,
    fleet: TestFleet,
    stripe: StripeStandIn,
    app: TestApp,
    pro_role: u64,
    vip_role: u64,
    shop_channel: u64,
    admin_channel: u64,
    admin: u64,
    buyer: u64,
    _dir: tempfile::TempDir,
}

impl Guild {
    /// A guild with a Maxis bot (role position 10), a Pro role below it, a VIP role above it, an
    /// admin and a buyer; the shop sells both plans and runs connected to the fake Discord.
    async fn start() -> Self {
        let discord = FakeDiscord::start().await;
        let bot = discord.add_bot("Maxis");
        let pro_role = discord.add_role("Pro", 2);
        let vip_role = discord.add_role("VIP", 20);
        let admin_role = discord.add_role("Shop admins", 5);
        let admin = discord.add_member("alice", &[admin_role]);
        let buyer = discord.add_member("bob", &[]);
        let shop_channel = discord.add_text_channel("shop");
        let admin_channel = discord.add_text_channel("shop-admins");

        let fleet = TestFleet::start(&["shop1"]).await.unwrap();
        let stripe = StripeStandIn::start(KEY).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let catalog = dir.path().join("catalog.toml");
        std::fs::write(
            &catalog,
            format!(
                "currency = \"eur\"\n\
                 [[product]]\nid = \"pro\"\nname = \"Pro\"\nkind = \"plan\"\nprice = \"9.99\"\ninterval = \"month\"\nrole = \"{pro_role}\"\n\
                 [[product]]\nid = \"vip\"\nname = \"VIP\"\nkind = \"role\"\nprice = \"49.00\"\nrole = \"{vip_role}\"\n"
            ),
        )
        .unwrap();
        let mut settings = testkit::shop::settings(&fleet, "shop1", &dir.path().join("shop1.db"));
        settings.stripe.secret_key = Some(SecretString::from(KEY));
        settings.stripe.webhook_secret = Some(SecretString::from(WEBHOOK_SECRET));
        settings.stripe.api_base = stripe.base_url();
        settings.catalog.path = catalog.display().to_string();
        settings.discord.token = Some(SecretString::from(bot.token.clone()));
        settings.discord.guild_id = discord.guild_id().to_string();
        settings.discord.admin_roles = vec![admin_role.to_string()];
        settings.discord.admin_channel = admin_channel.to_string();
        settings.discord.api_base = discord.base_url();
        let app = spawn_with(settings).await;
        discord.wait_connected(&bot, WAIT).await.expect("Maxis connects to Discord");
        let guild_commands = format!("/applications/{}/guilds/{}/commands", bot.application_id, discord.guild_id());
        discord
            .wait_for_call(|c| c.method == "PUT" && c.path.ends_with(&guild_commands), WAIT)
            .await
            .expect("Maxis registers its commands");
        Self {
            discord,
            bot,
            fleet,
            stripe,
            app,
            pro_role,
            vip_role,
            shop_channel,
            admin_channel,
            admin,
            buyer,
            _dir: dir,
        }
    }

    async fn slash(&self, user: u64, name: &str, options: Value) -> fake_discord::Interaction {
        self.discord.slash_command(&self.bot, user, self.shop_channel, name, options).await
    }

    /// `user` clicks `custom_id` under `message` and reads the (ephemeral) answer.
    async fn click(&self, user: u64, message: u64, custom_id: &str) -> Message {
        let click = self.discord.click_button(user, message, custom_id).await;
        let response = click.response(WAIT).await.unwrap();
        assert!(response.elapsed < THREE_SECONDS, "answered in {:?}", response.elapsed);
        click.final_message(WAIT).await.unwrap()
    }

    /// The member pays the session Stripe opened for their checkout: the signed webhook arrives.
    async fn pay_latest_session(&self) {
        let sessions = self.stripe.sessions();
        let session = sessions.last().expect("a Stripe session")["id"].as_str().unwrap().to_owned();
        let url = format!("http://{}/stripe/webhook", self.app.http);
        let (status, _) = deliver(&url, &self.stripe.complete(&session, true).unwrap(), WEBHOOK_SECRET).await.unwrap();
        assert_eq!(status, 200);
    }

    async fn wait_for_role(&self, user: u64, role: u64) {
        for _ in 0..200 {
            if self.discord.member_roles(user).contains(&role) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("member {user} never got role {role}: {:?}", self.discord.member_roles(user));
    }
}

fn sub(name: &str, options: Value) -> Value {
    json!([{"name": name, "options": options}])
}

#[tokio::test]
async fn every_slash_command_is_registered_and_each_answers_or_defers_within_three_seconds() {
    let g = Guild::start().await;
    let mut names: Vec<String> =
        g.discord.registered_commands(&g.bot).iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["admin", "cart", "checkout", "giveaway", "orders", "pings", "preorder", "shop"]);

    let calls = [
        (g.buyer, "shop", json!([])),
        (g.buyer, "cart", sub("add", json!([{"name": "product", "value": "pro"}]))),
        (g.buyer, "cart", sub("view", json!([]))),
        (g.buyer, "cart", sub("remove", json!([{"name": "product", "value": "pro"}]))),
        (g.buyer, "checkout", json!([])),
        (g.buyer, "orders", json!([])),
        (g.buyer, "preorder", json!([{"name": "product", "value": "nothing"}])),
        (g.buyer, "pings", json!([{"name": "on", "value": true}])),
        (g.admin, "giveaway", sub("list", json!([]))),
        (g.admin, "admin", sub("status", json!([]))),
    ];
    for (user, name, options) in calls {
        let interaction = g.slash(user, name, options.clone()).await;
        let response = interaction.response(WAIT).await.unwrap();
        assert!(response.elapsed < THREE_SECONDS, "/{name} {options} answered in {:?}", response.elapsed);
        assert!([4, 5].contains(&response.kind), "/{name}: callback type {}", response.kind);
        let shown = interaction.final_message(WAIT).await.unwrap();
        assert!(
            !shown.content.is_empty() || shown.embeds.as_array().is_some_and(|e| !e.is_empty()),
            "/{name} shows something"
        );
    }
    let empty_checkout = g.slash(g.buyer, "checkout", json!([])).await;
    assert!(empty_checkout.final_message(WAIT).await.unwrap().content.contains("cart is empty"));
}

#[tokio::test]
async fn a_member_clicks_buy_pays_and_gets_the_plan_role_through_discord_and_a_receipt_by_dm() {
    let g = Guild::start().await;
    let shop = g.slash(g.buyer, "shop", json!([])).await;
    let window = shop.final_message(WAIT).await.unwrap();
    assert!(window.custom_ids().contains(&"buy:pro".to_owned()), "{:?}", window.custom_ids());
    assert_eq!(window.flags & 64, 64, "the shop window is the member's alone");

    let added = g.click(g.buyer, window.id, "cart:pro").await;
    let answer = g.click(g.buyer, window.id, "buy:pro").await;
    assert!(added.content.contains("1 × `pro`"), "{}", added.content);
    assert!(answer.content.contains("💳 Pay 9.99 "), "Buy after Add to cart pays for one: {}", answer.content);
    let session_url = g.stripe.sessions().last().unwrap()["url"].as_str().unwrap().to_owned();
    assert!(answer.content.contains(&session_url));
    g.pay_latest_session().await;

    g.wait_for_role(g.buyer, g.pro_role).await;
    let role_route = format!("/guilds/{}/members/{}/roles/{}", g.discord.guild_id(), g.buyer, g.pro_role);
    assert!(g.discord.calls().iter().any(|c| c.method == "PUT" && c.path.ends_with(&role_route) && c.status == 204));
    let receipt = g.discord.wait_for_dm(g.buyer, |m| m.content.contains("9.99"), WAIT).await.unwrap();
    assert_eq!(receipt.author_id, g.bot.user_id);
    let (_, metrics) = testkit::shop::http_get(g.app.http, "/metrics").await;
    assert!(metrics.contains("maxis_webhook_to_role_seconds_count 1\n"), "the payment's role is timed once: {metrics}");
    assert!(metrics.contains("maxis_interaction_answer_seconds_count 3\n"), "/shop and two clicks: {metrics}");
}

#[tokio::test]
async fn a_role_above_the_bots_is_not_delivered_and_the_admins_are_told() {
    let g = Guild::start().await;
    g.app.commerce.set_cart(&g.buyer.to_string(), "vip", 1).await.unwrap();
    g.app.commerce.checkout(&g.buyer.to_string(), None).await.unwrap();
    g.pay_latest_session().await;

    let notice = g.discord.wait_for_message(g.admin_channel, |m| m.content.contains("50013"), WAIT).await.unwrap();
    let blocked = wait_for_event(&g.fleet, |e| e.kind.as_ref() == "delivery.blocked").await;

    assert!(notice.content.contains(&format!("<@&{}>", g.vip_role)));
    assert!(blocked.data["reason"].as_str().unwrap().contains("50013"));
    assert!(!g.discord.member_roles(g.buyer).contains(&g.vip_role));
    let delivered = testkit::shop::events(&g.fleet).await;
    assert!(!delivered.iter().any(|e| e.kind.as_ref() == "delivery.done"), "nothing reported as delivered");
    let (_, metrics) = testkit::shop::http_get(g.app.http, "/metrics").await;
    assert!(metrics.contains("maxis_deliveries_blocked 1\n"), "operators see the blocked delivery: {metrics}");
}

#[tokio::test]
async fn a_giveaway_ordered_over_nats_is_entered_by_button_and_its_winner_is_announced_and_told() {
    let g = Guild::start().await;
    let members: Vec<u64> = (0..3).map(|i| g.discord.add_member(&format!("m{i}"), &[])).collect();
    let start = Order::new(
        Command::from_parts(
            "giveaway",
            json!({"prize": "a Pro year", "winners": 1, "duration_secs": 3600, "channel": g.shop_channel.to_string()}),
        )
        .unwrap(),
        "shellia:test",
    );
    let reply = send(&g.fleet, "shop1", &start).await;
    assert!(reply.ok, "{reply:?}");
    let id = start.id.to_string();

    let post = g
        .discord
        .wait_for_message(g.shop_channel, |m| m.custom_ids().contains(&format!("enter:{id}")), WAIT)
        .await
        .unwrap();
    assert!(post.content.contains("a Pro year"));
    for m in &members {
        let answer = g.click(*m, post.id, &format!("enter:{id}")).await;
        assert!(answer.content.contains("You are in"), "{}", answer.content);
    }
    let again = g.click(members[0], post.id, &format!("enter:{id}")).await;
    assert!(again.content.contains("already in"));

    let end = Order::new(Command::from_parts("giveaways", json!({"op": "end", "id": id})).unwrap(), "shellia:test");
    assert!(send(&g.fleet, "shop1", &end).await.ok);

    let announced =
        g.discord.wait_for_message(g.shop_channel, |m| m.content.contains("congratulations"), WAIT).await.unwrap();
    let winner = members.iter().copied().find(|m| announced.content.contains(&format!("<@{m}>"))).expect("a winner");
    let dm = g.discord.wait_for_dm(winner, |m| m.content.contains("You won"), WAIT).await.unwrap();
    assert!(dm.content.contains("a Pro year"));
}

#[tokio::test]
async fn members_joining_the_server_open_a_milestone_giveaway_with_its_enter_button() {
    let g = Guild::start().await;
    let milestone = Order::new(
        Command::from_parts(
            "giveaway",
            json!({"prize": "a mug", "duration_secs": 3600, "trigger": {"members": 6}, "channel": g.shop_channel.to_string()}),
        )
        .unwrap(),
        "shellia:test",
    );
    assert!(send(&g.fleet, "shop1", &milestone).await.ok);
    let enter = format!("enter:{}", milestone.id);

    for i in 0..3 {
        g.discord.member_join(&format!("newcomer{i}")).await;
    }

    let post = g.discord.wait_for_message(g.shop_channel, |m| m.custom_ids().contains(&enter), WAIT).await.unwrap();
    assert!(post.content.contains("a mug"));
    let started = wait_for_event(&g.fleet, |e| e.kind.as_ref() == "giveaway.started").await;
    assert_eq!(started.data["id"], milestone.id.to_string());
}
