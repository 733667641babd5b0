//! DMs: a DM channel opened through serenity, and what is sent there.

use fake_discord::FakeDiscord;
use serenity::all::UserId;

use crate::helpers::{all_intents, spawn_bot, WAIT};

#[tokio::test]
async fn dm_sent_through_a_dm_channel_lands_in_the_users_dms() {
    let fake = FakeDiscord::start().await;
    let buyer = fake.add_member("buyer", &[]);
    let bot = spawn_bot(&fake, "Maxis", all_intents()).await;

    let channel = UserId::new(buyer).create_dm_channel(&*bot.http).await.expect("the DM channel opens");
    channel.say(&bot.http, "Receipt: Pro plan, 29.99 EUR").await.expect("the DM is sent");

    assert_eq!(channel.recipient.id.get(), buyer);
    let dm = fake.wait_for_dm(buyer, |m| m.content.starts_with("Receipt"), WAIT).await.expect("the DM arrives");
    assert_eq!(dm.author_id, bot.bot.user_id);
    assert_eq!(fake.dms(buyer).len(), 1);
}
