//! Button clicks: the component interaction serenity receives, and what each kind of answer does.

use fake_discord::{FakeDiscord, Interaction};
use serenity::all::{
    ChannelId, ComponentInteraction, CreateButton, CreateInteractionResponse, CreateInteractionResponseMessage,
    CreateMessage, EditInteractionResponse,
};

use crate::helpers::{all_intents, spawn_bot, Seen, TestBot, WAIT};

/// A bot posted a message with one button, a member clicked it, and serenity received the click.
struct Clicked {
    fake: FakeDiscord,
    bot: TestBot,
    channel: u64,
    member: u64,
    message: u64,
    interaction: Interaction,
    click: Box<ComponentInteraction>,
}

async fn click_a_posted_button(content: &str, custom_id: &str) -> Clicked {
    let fake = FakeDiscord::start().await;
    let channel = fake.add_text_channel("shop");
    let member = fake.add_member("member", &[]);
    let mut bot = spawn_bot(&fake, "Maxis", all_intents()).await;
    let post = CreateMessage::new().content(content).button(CreateButton::new(custom_id).label("Go"));
    let sent = ChannelId::new(channel).send_message(&bot.http, post).await.expect("the message is sent");
    let interaction = fake.click_button(member, sent.id.get(), custom_id).await;
    let click = bot.next(|seen| if let Seen::Component(c) = seen { Some(c) } else { None }).await;
    Clicked { fake, bot, channel, member, message: sent.id.get(), interaction, click }
}

#[tokio::test]
async fn button_click_reaches_serenity_and_an_update_replaces_the_message() {
    let c = click_a_posted_button("Pro plan", "buy:pro").await;

    let update = CreateInteractionResponseMessage::new().content("Checkout link sent").components(vec![]);
    c.click.create_response(&c.bot.http, CreateInteractionResponse::UpdateMessage(update)).await.expect("answered");

    assert_eq!(c.click.data.custom_id, "buy:pro");
    assert_eq!(c.click.user.id.get(), c.member);
    assert_eq!(c.click.message.id.get(), c.message);
    assert_eq!(c.interaction.response(WAIT).await.expect("answered").kind, 7);
    let stored = c.fake.messages(c.channel).into_iter().find(|m| m.id == c.message).expect("the message");
    assert_eq!(stored.content, "Checkout link sent");
    assert!(stored.custom_ids().is_empty(), "the update removed the button");
}

#[tokio::test]
async fn second_callback_to_one_interaction_is_refused_with_code_40060() {
    let c = click_a_posted_button("Pro plan", "buy:pro").await;
    c.click.create_response(&c.bot.http, CreateInteractionResponse::Acknowledge).await.expect("the first answer");

    let again = c.click.create_response(&c.bot.http, CreateInteractionResponse::Acknowledge).await;

    let Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(refused))) = again else {
        panic!("expected Discord's refusal, got {again:?}");
    };
    assert_eq!((refused.status_code.as_u16(), refused.error.code), (400, 40060));
}

#[tokio::test]
async fn deferred_update_then_an_edit_of_the_original_changes_the_clicked_message() {
    let c = click_a_posted_button("Preview: promo 20%", "confirm").await;

    c.click.defer(&c.bot.http).await.expect("deferred");
    let edit = EditInteractionResponse::new().content("✅ Promotion lancée !").components(vec![]);
    c.click.edit_response(&c.bot.http, edit).await.expect("the original is edited");

    assert_eq!(c.interaction.response(WAIT).await.expect("answered").kind, 6);
    let answer = c.interaction.final_message(WAIT).await.expect("a visible answer");
    assert_eq!((answer.id, answer.content.as_str()), (c.message, "✅ Promotion lancée !"));
    assert!(answer.custom_ids().is_empty());
}

#[tokio::test]
async fn ephemeral_reply_to_a_click_is_kept_in_the_channel_with_its_flag() {
    let c = click_a_posted_button("Giveaway", "giveaway:enter").await;

    let reply = CreateInteractionResponseMessage::new().content("You are in!").ephemeral(true);
    c.click.create_response(&c.bot.http, CreateInteractionResponse::Message(reply)).await.expect("answered");

    let answer = c.interaction.final_message(WAIT).await.expect("a visible answer");
    assert_eq!((answer.content.as_str(), answer.flags & 64), ("You are in!", 64));
    assert!(c.fake.messages(c.channel).iter().any(|m| m.id == answer.id));
}
