//! Gateway events: buttons, members joining (milestone giveaways, paid roles back), members whose
//! roles changed or who left (the reconciler compares them with the ledger), and activity.

use chrono::Utc;
use poise::serenity_prelude as serenity;
use serenity::{FullEvent, Interaction};

use super::buttons::{self, member_info};
use super::{Data, Error};

/// Handles one gateway event.
pub(super) async fn handle(fw: poise::FrameworkContext<'_, Data, Error>, event: &FullEvent) -> Result<(), Error> {
    let (ctx, data) = (fw.serenity_context, fw.user_data);
    match event {
        FullEvent::InteractionCreate { interaction: Interaction::Component(click) } => {
            let handled = buttons::handle(ctx, data, click).await;
            answered(data, click.id.get());
            handled?;
        }
        FullEvent::GuildMemberAddition { new_member } if new_member.guild_id == data.config.guild => {
            data.commerce.member_joined(&new_member.user.id.to_string()).await?;
            data.commerce
                .touch(&member_info(new_member.user.id, &new_member.roles, new_member.joined_at), Utc::now())
                .await?;
            let count = ctx.cache.guild(data.config.guild).map(|g| g.member_count);
            if let Some(count) = count {
                for g in data.commerce.members_changed(count, Utc::now()).await? {
                    tracing::info!(giveaway = %g.id, members = count, "milestone reached: giveaway opened");
                }
            }
        }
        FullEvent::GuildMemberUpdate { event, .. } if event.guild_id == data.config.guild && !event.user.bot => {
            let roles: Vec<String> = event.roles.iter().map(ToString::to_string).collect();
            data.commerce.member_changed(&event.user.id.to_string(), &roles).await?;
        }
        FullEvent::GuildMemberRemoval { guild_id, user, .. } if *guild_id == data.config.guild => {
            data.commerce.member_left(&user.id.to_string()).await?;
        }
        FullEvent::Message { new_message: m } if !m.author.bot && m.guild_id == Some(data.config.guild) => {
            let (roles, joined_at) = m.member.as_ref().map_or((&[][..], None), |pm| (&pm.roles[..], pm.joined_at));
            data.commerce.touch(&member_info(m.author.id, roles, joined_at), Utc::now()).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Discord's epoch (2015-01-01) in Unix milliseconds: snowflakes count from it.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Records how long after its creation (the timestamp in the interaction's snowflake id, on
/// Discord's clock) an interaction was handled: its answer went out at or before this.
pub(super) fn answered(data: &Data, interaction_id: u64) {
    let created_ms = (interaction_id >> 22) + DISCORD_EPOCH_MS;
    let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or_default();
    data.commerce.metrics.interaction_answered(std::time::Duration::from_millis(now_ms.saturating_sub(created_ms)));
}
