//! Observing what the bots did: REST calls, channel messages, DMs, member roles, registered commands and
//! gateway connections, each with a `wait_for_*` that wakes on every change.

use std::time::Duration;

use serde_json::Value;

use crate::rest::registered_commands;
use crate::state::World;
use crate::{Bot, Call, FakeDiscord, Message};

impl FakeDiscord {
    /// Waits until the bot identified on the gateway and got READY and GUILD_CREATE.
    ///
    /// # Errors
    /// When it has not within `timeout`.
    pub async fn wait_connected(&self, bot: &Bot, timeout: Duration) -> anyhow::Result<()> {
        let what = format!("bot {} to connect to the gateway", bot.user_id);
        self.shared().wait_for(&what, timeout, |world| world.sessions.get(&bot.user_id).map(|_| ())).await
    }

    /// Every REST call received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared().world().calls.clone()
    }

    /// Waits for a REST call matching `pred` (calls already received count).
    ///
    /// # Errors
    /// When none arrives within `timeout`.
    pub async fn wait_for_call(&self, pred: impl Fn(&Call) -> bool, timeout: Duration) -> anyhow::Result<Call> {
        let found = self
            .shared()
            .wait_for("a matching REST call", timeout, |world| world.calls.iter().find(|c| pred(c)).cloned())
            .await;
        found.map_err(|e| e.context(format!("calls received: {:?}", summary(&self.calls()))))
    }

    /// The messages of a channel, oldest first: users' messages and the bots' (REST posts and interaction
    /// answers, ephemeral ones included with flag 64).
    pub fn messages(&self, channel: u64) -> Vec<Message> {
        self.shared().world().messages.iter().filter(|m| m.channel_id == channel).cloned().collect()
    }

    /// Waits for a message in `channel` matching `pred` (messages already there count, edits too).
    ///
    /// # Errors
    /// When none matches within `timeout`.
    pub async fn wait_for_message(
        &self,
        channel: u64,
        pred: impl Fn(&Message) -> bool,
        timeout: Duration,
    ) -> anyhow::Result<Message> {
        let what = format!("a matching message in channel {channel}");
        let found = self
            .shared()
            .wait_for(&what, timeout, |world| {
                world.messages.iter().find(|m| m.channel_id == channel && pred(m)).cloned()
            })
            .await;
        found.map_err(|e| e.context(format!("messages there: {:?}", contents(&self.messages(channel)))))
    }

    /// The messages in `user`'s DM channels with any bot, oldest first.
    pub fn dms(&self, user: u64) -> Vec<Message> {
        let world = self.shared().world();
        world.messages.iter().filter(|m| is_dm_of(&world, m, user)).cloned().collect()
    }

    /// Waits for a DM to `user` matching `pred`.
    ///
    /// # Errors
    /// When none matches within `timeout`.
    pub async fn wait_for_dm(
        &self,
        user: u64,
        pred: impl Fn(&Message) -> bool,
        timeout: Duration,
    ) -> anyhow::Result<Message> {
        let what = format!("a matching DM to user {user}");
        let found = self
            .shared()
            .wait_for(&what, timeout, |world| {
                world.messages.iter().find(|m| is_dm_of(world, m, user) && pred(m)).cloned()
            })
            .await;
        found.map_err(|e| e.context(format!("DMs there: {:?}", contents(&self.dms(user)))))
    }

    /// The member's roles (empty for a user who is not a member).
    pub fn member_roles(&self, user: u64) -> Vec<u64> {
        self.shared().world().members.get(&user).map(|m| m.roles.clone()).unwrap_or_default()
    }

    /// Whether `user` sees the bot's command `name` (its `default_member_permissions` allow them).
    pub fn can_use_command(&self, bot: &Bot, user: u64, name: &str) -> bool {
        let world = self.shared().world();
        let commands = registered_commands(&world, bot.user_id);
        commands.iter().find(|c| c["name"] == name).is_some_and(|c| crate::act::may_use(&world, c, user))
    }

    /// The bot's registered commands as Discord stores them: global ones, then guild ones.
    pub fn registered_commands(&self, bot: &Bot) -> Vec<Value> {
        registered_commands(&self.shared().world(), bot.user_id)
    }
}

fn is_dm_of(world: &World, message: &Message, user: u64) -> bool {
    world.channels.get(&message.channel_id).is_some_and(|c| c.dm_recipient == Some(user))
}

fn summary(calls: &[Call]) -> Vec<String> {
    calls.iter().map(|c| format!("{} {} -> {}", c.method, c.path, c.status)).collect()
}

fn contents(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.content.as_str()).collect()
}
