//! Interaction callbacks (`POST /interactions/{id}/{token}/callback`) and the interaction's webhook
//! (`@original` and follow-ups under `/webhooks/{application}/{token}`). Both authenticate with the token in
//! the path, as on Discord. A second callback answers 40060 "Interaction has already been acknowledged".

use std::time::Instant;

use super::channels::is_empty;
use super::{id, Reply, Req};
use crate::messages::{self, NewMessage, FLAG_EPHEMERAL};
use crate::model;
use crate::state::{InteractionRecord, Shared, World};
use crate::InteractionResponse;

/// LOADING message flag: the placeholder a deferred response (type 5) shows until it is edited.
const FLAG_LOADING: u64 = 1 << 7;

pub(super) fn route(shared: &Shared, req: &Req, segments: &[&str]) -> Option<Reply> {
    let reply = match (req.method.as_str(), segments) {
        ("POST", ["interactions", interaction, token, "callback"]) => callback(shared, req, interaction, token),
        (method, ["webhooks", app, token, rest @ ..]) => {
            let found = shared.world().interaction_by_token(token).map(|i| (i.id, i.bot_user_id));
            let app_matches =
                |bot: u64| shared.world().bots.get(&bot).is_some_and(|b| id(app) == Some(b.application_id));
            let Some((interaction, _)) = found.filter(|(_, bot)| app_matches(*bot)) else {
                return Some(Reply::error(404, 10015, "Unknown Webhook"));
            };
            webhook(shared, req, interaction, method, rest)?
        }
        _ => return None,
    };
    Some(reply)
}

fn callback(shared: &Shared, req: &Req, interaction: &str, token: &str) -> Reply {
    let at = Instant::now();
    let world = shared.world();
    let known = id(interaction).and_then(|i| world.interactions.get(&i)).filter(|i| i.token == token);
    let Some(record) = known else { return Reply::error(404, 10062, "Unknown interaction") };
    if record.response.is_some() {
        return Reply::error(400, 40060, "Interaction has already been acknowledged.");
    }
    let kind = u8::try_from(req.body["type"].as_u64().unwrap_or(0)).unwrap_or(0);
    let data = req.body["data"].clone();
    if kind == 4 && is_empty(&data) && req.files.is_empty() {
        return Reply::error(400, 50006, "Cannot send an empty message");
    }
    let (interaction, elapsed) = (record.id, at - record.dispatched_at);
    drop(world);
    let message_id = shared.next_id();
    shared.update(|world| {
        let record = world.interactions.get_mut(&interaction).expect("found above");
        let response = InteractionResponse { kind, data: data.clone(), elapsed, attachments: req.files.clone() };
        record.response = Some(response);
        let (bot, channel, source) = (record.bot_user_id, record.channel_id, record.source_message);
        let files = req.files.clone();
        match kind {
            4 | 5 => {
                let mut body = data.clone();
                if kind == 5 {
                    let ephemeral = data["flags"].as_u64().unwrap_or(0) & FLAG_EPHEMERAL;
                    body = serde_json::json!({ "flags": ephemeral | FLAG_LOADING });
                }
                let command_kind = if source.is_some() { 0 } else { 20 };
                let app = world.bots[&bot].application_id;
                let new = NewMessage { channel_id: channel, author_id: bot, kind: command_kind, webhook_id: Some(app) };
                messages::create(world, message_id, new, &body, files);
                set(world, interaction, |r| {
                    r.original = Some(message_id);
                    r.final_message = (kind == 4).then_some(message_id);
                });
            }
            6 => set(world, interaction, |r| r.original = source),
            7 => {
                if let Some(source) = source {
                    messages::edit(world, source, &data, files);
                }
                set(world, interaction, |r| (r.original, r.final_message) = (source, source));
            }
            _ => {}
        }
    });
    Reply::no_content()
}

fn set(world: &mut World, interaction: u64, change: impl FnOnce(&mut InteractionRecord)) {
    if let Some(record) = world.interactions.get_mut(&interaction) {
        change(record);
    }
}

/// The interaction's webhook: `@original` (GET, PATCH, DELETE), follow-ups (POST) and follow-up messages.
fn webhook(shared: &Shared, req: &Req, interaction: u64, method: &str, rest: &[&str]) -> Option<Reply> {
    let record = |world: &World| {
        let r = &world.interactions[&interaction];
        (r.bot_user_id, r.channel_id, r.original, r.response.is_some())
    };
    let (bot, channel, original, acknowledged) = record(&shared.world());
    let target = match rest {
        [] => None,
        ["messages", "@original"] => Some(original),
        ["messages", message] => {
            Some(id(message).filter(|m| shared.world().interactions[&interaction].followups.contains(m)))
        }
        _ => return None,
    };
    let reply = match (method, target) {
        ("POST", None) if !acknowledged => Reply::error(404, 10015, "Unknown Webhook"),
        ("POST", None) => {
            if is_empty(&req.body) && req.files.is_empty() {
                return Some(Reply::error(400, 50006, "Cannot send an empty message"));
            }
            let loading = original.filter(|o| shared.world().message(*o).is_some_and(|m| m.flags & FLAG_LOADING != 0));
            if let Some(original) = loading {
                // The first follow-up after a deferred response replaces the loading message and keeps the
                // deferral's ephemeral flag, as on Discord.
                return Some(shared.update(|world| {
                    let edited = messages::edit(world, original, &req.body, req.files.clone()).expect("checked above");
                    set(world, interaction, |r| {
                        r.followups.push(original);
                        r.final_message = Some(original);
                    });
                    Reply::json(model::message(world, &edited, &edited.content))
                }));
            }
            let message_id = shared.next_id();
            shared.update(|world| {
                let app = world.bots[&bot].application_id;
                let new = NewMessage { channel_id: channel, author_id: bot, kind: 0, webhook_id: Some(app) };
                let message = messages::create(world, message_id, new, &req.body, req.files.clone());
                set(world, interaction, |r| {
                    r.followups.push(message_id);
                    r.final_message = Some(message_id);
                });
                Reply::json(model::message(world, &message, &message.content))
            })
        }
        (_, Some(None)) => Reply::error(404, 10008, "Unknown Message"),
        ("GET", Some(Some(message))) => {
            let world = shared.world();
            let stored = world.message(message).map(|m| model::message(&world, m, &m.content));
            stored.map_or_else(|| Reply::error(404, 10008, "Unknown Message"), Reply::json)
        }
        ("PATCH", Some(Some(message))) => shared.update(|world| {
            let Some(edited) = messages::edit(world, message, &req.body, req.files.clone()) else {
                return Reply::error(404, 10008, "Unknown Message");
            };
            set(world, interaction, |r| r.final_message = Some(message));
            Reply::json(model::message(world, &edited, &edited.content))
        }),
        ("DELETE", Some(Some(message))) => shared.update(|world| {
            world.messages.retain(|m| m.id != message);
            Reply::no_content()
        }),
        _ => return None,
    };
    Some(reply)
}
