//! Slash commands through a poise framework: registration, options, answers and deferral.

use fake_discord::FakeDiscord;
use serde_json::json;
use serenity::all::GuildId;

use crate::helpers::{all_intents, spawn_client, Error, TestBot, WAIT};

type Ctx<'a> = poise::Context<'a, (), Error>;

/// Repeats your text
#[poise::command(slash_command)]
async fn echo(ctx: Ctx<'_>, #[description = "What to repeat"] text: String) -> Result<(), Error> {
    ctx.say(format!("You said: {text}")).await?;
    Ok(())
}

/// Thinks first, then answers
#[poise::command(slash_command)]
async fn slow(ctx: Ctx<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    ctx.say("Done thinking").await?;
    Ok(())
}

/// Greets a member
#[poise::command(slash_command)]
async fn greet(ctx: Ctx<'_>, #[description = "Who to greet"] member: serenity::all::User) -> Result<(), Error> {
    ctx.say(format!("Hello {}", member.name)).await?;
    Ok(())
}

/// A poise bot registering `/echo`, `/slow` and `/greet` in the fake's guild.
async fn poise_bot(fake: &FakeDiscord) -> TestBot {
    let guild = GuildId::new(fake.guild_id());
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions { commands: vec![echo(), slow(), greet()], ..Default::default() })
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_in_guild(ctx, &framework.options().commands, guild).await?;
                Ok(())
            })
        })
        .build();
    let bot = spawn_client(fake, fake.add_bot("Maxis"), all_intents(), Some(framework)).await;
    let registered = |c: &fake_discord::Call| c.method == "PUT" && c.path.ends_with("/commands");
    fake.wait_for_call(registered, WAIT).await.expect("poise registers its commands");
    bot
}

#[tokio::test]
async fn poise_registers_its_slash_commands_in_the_guild() {
    let fake = FakeDiscord::start().await;

    let bot = poise_bot(&fake).await;

    let commands = fake.registered_commands(&bot.bot);
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["echo", "slow", "greet"]);
    assert_eq!(commands[0]["guild_id"], fake.guild_id().to_string());
    assert_eq!(commands[0]["options"][0]["name"], "text");
    assert!(
        fake.calls().iter().any(|c| c.path == "/api/v10/oauth2/applications/@me"),
        "poise asks for its application"
    );
}

#[tokio::test]
async fn slash_command_is_answered_with_a_message_within_the_measured_time() {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("shop");
    let buyer = fake.add_member("buyer", &[]);
    let bot = poise_bot(&fake).await;

    let interaction =
        fake.slash_command(&bot.bot, buyer, channel, "echo", json!([{ "name": "text", "value": "hi" }])).await;

    let response = interaction.response(WAIT).await.expect("the bot answers");
    assert_eq!(response.kind, 4);
    assert_eq!(response.data["content"], "You said: hi");
    assert!(response.elapsed < WAIT);
    let answer = interaction.final_message(WAIT).await.expect("a visible answer");
    assert_eq!(answer.author_id, bot.bot.user_id);
    assert!(fake.messages(channel).iter().any(|m| m.id == answer.id), "the answer is in the channel");
}

#[tokio::test]
async fn deferred_slash_command_ends_with_its_ephemeral_follow_up() {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("shop");
    let buyer = fake.add_member("buyer", &[]);
    let bot = poise_bot(&fake).await;

    let interaction = fake.slash_command(&bot.bot, buyer, channel, "slow", json!([])).await;

    let response = interaction.response(WAIT).await.expect("the bot defers");
    assert_eq!(response.kind, 5);
    let answer = interaction.final_message(WAIT).await.expect("a visible answer");
    assert_eq!(answer.content, "Done thinking");
    assert_eq!(answer.flags & 64, 64, "the answer stays ephemeral");
    assert_eq!(interaction.original().map(|o| o.id), Some(answer.id), "the follow-up replaced the loading message");
    assert_eq!(interaction.followups().len(), 1);
}

#[tokio::test]
async fn user_option_is_typed_from_the_registration_and_resolved_for_poise() {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("shop");
    let (admin, buyer) = (fake.add_member("admin", &[]), fake.add_member("bob", &[]));
    let bot = poise_bot(&fake).await;

    let options = json!([{ "name": "member", "value": buyer.to_string() }]);
    let interaction = fake.slash_command(&bot.bot, admin, channel, "greet", options).await;

    let answer = interaction.final_message(WAIT).await.expect("a visible answer");
    assert_eq!(answer.content, "Hello bob");
}

#[tokio::test]
#[should_panic(expected = "never registered the command \"refund\"")]
async fn slash_command_that_was_never_registered_fails_the_test() {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("shop");
    let buyer = fake.add_member("buyer", &[]);
    let bot = poise_bot(&fake).await;

    fake.slash_command(&bot.bot, buyer, channel, "refund", json!([])).await;
}
