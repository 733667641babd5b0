use std::time::Duration;

use shellia::bus::{Delivery, Dispatch, FleetClient};
use shellia::command::build_order;
use testkit::TestFleet;

pub const WAIT: Duration = Duration::from_secs(5);

/// Shellia `admin` connected to the test fleet.
pub async fn shellia(fleet: &TestFleet) -> FleetClient {
    let client = fleet.connect(&fleet.shellia()).await.unwrap();
    let seed = secrecy::SecretString::from(fleet.fleet.seed(&fleet.shellia()).unwrap());
    FleetClient::from_client(client, subjects::Name::parse("admin").unwrap(), seed)
}

/// `shellia send <target> <action> [params]`, as the CLI builds it.
pub async fn send(shellia: &FleetClient, target: &str, action: &str, params: &[&str], wait: Duration) -> Dispatch {
    let (target, order) = build_order(target, action, params, &shellia.issuer()).unwrap();
    shellia.send(&target, order, wait).await.unwrap()
}

/// The shops that answered ok.
pub fn answered(dispatch: &Dispatch) -> Vec<String> {
    dispatch
        .shops
        .iter()
        .filter(|(_, d)| matches!(d, Delivery::Replied(r) if r.ok))
        .map(|(id, _)| id.to_string())
        .collect()
}

/// Shellia's assistant on the test fleet, with its own database in `dir` and `layer` (TOML)
/// over the default settings.
pub async fn assistant(fleet: &TestFleet, dir: &std::path::Path, layer: &str) -> shellia::assistant::Assistant {
    let db = dir.join("shellia.db");
    let layer = format!("reply_timeout_ms = 5000\n[database]\npath = {:?}\n{layer}", db.display().to_string());
    let settings = shellia::configuration::Settings::with_layer(&layer).unwrap();
    shellia::assistant::Assistant::build(shellia(fleet).await, &settings).await.unwrap()
}

/// The local console operator.
pub fn operator() -> shellia::assistant::Requester {
    shellia::assistant::Requester::console("tester")
}

/// How many orders the control stream holds (everything Shellia ever published).
pub async fn orders_sent(fleet: &TestFleet) -> u64 {
    let js = async_nats::jetstream::new(fleet.connect(&testkit::fleet::provisioner()).await.unwrap());
    let mut stream = js.get_stream(subjects::subject::CONTROL_STREAM).await.unwrap();
    stream.info().await.unwrap().state.messages
}

/// A Discord member who is not an admin.
pub fn member(id: u64, roles: Vec<u64>) -> shellia::assistant::Requester {
    shellia::assistant::Requester {
        id: format!("discord:{id}"),
        name: format!("member{id}"),
        roles,
        admin_permission: false,
        console: false,
    }
}

/// A stand-in for an OpenAI-compatible chat endpoint: answers every `POST /v1/chat/completions`
/// with `reply` and keeps the request bodies. Returns its base URL (`http://127.0.0.1:PORT/v1`).
pub async fn fake_llm(reply: serde_json::Value) -> (String, std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    use axum::routing::post;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let (reply, kept) = (reply.clone(), kept.clone());
            async move {
                kept.lock().unwrap().push(body);
                axum::Json(reply)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// A chat completion whose message holds one tool call.
pub fn tool_call(name: &str, arguments: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "stand-in",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}]
        }}]
    })
}
