//! Mentions in plain language, and the Confirm/Cancel buttons under a plan.

use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, CreateInteractionResponse, CreateInteractionResponseFollowup, EditInteractionResponse,
    Message,
};

use super::reply::{self, Verb};
use super::requester::requester;
use super::{Data, Error};
use crate::assistant::{Outcome, Refusal};

/// A message that mentions Shellia (and does not start with the `!` prefix, which poise
/// answers) is a request: the mention is taken out, and a `maxis`, `!maxis` or `/maxis` written
/// after it too, and the rest goes to the assistant; the answer replies to the message, once.
pub(super) async fn on_mention(ctx: &serenity::Context, data: &Data, m: &Message) -> Result<(), Error> {
    let me = ctx.cache.current_user().id;
    if m.author.bot || m.guild_id != Some(data.guild) || !m.mentions.iter().any(|u| u.id == me) {
        return Ok(());
    }
    if m.content.trim_start().starts_with('!') {
        return Ok(());
    }
    let text = m.content.replace(&format!("<@{me}>"), "").replace(&format!("<@!{me}>"), "");
    let text = after_command_word(text.trim());
    let roles = m.member.as_ref().map(|pm| pm.roles.clone()).unwrap_or_default();
    let who = requester(&ctx.cache, data.guild, &m.author, &roles);
    let answer = data.assistant.handle(&who, if text.is_empty() { "help" } else { text }).await;
    m.channel_id.send_message(ctx, reply::message(&answer).reference_message(m)).await?;
    Ok(())
}

/// The request after a `maxis`, `!maxis` or `/maxis` written at its start (`@Shellia maxis @shop1
/// status` is the command `@shop1 status`).
pub(super) fn after_command_word(text: &str) -> &str {
    for word in ["!maxis", "/maxis", "maxis"] {
        let Some(rest) = text.get(..word.len()).filter(|w| w.eq_ignore_ascii_case(word)) else { continue };
        let rest = &text[rest.len()..];
        if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            return rest.trim();
        }
    }
    text
}

/// Confirm or Cancel: answered at once (Discord's 3 s), then the plan runs; its buttons are
/// taken off and the result follows. A member who may not confirm is told privately, and the
/// buttons stay for an admin.
pub(super) async fn handle(ctx: &serenity::Context, data: &Data, click: &ComponentInteraction) -> Result<(), Error> {
    let Some((verb, plan)) = reply::parse(&click.data.custom_id) else { return Ok(()) };
    click.create_response(ctx, CreateInteractionResponse::Acknowledge).await?;
    let roles = click.member.as_ref().map(|m| m.roles.clone()).unwrap_or_default();
    let who = requester(&ctx.cache, data.guild, &click.user, &roles);
    let answer = match verb {
        Verb::Confirm => data.assistant.confirm(&who, plan).await,
        Verb::Cancel => data.assistant.cancel(&who, plan).await,
    };
    let private = matches!(answer.outcome, Outcome::Refused(Refusal::NotAdmin));
    if !private {
        click.edit_response(ctx, EditInteractionResponse::new().components(vec![])).await?;
    }
    let followup = CreateInteractionResponseFollowup::new()
        .content(reply::content(&answer))
        .files(reply::files(&answer))
        .ephemeral(private);
    click.create_followup(ctx, followup).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::after_command_word;

    #[test]
    fn a_command_word_after_the_mention_is_taken_out_and_plain_language_is_kept() {
        assert_eq!(after_command_word("maxis @shop1 status"), "@shop1 status");
        assert_eq!(after_command_word("!maxis @shop1 status"), "@shop1 status");
        assert_eq!(after_command_word("/MAXIS status"), "status");
        assert_eq!(after_command_word("maxis"), "");
        assert_eq!(after_command_word("maxisshop status"), "maxisshop status");
        assert_eq!(after_command_word("état des boutiques aujourd'hui"), "état des boutiques aujourd'hui");
    }
}
