//! MESSAGE_CREATE with and without the MESSAGE_CONTENT intent, and the bots' posts (JSON and multipart).

use fake_discord::FakeDiscord;
use serenity::all::{ChannelId, CreateAttachment, CreateMessage, GatewayIntents};

use crate::helpers::{all_intents, spawn_bot, Seen, WAIT};

#[tokio::test]
async fn message_create_carries_the_content_with_the_message_content_intent() {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("admin");
    let admin = fake.add_member("admin", &[]);
    let mut bot = spawn_bot(&fake, "Shellia", all_intents()).await;

    let id = fake.send_message(channel, admin, "!maxis status").await;

    let message = bot.next(|seen| if let Seen::Message(m) = seen { Some(m) } else { None }).await;
    assert_eq!(message.id.get(), id);
    assert_eq!(message.content, "!maxis status");
    assert_eq!(message.author.id.get(), admin);
    assert_eq!(message.guild_id.map(|g| g.get()), Some(fake.guild_id()));
}

#[tokio::test]
async fn message_create_has_empty_content_without_the_intent_unless_the_bot_is_mentioned() {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("admin");
    let admin = fake.add_member("admin", &[]);
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES;
    let mut bot = spawn_bot(&fake, "Shellia", intents).await;

    fake.send_message(channel, admin, "!maxis status").await;
    let mention = format!("<@{}> Lance une promotion", bot.bot.user_id);
    fake.send_message(channel, admin, &mention).await;

    let plain = bot.next(|seen| if let Seen::Message(m) = seen { Some(m) } else { None }).await;
    assert_eq!(plain.content, "");
    let mentioning = bot.next(|seen| if let Seen::Message(m) = seen { Some(m) } else { None }).await;
    assert_eq!(mentioning.content, mention);
    assert_eq!(mentioning.mentions.iter().map(|u| u.id.get()).collect::<Vec<_>>(), vec![bot.bot.user_id]);
}

#[tokio::test]
async fn reply_with_channel_say_is_recorded_in_the_channel_messages() {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("shop");
    let bot = spawn_bot(&fake, "Maxis", all_intents()).await;

    let sent = ChannelId::new(channel).say(&bot.http, "Promo: 20% on Pro").await.expect("the message is sent");

    let stored = fake.wait_for_message(channel, |m| m.id == sent.id.get(), WAIT).await.expect("stored");
    assert_eq!((stored.author_id, stored.content.as_str()), (bot.bot.user_id, "Promo: 20% on Pro"));
    let call =
        fake.calls().into_iter().find(|c| c.method == "POST" && c.path.ends_with("/messages")).expect("recorded");
    assert_eq!(call.bot_user_id, Some(bot.bot.user_id));
    assert_eq!(call.body["content"], "Promo: 20% on Pro");
}

#[tokio::test]
async fn file_attachment_arrives_through_multipart() {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("reports");
    let bot = spawn_bot(&fake, "Shellia", all_intents()).await;
    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3];

    let message =
        CreateMessage::new().content("Weekly report").add_file(CreateAttachment::bytes(png.clone(), "chart.png"));
    let sent = ChannelId::new(channel).send_message(&bot.http, message).await.expect("the message is sent");

    assert_eq!(sent.attachments.len(), 1);
    assert_eq!(sent.attachments[0].filename, "chart.png");
    let stored = &fake.messages(channel)[0];
    assert_eq!(stored.content, "Weekly report");
    assert_eq!(stored.attachments, vec![("chart.png".to_string(), png)]);
}
