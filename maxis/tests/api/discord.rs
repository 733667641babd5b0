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
pub(crate) const WAIT: Duration = Duration::from_secs(20);
/// Discord's rule: an interaction not answered (or deferred) within 3 s fails for the member.
pub(crate) const THREE_SECONDS: Duration = Duration::from_secs(3);

pub(crate) struct Guild {
    pub(crate) discord: FakeDiscord,
    pub(crate) bot: Bot,
    pub(crate) fleet: TestFleet,
    pub(crate) stripe: StripeStandIn,
    pub(crate) app: TestApp,
    pub(crate) pro_role: u64,
    vip_role: u64,
    shop_channel: u64,
    admin_channel: u64,
    pub(crate) admin: u64,
    pub(crate) buyer: u64,
    _dir: tempfile::TempDir,
}

impl Guild {
    /// A guild with a Maxis bot (role position 10), a Pro role below it, a VIP role above it, an
    /// admin and a buyer; the shop sells both plans and runs connected to the fake Discord.
    pub(crate) async fn start() -> Self {
        let discord = FakeDiscord::start().await;
        let bot = discord.add_bot("Maxis");
        let pro_role = discord.add_role("Pro", 2);
        let vip_role = discord.add_role("VIP", 20);
        let admin_role = discord.add_role("Shop admins", 5);
        // Manage Server: Discord shows them `/admin` and `/giveaway` (hidden from other members).
        discord.set_role_permissions(admin_role, 1 << 5);
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
                 [[product]]\nid = \"vip\"\nname = \"VIP\"\nkind = \"role\"\nprice = \"49.00\"\nrole = \"{vip_role}\"\n\
                 [[product]]\nid = \"poster\"\nname = \"Poster\"\nkind = \"physical\"\nprice = \"15.00\"\nstock = 1\n"
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

    pub(crate) async fn slash(&self, user: u64, name: &str, options: Value) -> fake_discord::Interaction {
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

    pub(crate) async fn wait_for_role(&self, user: u64, role: u64) {
        for _ in 0..200 {
            if self.discord.member_roles(user).contains(&role) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("member {user} never got role {role}: {:?}", self.discord.member_roles(user));
    }
}

pub(crate) fn sub(name: &str, options: Value) -> Value {
    json!([{"name": name, "options": options}])
}

#[tokio::test]
async fn every_slash_command_is_registered_and_each_answers_or_defers_within_three_seconds() {
    let g = Guild::start().await;
    let mut names: Vec<String> =
        g.discord.registered_commands(&g.bot).iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        ["admin", "cart", "checkout", "gift", "giveaway", "orders", "pings", "preorder", "shop", "subscription"]
    );

    let calls = [
        (g.buyer, "shop", json!([])),
        (g.buyer, "cart", sub("add", json!([{"name": "product", "value": "pro"}]))),
        (g.buyer, "cart", sub("view", json!([]))),
        (g.buyer, "cart", sub("remove", json!([{"name": "product", "value": "pro"}]))),
        (g.buyer, "checkout", json!([])),
        (g.buyer, "orders", json!([])),
        (g.buyer, "preorder", json!([{"name": "product", "value": "nothing"}])),
        (g.buyer, "pings", json!([{"name": "on", "value": true}])),
        (g.buyer, "subscription", sub("status", json!([]))),
        (
            g.buyer,
            "gift",
            json!([{"name": "member", "value": g.admin.to_string()}, {"name": "product", "value": "pro"}]),
        ),
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

/// The value of the field `name` of the embed titled `title` in `message`.
fn embed_field(message: &Message, title: &str, name: &str) -> Option<String> {
    let embeds = message.embeds.as_array()?;
    let embed = embeds.iter().find(|e| e["title"] == title)?;
    let fields = embed["fields"].as_array()?;
    fields.iter().find(|f| f["name"] == name).and_then(|f| f["value"].as_str()).map(str::to_owned)
}

#[tokio::test]
async fn the_price_set_by_config_price_pro_is_what_shop_shows_and_checkout_charges() {
    let g = Guild::start().await;
    let bang = subjects::params::ExecuteParams { command: "!config price_pro 29.99".into() };
    let reply = send(&g.fleet, "shop1", &Order::new(Command::Execute(bang), "shellia:test")).await;
    assert!(reply.ok, "{reply:?}");

    let window = g.slash(g.buyer, "shop", json!([])).await.final_message(WAIT).await.unwrap();
    let answer = g.click(g.buyer, window.id, "buy:pro").await;

    assert_eq!(embed_field(&window, "Pro", "Price").as_deref(), Some("29.99 EUR / month"));
    assert!(answer.content.contains("💳 Pay 29.99 EUR"), "{}", answer.content);
    let request = g.stripe.requests().into_iter().rfind(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(request.form["line_items"][0]["price_data"]["unit_amount"], "2999");
    let changed = wait_for_event(&g.fleet, |e| e.kind.as_ref() == "product.price_changed").await;
    assert_eq!((changed.data["price"].as_i64(), changed.data["previous"].as_i64()), (Some(2999), Some(999)));
    // Persisted: the shop's database gives the same price to whoever reads it next.
    let store = maxis::store::Store::open(&g._dir.path().join("shop1.db")).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    assert_eq!(maxis::store::catalog::get(&mut conn, "pro").await.unwrap().unwrap().price, 2999);
}

#[tokio::test]
async fn two_members_race_for_the_last_unit_and_the_losers_next_buy_of_another_product_succeeds() {
    let g = Guild::start().await;
    let rival = g.discord.add_member("carol", &[]);
    let mine = g.slash(g.buyer, "shop", json!([])).await.final_message(WAIT).await.unwrap();
    let theirs = g.slash(rival, "shop", json!([])).await.final_message(WAIT).await.unwrap();

    let (a, b) = tokio::join!(g.click(g.buyer, mine.id, "buy:poster"), g.click(rival, theirs.id, "buy:poster"));

    let (loser, window, lost) = match (a.content.contains("💳"), b.content.contains("💳")) {
        (true, false) => (rival, theirs.id, b),
        (false, true) => (g.buyer, mine.id, a),
        other => panic!("exactly one member gets the last unit: {other:?} {} / {}", a.content, b.content),
    };
    assert!(lost.content.contains("`poster` is sold out"), "{}", lost.content);
    let next = g.click(loser, window, "buy:vip").await;
    assert!(next.content.contains("💳 Pay 49.00 EUR"), "{}", next.content);
    let cart = g.app.commerce.cart(&loser.to_string()).await.unwrap();
    assert!(cart.is_empty(), "nothing sold out stays behind: {cart:?}");
}

#[tokio::test]
async fn a_physical_products_checkout_asks_for_a_shipping_address_which_reaches_the_admin_channel() {
    let g = Guild::start().await;
    let countries = subjects::params::ConfigParams { key: "shipping.countries".into(), value: Some("fr, be".into()) };
    assert!(send(&g.fleet, "shop1", &Order::new(Command::Config(countries), "shellia:test")).await.ok);

    let window = g.slash(g.buyer, "shop", json!([])).await.final_message(WAIT).await.unwrap();
    let answer = g.click(g.buyer, window.id, "buy:poster").await;
    assert!(answer.content.contains("💳 Pay 15.00 EUR"), "{}", answer.content);
    let request = g.stripe.requests().into_iter().rfind(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(request.form["shipping_address_collection"], json!({"allowed_countries": ["BE", "FR"]}));
    let session = g.stripe.sessions().last().unwrap().clone();
    assert_eq!(session["shipping_address_collection"]["allowed_countries"], json!(["BE", "FR"]));
    g.pay_latest_session().await;

    let notice = g.discord.wait_for_message(g.admin_channel, |m| m.content.contains("To ship"), WAIT).await.unwrap();
    for part in ["1 × Poster", "Test Buyer", "12 rue de la République", "69002 Lyon", "BE", &format!("<@{}>", g.buyer)]
    {
        assert!(notice.content.contains(part), "{part} missing from {}", notice.content);
    }
    let checkout = session["client_reference_id"].as_str().unwrap();
    let store = maxis::store::Store::open(&g._dir.path().join("shop1.db")).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let stored = maxis::store::checkouts::shipping(&mut conn, checkout).await.unwrap().expect("stored with the order");
    assert_eq!((stored.country.as_str(), stored.city.as_deref()), ("BE", Some("Lyon")));

    // A role alone ships nothing: no address is asked.
    g.click(g.buyer, window.id, "buy:vip").await;
    let request = g.stripe.requests().into_iter().rfind(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert!(request.form.get("shipping_address_collection").is_none(), "{:?}", request.form);
}

#[tokio::test]
async fn when_stripe_fails_the_buyer_reads_a_plain_sentence_and_buys_once_it_is_back() {
    let g = Guild::start().await;
    let window = g.slash(g.buyer, "shop", json!([])).await.final_message(WAIT).await.unwrap();
    g.stripe.fail_with(Some(500));

    let failed = g.click(g.buyer, window.id, "buy:vip").await;

    assert!(failed.content.contains("could not be opened: please try again in a minute"), "{}", failed.content);
    for internal in ["HTTP", "500", "unknown error", "api_error", "create checkout session"] {
        assert!(!failed.content.contains(internal), "{internal} shown to the buyer: {}", failed.content);
    }
    g.stripe.fail_with(None);
    let again = g.click(g.buyer, window.id, "buy:vip").await;
    assert!(again.content.contains("💳 Pay 49.00 EUR"), "{}", again.content);
}

/// The script of docs/giveaway-draw.md, as a member copies it from the page.
fn docs_script() -> String {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/giveaway-draw.md")).unwrap();
    let start = docs.find("```python\n").expect("the docs hold a Python script") + "```python\n".len();
    let end = start + docs[start..].find("```").unwrap();
    docs[start..end].to_owned()
}

/// The first `code` span of `text` after `label`.
fn code_after(text: &str, label: &str) -> String {
    let at = text.find(label).unwrap_or_else(|| panic!("no {label:?} in {text}"));
    let rest = &text[at + label.len()..];
    let rest = &rest[rest.find('`').unwrap() + 1..];
    rest[..rest.find('`').unwrap()].to_owned()
}

#[tokio::test]
async fn members_recompute_a_giveaways_winners_from_its_discord_posts_with_the_docs_script() {
    let g = Guild::start().await;
    let members: Vec<u64> = (0..5).map(|i| g.discord.add_member(&format!("m{i}"), &[])).collect();
    let start = Order::new(
        Command::from_parts(
            "giveaway",
            json!({"prize": "a mug", "winners": 2, "duration_secs": 3600, "channel": g.shop_channel.to_string()}),
        )
        .unwrap(),
        "shellia:test",
    );
    assert!(send(&g.fleet, "shop1", &start).await.ok);
    let enter = format!("enter:{}", start.id);
    let post = g.discord.wait_for_message(g.shop_channel, |m| m.custom_ids().contains(&enter), WAIT).await.unwrap();
    for m in &members {
        g.click(*m, post.id, &enter).await;
    }
    let end = Order::new(
        Command::from_parts("giveaways", json!({"op": "end", "id": start.id.to_string()})).unwrap(),
        "shellia:test",
    );
    assert!(send(&g.fleet, "shop1", &end).await.ok);
    let announced =
        g.discord.wait_for_message(g.shop_channel, |m| m.content.contains("congratulations"), WAIT).await.unwrap();

    // What members see: the commitment on the post, the seed, digest, list and command at the end.
    let commitment = code_after(&post.content, "commitment");
    let (seed, digest) = (code_after(&announced.content, "seed"), code_after(&announced.content, "digest"));
    let (file, list) = announced.attachments.first().expect("the entry list is attached").clone();
    let text = String::from_utf8(list.clone()).unwrap();
    assert!(members.iter().all(|m| text.contains(&format!("{m} 1\n"))), "every member finds their line: {text}");
    let at = announced.content.find("`python3 draw.py").expect("the command to run") + 1;
    let command = announced.content[at..].split('`').next().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("draw.py"), docs_script()).unwrap();
    std::fs::write(dir.path().join(&file), &list).unwrap();
    let args: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(&args[..2], ["python3", "draw.py"], "{command}");
    let run = std::process::Command::new(args[0]).args(&args[1..]).current_dir(dir.path()).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let printed = String::from_utf8(run.stdout).unwrap();
    let field = |name: &str| {
        let line = printed.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name}: {printed}"));
        line[name.len()..].trim().to_owned()
    };

    assert_eq!(field("commitment"), commitment);
    assert_eq!(field("list digest"), digest);
    assert!(command.contains(&seed), "{command}");
    let winners: Vec<String> = field("winners").split_whitespace().map(|w| format!("<@{w}>")).collect();
    assert_eq!(winners.len(), 2);
    assert!(announced.content.contains(&format!("congratulations {}!", winners.join(", "))), "{}", announced.content);
}

#[tokio::test]
async fn a_paid_role_removed_by_hand_or_lost_by_leaving_comes_back_and_admin_why_explains_it() {
    let g = Guild::start().await;
    g.app.commerce.set_cart(&g.buyer.to_string(), "pro", 1).await.unwrap();
    g.app.commerce.checkout(&g.buyer.to_string(), None).await.unwrap();
    g.pay_latest_session().await;
    g.wait_for_role(g.buyer, g.pro_role).await;
    let unmanaged = g.discord.add_role("Artist", 1);

    // An admin takes the paid role away in Discord's UI (and gives an unrelated one).
    g.discord.update_member_roles(g.buyer, &[unmanaged]).await;
    g.wait_for_role(g.buyer, g.pro_role).await;
    assert!(g.discord.member_roles(g.buyer).contains(&unmanaged), "a role the shop does not sell stays");

    // The member leaves (Discord drops their roles) and comes back.
    g.discord.member_leave(g.buyer).await;
    g.discord.member_rejoin(g.buyer).await;
    g.wait_for_role(g.buyer, g.pro_role).await;

    let why =
        g.slash(g.admin, "admin", sub("why", json!([{"name": "member", "type": 6, "value": g.buyer.to_string()}])));
    let why = why.await;
    let response = why.response(WAIT).await.unwrap();
    assert!(response.elapsed < THREE_SECONDS, "answered in {:?}", response.elapsed);
    let text = why.final_message(WAIT).await.unwrap().content;
    assert!(text.contains(&format!("<@&{}>", g.pro_role)) && text.contains("holds it, as paid for"), "{text}");
    assert!(text.contains("subscription to Pro"), "{text}");

    // A member does not even see `/admin` or `/giveaway` (still checked in code: `is_admin`).
    assert!(!g.discord.can_use_command(&g.bot, g.buyer, "admin"), "a member cannot read the ledger");
    assert!(!g.discord.can_use_command(&g.bot, g.buyer, "giveaway"));
    assert!(g.discord.can_use_command(&g.bot, g.admin, "admin"));
}

impl Guild {
    /// `member` checks out the Pro plan and pays its session and first invoice; returns the session.
    pub(crate) async fn subscribe_to_pro(&self, member: u64) -> String {
        self.app.commerce.set_cart(&member.to_string(), "pro", 1).await.unwrap();
        self.app.commerce.checkout(&member.to_string(), None).await.unwrap();
        let session = self.stripe.sessions().last().unwrap()["id"].as_str().unwrap().to_owned();
        self.webhook(&self.stripe.complete(&session, true).unwrap()).await;
        self.webhook(&self.stripe.invoice(&session, true).unwrap()).await;
        session
    }

    pub(crate) async fn webhook(&self, event: &Value) {
        let url = format!("http://{}/stripe/webhook", self.app.http);
        assert_eq!(deliver(&url, event, WEBHOOK_SECRET).await.unwrap().0, 200);
    }

    pub(crate) async fn wait_without_role(&self, user: u64, role: u64) {
        for _ in 0..200 {
            if !self.discord.member_roles(user).contains(&role) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("member {user} kept role {role}");
    }
}

#[tokio::test]
async fn a_disputed_subscription_loses_its_role_in_discord_the_admins_are_told_and_resync_keeps_it_off() {
    let g = Guild::start().await;
    let session = g.subscribe_to_pro(g.buyer).await;
    g.wait_for_role(g.buyer, g.pro_role).await;

    g.webhook(&g.stripe.dispute(&session).unwrap()).await;

    g.wait_without_role(g.buyer, g.pro_role).await;
    let notice = g.discord.wait_for_message(g.admin_channel, |m| m.content.contains("disputed"), WAIT).await;
    assert!(notice.unwrap().content.contains(&format!("<@{}>", g.buyer)));
    let resync = g.slash(g.admin, "admin", sub("resync", json!([]))).await;
    resync.final_message(WAIT).await.unwrap();
    g.app.commerce.fulfil_once().await.unwrap();
    assert!(!g.discord.member_roles(g.buyer).contains(&g.pro_role), "resync grants nothing the ledger does not");
}

#[tokio::test]
async fn two_subscriptions_to_one_plan_one_refunded_keep_the_role_in_discord_both_refunded_remove_it() {
    let g = Guild::start().await;
    let first = g.subscribe_to_pro(g.buyer).await;
    let second = g.subscribe_to_pro(g.buyer).await;
    g.wait_for_role(g.buyer, g.pro_role).await;

    let refund = |s: &str| {
        let pi = g.stripe.payment_intents(s).unwrap()[0].clone();
        g.stripe.refund_payment(s, &pi, None).unwrap()
    };
    g.webhook(&refund(&first)).await;
    g.app.commerce.fulfil_once().await.unwrap();
    assert!(g.discord.member_roles(g.buyer).contains(&g.pro_role), "the other subscription still pays for it");
    let deletes =
        |g: &Guild| g.discord.calls().iter().filter(|c| c.method == "DELETE" && c.path.contains("/roles/")).count();
    assert_eq!(deletes(&g), 0);

    g.webhook(&refund(&second)).await;
    g.wait_without_role(g.buyer, g.pro_role).await;
    assert_eq!(deletes(&g), 1, "one DELETE, once");
}
