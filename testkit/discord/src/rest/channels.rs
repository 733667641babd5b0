//! Channels and their messages (post as JSON or multipart, get, edit, delete, list), typing, and DM
//! channels (`POST /users/@me/channels`).

use serde_json::{json, Value};

use super::{id, Reply, Req};
use crate::messages::{self, NewMessage};
use crate::model;
use crate::state::{Channel, Shared, World};

pub(super) fn route(shared: &Shared, req: &Req, segments: &[&str]) -> Option<Reply> {
    let bot = req.bot?;
    if let ("POST", ["users", "@me", "channels"]) = (req.method.as_str(), segments) {
        return Some(open_dm(shared, bot, &req.body));
    }
    let ["channels", channel, rest @ ..] = segments else { return None };
    let Some(channel) = id(channel).filter(|c| shared.world().channels.contains_key(c)) else {
        return Some(Reply::error(404, 10003, "Unknown Channel"));
    };
    let reply = match (req.method.as_str(), rest) {
        ("GET", []) => {
            let world = shared.world();
            Reply::json(model::channel(&world, &world.channels[&channel]))
        }
        ("POST", ["typing"]) => Reply::no_content(),
        ("GET", ["messages"]) => {
            let limit = req.query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(50_usize);
            let world = shared.world();
            let newest_first = world.messages.iter().rev().filter(|m| m.channel_id == channel && !m.ephemeral());
            Reply::json(newest_first.take(limit).map(|m| model::message(&world, m, &m.content)).collect())
        }
        ("POST", ["messages"]) => post(shared, bot, channel, req),
        (method, ["messages", message]) => {
            let Some(message) =
                id(message).filter(|m| shared.world().message(*m).is_some_and(|m| m.channel_id == channel))
            else {
                return Some(Reply::error(404, 10008, "Unknown Message"));
            };
            match method {
                "GET" => {
                    let world = shared.world();
                    let stored = world.message(message).expect("checked above");
                    Reply::json(model::message(&world, stored, &stored.content))
                }
                "PATCH" => edit(shared, bot, message, req),
                "DELETE" => delete(shared, channel, message),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(reply)
}

/// `POST /channels/{id}/messages`: an empty message is refused with 50006, as Discord does.
fn post(shared: &Shared, bot: u64, channel: u64, req: &Req) -> Reply {
    if is_empty(&req.body) && req.files.is_empty() {
        return Reply::error(400, 50006, "Cannot send an empty message");
    }
    let id = shared.next_id();
    shared.update(|world| {
        let new = NewMessage { channel_id: channel, author_id: bot, kind: 0, webhook_id: None };
        let message = messages::create(world, id, new, &req.body, req.files.clone());
        Reply::json(model::message(world, &message, &message.content))
    })
}

fn edit(shared: &Shared, bot: u64, message: u64, req: &Req) -> Reply {
    if shared.world().message(message).is_some_and(|m| m.author_id != bot) {
        return Reply::error(403, 50005, "Cannot edit a message authored by another user");
    }
    shared.update(|world| match messages::edit(world, message, &req.body, req.files.clone()) {
        Some(edited) => Reply::json(model::message(world, &edited, &edited.content)),
        None => Reply::error(404, 10008, "Unknown Message"),
    })
}

fn delete(shared: &Shared, channel: u64, message: u64) -> Reply {
    shared.update(|world| {
        world.messages.retain(|m| m.id != message);
        let payload = json!({ "id": message.to_string(), "channel_id": channel.to_string(),
                              "guild_id": world.guild_id.to_string() });
        crate::gateway::dispatch_with_intent(world, 1 << 9, "MESSAGE_DELETE", &payload);
    });
    Reply::no_content()
}

/// Whether a message body has nothing to show.
pub(crate) fn is_empty(body: &Value) -> bool {
    let blank = |field: &str| body[field].as_array().is_none_or(Vec::is_empty);
    body["content"].as_str().is_none_or(str::is_empty) && blank("embeds") && blank("components") && blank("sticker_ids")
}

/// `POST /users/@me/channels {"recipient_id"}`: the bot's DM channel with that user (the same one each time).
fn open_dm(shared: &Shared, bot: u64, body: &Value) -> Reply {
    let recipient = body["recipient_id"].as_str().and_then(id).or_else(|| body["recipient_id"].as_u64());
    let Some(recipient) = recipient.filter(|u| shared.world().users.contains_key(u)) else {
        return Reply::error(400, 50035, "Invalid Form Body (recipient_id)");
    };
    let fresh = shared.next_id();
    shared.update(|world| {
        let existing = dm_channel(world, bot, recipient);
        let id = existing.unwrap_or(fresh);
        let channel =
            Channel { id, name: String::new(), position: 0, dm_recipient: Some(recipient), dm_bot: Some(bot) };
        let body = model::channel(world, &channel);
        world.channels.entry(id).or_insert(channel);
        Reply::json(body)
    })
}

/// The DM channel between `bot` and `user`, if one was opened.
pub(crate) fn dm_channel(world: &World, bot: u64, user: u64) -> Option<u64> {
    world.channels.values().find(|c| c.dm_recipient == Some(user) && c.dm_bot == Some(bot)).map(|c| c.id)
}
