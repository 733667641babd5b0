//! Connecting: IDENTIFY, READY and GUILD_CREATE as serenity parses and caches them; REST authentication.

use fake_discord::FakeDiscord;
use serenity::all::{GuildId, HttpBuilder};

use crate::helpers::{all_intents, spawn_bot, Seen, WAIT};

#[tokio::test]
async fn serenity_client_gets_ready_and_the_guild_with_its_roles_and_channels() {
    let fake = FakeDiscord::start().await;
    let vip = fake.add_role("VIP", 3);
    let channel = fake.add_text_channel("shop");

    let mut bot = spawn_bot(&fake, "Maxis", all_intents()).await;
    let guild = bot.next(|seen| if let Seen::GuildCreate(g) = seen { Some(g) } else { None }).await;

    assert_eq!(guild.id.get(), fake.guild_id());
    assert_eq!(guild.roles[&vip.into()].name, "VIP");
    assert_eq!(guild.channels[&channel.into()].name, "shop");
    assert!(guild.members.contains_key(&bot.bot.user_id.into()), "the bot is a member of the guild");
    let cached = bot.cache.guild(GuildId::new(fake.guild_id())).expect("the cache holds the guild");
    let bot_role = cached.roles.values().find(|r| r.name == "Maxis").expect("the bot's managed role");
    assert!(bot_role.managed);
    assert_eq!(bot_role.position, 10);
}

#[tokio::test]
async fn rest_call_with_an_unknown_token_is_refused_with_401_and_recorded() {
    let fake = FakeDiscord::start().await;
    let http = HttpBuilder::new("bm9ib2R5.fake.token").proxy(fake.base_url()).ratelimiter_disabled(true).build();

    let refused = http.get_current_user().await.expect_err("an unknown token is refused");

    let serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) = refused else {
        panic!("expected an unsuccessful request, got {refused:?}");
    };
    assert_eq!(response.status_code.as_u16(), 401);
    let call = fake.wait_for_call(|c| c.path == "/api/v10/users/@me", WAIT).await.expect("the call is recorded");
    assert_eq!((call.status, call.bot_user_id), (401, None));
}
