//! Setting up the world: the guild, bots with their applications and managed roles, roles, members and
//! channels. Changes made while bots are connected are dispatched to them as Discord would.

use base64::Engine as _;
use chrono::Utc;
use serde_json::json;

use crate::state::{BotRecord, Channel, Member, Role, Shared, User, World};
use crate::{gateway, model, Bot, FakeDiscord};

/// @everyone's permissions in a new guild: view channels, send messages, embed links, attach files, read
/// history, add reactions, use application commands.
const EVERYONE_PERMISSIONS: u64 = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6) | (1 << 31);
/// A bot's managed role: @everyone's plus MANAGE_ROLES, MANAGE_MESSAGES and SEND_MESSAGES_IN_THREADS.
const BOT_PERMISSIONS: u64 = EVERYONE_PERMISSIONS | (1 << 28) | (1 << 13) | (1 << 38);
/// The position a bot's managed role gets.
const BOT_ROLE_POSITION: u16 = 10;
/// GUILD_MEMBERS: member add, update and remove events.
pub(crate) const INTENT_GUILD_MEMBERS: u64 = 1 << 1;
/// GUILDS: role and channel events.
pub(crate) const INTENT_GUILDS: u64 = 1;

/// The guild, its @everyone role (id = guild id) and its owner, a human member named "owner".
pub(crate) fn create_guild(shared: &Shared) {
    let owner = shared.next_id();
    shared.update(|world| {
        let guild_id = world.guild_id;
        let role = Role {
            id: guild_id,
            name: "@everyone".into(),
            position: 0,
            permissions: EVERYONE_PERMISSIONS,
            managed_by: None,
        };
        world.roles.insert(guild_id, role);
        world.owner_id = owner;
        insert_member(world, owner, "owner", false, Vec::new());
    });
}

fn insert_member(world: &mut World, id: u64, name: &str, bot: bool, roles: Vec<u64>) {
    world.users.insert(id, User { name: name.to_string(), bot });
    world.members.insert(id, Member { user_id: id, roles, joined_at: Utc::now() });
}

fn role_created(world: &mut World, role: Role) {
    let payload = json!({ "guild_id": world.guild_id.to_string(), "role": model::role(&role, world.guild_id) });
    world.roles.insert(role.id, role);
    gateway::dispatch_with_intent(world, INTENT_GUILDS, "GUILD_ROLE_CREATE", &payload);
}

impl FakeDiscord {
    /// Adds a bot user and its application; the bot joins the guild holding its own managed role, named after
    /// it, at position 10 with MANAGE_ROLES.
    pub fn add_bot(&self, name: &str) -> Bot {
        let shared = self.shared();
        let (user_id, application_id, role_id) = (shared.next_id(), shared.next_id(), shared.next_id());
        let token = format!(
            "{}.{:x}.{:x}fake{:x}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(user_id.to_string()),
            application_id >> 22,
            role_id,
            user_id
        );
        shared.update(|world| {
            let role = Role {
                id: role_id,
                name: name.into(),
                position: BOT_ROLE_POSITION,
                permissions: BOT_PERMISSIONS,
                managed_by: Some(user_id),
            };
            insert_member(world, user_id, name, true, vec![role_id]);
            role_created(world, role);
            let record = BotRecord {
                token: token.clone(),
                application_id,
                role_id,
                global_commands: Vec::new(),
                guild_commands: Vec::new(),
            };
            world.bots.insert(user_id, record);
        });
        Bot { token, user_id, application_id }
    }

    /// Adds a role (no permissions of its own) at `position`; returns its id.
    pub fn add_role(&self, name: &str, position: u16) -> u64 {
        let id = self.shared().next_id();
        self.shared().update(|world| {
            role_created(world, Role { id, name: name.into(), position, permissions: 0, managed_by: None });
        });
        id
    }

    /// Sets a role's permission bits (e.g. `1 << 3` ADMINISTRATOR, `1 << 5` MANAGE_GUILD).
    pub fn set_role_permissions(&self, role: u64, permissions: u64) {
        self.update_role(role, |r| r.permissions = permissions);
    }

    /// Moves the bot's managed role (the hierarchy rule compares role positions with it).
    pub fn set_bot_role_position(&self, bot: &Bot, position: u16) {
        let role = self.shared().world().bots.get(&bot.user_id).map(|b| b.role_id);
        self.update_role(role.unwrap_or_default(), |r| r.position = position);
    }

    fn update_role(&self, id: u64, change: impl FnOnce(&mut Role)) {
        self.shared().update(|world| {
            let Some(role) = world.roles.get_mut(&id) else { panic!("fake Discord: no role {id}") };
            change(role);
            let payload = json!({ "guild_id": world.guild_id.to_string(), "role": model::role(role, world.guild_id) });
            gateway::dispatch_with_intent(world, INTENT_GUILDS, "GUILD_ROLE_UPDATE", &payload);
        });
    }

    /// Adds a human member holding `roles`; returns the user id. No event: use `member_join` for a join.
    pub fn add_member(&self, name: &str, roles: &[u64]) -> u64 {
        let id = self.shared().next_id();
        self.shared().update(|world| insert_member(world, id, name, false, roles.to_vec()));
        id
    }

    /// Adds a guild text channel; returns its id.
    pub fn add_text_channel(&self, name: &str) -> u64 {
        let id = self.shared().next_id();
        self.shared().update(|world| {
            let position = u16::try_from(world.channels.len()).unwrap_or(u16::MAX);
            let channel = Channel { id, name: name.into(), position, dm_recipient: None, dm_bot: None };
            let payload = model::channel(world, &channel);
            world.channels.insert(id, channel);
            gateway::dispatch_with_intent(world, INTENT_GUILDS, "CHANNEL_CREATE", &payload);
        });
        id
    }

    /// Makes `user` the guild owner (the owner has every permission).
    pub fn set_owner(&self, user: u64) {
        self.shared().update(|world| world.owner_id = user);
    }
}
