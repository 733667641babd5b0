//! `/gift @member <product or plan> [months]`: a member pays for another member's role product or
//! months of a plan (see [`crate::gifts`]); the payment link is the giver's alone.

use poise::serenity_prelude as serenity;

use super::{Context, Error};
use crate::commerce::webhook::money;

/// Give a plan (N months) or a role product to another member: you pay, they get it.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn gift(
    ctx: Context<'_>,
    #[description = "Who receives it"] member: serenity::User,
    #[description = "The plan or product id (see /shop)"] product: String,
    #[description = "Months of a plan (1 by default)"]
    #[min = 1]
    #[max = 24]
    months: Option<u32>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let giver = ctx.author().id.to_string();
    let recipient = member.id.to_string();
    let view = ctx.data().commerce.gift(&giver, &recipient, member.bot, product.trim(), months).await?;
    ctx.say(format!(
        "🎁 Pay {} here for your gift to <@{recipient}>: {}\nThey are told by DM once it is paid. The link works until <t:{}:t>.",
        money(view.amount_total, &view.currency),
        view.url,
        view.expires_at.timestamp()
    ))
    .await?;
    Ok(())
}
