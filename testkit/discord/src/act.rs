//! Acting as users: messages, slash commands, button clicks, joins and role changes, dispatched over the
//! gateway to the connected bots in Discord's shapes.

use std::time::Instant;

use chrono::Utc;
use serde_json::{json, Map, Value};

use crate::messages::{self, NewMessage};
use crate::rest::{guild, registered_commands};
use crate::state::{InteractionRecord, Member, User, World};
use crate::{events, gateway, model, Bot, FakeDiscord, Interaction};

impl FakeDiscord {
    /// `author` posts `content` in `channel` (a guild channel, or a DM channel with a bot): MESSAGE_CREATE
    /// goes to the bots that may see it, with content only for those with the MESSAGE_CONTENT intent, the
    /// bots mentioned, and in DMs. Returns the message id.
    pub async fn send_message(&self, channel: u64, author: u64, content: &str) -> u64 {
        let id = self.shared().next_id();
        self.shared().update(|world| {
            assert!(world.channels.contains_key(&channel), "fake Discord: no channel {channel}");
            let new = NewMessage { channel_id: channel, author_id: author, kind: 0, webhook_id: None };
            messages::create(world, id, new, &json!({ "content": content }), Vec::new());
        });
        id
    }

    /// `user` runs the bot's slash command `name` in `channel` with Discord's `options` array (subcommands
    /// nested; an option's `type` may be left out, it is taken from the registration). Returns the
    /// interaction to await the bot's answer.
    ///
    /// # Panics
    /// When the bot never registered `name`, an option is not declared, the bot is not connected, or
    /// the command's `default_member_permissions` hide it from `user` (Discord never shows it to a
    /// member without those permissions): tests must see a missing registration or a hidden command.
    pub async fn slash_command(&self, bot: &Bot, user: u64, channel: u64, name: &str, options: Value) -> Interaction {
        let (id, token) = self.new_interaction();
        self.shared().update(|world| {
            let commands = registered_commands(world, bot.user_id);
            let Some(command) = commands.iter().find(|c| c["name"] == name) else {
                let names: Vec<&Value> = commands.iter().map(|c| &c["name"]).collect();
                panic!("fake Discord: the bot never registered the command {name:?} (registered: {names:?})");
            };
            if !may_use(world, command, user) {
                panic!(
                    "fake Discord: /{name} is hidden from user {user} (default_member_permissions {}; the member \
                     has {}): Discord never shows it to them",
                    command["default_member_permissions"],
                    model::permissions(world, user)
                );
            }
            let mut resolved = Map::new();
            let options = events::options(world, &command["options"], &options, &mut resolved);
            let mut payload = events::envelope(world, 2, id, &token, bot.user_id, user, channel);
            payload["data"] = json!({
                "id": command["id"], "name": name, "type": command["type"], "options": options,
                "resolved": resolved, "guild_id": command["guild_id"],
            });
            start(world, InteractionRecord::new(id, &token, bot.user_id, channel, None), &payload);
        });
        Interaction { id, token, shared: self.shared().clone() }
    }

    /// `user` clicks the button `custom_id` of message `message_id`: INTERACTION_CREATE type 3 (with the
    /// message) goes to the bot that authored the message.
    ///
    /// # Panics
    /// When the message, its author bot or an enabled component with that custom id does not exist.
    pub async fn click_button(&self, user: u64, message_id: u64, custom_id: &str) -> Interaction {
        let (id, token) = self.new_interaction();
        self.shared().update(|world| {
            let message = world.message(message_id).unwrap_or_else(|| panic!("fake Discord: no message {message_id}"));
            let Some(component) = message.component(custom_id) else {
                panic!(
                    "fake Discord: message {message_id} has no component {custom_id:?} ({:?})",
                    message.custom_ids()
                );
            };
            assert!(component["disabled"] != true, "fake Discord: the button {custom_id:?} is disabled");
            let (bot, channel) = (message.author_id, message.channel_id);
            assert!(world.bots.contains_key(&bot), "fake Discord: message {message_id} was not sent by a bot");
            let message_json = model::message(world, message, &message.content);
            let mut payload = events::envelope(world, 3, id, &token, bot, user, channel);
            payload["data"] = json!({ "custom_id": custom_id, "component_type": component["type"], "values": [] });
            payload["message"] = message_json;
            start(world, InteractionRecord::new(id, &token, bot, channel, Some(message_id)), &payload);
        });
        Interaction { id, token, shared: self.shared().clone() }
    }

    /// A new user joins the guild: GUILD_MEMBER_ADD to the bots with the GUILD_MEMBERS intent. Returns the id.
    pub async fn member_join(&self, name: &str) -> u64 {
        let id = self.shared().next_id();
        self.shared().update(|world| {
            world.users.insert(id, User { name: name.into(), bot: false });
            world.members.insert(id, Member { user_id: id, roles: Vec::new(), joined_at: Utc::now() });
            guild::member_added(world, id);
        });
        id
    }

    /// A member leaves the guild (their roles go with them): GUILD_MEMBER_REMOVE to the bots with the
    /// GUILD_MEMBERS intent.
    pub async fn member_leave(&self, user: u64) {
        self.shared().update(|world| guild::member_removed(world, user));
    }

    /// A user who left joins again, with no roles (Discord keeps none): GUILD_MEMBER_ADD.
    pub async fn member_rejoin(&self, user: u64) {
        self.shared().update(|world| {
            world.members.insert(user, Member { user_id: user, roles: Vec::new(), joined_at: Utc::now() });
            guild::member_added(world, user);
        });
    }

    /// Replaces a member's roles (as an admin would in Discord's UI): GUILD_MEMBER_UPDATE.
    pub async fn update_member_roles(&self, user: u64, roles: &[u64]) {
        self.shared().update(|world| guild::set_roles(world, user, roles.to_vec()));
    }

    fn new_interaction(&self) -> (u64, String) {
        let id = self.shared().next_id();
        (id, format!("aW50ZXJhY3Rpb246{id}:fake-discord-token-{:x}", self.shared().next_id()))
    }
}

/// Records the interaction and dispatches INTERACTION_CREATE (interactions need no intent).
fn start(world: &mut World, record: InteractionRecord, payload: &Value) {
    let bot = record.bot_user_id;
    assert!(gateway::intents(world, bot).is_some(), "fake Discord: bot {bot} is not connected to the gateway");
    world.interactions.insert(record.id, record);
    gateway::dispatch(world, bot, "INTERACTION_CREATE", payload);
}

impl InteractionRecord {
    fn new(id: u64, token: &str, bot: u64, channel: u64, source_message: Option<u64>) -> InteractionRecord {
        InteractionRecord {
            id,
            token: token.to_string(),
            bot_user_id: bot,
            channel_id: channel,
            dispatched_at: Instant::now(),
            source_message,
            response: None,
            original: None,
            followups: Vec::new(),
            final_message: None,
        }
    }
}

/// Whether `user` sees `command`: it has no `default_member_permissions`, or the member holds all
/// of those bits (the owner and administrators hold every one).
pub(crate) fn may_use(world: &World, command: &Value, user: u64) -> bool {
    let needed = match &command["default_member_permissions"] {
        Value::String(bits) => bits.parse::<u64>().unwrap_or(u64::MAX),
        Value::Number(bits) => bits.as_u64().unwrap_or(u64::MAX),
        _ => return true,
    };
    model::permissions(world, user) & needed == needed
}
