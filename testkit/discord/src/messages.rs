//! Messages: created from Discord's message bodies (REST posts, interaction responses, webhook edits, users),
//! edited, and dispatched as MESSAGE_CREATE / MESSAGE_UPDATE with Discord's intent rules.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::gateway;
use crate::model;
use crate::state::World;

/// GUILD_MESSAGES: messages in guild channels.
const INTENT_GUILD_MESSAGES: u64 = 1 << 9;
/// DIRECT_MESSAGES: messages in DM channels.
const INTENT_DIRECT_MESSAGES: u64 = 1 << 12;
/// MESSAGE_CONTENT (privileged): content of messages that neither mention the bot nor come from it.
const INTENT_MESSAGE_CONTENT: u64 = 1 << 15;
/// EPHEMERAL message flag: only the interaction's user sees it, no gateway event.
pub(crate) const FLAG_EPHEMERAL: u64 = 1 << 6;

/// A message as the fake stores it.
#[derive(Clone, Debug)]
pub struct Message {
    pub id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    pub content: String,
    /// The `embeds` array as sent (`[]` when none).
    pub embeds: Value,
    /// The `components` array (action rows) as sent (`[]` when none).
    pub components: Value,
    /// Message flags: 64 ephemeral, 128 loading (a deferred interaction's placeholder).
    pub flags: u64,
    /// Files attached: (filename, bytes).
    pub attachments: Vec<(String, Vec<u8>)>,
    /// Users mentioned with `<@id>` or `<@!id>`.
    pub mentions: Vec<u64>,
    /// Roles mentioned with `<@&id>`.
    pub mention_roles: Vec<u64>,
    pub mention_everyone: bool,
    /// Discord's message type: 0 default, 20 a slash command's response.
    pub kind: u8,
    /// The application id for messages sent through an interaction's webhook.
    pub webhook_id: Option<u64>,
    pub timestamp: DateTime<Utc>,
    pub edited_timestamp: Option<DateTime<Utc>>,
}

impl Message {
    /// The custom ids of the message's buttons and select menus, in order.
    pub fn custom_ids(&self) -> Vec<String> {
        let rows = self.components.as_array().into_iter().flatten();
        let components = rows.flat_map(|row| row["components"].as_array().into_iter().flatten());
        components.filter_map(|c| c["custom_id"].as_str().map(str::to_string)).collect()
    }

    /// The component with this custom id, if the message has it.
    pub(crate) fn component(&self, custom_id: &str) -> Option<Value> {
        let rows = self.components.as_array().into_iter().flatten();
        let mut components = rows.flat_map(|row| row["components"].as_array().into_iter().flatten());
        components.find(|c| c["custom_id"] == custom_id).cloned()
    }

    pub(crate) fn ephemeral(&self) -> bool {
        self.flags & FLAG_EPHEMERAL != 0
    }
}

/// What a message is made of, before it gets an id and a place.
pub(crate) struct NewMessage {
    pub channel_id: u64,
    pub author_id: u64,
    pub kind: u8,
    pub webhook_id: Option<u64>,
}

/// Creates a message from a Discord message body (`content`, `embeds`, `components`, `flags`) and the
/// multipart files, stores it and dispatches MESSAGE_CREATE unless ephemeral. Returns the message.
pub(crate) fn create(
    world: &mut World,
    id: u64,
    new: NewMessage,
    body: &Value,
    files: Vec<(String, Vec<u8>)>,
) -> Message {
    let content = body["content"].as_str().unwrap_or_default().to_string();
    let (mentions, mention_roles) = parse_mentions(&content);
    let message = Message {
        id,
        channel_id: new.channel_id,
        author_id: new.author_id,
        mention_everyone: content.contains("@everyone"),
        content,
        embeds: array_or_empty(&body["embeds"]),
        components: array_or_empty(&body["components"]),
        flags: body["flags"].as_u64().unwrap_or(0),
        attachments: files,
        mentions,
        mention_roles,
        kind: new.kind,
        webhook_id: new.webhook_id,
        timestamp: Utc::now(),
        edited_timestamp: None,
    };
    world.messages.push(message.clone());
    announce(world, &message, "MESSAGE_CREATE");
    message
}

/// Applies an edit body: fields present replace the stored ones; new files are appended to the attachments
/// the body's `attachments` array keeps (all of them when the body has no such array).
pub(crate) fn edit(world: &mut World, id: u64, body: &Value, files: Vec<(String, Vec<u8>)>) -> Option<Message> {
    let message = world.message_mut(id)?;
    if let Some(content) = body["content"].as_str() {
        content.clone_into(&mut message.content);
        (message.mentions, message.mention_roles) = parse_mentions(content);
    }
    for (field, slot) in [("embeds", &mut message.embeds), ("components", &mut message.components)] {
        if !body[field].is_null() {
            *slot = array_or_empty(&body[field]);
        }
    }
    if let Some(kept) = body["attachments"].as_array() {
        let kept_ids: Vec<String> = kept.iter().map(|a| a["id"].to_string().trim_matches('"').to_string()).collect();
        let base = message.id;
        let mut index = 0_u64;
        message.attachments.retain(|_| {
            index += 1;
            kept_ids.contains(&(base + index - 1).to_string())
        });
    }
    message.attachments.extend(files);
    message.flags &= !(1 << 7); // an edit ends a deferred response's loading state
    message.edited_timestamp = Some(Utc::now());
    let message = message.clone();
    announce(world, &message, "MESSAGE_UPDATE");
    Some(message)
}

/// Dispatches a message event to the bots that may see it, with content only where Discord gives it.
fn announce(world: &mut World, message: &Message, event: &str) {
    if message.ephemeral() {
        return;
    }
    let Some(channel) = world.channels.get(&message.channel_id) else { return };
    let (dm_bot, intent) = match channel.dm_recipient {
        Some(_) => (channel.dm_bot, INTENT_DIRECT_MESSAGES),
        None => (None, INTENT_GUILD_MESSAGES),
    };
    let bots: Vec<(u64, u64)> = world
        .sessions
        .iter()
        .filter(|(bot, s)| s.intents & intent != 0 && dm_bot.is_none_or(|dm| dm == **bot))
        .map(|(bot, s)| (*bot, s.intents))
        .collect();
    for (bot, intents) in bots {
        let sees_content = intents & INTENT_MESSAGE_CONTENT != 0
            || dm_bot.is_some()
            || message.author_id == bot
            || message.mentions.contains(&bot);
        let content = if sees_content { message.content.as_str() } else { "" };
        let mut payload = model::message(world, message, content);
        if !sees_content {
            payload["embeds"] = json!([]);
            payload["attachments"] = json!([]);
            payload["components"] = json!([]);
        }
        gateway::dispatch(world, bot, event, &payload);
    }
}

fn array_or_empty(value: &Value) -> Value {
    if value.is_array() {
        value.clone()
    } else {
        json!([])
    }
}

/// Users (`<@id>`, `<@!id>`) and roles (`<@&id>`) mentioned in `content`.
pub(crate) fn parse_mentions(content: &str) -> (Vec<u64>, Vec<u64>) {
    let (mut users, mut roles) = (Vec::new(), Vec::new());
    for piece in content.split("<@").skip(1) {
        let Some((inner, _)) = piece.split_once('>') else { continue };
        if let Some(role) = inner.strip_prefix('&').and_then(|r| r.parse().ok()) {
            roles.push(role);
        } else if let Ok(user) = inner.trim_start_matches('!').parse() {
            if !users.contains(&user) {
                users.push(user);
            }
        }
    }
    (users, roles)
}
