//! The member port over Discord's REST API: roles, direct messages and channel posts.
//!
//! The HTTP client is attached once the gateway client exists (one client, one rate limiter);
//! until then every call answers "unavailable" and the fulfilment worker retries later.

use std::sync::{Arc, OnceLock};

use serenity::all::{
    ButtonStyle, ChannelId, CreateActionRow, CreateButton, CreateMessage, GuildId, Http, HttpError, RoleId, UserId,
};

use crate::members::{Button, MemberError, Members};
use crate::payments::BoxFuture;

/// Discord's "Missing Permissions": the role is above the bot's highest, or a permission is missing.
const MISSING_PERMISSIONS: isize = 50013;
/// Discord's "Unknown Member": the user is not in the server.
const UNKNOWN_MEMBER: isize = 10007;
/// Unknown member, unknown role, unknown channel, cannot DM this user.
const FOR_GOOD: [isize; 4] = [10007, 10011, 10003, 50007];

/// Roles and messages through Discord.
#[derive(Clone)]
pub struct DiscordMembers {
    guild: GuildId,
    admin_channel: Option<ChannelId>,
    http: Arc<OnceLock<Arc<Http>>>,
}

impl DiscordMembers {
    /// A port for `guild`, not yet connected; refusals an admin must fix are told in
    /// `admin_channel`.
    pub fn new(guild: GuildId, admin_channel: Option<ChannelId>) -> Self {
        Self { guild, admin_channel, http: Arc::new(OnceLock::new()) }
    }

    /// Changes a role (the reconciler tells the admins about a refusal for good, once).
    async fn change_role(&self, user: &str, role: &str, grant: bool) -> Result<(), MemberError> {
        let (user_id, role_id) = (UserId::new(id("user", user)?), RoleId::new(id("role", role)?));
        let http = self.http()?;
        let done = if grant {
            http.add_member_role(self.guild, user_id, role_id, Some("paid for")).await
        } else {
            http.remove_member_role(self.guild, user_id, role_id, Some("no longer paid for")).await
        };
        done.map_err(classify)
    }

    /// The member's roles, or `None` when Discord says "Unknown Member" (10007).
    async fn roles_of(&self, user: &str) -> Result<Option<Vec<String>>, MemberError> {
        let user_id = UserId::new(id("user", user)?);
        match self.http()?.get_member(self.guild, user_id).await {
            Ok(member) => Ok(Some(member.roles.iter().map(|r| r.get().to_string()).collect())),
            Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(r))) if r.error.code == UNKNOWN_MEMBER => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    /// Connects the port to the bot's HTTP client.
    pub fn attach(&self, http: Arc<Http>) {
        let _ = self.http.set(http);
    }

    fn http(&self) -> Result<&Http, MemberError> {
        self.http
            .get()
            .map(|h| h.as_ref())
            .ok_or_else(|| MemberError::Unavailable("not connected to Discord yet".into()))
    }
}

/// Discord ids are numbers; anything else is a configuration mistake an admin must fix.
fn id(kind: &str, value: &str) -> Result<u64, MemberError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|v| *v != 0)
        .ok_or_else(|| MemberError::Forbidden(format!("{kind} {value:?} is not a Discord id")))
}

/// Refusals an admin must act on are `Forbidden` (the delivery stays pending and the admin is
/// told); the rest (network, 5xx, rate limits) are retried.
fn classify(e: serenity::Error) -> MemberError {
    if let serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) = &e {
        let code = r.error.code;
        if code == MISSING_PERMISSIONS {
            return MemberError::Forbidden(format!(
                "50013 Missing Permissions: move the bot's role above the role to give, and give it Manage Roles ({})",
                r.error.message
            ));
        }
        if FOR_GOOD.contains(&code) || r.status_code.as_u16() == 403 {
            return MemberError::Forbidden(format!("{code} {}", r.error.message));
        }
    }
    MemberError::Unavailable(e.to_string())
}

fn components(buttons: &[Button]) -> Vec<CreateActionRow> {
    buttons
        .chunks(5)
        .map(|row| {
            CreateActionRow::Buttons(
                row.iter()
                    .map(|b| CreateButton::new(b.custom_id.clone()).label(b.label.clone()).style(ButtonStyle::Primary))
                    .collect(),
            )
        })
        .collect()
}

impl Members for DiscordMembers {
    fn member_roles<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<Option<Vec<String>>, MemberError>> {
        Box::pin(self.roles_of(user))
    }

    fn tell_admins<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async move {
            let Some(channel) = self.admin_channel else {
                tracing::warn!(%text, "no admin channel (MAXIS_DISCORD__ADMIN_CHANNEL): the admins were not told");
                return Ok(());
            };
            channel.send_message(self.http()?, CreateMessage::new().content(text)).await.map_err(classify)?;
            Ok(())
        })
    }

    fn grant_role<'a>(&'a self, user: &'a str, role: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(self.change_role(user, role, true))
    }

    fn revoke_role<'a>(&'a self, user: &'a str, role: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(self.change_role(user, role, false))
    }

    fn send_dm<'a>(&'a self, user: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async move {
            let http = self.http()?;
            let user = UserId::new(id("user", user)?);
            let channel = user.create_dm_channel(http).await.map_err(classify)?;
            channel.id.send_message(http, CreateMessage::new().content(text)).await.map_err(classify)?;
            Ok(())
        })
    }

    fn post<'a>(
        &'a self,
        channel: &'a str,
        text: &'a str,
        buttons: &'a [Button],
    ) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async move {
            let channel = ChannelId::new(id("channel", channel)?);
            let message = CreateMessage::new().content(text).components(components(buttons));
            channel.send_message(self.http()?, message).await.map_err(classify)?;
            Ok(())
        })
    }

    fn post_file<'a>(
        &'a self,
        channel: &'a str,
        text: &'a str,
        name: &'a str,
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async move {
            let channel = ChannelId::new(id("channel", channel)?);
            let file = serenity::all::CreateAttachment::bytes(body.to_vec(), name);
            let message = CreateMessage::new().content(text).add_file(file);
            channel.send_message(self.http()?, message).await.map_err(classify)?;
            Ok(())
        })
    }
}
