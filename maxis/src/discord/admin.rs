//! Admin commands for local management: `/giveaway …` and `/admin …`. Each runs as an order on
//! the same path as the fleet's (one transaction with its idempotency record and events),
//! issued by `discord:<user id>`. Who may: a configured admin role, or Administrator / Manage
//! Server, checked here in code.

use poise::serenity_prelude as serenity;
use serde_json::{json, Value};
use subjects::{Command, Order};

use super::{Context, Error};
use crate::execute::{self, ExecuteError};

/// The check every admin command runs first.
async fn is_admin(ctx: Context<'_>) -> Result<bool, Error> {
    let Some(member) = ctx.author_member().await else { return Ok(false) };
    let perms = member.permissions.unwrap_or_else(serenity::Permissions::empty);
    if perms.administrator() || perms.manage_guild() {
        return Ok(true);
    }
    Ok(member.roles.iter().any(|r| ctx.data().config.admin_roles.contains(r)))
}

/// Runs `action` with `params` as an order of this admin's, and answers with its result.
async fn order(ctx: Context<'_>, action: &str, params: Value) -> Result<(), Error> {
    let command = match Command::from_parts(action, params) {
        Ok(command) => command,
        Err(e) => {
            ctx.say(format!("❌ `{action}` refused: {e}")).await?;
            return Ok(());
        }
    };
    let order = Order::new(command, format!("discord:{}", ctx.author().id));
    let data = ctx.data();
    let commerce = &data.commerce;
    let text = match execute::execute(&commerce.store, &commerce.ctx, &order).await {
        Ok(reply) => {
            commerce.flush().await;
            data.signals.timers.notify_one();
            commerce.deliveries.notify_one();
            match reply.result.as_ref().and_then(|r| r.get("summary")).and_then(Value::as_array) {
                // `why` explains itself in sentences.
                Some(lines) => {
                    let lines: Vec<&str> = lines.iter().filter_map(Value::as_str).collect();
                    fit(lines.join("\n"))
                }
                None => {
                    let result = serde_json::to_string_pretty(&reply.result).unwrap_or_default();
                    format!("✅ `{action}` done.\n```json\n{}\n```", fit(result))
                }
            }
        }
        Err(ExecuteError::Rejected(e)) => format!("❌ `{action}` refused ({:?}): {}", e.code, e.message),
        Err(ExecuteError::Unexpected(e)) => return Err(e),
    };
    ctx.say(text).await?;
    Ok(())
}

/// Cuts a result to what fits in a Discord message (2,000 characters with the text around it),
/// on a character boundary: results carry names and prizes in any script.
fn fit(result: String) -> String {
    const ROOM: usize = 1800;
    match result.char_indices().nth(ROOM) {
        Some((cut, _)) => format!("{}…", &result[..cut]),
        None => result,
    }
}

/// Giveaways (admins): start one here, end it now, reroll, list.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("start", "end", "reroll", "list"),
    subcommand_required,
    default_member_permissions = "MANAGE_GUILD",
    check = "is_admin"
)]
pub async fn giveaway(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Start a giveaway in this channel: members enter with its Enter button.
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn start(
    ctx: Context<'_>,
    #[description = "What is won"] prize: String,
    #[description = "How many winners (default 1)"]
    #[min = 1]
    #[max = 50]
    winners: Option<u32>,
    #[description = "How long it runs, in hours (default 24)"]
    #[min = 1]
    #[max = 8760]
    hours: Option<u64>,
) -> Result<(), Error> {
    let params = json!({
        "prize": prize,
        "winners": winners.unwrap_or(1),
        "duration_secs": hours.unwrap_or(24) * 3600,
        "channel": ctx.channel_id().to_string(),
    });
    order(ctx, "giveaway", params).await
}

/// End a giveaway now and draw its winners.
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn end(ctx: Context<'_>, #[description = "Giveaway id"] id: String) -> Result<(), Error> {
    order(ctx, "giveaways", json!({"op": "end", "id": id.trim()})).await
}

/// Draw again: every winner, or only the one named.
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn reroll(
    ctx: Context<'_>,
    #[description = "Giveaway id"] id: String,
    #[description = "Replace only this winner"] winner: Option<serenity::User>,
) -> Result<(), Error> {
    let mut params = json!({"op": "reroll", "id": id.trim()});
    if let Some(w) = winner {
        params["replace"] = json!(w.id.to_string());
    }
    order(ctx, "giveaways", params).await
}

/// Every giveaway of the shop.
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn list(ctx: Context<'_>) -> Result<(), Error> {
    order(ctx, "giveaways", json!({"op": "list"})).await
}

/// Shop management (admins): status, settings, open, close, role resync.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("status", "config", "open", "close", "resync", "why", "grant", "ungrant"),
    default_member_permissions = "MANAGE_GUILD",
    subcommand_required,
    check = "is_admin"
)]
pub async fn admin(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// The shop's state: open or closed, promotions, giveaways, counts.
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn status(ctx: Context<'_>) -> Result<(), Error> {
    order(ctx, "status", json!({})).await
}

/// Read a setting, or change it (`announce.channel`, `price.pro`, `promo.max_discount`, …).
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn config(
    ctx: Context<'_>,
    #[description = "Setting key, e.g. announce.channel"] key: String,
    #[description = "New value (leave out to read it)"] value: Option<String>,
) -> Result<(), Error> {
    order(ctx, "config", json!({"key": key.trim(), "value": value})).await
}

/// Open the shop.
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn open(ctx: Context<'_>) -> Result<(), Error> {
    order(ctx, "start", json!({})).await
}

/// Close the shop; buyers see the reason.
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn close(ctx: Context<'_>, #[description = "Shown to buyers"] reason: Option<String>) -> Result<(), Error> {
    order(ctx, "stop", json!({"reason": reason})).await
}

/// Compare every member's paid roles with Discord now and fix only what differs.
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn resync(ctx: Context<'_>) -> Result<(), Error> {
    order(ctx, "resync", json!({})).await
}

/// Why a member has (or lacks) each role the shop manages: their purchases, refunds and grants.
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn why(ctx: Context<'_>, #[description = "The member"] member: serenity::User) -> Result<(), Error> {
    order(ctx, "why", json!({"member": member.id.to_string()})).await
}

/// Give a member a product's role by hand (kept whatever their payments say, until ungranted).
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn grant(
    ctx: Context<'_>,
    #[description = "The member"] member: serenity::User,
    #[description = "Product whose role to give, e.g. vip"] product: String,
) -> Result<(), Error> {
    order(ctx, "grant", json!({"member": member.id.to_string(), "product": product.trim()})).await
}

/// Take back a role given by hand with /admin grant (paid roles stay).
#[poise::command(slash_command, guild_only, ephemeral, check = "is_admin")]
async fn ungrant(
    ctx: Context<'_>,
    #[description = "The member"] member: serenity::User,
    #[description = "Product whose manual grant to take back"] product: String,
) -> Result<(), Error> {
    let params = json!({"member": member.id.to_string(), "product": product.trim(), "revoke": true});
    order(ctx, "grant", params).await
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn a_long_result_is_cut_on_a_character_boundary() {
        let prize = "é".repeat(1000) + &"🎉".repeat(1000);
        let cut = fit(prize.clone());
        assert_eq!(cut.chars().count(), 1801);
        assert!(cut.ends_with('…'));
        assert_eq!(fit("short".to_owned()), "short");
    }
}
