//! The bot's own user and application, the gateway URL, and application command registration (global and
//! guild, bulk overwrite with `PUT`, one command with `POST`, listing with `GET`).

use serde_json::{json, Value};

use super::{id, Reply, Req};
use crate::model;
use crate::state::{Shared, World};

pub(super) fn route(shared: &Shared, req: &Req, segments: &[&str]) -> Option<Reply> {
    let bot = req.bot?;
    let reply = match (req.method.as_str(), segments) {
        ("GET", ["users", "@me"]) => {
            let world = shared.world();
            let mut user = model::user(&world, bot);
            user["verified"] = json!(true);
            user["mfa_enabled"] = json!(false);
            Reply::json(user)
        }
        ("GET", ["users", user]) => match id(user).filter(|u| shared.world().users.contains_key(u)) {
            Some(user) => Reply::json(model::user(&shared.world(), user)),
            None => Reply::error(404, 10013, "Unknown User"),
        },
        ("GET", ["oauth2", "applications", "@me"]) => Reply::json(application(&shared.world(), bot)),
        ("GET", ["gateway"]) => Reply::json(json!({ "url": gateway_url(shared) })),
        ("GET", ["gateway", "bot"]) => Reply::json(json!({
            "url": gateway_url(shared), "shards": 1,
            "session_start_limit": { "total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1 },
        })),
        (method, ["applications", app, "commands", rest @ ..]) => commands(shared, req, bot, app, None, method, rest)?,
        (method, ["applications", app, "guilds", guild, "commands", rest @ ..]) => {
            commands(shared, req, bot, app, Some(guild), method, rest)?
        }
        _ => return None,
    };
    Some(reply)
}

fn gateway_url(shared: &Shared) -> String {
    format!("ws://127.0.0.1:{}/gateway", shared.port)
}

/// `GET /oauth2/applications/@me`: the bot's application, owned by the guild owner.
fn application(world: &World, bot: u64) -> Value {
    let app = world.bots[&bot].application_id;
    let name = world.users.get(&bot).map(|u| u.name.clone()).unwrap_or_default();
    json!({
        "id": app.to_string(), "name": name, "icon": null, "description": "", "rpc_origins": [], "bot_public": true,
        "bot_require_code_grant": false, "owner": model::user(world, world.owner_id), "verify_key": "00".repeat(32),
        "team": null, "flags": 0, "bot": model::user(world, bot), "redirect_uris": [],
        "interactions_endpoint_url": null, "role_connections_verification_url": null, "tags": [],
        "approximate_guild_count": 1, "integration_types_config": {},
    })
}

fn commands(
    shared: &Shared,
    req: &Req,
    bot: u64,
    app: &str,
    guild: Option<&str>,
    method: &str,
    rest: &[&str],
) -> Option<Reply> {
    let world_guild = shared.world().guild_id;
    let app_id = shared.world().bots[&bot].application_id;
    if id(app) != Some(app_id) || guild.is_some_and(|g| id(g) != Some(world_guild)) {
        return Some(Reply::error(403, 50001, "Missing Access"));
    }
    let guild = guild.map(|_| world_guild);
    let reply = match (method, rest) {
        ("GET", []) => Reply::json(Value::Array(list(&shared.world(), bot, guild).clone())),
        ("PUT", []) => {
            let Some(new) = req.body.as_array() else { return Some(Reply::error(400, 50035, "Invalid Form Body")) };
            let stored: Vec<Value> = new.iter().map(|c| stored(shared, bot, guild, c)).collect();
            shared.update(|world| *list_mut(world, bot, guild) = stored.clone());
            Reply::json(Value::Array(stored))
        }
        ("POST", []) => {
            let command = stored(shared, bot, guild, &req.body);
            shared.update(|world| {
                let list = list_mut(world, bot, guild);
                list.retain(|c| c["name"] != command["name"]);
                list.push(command.clone());
            });
            Reply { status: 201, body: Some(command) }
        }
        ("DELETE", [command]) => {
            shared.update(|world| list_mut(world, bot, guild).retain(|c| c["id"] != *command));
            Reply::no_content()
        }
        _ => return None,
    };
    Some(reply)
}

fn list(world: &World, bot: u64, guild: Option<u64>) -> &Vec<Value> {
    let record = &world.bots[&bot];
    if guild.is_some() {
        &record.guild_commands
    } else {
        &record.global_commands
    }
}

fn list_mut(world: &mut World, bot: u64, guild: Option<u64>) -> &mut Vec<Value> {
    let record = world.bots.get_mut(&bot).expect("an authenticated bot has a record");
    if guild.is_some() {
        &mut record.guild_commands
    } else {
        &mut record.global_commands
    }
}

/// A command as Discord stores it: the body plus `id` (kept across overwrites of the same name),
/// `application_id`, `version`, `guild_id` and the defaults of the fields left out.
fn stored(shared: &Shared, bot: u64, guild: Option<u64>, body: &Value) -> Value {
    let existing =
        list(&shared.world(), bot, guild).iter().find(|c| c["name"] == body["name"]).map(|c| c["id"].clone());
    let id = existing.unwrap_or_else(|| json!(shared.next_id().to_string()));
    let application_id = shared.world().bots[&bot].application_id;
    let mut command = json!({
        "type": 1, "description": "", "options": [], "default_member_permissions": null, "nsfw": false,
        "integration_types": [0], "contexts": null, "name_localizations": null, "description_localizations": null,
    });
    if let (Some(out), Some(fields)) = (command.as_object_mut(), body.as_object()) {
        out.extend(fields.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())));
    }
    command["id"] = id;
    command["application_id"] = json!(application_id.to_string());
    command["version"] = json!(shared.next_id().to_string());
    command["guild_id"] = guild.map_or(Value::Null, |g| json!(g.to_string()));
    command
}

/// The bot's commands, global then guild ones.
pub(crate) fn registered(world: &World, bot: u64) -> Vec<Value> {
    world
        .bots
        .get(&bot)
        .map(|b| b.global_commands.iter().chain(&b.guild_commands).cloned().collect())
        .unwrap_or_default()
}
