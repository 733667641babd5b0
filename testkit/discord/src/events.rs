//! INTERACTION_CREATE payloads: the common envelope (guild member with permissions, or user in a DM), slash
//! command data with `resolved` entities, and the checks that options match the registered command.

use serde_json::{json, Map, Value};

use crate::model;
use crate::state::World;

/// Discord's limit for a bot's attachments, announced in every interaction.
const ATTACHMENT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;

/// The envelope shared by every interaction type.
pub(crate) fn envelope(world: &World, kind: u8, id: u64, token: &str, bot: u64, user: u64, channel: u64) -> Value {
    let application_id = world.bots[&bot].application_id;
    let in_guild = world.channels.get(&channel).is_some_and(|c| c.dm_recipient.is_none());
    let channel_json = world.channels.get(&channel).map(|c| model::channel(world, c)).unwrap_or(Value::Null);
    let mut payload = json!({
        "id": id.to_string(), "application_id": application_id.to_string(), "type": kind, "token": token,
        "version": 1, "channel_id": channel.to_string(), "channel": channel_json, "locale": "en-US",
        "entitlements": [], "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "app_permissions": model::permissions(world, bot).to_string(),
    });
    if in_guild {
        let member = world.members.get(&user).map(|m| model::member(world, m, true));
        payload["member"] = member.unwrap_or_else(|| panic!("fake Discord: user {user} is not a guild member"));
        payload["guild_id"] = json!(world.guild_id.to_string());
        payload["guild_locale"] = json!("en-US");
        payload["context"] = json!(0);
        payload["authorizing_integration_owners"] = json!({ "0": world.guild_id.to_string() });
    } else {
        payload["user"] = model::user(world, user);
        payload["context"] = json!(1);
        payload["authorizing_integration_owners"] = json!({ "0": world.guild_id.to_string() });
    }
    payload
}

/// Checks `given` options against the command's declared ones (panicking on an undeclared name, as Discord
/// would never send it), fills in each option's `type` from the declaration, and collects `resolved`.
pub(crate) fn options(world: &World, declared: &Value, given: &Value, resolved: &mut Map<String, Value>) -> Value {
    let declared = declared.as_array().cloned().unwrap_or_default();
    let given = given.as_array().cloned().unwrap_or_default();
    let checked = given.into_iter().map(|mut option| {
        let name = option["name"].as_str().unwrap_or_default().to_string();
        let Some(declaration) = declared.iter().find(|d| d["name"] == name) else {
            let names: Vec<&Value> = declared.iter().map(|d| &d["name"]).collect();
            panic!("fake Discord: option {name:?} is not declared by the command (declared: {names:?})");
        };
        if option["type"].is_null() {
            option["type"] = declaration["type"].clone();
        }
        match option["type"].as_u64() {
            Some(1 | 2) => {
                let nested = options(world, &declaration["options"], &option["options"], resolved);
                option["options"] = nested;
            }
            Some(kind @ 6..=9) => resolve(world, kind, &option["value"], resolved),
            _ => {}
        }
        option
    });
    Value::Array(checked.collect())
}

/// Adds a user, member, channel or role option's entity to `resolved`, as Discord does.
fn resolve(world: &World, kind: u64, value: &Value, resolved: &mut Map<String, Value>) {
    let Some(id) = value.as_str().and_then(|v| v.parse::<u64>().ok()).or_else(|| value.as_u64()) else { return };
    let mut put = |section: &str, entry: Value| {
        let table = resolved.entry(section).or_insert_with(|| json!({}));
        table[id.to_string()] = entry;
    };
    if matches!(kind, 6 | 9) && world.users.contains_key(&id) {
        put("users", model::user(world, id));
        if let Some(member) = world.members.get(&id) {
            let mut member = model::member(world, member, true);
            member.as_object_mut().map(|m| m.remove("user"));
            put("members", member);
        }
    }
    if matches!(kind, 8 | 9) {
        if let Some(role) = world.roles.get(&id) {
            put("roles", model::role(role, world.guild_id));
        }
    }
    if kind == 7 {
        if let Some(channel) = world.channels.get(&id) {
            let mut channel = model::channel(world, channel);
            channel["permissions"] = json!(model::ALL_PERMISSIONS.to_string());
            put("channels", channel);
        }
    }
}
