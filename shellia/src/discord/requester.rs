//! Who is asking, as the assistant's policy needs it: the member's roles, and whether Discord
//! gives them Administrator or Manage Server (computed from the cached guild's roles).

use poise::serenity_prelude as serenity;
use serenity::{Cache, GuildId, Permissions, RoleId, UserId};

use super::Context;
use crate::assistant::Requester;

/// The requester behind a member's roles in `guild`.
pub(super) fn requester(cache: &Cache, guild: GuildId, user: &serenity::User, roles: &[RoleId]) -> Requester {
    Requester {
        id: format!("discord:{}", user.id),
        name: user.name.clone(),
        roles: roles.iter().map(|r| r.get()).collect(),
        admin_permission: is_manager(cache, guild, user.id, roles),
        console: false,
    }
}

/// The owner, or a member whose roles (or @everyone) grant Administrator or Manage Server.
fn is_manager(cache: &Cache, guild: GuildId, user: UserId, roles: &[RoleId]) -> bool {
    let Some(g) = cache.guild(guild) else { return false };
    if g.owner_id == user {
        return true;
    }
    let everyone = RoleId::new(guild.get());
    let perms = roles
        .iter()
        .chain(std::iter::once(&everyone))
        .filter_map(|r| g.roles.get(r))
        .fold(Permissions::empty(), |acc, role| acc | role.permissions);
    perms.administrator() || perms.manage_guild()
}

/// The requester of a command.
pub(super) async fn of_context(ctx: Context<'_>) -> Requester {
    let roles = match ctx.author_member().await {
        Some(m) => m.roles.clone(),
        None => vec![],
    };
    requester(ctx.cache(), ctx.data().guild, ctx.author(), &roles)
}
