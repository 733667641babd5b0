//! The fake's world: users, roles, members, channels, messages, bots, gateway sessions, interactions and
//! the record of REST calls, behind one lock, with a change counter that the `wait_for_*` helpers watch.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use crate::gateway::Out;
use crate::{Call, InteractionResponse, Message};

/// Discord's epoch (2015-01-01T00:00:00Z) in Unix milliseconds: snowflakes count from it.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// A user of the guild, human or bot.
pub(crate) struct User {
    pub name: String,
    pub bot: bool,
}

/// A guild role. `managed_by` is the bot whose integration role it is.
pub(crate) struct Role {
    pub id: u64,
    pub name: String,
    pub position: u16,
    pub permissions: u64,
    pub managed_by: Option<u64>,
}

/// A guild membership.
pub(crate) struct Member {
    pub user_id: u64,
    pub roles: Vec<u64>,
    pub joined_at: DateTime<Utc>,
}

/// A guild text channel, or a DM channel between a bot and a user.
pub(crate) struct Channel {
    pub id: u64,
    pub name: String,
    pub position: u16,
    /// `Some(user)` for a DM channel (type 1), `None` for a guild text channel (type 0).
    pub dm_recipient: Option<u64>,
    /// The bot on the other side of a DM channel.
    pub dm_bot: Option<u64>,
}

/// A bot user, its application, its managed role and the commands it registered.
pub(crate) struct BotRecord {
    pub token: String,
    pub application_id: u64,
    pub role_id: u64,
    pub global_commands: Vec<Value>,
    pub guild_commands: Vec<Value>,
}

/// A connected gateway session: dispatches are written to the websocket through `tx`.
pub(crate) struct Session {
    pub session_id: String,
    pub intents: u64,
    pub seq: u64,
    pub tx: mpsc::UnboundedSender<Out>,
    /// Dropped with the session (replaced by a new IDENTIFY, or the fake dropped): the connection then closes.
    pub _alive: oneshot::Sender<()>,
}

/// An interaction dispatched to a bot, and what the bot did with it.
pub(crate) struct InteractionRecord {
    pub id: u64,
    pub token: String,
    pub bot_user_id: u64,
    pub channel_id: u64,
    pub dispatched_at: Instant,
    /// The message a component interaction came from (the target of callback type 7 and of `@original` after 6).
    pub source_message: Option<u64>,
    pub response: Option<InteractionResponse>,
    /// The message `@original` refers to once there is one.
    pub original: Option<u64>,
    pub followups: Vec<u64>,
    /// The latest visible answer: a type 4/7 callback's message, an edit of `@original` or a follow-up.
    pub final_message: Option<u64>,
}

/// Everything the fake knows.
pub(crate) struct World {
    pub guild_id: u64,
    pub owner_id: u64,
    pub users: BTreeMap<u64, User>,
    pub roles: BTreeMap<u64, Role>,
    pub members: BTreeMap<u64, Member>,
    pub channels: BTreeMap<u64, Channel>,
    pub messages: Vec<Message>,
    pub bots: BTreeMap<u64, BotRecord>,
    pub sessions: HashMap<u64, Session>,
    pub interactions: HashMap<u64, InteractionRecord>,
    pub calls: Vec<Call>,
}

impl World {
    pub fn message(&self, id: u64) -> Option<&Message> {
        self.messages.iter().find(|m| m.id == id)
    }

    pub fn message_mut(&mut self, id: u64) -> Option<&mut Message> {
        self.messages.iter_mut().find(|m| m.id == id)
    }

    pub fn bot_by_token(&self, token: &str) -> Option<u64> {
        self.bots.iter().find(|(_, b)| b.token == token).map(|(id, _)| *id)
    }

    pub fn interaction_by_token(&self, token: &str) -> Option<&InteractionRecord> {
        self.interactions.values().find(|i| i.token == token)
    }

    /// The highest position among the member's roles (0 for @everyone only).
    pub fn highest_position(&self, user: u64) -> u16 {
        let Some(member) = self.members.get(&user) else { return 0 };
        member.roles.iter().filter_map(|r| self.roles.get(r)).map(|r| r.position).max().unwrap_or(0)
    }
}

/// The world behind its lock, the change counter, and the snowflake generator.
pub(crate) struct Shared {
    world: Mutex<World>,
    changed: watch::Sender<u64>,
    last_id: AtomicU64,
    pub port: u16,
}

impl Shared {
    pub fn new(port: u16) -> Shared {
        let shared = Shared {
            world: Mutex::new(World {
                guild_id: 0,
                owner_id: 0,
                users: BTreeMap::new(),
                roles: BTreeMap::new(),
                members: BTreeMap::new(),
                channels: BTreeMap::new(),
                messages: Vec::new(),
                bots: BTreeMap::new(),
                sessions: HashMap::new(),
                interactions: HashMap::new(),
                calls: Vec::new(),
            }),
            changed: watch::channel(0).0,
            last_id: AtomicU64::new(0),
            port,
        };
        let guild_id = shared.next_id();
        shared.world().guild_id = guild_id;
        shared
    }

    /// A new snowflake: milliseconds since Discord's epoch in the top bits, strictly increasing.
    pub fn next_id(&self) -> u64 {
        let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(DISCORD_EPOCH_MS);
        let candidate = now_ms.saturating_sub(DISCORD_EPOCH_MS) << 22;
        let next = |last: u64| candidate.max(last + 1);
        let previous = self.last_id.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| Some(next(last)));
        next(previous.unwrap_or_else(|last| last))
    }

    /// Locks the world. A std `Mutex`: no lock is ever held across an `.await`.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the world, then wakes every waiter.
    pub fn update<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let out = f(&mut self.world());
        self.changed.send_modify(|n| *n += 1);
        out
    }

    /// Waits until `probe` finds something in the world, or fails after `timeout` saying `what`.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        probe: impl Fn(&World) -> Option<T>,
    ) -> anyhow::Result<T> {
        let mut rx = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            rx.borrow_and_update();
            if let Some(found) = probe(&self.world()) {
                return Ok(found);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => anyhow::bail!("fake Discord: timed out after {timeout:?} waiting for {what}"),
            }
        }
    }
}
