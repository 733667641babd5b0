//! A stand-in for Discord (gateway and REST API v10), for tests.
//!
//! An unmodified serenity `Client` connects to it when its `Http` is built with
//! `HttpBuilder::new(token).proxy(fake.base_url()).ratelimiter_disabled(true)`: one port serves the REST routes
//! (`/api/v10/...`) and the gateway websocket (`/gateway`). Tests set up a guild (bots, roles, members,
//! channels), act as users (messages, slash commands, button clicks, joins) and observe what the bots did
//! (every REST call, the messages, DMs, roles and registered commands). See the crate's README for what is
//! faithful to Discord and what is simplified.

mod act;
mod events;
mod gateway;
mod interaction;
mod messages;
mod model;
mod observe;
mod rest;
mod state;
mod world;

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokio::task::JoinHandle;

pub use interaction::{Interaction, InteractionResponse};
pub use messages::Message;
use state::Shared;

/// The fake Discord server. Cheap to clone; the server stops when the last clone is dropped.
#[derive(Clone)]
pub struct FakeDiscord {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.server.abort();
        // Dropping the sessions' senders ends their websocket tasks, which closes the bots' connections.
        self.shared.update(|world| world.sessions.clear());
    }
}

/// A bot user with its application, as `add_bot` created it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bot {
    /// The token the bot authenticates with (REST `Authorization: Bot <token>` and gateway IDENTIFY).
    pub token: String,
    pub user_id: u64,
    pub application_id: u64,
}

/// One REST call a bot made, as the fake received and answered it.
#[derive(Clone, Debug)]
pub struct Call {
    /// The bot the `Authorization` header identified (`None` when absent or unknown).
    pub bot_user_id: Option<u64>,
    pub method: String,
    /// The full path, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    /// The raw query string, empty when none.
    pub query: String,
    /// The JSON body (`payload_json` for multipart requests), `Value::Null` when empty.
    pub body: Value,
    /// Files of a multipart request: (filename, bytes).
    pub attachments: Vec<(String, Vec<u8>)>,
    pub at: Instant,
    /// The HTTP status the fake answered.
    pub status: u16,
}

impl Call {
    fn new(bot_user_id: Option<u64>, method: String, path: String, query: String, body: Value, at: Instant) -> Call {
        Call { bot_user_id, method, path, query, body, attachments: Vec::new(), at, status: 0 }
    }
}

impl FakeDiscord {
    /// Starts the fake on 127.0.0.1 with a free port, with one guild holding its @everyone role.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("fake Discord: bind 127.0.0.1:0");
        let port = listener.local_addr().expect("fake Discord: local address").port();
        let shared = Arc::new(Shared::new(port));
        world::create_guild(&shared);
        let app = rest::router(shared.clone());
        let server = tokio::spawn(async move {
            // The server only ends when aborted (on drop); an accept error has nobody to report to.
            let _ = axum::serve(listener, app).await;
        });
        FakeDiscord { inner: Arc::new(Inner { shared, server }) }
    }

    /// The base URL the bots use as their Discord API base (serenity's `HttpBuilder::proxy`).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.inner.shared.port)
    }

    /// The id of the one guild.
    pub fn guild_id(&self) -> u64 {
        self.inner.shared.world().guild_id
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }
}
