//! The engine without our application code, for ratios:
//! - [`Answer::Raw`]: a responder on a shop's durable consumer (pull, core reply, ack), no parsing;
//! - [`Answer::Contract`]: the same, speaking the contract (the order parsed, a `Reply` on
//!   `maxis.<shop>.reply.<order-id>`): the lightweight shops of the fleet scenario;
//! - [`Answer::Floor`]: the raw path with our guarantees and nothing else: the order's ed25519
//!   signature checked, one event stored in `MAXIS_EVENTS` (acked by the stream) before the reply.
//!
//! And a requester that publishes to the control stream (signed when given a seed) and counts replies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer};
use async_nats::HeaderMap;
use futures::StreamExt;
use subjects::signature::{self, SIGNATURE_HEADER, SIGNER_HEADER};
use subjects::subject::{self, CONTROL_STREAM};
use subjects::{Event, EventKind, Name, Order, Reply};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use testkit::TestFleet;

/// How a bare responder answers.
#[derive(Clone)]
pub enum Answer {
    /// `{}` on the reply subject.
    Raw,
    /// A contract `Reply` to the parsed order.
    Contract,
    /// Signature checked against these keys, one event stored, then a contract `Reply`.
    Floor(Vec<String>),
}

/// Answers every order of `shop`'s consumer on `maxis.<shop>.reply.<msg-id>`, then acks it.
pub async fn responder(fleet: &TestFleet, shop: &str) -> anyhow::Result<JoinHandle<anyhow::Result<()>>> {
    responder_with(fleet, shop, Answer::Raw).await
}

/// A responder for `shop` answering as `answer` says.
pub async fn responder_with(
    fleet: &TestFleet,
    shop: &str,
    answer: Answer,
) -> anyhow::Result<JoinHandle<anyhow::Result<()>>> {
    let client = fleet.connect(&fleet.shop(shop)).await?;
    let js = jetstream::new(client.clone());
    let consumer: PullConsumer = js.get_consumer_from_stream(shop, CONTROL_STREAM).await?;
    let shop = Name::parse(shop)?;
    Ok(tokio::spawn(async move {
        let mut messages = consumer.stream().max_messages_per_batch(256).messages().await?;
        while let Some(Ok(m)) = messages.next().await {
            let header = |name: &str| m.headers.as_ref().and_then(|h| h.get(name)).map(|v| v.to_string());
            let id = header(subject::MSG_ID_HEADER).unwrap_or_default();
            let payload: bytes::Bytes = match &answer {
                Answer::Raw => "{}".into(),
                Answer::Contract => contract_reply(&shop, &m.payload)?,
                Answer::Floor(trusted) => {
                    let signer = header(SIGNER_HEADER);
                    let signed = header(SIGNATURE_HEADER);
                    signature::verify(trusted, signer.as_deref(), signed.as_deref(), m.subject.as_str(), &m.payload)?;
                    let order = Order::from_json(&m.payload)?;
                    let event = Event::new(
                        shop.clone(),
                        EventKind::known(EventKind::ORDER_EXECUTED),
                        Some(order.id.clone()),
                        serde_json::json!({"action": order.action().as_str()}),
                    );
                    let kind = EventKind::known(EventKind::ORDER_EXECUTED);
                    js.publish(subject::event(&shop, &kind), event.to_json().into()).await?.await?;
                    contract_reply(&shop, &m.payload)?
                }
            };
            client.publish(format!("maxis.{shop}.reply.{id}"), payload).await?;
            m.ack().await.map_err(|e| anyhow::anyhow!(e))?;
        }
        anyhow::Ok(())
    }))
}

/// The contract's answer to the order in `payload`: `ok` with a small result.
fn contract_reply(shop: &Name, payload: &[u8]) -> anyhow::Result<bytes::Bytes> {
    let order = Order::from_json(payload)?;
    let reply = Reply::ok(order.id, shop.clone(), serde_json::json!({"online": true}));
    Ok(serde_json::to_vec(&reply)?.into())
}

type Waiting = Arc<Mutex<HashMap<String, (usize, Option<oneshot::Sender<()>>)>>>;

/// Shellia's side without application code: one reply subscription, replies counted per id.
#[derive(Clone)]
pub struct Requester {
    js: jetstream::Context,
    waiting: Waiting,
    router: Arc<JoinHandle<anyhow::Result<()>>>,
    seed: Option<String>,
}

impl Requester {
    /// Connects as Shellia and subscribes to every reply.
    pub async fn start(fleet: &TestFleet) -> anyhow::Result<Self> {
        let client = fleet.connect(&fleet.shellia()).await?;
        let mut replies = client.subscribe("maxis.*.reply.>").await?;
        let waiting: Waiting = Arc::default();
        let router = {
            let waiting = waiting.clone();
            tokio::spawn(async move {
                while let Some(m) = replies.next().await {
                    let id = m.subject.rsplit('.').next().unwrap_or_default();
                    let mut waiting = waiting.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                    if let Some((left, tx)) = waiting.get_mut(id) {
                        *left = left.saturating_sub(1);
                        if *left == 0 {
                            if let Some(tx) = tx.take() {
                                let _ = tx.send(());
                            }
                            waiting.remove(id);
                        }
                    }
                }
                anyhow::Ok(())
            })
        };
        Ok(Self { js: jetstream::new(client), waiting, router: Arc::new(router), seed: None })
    }

    /// The same requester, signing what it sends with Shellia's key (for [`Answer::Floor`]).
    pub fn signing(mut self, fleet: &TestFleet) -> anyhow::Result<Self> {
        self.seed = Some(fleet.fleet.seed(&fleet.shellia())?);
        Ok(self)
    }

    /// Publishes order `id` to `target` (stored, acked by the stream) and waits for `replies`.
    pub async fn order(&self, target: &str, id: &str, replies: usize) -> anyhow::Result<()> {
        self.send(target, id, "status", "{}".into(), replies).await
    }

    /// Publishes `order` to `target` (its id as message id, signed when this requester signs) and
    /// waits for `replies`.
    pub async fn order_json(&self, target: &str, order: &Order, replies: usize) -> anyhow::Result<()> {
        self.send(target, order.id.as_ref(), order.action().as_str(), order.to_json(), replies).await
    }

    async fn send(&self, target: &str, id: &str, action: &str, payload: Vec<u8>, replies: usize) -> anyhow::Result<()> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.insert(id.to_owned(), (replies, Some(tx)));
        let mut headers = HeaderMap::new();
        headers.insert(subject::MSG_ID_HEADER, id);
        let subject = format!("maxis.{target}.control.{action}");
        if let Some(seed) = &self.seed {
            let (signer, signed) = signature::sign(seed, &subject, &payload)?;
            headers.insert(SIGNER_HEADER, signer.as_str());
            headers.insert(SIGNATURE_HEADER, signed.as_str());
        }
        self.js.publish_with_headers(subject, headers, payload.into()).await?.await?;
        tokio::time::timeout(Duration::from_secs(10), rx).await??;
        Ok(())
    }

    /// Stops routing replies.
    pub fn stop(&self) {
        self.router.abort();
    }
}
