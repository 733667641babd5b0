//! Maxis in Discord: slash commands and buttons for members (shop, cart, checkout, orders,
//! preorders, giveaways, promotion pings), admin commands for local management, member events
//! (activity, joins), and the member port ([`members::DiscordMembers`]).
//!
//! Handlers stay thin: parse, call one service function of [`crate::commerce::Commerce`] or one
//! local order, render. Every interaction is answered (or deferred) at once.

mod admin;
mod buttons;
mod events;
mod gift;
pub mod members;
mod shop;
mod subscription;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use secrecy::{ExposeSecret, SecretString};
use serenity::{ChannelId, GatewayIntents, GuildId, Http, HttpBuilder, RoleId};

use crate::bus::Signals;
use crate::commerce::Commerce;
use crate::configuration::DiscordSettings;

/// Errors of a command; shown to the member as they are (they say what to do).
pub type Error = anyhow::Error;
/// The context of a command.
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// Discord settings, parsed into typed ids at start.
#[derive(Clone)]
pub struct DiscordConfig {
    /// Bot token.
    pub token: SecretString,
    /// The server the shop sells in.
    pub guild: GuildId,
    /// Roles whose members may use the admin commands.
    pub admin_roles: Vec<RoleId>,
    /// Where the admins are told what needs them.
    pub admin_channel: Option<ChannelId>,
    /// API base URL (a REST proxy's); `None` for discord.com.
    pub api_base: Option<String>,
}

impl DiscordConfig {
    /// `None` without a token (the shop runs headless); an error says which setting is wrong.
    pub fn from_settings(s: &DiscordSettings) -> anyhow::Result<Option<Self>> {
        let Some(token) = s.token.as_ref().filter(|t| !t.expose_secret().trim().is_empty()) else { return Ok(None) };
        let guild = parse_id(&s.guild_id).context(
            "discord.guild_id must be the server's id (MAXIS_DISCORD__GUILD_ID; Developer Mode → Copy Server ID)",
        )?;
        let admin_roles = s
            .admin_roles
            .iter()
            .map(|r| parse_id(r).with_context(|| format!("discord.admin_roles: {r:?} is not a role id")))
            .collect::<anyhow::Result<Vec<u64>>>()?;
        let admin_channel = Some(s.admin_channel.trim())
            .filter(|c| !c.is_empty())
            .map(|c| parse_id(c).context("discord.admin_channel must be a channel id"))
            .transpose()?
            .map(ChannelId::new);
        Ok(Some(Self {
            admin_channel,
            token: token.clone(),
            guild: GuildId::new(guild),
            admin_roles: admin_roles.into_iter().map(RoleId::new).collect(),
            api_base: Some(s.api_base.trim().trim_end_matches('/').to_owned()).filter(|b| !b.is_empty()),
        }))
    }

    /// The REST client: through the configured base URL when set (serenity only honours a
    /// proxy with its own rate limiter off: the proxy limits instead).
    pub fn http(&self) -> Http {
        let builder = HttpBuilder::new(self.token.expose_secret());
        match &self.api_base {
            Some(base) => builder.proxy(base.clone()).ratelimiter_disabled(true).build(),
            None => builder.build(),
        }
    }
}

fn parse_id(value: &str) -> anyhow::Result<u64> {
    value.trim().parse::<u64>().ok().filter(|v| *v != 0).with_context(|| format!("{value:?} is not a Discord id"))
}

/// What every handler can reach.
pub struct Data {
    /// The shop's commerce.
    pub commerce: Commerce,
    /// Wakes the clock after a local order.
    pub signals: Signals,
    /// Settings.
    pub config: DiscordConfig,
}

/// Connects to the gateway, registers the commands in the guild, attaches the member port to
/// the REST client, and serves until `shutdown`.
pub async fn run(
    config: DiscordConfig,
    data: Data,
    port: members::DiscordMembers,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let guild = config.guild;
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands(),
            on_error: |e| Box::pin(on_error(e)),
            event_handler: |fw, event| Box::pin(events::handle(fw, event)),
            post_command: |ctx| {
                Box::pin(async move {
                    if let poise::Context::Application(app) = ctx {
                        events::answered(ctx.data(), app.interaction.id.get());
                    }
                })
            },
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                poise::builtins::register_in_guild(ctx, &framework.options().commands, guild)
                    .await
                    .context("Failed to register the slash commands")?;
                tracing::info!(bot = %ready.user.name, %guild, "Maxis is connected to Discord");
                Ok(data)
            })
        })
        .build();
    // No MESSAGE_CONTENT: Maxis only needs to know that a member spoke (activity).
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS | GatewayIntents::GUILD_MESSAGES;
    let mut client = serenity::ClientBuilder::new_with_http(config.http(), intents)
        .framework(framework)
        .await
        .context("Failed to build the Discord client")?;
    port.attach(Arc::clone(&client.http));
    let shards = client.shard_manager.clone();
    tokio::select! {
        result = client.start() => result.context("Discord connection failed (check MAXIS_DISCORD__TOKEN)"),
        () = shutdown => {
            shards.shutdown_all().await;
            Ok(())
        }
    }
}

