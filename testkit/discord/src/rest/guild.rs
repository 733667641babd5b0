//! The guild, its roles, channels and members, and member role changes with Discord's hierarchy rule: a bot
//! may only grant or remove roles below its own highest role, and needs MANAGE_ROLES (else 403 code 50013).

use serde_json::{json, Value};

use super::{id, Reply, Req};
use crate::gateway;
use crate::model;
use crate::state::{Shared, World};
use crate::world::INTENT_GUILD_MEMBERS;

/// MANAGE_ROLES.
const MANAGE_ROLES: u64 = 1 << 28;

pub(super) fn route(shared: &Shared, req: &Req, segments: &[&str]) -> Option<Reply> {
    let bot = req.bot?;
    let ["guilds", guild, rest @ ..] = segments else { return None };
    if id(guild) != Some(shared.world().guild_id) {
        return Some(Reply::error(404, 10004, "Unknown Guild"));
    }
    let world = || shared.world();
    let reply = match (req.method.as_str(), rest) {
        ("GET", []) => Reply::json(model::guild(&world(), None)),
        ("GET", ["roles"]) => {
            let world = world();
            Reply::json(world.roles.values().map(|r| model::role(r, world.guild_id)).collect())
        }
        ("GET", ["channels"]) => {
            let world = world();
            let guild_channels = world.channels.values().filter(|c| c.dm_recipient.is_none());
            Reply::json(guild_channels.map(|c| model::channel(&world, c)).collect())
        }
        ("GET", ["members"]) => {
            let limit = req.query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(1_usize);
            let after = req.query.get("after").and_then(|a| id(a)).unwrap_or(0);
            let world = world();
            let members = world.members.range(after + 1..).take(limit);
            Reply::json(members.map(|(_, m)| model::member(&world, m, false)).collect())
        }
        ("GET", ["members", user]) => {
            let world = world();
            match id(user).and_then(|u| world.members.get(&u)) {
                Some(member) => Reply::json(model::member(&world, member, false)),
                None => Reply::error(404, 10007, "Unknown Member"),
            }
        }
        (method @ ("PUT" | "DELETE"), ["members", user, "roles", role]) => {
            let (Some(user), Some(role)) = (id(user), id(role)) else { return Some(Reply::not_found()) };
            shared.update(|world| change_role(world, bot, user, role, method == "PUT"))
        }
        _ => return None,
    };
    Some(reply)
}

/// `PUT|DELETE /guilds/{g}/members/{u}/roles/{r}`: 204 and GUILD_MEMBER_UPDATE, or Discord's error.
fn change_role(world: &mut World, bot: u64, user: u64, role: u64, add: bool) -> Reply {
    if !world.members.contains_key(&user) {
        return Reply::error(404, 10007, "Unknown Member");
    }
    let Some(position) = world.roles.get(&role).map(|r| r.position) else {
        return Reply::error(404, 10011, "Unknown Role");
    };
    let manages_roles = model::permissions(world, bot) & MANAGE_ROLES != 0;
    if !manages_roles || (world.owner_id != bot && position >= world.highest_position(bot)) {
        return Reply::error(403, 50013, "Missing Permissions");
    }
    let mut roles = world.members[&user].roles.clone();
    let has = roles.contains(&role);
    if add && !has {
        roles.push(role);
    } else if !add && has {
        roles.retain(|r| *r != role);
    } else {
        return Reply::no_content();
    }
    set_roles(world, user, roles);
    Reply::no_content()
}

/// Replaces a member's roles and dispatches GUILD_MEMBER_UPDATE to the bots with the GUILD_MEMBERS intent.
pub(crate) fn set_roles(world: &mut World, user: u64, roles: Vec<u64>) {
    let Some(member) = world.members.get_mut(&user) else { return };
    member.roles = roles;
    let member = model::member(world, &world.members[&user], false);
    gateway::dispatch_with_intent(world, INTENT_GUILD_MEMBERS, "GUILD_MEMBER_UPDATE", &member);
}

/// Removes a member and dispatches GUILD_MEMBER_REMOVE (`guild_id` and `user`, as Discord sends it).
pub(crate) fn member_removed(world: &mut World, user: u64) {
    if world.members.remove(&user).is_none() {
        return;
    }
    let payload = json!({"guild_id": world.guild_id.to_string(), "user": model::user(world, user)});
    gateway::dispatch_with_intent(world, INTENT_GUILD_MEMBERS, "GUILD_MEMBER_REMOVE", &payload);
}

/// GUILD_MEMBER_ADD for a member that just joined.
pub(crate) fn member_added(world: &mut World, user: u64) {
    let Some(member) = world.members.get(&user) else { return };
    let mut payload: Value = model::member(world, member, false);
    payload["guild_id"] = json!(world.guild_id.to_string());
    gateway::dispatch_with_intent(world, INTENT_GUILD_MEMBERS, "GUILD_MEMBER_ADD", &payload);
}
