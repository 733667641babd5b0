//! Discord's JSON shapes (API v10), built from the world: users, roles, members, channels, the guild and
//! messages, with every field serenity 0.12.5 requires to deserialize them. Snowflakes are strings.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::state::{Channel, Member, Role, World};
use crate::Message;

/// Every permission bit Discord defines today (what ADMINISTRATOR and ownership grant).
pub(crate) const ALL_PERMISSIONS: u64 = (1 << 51) - 1;
/// ADMINISTRATOR.
const ADMINISTRATOR: u64 = 1 << 3;

/// ISO 8601 with milliseconds, as Discord writes timestamps.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, false)
}

pub(crate) fn user(world: &World, id: u64) -> Value {
    let (name, bot) = world.users.get(&id).map_or(("unknown", false), |u| (u.name.as_str(), u.bot));
    json!({
        "id": id.to_string(), "username": name, "discriminator": "0", "global_name": name,
        "avatar": null, "bot": bot, "system": false, "banner": null, "accent_color": null, "public_flags": 0, "flags": 0,
    })
}

pub(crate) fn role(role: &Role, guild_id: u64) -> Value {
    let tags = match role.managed_by {
        Some(bot) => json!({ "bot_id": bot.to_string() }),
        None => json!({}),
    };
    json!({
        "id": role.id.to_string(), "guild_id": guild_id.to_string(), "name": role.name, "color": 0,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false, "icon": null, "unicode_emoji": null, "position": role.position,
        "permissions": role.permissions.to_string(), "managed": role.managed_by.is_some(), "mentionable": false,
        "tags": tags, "flags": 0,
    })
}

/// The member's guild-wide permissions: @everyone and its roles OR-ed, everything for the owner or an administrator.
pub(crate) fn permissions(world: &World, user: u64) -> u64 {
    if user == world.owner_id {
        return ALL_PERMISSIONS;
    }
    let everyone = world.roles.get(&world.guild_id).map_or(0, |r| r.permissions);
    let roles = world.members.get(&user).map_or(&[][..], |m| &m.roles[..]);
    let bits = roles.iter().filter_map(|r| world.roles.get(r)).fold(everyone, |acc, r| acc | r.permissions);
    if bits & ADMINISTRATOR != 0 {
        ALL_PERMISSIONS
    } else {
        bits
    }
}

/// A guild member object. `with_permissions` adds the computed `permissions` string, as interactions carry it.
pub(crate) fn member(world: &World, member: &Member, with_permissions: bool) -> Value {
    let mut value = json!({
        "user": user(world, member.user_id), "nick": null, "avatar": null, "banner": null,
        "roles": member.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": timestamp(member.joined_at), "premium_since": null, "deaf": false, "mute": false,
        "flags": 0, "pending": false, "communication_disabled_until": null, "guild_id": world.guild_id.to_string(),
    });
    if with_permissions {
        value["permissions"] = json!(permissions(world, member.user_id).to_string());
    }
    value
}

pub(crate) fn channel(world: &World, channel: &Channel) -> Value {
    match channel.dm_recipient {
        Some(recipient) => json!({
            "id": channel.id.to_string(), "type": 1, "last_message_id": null, "flags": 0,
            "recipients": [user(world, recipient)],
        }),
        None => json!({
            "id": channel.id.to_string(), "type": 0, "guild_id": world.guild_id.to_string(), "name": channel.name,
            "position": channel.position, "permission_overwrites": [], "topic": null, "nsfw": false,
            "last_message_id": null, "rate_limit_per_user": 0, "parent_id": null, "flags": 0,
        }),
    }
}

/// The guild object; `gateway_members` adds GUILD_CREATE's extra fields with these members.
pub(crate) fn guild(world: &World, gateway_members: Option<Vec<Value>>) -> Value {
    let id = world.guild_id.to_string();
    let mut guild = json!({
        "id": id, "name": "Fake Discord guild", "icon": null, "icon_hash": null, "splash": null,
        "discovery_splash": null, "owner_id": world.owner_id.to_string(), "afk_channel_id": null, "afk_timeout": 300,
        "widget_enabled": false, "widget_channel_id": null, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0,
        "roles": world.roles.values().map(|r| role(r, world.guild_id)).collect::<Vec<_>>(),
        "emojis": [], "features": [], "mfa_level": 0, "application_id": null, "system_channel_id": null,
        "system_channel_flags": 0, "rules_channel_id": null, "max_presences": null, "max_members": 500000,
        "vanity_url_code": null, "description": null, "banner": null, "premium_tier": 0,
        "premium_subscription_count": 0, "preferred_locale": "en-US", "public_updates_channel_id": null,
        "max_video_channel_users": 25, "max_stage_video_channel_users": 50, "nsfw_level": 0, "stickers": [],
        "premium_progress_bar_enabled": false, "safety_alerts_channel_id": null,
    });
    if let Some(members) = gateway_members {
        let channels: Vec<Value> =
            world.channels.values().filter(|c| c.dm_recipient.is_none()).map(|c| channel(world, c)).collect();
        let extra = json!({
            "joined_at": timestamp(Utc::now()), "large": false, "unavailable": false,
            "member_count": world.members.len(), "voice_states": [], "members": members, "channels": channels,
            "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
        });
        guild.as_object_mut().into_iter().for_each(|g| g.extend(extra.as_object().cloned().unwrap_or_default()));
    }
    guild
}

/// A message object as REST answers it and MESSAGE_CREATE carries it (`content` given apart for the intent rule).
pub(crate) fn message(world: &World, message: &Message, content: &str) -> Value {
    let guild_message = world.channels.get(&message.channel_id).is_some_and(|c| c.dm_recipient.is_none());
    let mentions: Vec<Value> = message.mentions.iter().map(|id| user(world, *id)).collect();
    let attachments: Vec<Value> = message
        .attachments
        .iter()
        .enumerate()
        .map(|(i, (filename, bytes))| {
            let id = message.id + i as u64;
            let url = format!("https://cdn.discordapp.com/attachments/{}/{id}/{filename}", message.channel_id);
            json!({ "id": id.to_string(), "filename": filename, "size": bytes.len(),
                    "url": url, "proxy_url": url, "content_type": null, "height": null, "width": null })
        })
        .collect();
    let mut value = json!({
        "id": message.id.to_string(), "channel_id": message.channel_id.to_string(),
        "author": user(world, message.author_id), "content": content, "timestamp": timestamp(message.timestamp),
        "edited_timestamp": message.edited_timestamp.map(timestamp), "tts": false,
        "mention_everyone": message.mention_everyone, "mentions": mentions,
        "mention_roles": message.mention_roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "attachments": attachments, "embeds": message.embeds, "components": message.components, "pinned": false,
        "type": message.kind, "flags": message.flags,
        "webhook_id": message.webhook_id.map(|id| id.to_string()),
    });
    if guild_message {
        value["guild_id"] = json!(world.guild_id.to_string());
        if let Some(member) = world.members.get(&message.author_id) {
            let mut partial = self::member(world, member, false);
            partial.as_object_mut().map(|m| m.remove("user"));
            value["member"] = partial;
        }
    }
    value
}
