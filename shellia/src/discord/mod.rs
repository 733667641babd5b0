//! Shellia in Discord: `!maxis …` prefix commands (they need the privileged Message Content
//! intent, enabled in the Developer Portal → Bot), the `/maxis` slash command, mentions in plain
//! language ("@Shellia lance une promo de 20% sur les plans Pro"), Confirm/Cancel buttons under
//! each plan, and report charts attached. Every line goes to the [`Assistant`], which checks who
//! asks; this layer only tells it who the member is and renders its answer.

mod buttons;
mod reply;
mod requester;

use std::future::Future;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serenity::{FullEvent, GatewayIntents, GuildId, Http, HttpBuilder, Interaction};

use crate::assistant::Assistant;

/// Errors of a command.
pub type Error = anyhow::Error;
/// The context of a command.
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// Discord settings as written (`[discord]`, `SHELLIA_DISCORD__*`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DiscordSettings {
    /// Bot token (environment only: SHELLIA_DISCORD__TOKEN); absent or empty: console only.
    #[serde(default)]
    pub token: Option<SecretString>,
    /// The admins' server id.
    #[serde(default)]
    pub guild_id: String,
    /// API base URL; empty for discord.com (a Discord REST proxy's URL otherwise).
    #[serde(default)]
    pub api_base: String,
}

/// Discord settings, parsed at start.
#[derive(Clone)]
pub struct DiscordConfig {
    /// Bot token.
    pub token: SecretString,
    /// The admins' server.
    pub guild: GuildId,
    /// API base URL, `None` for discord.com.
    pub api_base: Option<String>,
}

impl DiscordConfig {
    /// `None` without a token; an error names the wrong setting.
    pub fn from_settings(s: &DiscordSettings) -> anyhow::Result<Option<Self>> {
        let Some(token) = s.token.as_ref().filter(|t| !t.expose_secret().trim().is_empty()) else { return Ok(None) };
        let guild = s.guild_id.trim().parse::<u64>().ok().filter(|g| *g != 0).with_context(|| {
            format!(
                "discord.guild_id {:?} is not a server id (SHELLIA_DISCORD__GUILD_ID; Developer Mode → Copy Server ID)",
                s.guild_id
            )
        })?;
        let api_base = Some(s.api_base.trim().trim_end_matches('/').to_owned()).filter(|b| !b.is_empty());
        Ok(Some(Self { token: token.clone(), guild: GuildId::new(guild), api_base }))
    }

    /// The REST client (through the configured base URL, whose proxy then rate-limits).
    fn http(&self) -> Http {
        let builder = HttpBuilder::new(self.token.expose_secret());
        match &self.api_base {
            Some(base) => builder.proxy(base.clone()).ratelimiter_disabled(true).build(),
            None => builder.build(),
        }
    }
}

/// What every handler can reach.
pub struct Data {
    /// Shellia's core.
    pub assistant: Assistant,
    /// The admins' server.
    pub guild: GuildId,
}

// Hidden from members without Manage Server (Discord's default; an admin can open it to a role
// in Server Settings → Integrations); who may command is still checked by the assistant.
/// A command (`@shop1 status`, `promo 20% pro 48h`, `help`) or a request in plain language.
#[poise::command(prefix_command, slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
async fn maxis(
    ctx: Context<'_>,
    #[rest]
    #[description = "e.g. `@shop1 status`, `promo 20% pro 48h`, or plain language"]
    request: Option<String>,
) -> Result<(), Error> {
    let who = requester::of_context(ctx).await;
    let line = request.unwrap_or_else(|| "help".to_owned());
    // Orders can take a few seconds to come back from every shop: answer Discord at once. A slash
    // command is a private conversation (its previews are the admin's alone; a confirmed plan's
    // result is posted for everyone); `!maxis` happens in the channel.
    let _typing = match ctx {
        poise::Context::Application(_) => {
            ctx.defer_ephemeral().await?;
            None
        }
        poise::Context::Prefix(_) => ctx.defer_or_broadcast().await?,
    };
    let answer = ctx.data().assistant.handle(&who, &line).await;
    ctx.send(reply::poise_reply(&answer)).await?;
    Ok(())
}

/// Connects, registers `/maxis` in the admins' server, and serves until `shutdown`.
pub async fn run(
    config: DiscordConfig,
    assistant: Assistant,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let guild = config.guild;
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![maxis()],
            // A mention is never a prefix: `@Shellia …` is read once, by `on_mention`, whatever
            // follows it (plain language, `maxis …` or `!maxis …`).
            prefix_options: poise::PrefixFrameworkOptions {
                prefix: Some("!".into()),
                mention_as_prefix: false,
                ..Default::default()
            },
            on_error: |e| Box::pin(on_error(e)),
            event_handler: |fw, event| Box::pin(on_event(fw, event)),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                poise::builtins::register_in_guild(ctx, &framework.options().commands, guild)
                    .await
                    .context("Failed to register /maxis")?;
                tracing::info!(bot = %ready.user.name, %guild, "Shellia is connected to Discord");
                Ok(Data { assistant, guild })
            })
        })
        .build();
    let intents = GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MEMBERS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT;
    let mut client = serenity::ClientBuilder::new_with_http(config.http(), intents)
        .framework(framework)
        .await
        .context("Failed to build the Discord client")?;
    let shards = client.shard_manager.clone();
    tokio::select! {
        result = client.start() => result.context("Discord connection failed (check SHELLIA_DISCORD__TOKEN)"),
        () = shutdown => {
            shards.shutdown_all().await;
            Ok(())
        }
    }
}

async fn on_event(fw: poise::FrameworkContext<'_, Data, Error>, event: &FullEvent) -> Result<(), Error> {
    let (ctx, data) = (fw.serenity_context, fw.user_data);
    match event {
        FullEvent::InteractionCreate { interaction: Interaction::Component(click) } => {
            buttons::handle(ctx, data, click).await
        }
        FullEvent::Message { new_message } => buttons::on_mention(ctx, data, new_message).await,
        _ => Ok(()),
    }
}

async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::warn!(error.message = %error, "command failed");
            let _ = ctx.say(format!("❌ {error}")).await;
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!(error.message = %e, "Failed to handle a Discord error");
            }
        }
    }
}
