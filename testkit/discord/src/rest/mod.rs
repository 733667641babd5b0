//! The REST API (`/api/v10/...`): one handler reads every request (JSON or multipart with `payload_json` and
//! `files[n]`), identifies the bot from `Authorization: Bot <token>`, routes it, answers with Discord's shapes
//! and error bodies, and records the call. Unknown routes answer 404 `{"message":"404: Not Found","code":0}`.

mod app;
mod channels;
pub(crate) mod guild;
mod interactions;

pub(crate) use app::registered as registered_commands;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::gateway;
use crate::state::Shared;
use crate::Call;

/// Request bodies above this size are refused (Discord's own limit for bots is 10 MiB of attachments).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// The fake's app: the gateway websocket at `/gateway`, everything else through [`handle`].
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().route("/gateway", get(gateway::upgrade)).fallback(handle).with_state(shared)
}

/// A request as the routes see it.
pub(crate) struct Req {
    pub method: String,
    pub query: HashMap<String, String>,
    pub body: Value,
    pub files: Vec<(String, Vec<u8>)>,
    /// The bot the token identified.
    pub bot: Option<u64>,
}

/// An answer: a status and a JSON body (none for 204).
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

impl Reply {
    pub fn json(body: Value) -> Reply {
        Reply { status: 200, body: Some(body) }
    }

    pub fn no_content() -> Reply {
        Reply { status: 204, body: None }
    }

    /// Discord's error body: `{"message": ..., "code": ...}`.
    pub fn error(status: u16, code: u32, message: &str) -> Reply {
        Reply { status, body: Some(json!({ "message": message, "code": code })) }
    }

    pub fn not_found() -> Reply {
        Reply::error(404, 0, "404: Not Found")
    }

    pub fn unauthorized() -> Reply {
        Reply::error(401, 0, "401: Unauthorized")
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: axum::extract::Request) -> Response {
    let at = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let raw_query = request.uri().query().unwrap_or_default().to_string();
    let token = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let bot = token.as_deref().and_then(|t| t.strip_prefix("Bot ")).and_then(|t| shared.world().bot_by_token(t));
    let (body, files) = match read_body(request).await {
        Ok(read) => read,
        Err(reply) => return respond(&shared, Call::new(bot, method, path, raw_query, Value::Null, at), reply),
    };
    let query = raw_query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let req = Req { method: method.clone(), query, body: body.clone(), files: files.clone(), bot };
    let segments: Vec<&str> = path.strip_prefix("/api/v10/").map(|p| p.split('/').collect()).unwrap_or_default();
    let reply = route(&shared, &req, &segments);
    let mut call = Call::new(bot, method, path, raw_query, body, at);
    call.attachments = files;
    respond(&shared, call, reply)
}

fn route(shared: &Shared, req: &Req, segments: &[&str]) -> Reply {
    if segments.is_empty() {
        return Reply::not_found();
    }
    // Interaction callbacks and webhooks authenticate with the token in their path, as on Discord.
    if let Some(reply) = interactions::route(shared, req, segments) {
        return reply;
    }
    if req.bot.is_none() {
        return Reply::unauthorized();
    }
    app::route(shared, req, segments)
        .or_else(|| channels::route(shared, req, segments))
        .or_else(|| guild::route(shared, req, segments))
        .unwrap_or_else(Reply::not_found)
}

fn respond(shared: &Shared, mut call: Call, reply: Reply) -> Response {
    call.status = reply.status;
    shared.update(|world| world.calls.push(call));
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match reply.body {
        Some(body) => (status, Json(body)).into_response(),
        None => (status, Body::empty()).into_response(),
    }
}

/// The JSON body (or multipart `payload_json`) and the multipart files.
async fn read_body(request: axum::extract::Request) -> Result<(Value, Vec<(String, Vec<u8>)>), Reply> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let bad = |what: &str| Reply::error(400, 50035, &format!("Invalid Form Body ({what})"));
    if !multipart {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY).await.map_err(|_| bad("body"))?;
        let body =
            if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).map_err(|_| bad("json"))? };
        return Ok((body, Vec::new()));
    }
    let mut form = Multipart::from_request(request, &()).await.map_err(|_| bad("multipart"))?;
    let (mut body, mut files) = (Value::Null, Vec::new());
    while let Some(field) = form.next_field().await.map_err(|_| bad("multipart field"))? {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|_| bad("multipart field"))?;
        if name == "payload_json" {
            body = serde_json::from_slice(&bytes).map_err(|_| bad("payload_json"))?;
        } else if name.starts_with("files[") {
            files.push((filename.unwrap_or(name), bytes.to_vec()));
        }
    }
    Ok((body, files))
}

/// Parses a snowflake path segment.
pub(crate) fn id(segment: &str) -> Option<u64> {
    segment.parse().ok()
}
