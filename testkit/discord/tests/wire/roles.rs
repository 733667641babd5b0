//! Member role changes through serenity's `Http`, with Discord's hierarchy rule.

use fake_discord::FakeDiscord;
use serenity::all::{GuildId, RoleId, UserId};

use crate::helpers::{all_intents, spawn_bot, Seen};

#[tokio::test]
async fn member_role_is_added_and_removed_through_http() {
    let fake = FakeDiscord::start().await;
    let pro = fake.add_role("Pro", 2);
    let buyer = fake.add_member("buyer", &[]);
    let bot = spawn_bot(&fake, "Maxis", all_intents()).await;
    let (guild, user, role) = (GuildId::new(fake.guild_id()), UserId::new(buyer), RoleId::new(pro));

    bot.http.add_member_role(guild, user, role, Some("bought Pro")).await.expect("the role is granted");
    assert_eq!(fake.member_roles(buyer), vec![pro]);

    bot.http.remove_member_role(guild, user, role, None).await.expect("the role is removed");
    assert!(fake.member_roles(buyer).is_empty());
    let path = format!("/api/v10/guilds/{}/members/{buyer}/roles/{pro}", fake.guild_id());
    let calls: Vec<_> = fake.calls().into_iter().filter(|c| c.path == path).map(|c| (c.method, c.status)).collect();
    assert_eq!(calls, [("PUT".to_string(), 204), ("DELETE".to_string(), 204)]);
}

#[tokio::test]
async fn role_above_the_bot_gives_serenity_an_error_with_code_50013() {
    let fake = FakeDiscord::start().await;
    let staff = fake.add_role("Staff", 20);
    let buyer = fake.add_member("buyer", &[]);
    let bot = spawn_bot(&fake, "Maxis", all_intents()).await;

    let refused = bot
        .http
        .add_member_role(GuildId::new(fake.guild_id()), UserId::new(buyer), RoleId::new(staff), None)
        .await
        .expect_err("the role is above the bot's");

    let serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) = refused else {
        panic!("expected an unsuccessful request, got {refused:?}");
    };
    assert_eq!((response.status_code.as_u16(), response.error.code), (403, 50013));
    assert!(fake.member_roles(buyer).is_empty());
}

#[tokio::test]
async fn role_granted_by_the_bot_is_dispatched_as_a_member_update() {
    let fake = FakeDiscord::start().await;
    let pro = fake.add_role("Pro", 2);
    let buyer = fake.add_member("buyer", &[]);
    let mut bot = spawn_bot(&fake, "Maxis", all_intents()).await;

    bot.http
        .add_member_role(GuildId::new(fake.guild_id()), UserId::new(buyer), RoleId::new(pro), None)
        .await
        .expect("the role is granted");

    let update = bot.next(|seen| if let Seen::MemberUpdate(u) = seen { Some(u) } else { None }).await;
    assert_eq!(update.user.id.get(), buyer);
    assert_eq!(update.roles, [RoleId::new(pro)]);
}