fn commands() -> Vec<poise::Command<Data, Error>> {
    vec![
        shop::shop(),
        shop::cart(),
        shop::checkout(),
        shop::orders(),
        shop::preorder(),
        shop::pings(),
        subscription::subscription(),
        gift::gift(),
        admin::giveaway(),
        admin::admin(),
    ]
}

/// What a member reads of a command's error: the shop's own errors are plain sentences that say
/// what to do; anything else (Discord, the database…) is only in the log.
fn shown(error: &Error) -> String {
    if let Some(e) = error.downcast_ref::<crate::commerce::CommerceError>() {
        return e.to_string();
    }
    if let Some(e) = error.downcast_ref::<crate::gifts::GiftError>() {
        if !e.is_internal() {
            return e.to_string();
        }
    }
    if let Some(e) = error.downcast_ref::<crate::engagement::EnterError>() {
        return e.to_string();
    }
    if let Some(e) = error.downcast_ref::<crate::memberships::MembershipError>() {
        if !matches!(e, crate::memberships::MembershipError::Unexpected(_)) {
            return e.to_string();
        }
    }
    "something went wrong on the shop's side: please try again in a minute".to_owned()
}

/// Command errors are the member's to read (they say what to do); the rest is logged.
async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            let command = ctx.command().qualified_name.clone();
            tracing::warn!(%command, error.cause_chain = ?error, error.message = %error, "command failed");
            let reply = poise::CreateReply::default().content(format!("❌ {}", shown(&error))).ephemeral(true);
            if let Err(e) = ctx.send(reply).await {
                tracing::warn!(error.message = %e, "Failed to report a command error");
            }
        }
        poise::FrameworkError::CommandCheckFailed { ctx, .. } => {
            let reply = poise::CreateReply::default()
                .content("⛔ Only the shop's admins can do that (an admin role, or Manage Server).")
                .ephemeral(true);
            let _ = ctx.send(reply).await;
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!(error.message = %e, "Failed to handle a Discord error");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(token: &str, guild: &str, roles: &[&str], channel: &str) -> DiscordSettings {
        DiscordSettings {
            token: Some(SecretString::from(token.to_owned())),
            guild_id: guild.to_owned(),
            admin_roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            admin_channel: channel.to_owned(),
            api_base: "http://127.0.0.1:9/".to_owned(),
        }
    }

    #[test]
    fn without_a_token_the_shop_runs_headless() {
        assert!(DiscordConfig::from_settings(&DiscordSettings::default()).unwrap().is_none());
        assert!(DiscordConfig::from_settings(&settings(" ", "1", &[], "")).unwrap().is_none());
    }

    #[test]
    fn ids_are_parsed_into_typed_ids_and_the_base_url_loses_its_slash() {
        let config = DiscordConfig::from_settings(&settings("t", "42", &["7", "8"], "9")).unwrap().unwrap();
        assert_eq!(config.guild, GuildId::new(42));
        assert_eq!(config.admin_roles, [RoleId::new(7), RoleId::new(8)]);
        assert_eq!(config.admin_channel, Some(ChannelId::new(9)));
        assert_eq!(config.api_base.as_deref(), Some("http://127.0.0.1:9"));
    }

    #[test]
    fn a_wrong_id_is_refused_at_start_naming_the_setting() {
        let missing_guild = DiscordConfig::from_settings(&settings("t", "", &[], "")).err().unwrap();
        let bad_role = DiscordConfig::from_settings(&settings("t", "1", &["admins"], "")).err().unwrap();
        let bad_channel = DiscordConfig::from_settings(&settings("t", "1", &[], "#shop")).err().unwrap();
        assert!(format!("{missing_guild:#}").contains("discord.guild_id"));
        assert!(format!("{bad_role:#}").contains("discord.admin_roles"));
        assert!(format!("{bad_channel:#}").contains("discord.admin_channel"));
    }
}
