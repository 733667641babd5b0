//! Shops and Shellia's raw side of the protocol, for integration tests.

use std::time::Duration;

use crate::TestFleet;
use async_nats::jetstream;
use async_nats::HeaderMap;
use futures::StreamExt;
use maxis::configuration::{
    CatalogSettings, CheckoutSettings, DatabaseSettings, HttpSettings, NatsSettings, SecuritySettings, Settings,
    ShopSettings, StripeSettings,
};
use maxis::startup::{Application, Exit};
use secrecy::SecretString;
use subjects::subject::{self, EVENTS_STREAM};
use subjects::{Event, OrderId, Reply};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A Maxis shop running in this process, stopped on drop.
pub struct TestApp {
    /// The shop's HTTP address (`/healthz`, `/metrics`, `/stripe/webhook`).
    pub http: std::net::SocketAddr,
    /// The shop's commerce (what the Discord handlers call).
    pub commerce: maxis::commerce::Commerce,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<Exit>>>,
}

impl TestApp {
    /// Stops the shop and waits for it to finish.
    pub async fn stop(mut self) -> Exit {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.finished().await
    }

    /// Waits until the shop stops by itself (e.g. after a `restart` order).
    pub async fn finished(mut self) -> Exit {
        let task = self.task.take().expect("the shop is running");
        tokio::time::timeout(Duration::from_secs(30), task).await.expect("the shop stopped").unwrap().unwrap()
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
        security: SecuritySettings { shellia_keys: vec![fleet.fleet.public_key(&fleet.shellia()).unwrap()] },
        http: HttpSettings { listen: "127.0.0.1:0".to_owned() },
        stripe: StripeSettings { secret_key: None, webhook_secret: None, api_base: String::new() },
        checkout: CheckoutSettings {
            hold_minutes: 30,
            success_url: "https://example.test/paid".to_owned(),
            cancel_url: "https://example.test/cancelled".to_owned(),
        },
        catalog: CatalogSettings { path: String::new() },
        discord: Default::default(),
        roles: Default::default(),
        memberships: Default::default(),
    }
}

/// Starts shop `id` with its database in `dir` (reused across restarts).
pub async fn spawn_app(fleet: &TestFleet, id: &str, dir: &std::path::Path) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        maxis::telemetry::init("maxis=debug,info");
    }
    let db = dir.join(format!("{id}.db"));
    spawn_with(settings(fleet, id, &db)).await
}

/// Starts a shop with the given settings, as `maxis` does: through Discord when the settings
/// carry a token (e.g. the fake Discord's), headless otherwise.
pub async fn spawn_with(settings: Settings) -> TestApp {
    run_app(Application::build(settings).await.expect("the shop starts")).await
}

/// Starts a shop with the given settings and member port; `TestApp::commerce` gives its commerce.
pub async fn spawn_with_members(settings: Settings, members: std::sync::Arc<dyn maxis::members::Members>) -> TestApp {
    run_app(Application::build_with(settings, members).await.expect("the shop starts")).await
}

async fn run_app(app: Application) -> TestApp {
    let commerce = app.commerce().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let (addr_tx, addr_rx) = oneshot::channel();
    let task = tokio::spawn(app.run_with(
        async move {
            let _ = stopped.await;
        },
        move |addr| {
            let _ = addr_tx.send(addr);
        },
    ));
    let http = addr_rx.await.expect("the shop serves HTTP");
    TestApp { http, commerce, stop: Some(stop), task: Some(task) }
}

/// Shellia's raw side of the protocol: publish `payload` on `subject` with `msg_id`, signed by
/// Shellia `admin`, and wait for the reply of `shop` to `order_id`.
pub async fn request(
    fleet: &TestFleet,
    subject: &str,
    msg_id: &str,
    payload: Vec<u8>,
    shop: &str,
    order_id: &str,
) -> Reply {
    let seed = fleet.fleet.seed(&fleet.shellia()).unwrap();
    let (signer, signature) = subjects::signature::sign(&seed, subject, &payload).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(subjects::signature::SIGNER_HEADER, signer.as_str());
    headers.insert(subjects::signature::SIGNATURE_HEADER, signature.as_str());
    request_with(fleet, subject, msg_id, headers, payload, (shop, order_id)).await
}

