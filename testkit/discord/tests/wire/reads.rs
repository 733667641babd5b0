//! REST reads parsed by serenity's own models: the guild, roles, channels, members, messages, users and the
//! application.

use fake_discord::FakeDiscord;
use serenity::all::{ChannelId, GuildId, MessageId, UserId};

use crate::helpers::{all_intents, spawn_bot};

#[tokio::test]
async fn guild_roles_channels_and_members_parse_in_serenity() {
    let fake = FakeDiscord::start().await;
    let pro = fake.add_role("Pro", 2);
    let buyer = fake.add_member("bob", &[pro]);
    let channel = fake.add_text_channel("shop");
    let bot = spawn_bot(&fake, "Maxis", all_intents()).await;
    let guild = GuildId::new(fake.guild_id());

    let partial = bot.http.get_guild(guild).await.expect("the guild");
    let roles = bot.http.get_guild_roles(guild).await.expect("the roles");
    let channels = bot.http.get_channels(guild).await.expect("the channels");
    let member = bot.http.get_member(guild, UserId::new(buyer)).await.expect("the member");
    let members = bot.http.get_guild_members(guild, Some(1000), None).await.expect("the members");

    assert_eq!(partial.id, guild);
    assert!(roles.iter().any(|r| r.id.get() == pro && r.name == "Pro"));
    assert_eq!(channels.iter().map(|c| (c.id.get(), c.name.as_str())).collect::<Vec<_>>(), [(channel, "shop")]);
    assert_eq!(member.roles.iter().map(|r| r.get()).collect::<Vec<_>>(), [pro]);
    assert!(members.iter().any(|m| m.user.id.get() == bot.bot.user_id), "the bot is listed");
    assert_eq!(members.len(), 3, "the owner, bob and the bot");
}

#[tokio::test]
async fn messages_users_and_the_application_parse_in_serenity() {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("shop");
    let buyer = fake.add_member("bob", &[]);
    let bot = spawn_bot(&fake, "Maxis", all_intents()).await;
    let posted = fake.send_message(channel, buyer, "hello <@&1> and <@everyone>").await;

    let message = bot.http.get_message(ChannelId::new(channel), MessageId::new(posted)).await.expect("the message");
    let user = bot.http.get_user(UserId::new(buyer)).await.expect("the user");
    let me = bot.http.get_current_user().await.expect("the bot's user");
    let application = bot.http.get_current_application_info().await.expect("the application");
    let shop = bot.http.get_channel(ChannelId::new(channel)).await.expect("the channel");

    assert_eq!((message.author.id.get(), message.content.as_str()), (buyer, "hello <@&1> and <@everyone>"));
    assert_eq!(user.name, "bob");
    assert!(me.bot);
    assert_eq!(me.id.get(), bot.bot.user_id);
    assert_eq!(application.id.get(), bot.bot.application_id);
    assert_eq!(shop.guild().map(|c| c.name), Some("shop".to_string()));
}
