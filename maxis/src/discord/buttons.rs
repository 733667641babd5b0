//! Buttons under shop messages: Buy, Add to cart, Enter (a giveaway).

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, CreateInteractionResponse, CreateInteractionResponseMessage, EditInteractionResponse, Member,
};

use super::shop::pay_text;
use super::Data;
use crate::domain::giveaway::MemberInfo;
use crate::members::ButtonAction;

/// What the shop knows of a member from Discord: id, roles, join date.
pub(super) fn member_info(
    user: serenity::UserId,
    roles: &[serenity::RoleId],
    joined_at: Option<serenity::Timestamp>,
) -> MemberInfo {
    MemberInfo {
        id: user.to_string(),
        roles: roles.iter().map(ToString::to_string).collect(),
        joined_at: joined_at.and_then(|t| DateTime::<Utc>::from_timestamp(t.unix_timestamp(), 0)),
    }
}

fn of_member(user: serenity::UserId, member: Option<&Member>) -> MemberInfo {
    match member {
        Some(m) => member_info(user, &m.roles, m.joined_at),
        None => member_info(user, &[], None),
    }
}

/// Answers a button of the shop's; other buttons are left alone.
pub(super) async fn handle(ctx: &serenity::Context, data: &Data, click: &ComponentInteraction) -> anyhow::Result<()> {
    let Some(action) = ButtonAction::parse(&click.data.custom_id) else { return Ok(()) };
    let buyer = click.user.id.to_string();
    let commerce = &data.commerce;
    match action {
        ButtonAction::Buy(product) => {
            // Stripe may take a while: defer first (Discord wants an answer within 3 s).
            let defer = CreateInteractionResponseMessage::new().ephemeral(true);
            click.create_response(ctx, CreateInteractionResponse::Defer(defer)).await?;
            let text = match commerce.buy(&buyer, &product).await {
                Ok(view) => pay_text(&view),
                Err(e) => {
                    e.log("buy");
                    format!("❌ {e}")
                }
            };
            click.edit_response(ctx, EditInteractionResponse::new().content(text)).await?;
        }
        ButtonAction::AddToCart(product) => {
            let text = match commerce.add_to_cart(&buyer, &product, 1).await {
                Ok(n) => format!("🛒 You have {n} × `{product}` in your cart. `/checkout` to pay."),
                Err(e) => {
                    e.log("add to cart");
                    format!("❌ {e}")
                }
            };
            reply(ctx, click, text).await?;
        }
        ButtonAction::EnterGiveaway(giveaway) => {
            let member = of_member(click.user.id, click.member.as_ref());
            let text = match commerce.enter_giveaway(&giveaway, &member, Utc::now()).await {
                Ok(e) if e.new => format!(
                    "🎟️ You are in, with {} entr{}. Good luck!",
                    e.weight,
                    if e.weight == 1 { "y" } else { "ies" }
                ),
                Ok(_) => "You are already in this giveaway.".to_owned(),
                Err(e) => {
                    if let crate::engagement::EnterError::Unexpected(cause) = &e {
                        tracing::error!(error.cause_chain = ?cause, "Failed to enter a member in a giveaway");
                    }
                    format!("❌ {e}")
                }
            };
            reply(ctx, click, text).await?;
        }
    }
    if let Err(e) = commerce.touch(&of_member(click.user.id, click.member.as_ref()), Utc::now()).await {
        tracing::warn!(error.message = %e, "Failed to record activity");
    }
    Ok(())
}

async fn reply(ctx: &serenity::Context, click: &ComponentInteraction, text: String) -> serenity::Result<()> {
    let message = CreateInteractionResponseMessage::new().content(text).ephemeral(true);
    click.create_response(ctx, CreateInteractionResponse::Message(message)).await
}