/// [`request`] with the given headers (no signature added); waits for `reply_of` = (shop, order id).
pub async fn request_with(
    fleet: &TestFleet,
    subject: &str,
    msg_id: &str,
    mut headers: HeaderMap,
    payload: Vec<u8>,
    reply_of: (&str, &str),
) -> Reply {
    let client = fleet.connect(&fleet.shellia()).await.unwrap();
    let reply_subject =
        subject::reply(&subjects::Name::parse(reply_of.0).unwrap(), &OrderId::parse(reply_of.1).unwrap());
    let mut replies = client.subscribe(reply_subject).await.unwrap();
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

/// Every event stored in MAXIS_EVENTS so far, read as ops does (once it has sourced what the
/// shops' intakes took).
pub async fn events(fleet: &TestFleet) -> Vec<Event> {
    fleet.events_sourced().await;
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

/// Publishes `payload` on `subject` signed by Shellia `admin`, without waiting for a reply.
pub async fn publish_signed(fleet: &TestFleet, subject: &str, payload: Vec<u8>) {
    let seed = fleet.fleet.seed(&fleet.shellia()).unwrap();
    let (signer, signature) = subjects::signature::sign(&seed, subject, &payload).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(subjects::signature::SIGNER_HEADER, signer.as_str());
    headers.insert(subjects::signature::SIGNATURE_HEADER, signature.as_str());
    let client = fleet.connect(&fleet.shellia()).await.unwrap();
    jetstream::new(client)
        .publish_with_headers(subject.to_owned(), headers, payload.into())
        .await
        .unwrap()
        .await
        .unwrap();
}

/// A plain HTTP/1.0 GET: (status code, body).
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let status = raw.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// A member port over an in-memory guild: members hold roles (granted, revoked, or changed "by
/// hand" with [`RecordingMembers::set_roles_by_hand`]), may leave and rejoin, may have closed DMs,
/// and roles in `forbidden` are refused as Discord's 50013 until removed from it. Every grant,
/// revoke, DM, post and admin note is recorded. Members are in the server unless they left.
#[derive(Default)]
pub struct RecordingMembers {
    /// (user, role) granted, in order.
    pub grants: std::sync::Mutex<Vec<(String, String)>>,
    /// (user, role) revoked, in order.
    pub revokes: std::sync::Mutex<Vec<(String, String)>>,
    /// (user, text) sent by DM.
    pub dms: std::sync::Mutex<Vec<(String, String)>>,
    /// Roles Discord refuses.
    pub forbidden: std::sync::Mutex<Vec<String>>,
    /// (channel, text) posted.
    pub posts: std::sync::Mutex<Vec<(String, String)>>,
    /// Texts told to the admins.
    pub admin_notes: std::sync::Mutex<Vec<String>>,
    /// Members whose DMs are closed (Discord's 50007).
    pub closed_dms: std::sync::Mutex<Vec<String>>,
    /// Every DM attempt, delivered or not: (user, text).
    pub dm_attempts: std::sync::Mutex<Vec<(String, String)>>,
    /// Member lookups (each a GET of the member).
    pub lookups: std::sync::atomic::AtomicUsize,
    roles: std::sync::Mutex<std::collections::HashMap<String, std::collections::BTreeSet<String>>>,
    left: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl RecordingMembers {
    fn check(&self, user: &str, role: &str) -> Result<(), maxis::members::MemberError> {
        if self.left.lock().unwrap().contains(user) {
            return Err(maxis::members::MemberError::Forbidden("10007 Unknown Member".into()));
        }
        if self.forbidden.lock().unwrap().iter().any(|r| r == role) {
            return Err(maxis::members::MemberError::Forbidden(
                "50013 Missing Permissions: the role is above the bot's".into(),
            ));
        }
        Ok(())
    }

    /// Whether `user` holds `role` now.
    pub fn holds(&self, user: &str, role: &str) -> bool {
        self.roles.lock().unwrap().get(user).is_some_and(|r| r.contains(role))
    }

    /// Replaces a member's roles as an admin would in Discord, without telling the shop (no
    /// gateway event: only the drift check can notice).
    pub fn set_roles_by_hand(&self, user: &str, roles: &[&str]) {
        let roles = roles.iter().map(|r| (*r).to_owned()).collect();
        self.roles.lock().unwrap().insert(user.to_owned(), roles);
    }

    /// The member leaves the server (Discord drops their roles).
    pub fn leave(&self, user: &str) {
        self.left.lock().unwrap().insert(user.to_owned());
        self.roles.lock().unwrap().remove(user);
    }

    /// The member joins again, with no roles.
    pub fn rejoin(&self, user: &str) {
        self.left.lock().unwrap().remove(user);
    }
}

impl maxis::members::Members for RecordingMembers {
    fn member_roles<'a>(
        &'a self,
        user: &'a str,
    ) -> maxis::payments::BoxFuture<'a, Result<Option<Vec<String>>, maxis::members::MemberError>> {
        Box::pin(async move {
            self.lookups.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if self.left.lock().unwrap().contains(user) {
                return Ok(None);
            }
            Ok(Some(self.roles.lock().unwrap().get(user).map(|r| r.iter().cloned().collect()).unwrap_or_default()))
        })
    }
    fn tell_admins<'a>(
        &'a self,
        text: &'a str,
    ) -> maxis::payments::BoxFuture<'a, Result<(), maxis::members::MemberError>> {
        Box::pin(async move {
            self.admin_notes.lock().unwrap().push(text.to_owned());
            Ok(())
        })
    }
    fn grant_role<'a>(
        &'a self,
        user: &'a str,
        role: &'a str,
    ) -> maxis::payments::BoxFuture<'a, Result<(), maxis::members::MemberError>> {
        Box::pin(async move {
            self.check(user, role)?;
            self.grants.lock().unwrap().push((user.to_owned(), role.to_owned()));
            self.roles.lock().unwrap().entry(user.to_owned()).or_default().insert(role.to_owned());
            Ok(())
        })
    }
    fn revoke_role<'a>(
        &'a self,
        user: &'a str,
        role: &'a str,
    ) -> maxis::payments::BoxFuture<'a, Result<(), maxis::members::MemberError>> {
        Box::pin(async move {
            self.check(user, role)?;
            self.revokes.lock().unwrap().push((user.to_owned(), role.to_owned()));
            self.roles.lock().unwrap().entry(user.to_owned()).or_default().remove(role);
            Ok(())
        })
    }
    fn send_dm<'a>(
        &'a self,
        user: &'a str,
        text: &'a str,
    ) -> maxis::payments::BoxFuture<'a, Result<(), maxis::members::MemberError>> {
        Box::pin(async move {
            self.dm_attempts.lock().unwrap().push((user.to_owned(), text.to_owned()));
            if self.closed_dms.lock().unwrap().iter().any(|u| u == user) {
                return Err(maxis::members::MemberError::Forbidden("50007 Cannot send messages to this user".into()));
            }
            self.dms.lock().unwrap().push((user.to_owned(), text.to_owned()));
            Ok(())
        })
    }
    fn post<'a>(
        &'a self,
        channel: &'a str,
        text: &'a str,
        _buttons: &'a [maxis::members::Button],
    ) -> maxis::payments::BoxFuture<'a, Result<(), maxis::members::MemberError>> {
        Box::pin(async move {
            self.posts.lock().unwrap().push((channel.to_owned(), text.to_owned()));
            Ok(())
        })
    }
    fn post_file<'a>(
        &'a self,
        channel: &'a str,
        text: &'a str,
        name: &'a str,
        body: &'a [u8],
    ) -> maxis::payments::BoxFuture<'a, Result<(), maxis::members::MemberError>> {
        Box::pin(async move {
            let text = format!("{text}\n[attached {name}: {} bytes]", body.len());
            self.posts.lock().unwrap().push((channel.to_owned(), text));
            Ok(())
        })
    }
}
