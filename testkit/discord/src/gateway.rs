//! The gateway: a websocket at `/gateway` speaking Discord's JSON protocol (v10, no compression).
//!
//! HELLO on connect; IDENTIFY (op 2) checks the token, records the intents and gets READY then GUILD_CREATE;
//! heartbeats (op 1) get ACKs (op 11); RESUME (op 6) gets an invalid session (op 9, `d: false`), after which
//! serenity identifies again. Dispatches carry increasing sequence numbers per session.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::model;
use crate::state::{Session, Shared, World};
use crate::world::INTENT_GUILD_MEMBERS;

/// The interval Discord announces in HELLO, in milliseconds.
const HEARTBEAT_INTERVAL_MS: u64 = 41_250;
/// Close code for a token the fake does not know ("Authentication failed.").
const CLOSE_AUTHENTICATION_FAILED: u16 = 4004;

/// What the writer task sends on the websocket.
pub(crate) enum Out {
    Text(String),
    Close(u16, &'static str),
}

/// `GET /gateway` (any query: serenity adds `?v=10`): upgrades to a websocket.
pub(crate) async fn upgrade(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| run(shared, socket))
}

async fn run(shared: Arc<Shared>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
    let writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let frame = match out {
                Out::Text(text) => Frame::Text(text.into()),
                Out::Close(code, reason) => Frame::Close(Some(CloseFrame { code, reason: reason.into() })),
            };
            if sink.send(frame).await.is_err() {
                break;
            }
        }
    });
    send(&tx, json!({ "op": 10, "d": { "heartbeat_interval": HEARTBEAT_INTERVAL_MS }, "s": null, "t": null }));
    // The session's `alive` sender lives in the world: when the session is replaced or the fake is dropped,
    // `ended` resolves and this connection closes.
    let mut ended: Option<oneshot::Receiver<()>> = None;
    let mut identified: Option<(u64, String)> = None;
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            _ = async { match ended.as_mut() { Some(rx) => { let _ = rx.await; } None => std::future::pending().await } } => break,
        };
        let Some(Ok(frame)) = frame else { break };
        let text = match frame {
            Frame::Text(text) => text.to_string(),
            Frame::Close(_) => break,
            _ => continue,
        };
        let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
        match payload["op"].as_u64() {
            Some(1) => send(&tx, json!({ "op": 11, "d": null, "s": null, "t": null })),
            Some(2) => match identify(&shared, &tx, &payload["d"]) {
                Some((bot, session_id, alive)) => {
                    identified = Some((bot, session_id));
                    ended = Some(alive);
                }
                None => break,
            },
            Some(6) => send(&tx, json!({ "op": 9, "d": false, "s": null, "t": null })),
            _ => {}
        }
    }
    if let Some((bot, session_id)) = identified {
        shared.update(|world| {
            if world.sessions.get(&bot).is_some_and(|s| s.session_id == session_id) {
                world.sessions.remove(&bot);
            }
        });
    }
    drop(tx);
    let _ = writer.await;
}

fn send(tx: &mpsc::UnboundedSender<Out>, payload: Value) {
    // A closed channel means the connection is going away: nothing left to tell.
    let _ = tx.send(Out::Text(payload.to_string()));
}

/// IDENTIFY: the token must be a bot's. Registers the session and sends READY and GUILD_CREATE.
fn identify(
    shared: &Shared,
    tx: &mpsc::UnboundedSender<Out>,
    d: &Value,
) -> Option<(u64, String, oneshot::Receiver<()>)> {
    let token = d["token"].as_str().unwrap_or_default();
    let token = token.strip_prefix("Bot ").unwrap_or(token);
    let session_id = format!("{:x}", shared.next_id());
    let (alive, ended) = oneshot::channel();
    let port = shared.port;
    let bot = shared.update(|world| {
        let bot = world.bot_by_token(token)?;
        let intents = d["intents"].as_u64().unwrap_or(0);
        let session = Session { session_id: session_id.clone(), intents, seq: 0, tx: tx.clone(), _alive: alive };
        world.sessions.insert(bot, session);
        let application_id = world.bots[&bot].application_id;
        let mut user = model::user(world, bot);
        user["verified"] = json!(true);
        user["mfa_enabled"] = json!(false);
        let ready = json!({
            "v": 10, "user": user, "guilds": [{ "id": world.guild_id.to_string(), "unavailable": true }],
            "session_id": session_id, "resume_gateway_url": format!("ws://127.0.0.1:{port}/gateway"),
            "shard": d.get("shard").cloned().unwrap_or(json!([0, 1])),
            "application": { "id": application_id.to_string(), "flags": 0 },
            "private_channels": [], "presences": [], "relationships": [], "guild_join_requests": [],
            "geo_ordered_rtc_regions": [], "user_settings": {}, "_trace": ["fake-discord"],
        });
        dispatch(world, bot, "READY", &ready);
        let members = if intents & INTENT_GUILD_MEMBERS != 0 {
            world.members.values().map(|m| model::member(world, m, false)).collect()
        } else {
            world.members.get(&bot).map(|m| model::member(world, m, false)).into_iter().collect()
        };
        let guild = model::guild(world, Some(members));
        dispatch(world, bot, "GUILD_CREATE", &guild);
        Some(bot)
    });
    if bot.is_none() {
        let _ = tx.send(Out::Close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed."));
    }
    bot.map(|bot| (bot, session_id, ended))
}

/// Sends a dispatch (op 0) to one bot's session, if it is connected.
pub(crate) fn dispatch(world: &mut World, bot: u64, event: &str, data: &Value) {
    if let Some(session) = world.sessions.get_mut(&bot) {
        session.seq += 1;
        let payload = json!({ "op": 0, "s": session.seq, "t": event, "d": data });
        let _ = session.tx.send(Out::Text(payload.to_string()));
    }
}

/// Sends a dispatch to every connected bot that identified with `intent`.
pub(crate) fn dispatch_with_intent(world: &mut World, intent: u64, event: &str, data: &Value) {
    let bots: Vec<u64> = world.sessions.iter().filter(|(_, s)| s.intents & intent != 0).map(|(id, _)| *id).collect();
    for bot in bots {
        dispatch(world, bot, event, data);
    }
}

/// The intents a bot identified with, if it is connected.
pub(crate) fn intents(world: &World, bot: u64) -> Option<u64> {
    world.sessions.get(&bot).map(|s| s.intents)
}
