//! Shops and Shellia's raw side of the protocol, for integration tests.

use std::time::Duration;

use crate::TestFleet;
use async_nats::jetstream;
use async_nats::HeaderMap;
use futures::StreamExt;
use maxis::configuration::{DatabaseSettings, NatsSettings, Settings, ShopSettings};
use maxis::startup::Application;
use secrecy::SecretString;
use subjects::subject::{self, EVENTS_STREAM};
use subjects::{Event, OrderId, Reply};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A Maxis shop running in this process, stopped on drop.
pub struct TestApp {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Stops the shop and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Settings of shop `id` in `fleet`, with its database at `db`.
pub fn settings(fleet: &TestFleet, id: &str, db: &std::path::Path) -> Settings {
    let seed = fleet.fleet.seed(&fleet.shop(id)).unwrap();
    Settings {
        shop: ShopSettings { id: id.to_owned() },
        nats: NatsSettings {
            url: fleet.url().to_owned(),
            seed: Some(SecretString::from(seed)),
            seed_file: String::new(),
            batch: 16,
        },
        database: DatabaseSettings { path: db.display().to_string() },
    }
}

/// Starts shop `id` with its database in `dir` (reused across restarts).
pub async fn spawn_app(fleet: &TestFleet, id: &str, dir: &std::path::Path) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        maxis::telemetry::init("maxis=debug,info");
    }
    let db = dir.join(format!("{id}.db"));
    let app = Application::build(settings(fleet, id, &db)).await.expect("the shop starts");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestApp { stop: Some(stop), task: Some(task) }
}

/// Shellia's raw side of the protocol: publish `payload` on `subject` with `msg_id` and wait for
/// the reply of `shop` to `order_id`.
pub async fn request(
    fleet: &TestFleet,
    subject: &str,
    msg_id: &str,
    payload: Vec<u8>,
    shop: &str,
    order_id: &str,
) -> Reply {
    let client = fleet.connect(&fleet.shellia()).await.unwrap();
    let reply_subject = subject::reply(&subjects::Name::parse(shop).unwrap(), &OrderId::parse(order_id).unwrap());
    let mut replies = client.subscribe(reply_subject).await.unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(subject::MSG_ID_HEADER, msg_id);
    jetstream::new(client.clone())
        .publish_with_headers(subject.to_owned(), headers, payload.into())
        .await
        .unwrap()
        .await
        .unwrap();
    let message = tokio::time::timeout(Duration::from_secs(10), replies.next()).await.expect("a reply").unwrap();
    serde_json::from_slice(&message.payload).unwrap()
}

/// Sends a typed order to `shop` and returns its reply.
pub async fn send(fleet: &TestFleet, shop: &str, order: &subjects::Order) -> Reply {
    let target = subjects::Target::parse(shop).unwrap();
    let subject = subject::control(&target, order.action());
    request(fleet, &subject, order.id.as_ref(), order.to_json(), shop, order.id.as_ref()).await
}

/// Every event stored in MAXIS_EVENTS so far, read as ops does.
pub async fn events(fleet: &TestFleet) -> Vec<Event> {
    let js = jetstream::new(fleet.connect(&fleet.ops()).await.unwrap());
    let mut stream = js.get_stream(EVENTS_STREAM).await.unwrap();
    let count = stream.info().await.unwrap().state.messages as usize;
    if count == 0 {
        return Vec::new();
    }
    let consumer = stream.create_consumer(jetstream::consumer::pull::OrderedConfig::default()).await.unwrap();
    let mut messages = consumer.messages().await.unwrap().take(count);
    let mut out = Vec::new();
    while let Some(message) = tokio::time::timeout(Duration::from_secs(5), messages.next()).await.unwrap() {
        out.push(serde_json::from_slice(&message.unwrap().payload).unwrap());
    }
    out
}

/// Waits until an event matching `pred` is stored, or panics.
pub async fn wait_for_event(fleet: &TestFleet, pred: impl Fn(&Event) -> bool) -> Event {
    for _ in 0..100 {
        if let Some(e) = events(fleet).await.into_iter().find(|e| pred(e)) {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the expected event never came");
}
