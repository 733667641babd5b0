//! The raw engine, with no application code: a responder on a shop's durable consumer (pull,
//! core reply, ack) and a requester that publishes to the control stream and counts replies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer};
use async_nats::HeaderMap;
use futures::StreamExt;
use subjects::subject::{self, CONTROL_STREAM};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use testkit::TestFleet;

/// Answers every order of `shop`'s consumer on `maxis.<shop>.reply.<msg-id>`, then acks it.
pub async fn responder(fleet: &TestFleet, shop: &str) -> anyhow::Result<JoinHandle<anyhow::Result<()>>> {
    let client = fleet.connect(&fleet.shop(shop)).await?;
    let consumer: PullConsumer = jetstream::new(client.clone()).get_consumer_from_stream(shop, CONTROL_STREAM).await?;
    let shop = shop.to_owned();
    Ok(tokio::spawn(async move {
        let mut messages = consumer.stream().max_messages_per_batch(256).messages().await?;
        while let Some(Ok(m)) = messages.next().await {
            let id = m.headers.as_ref().and_then(|h| h.get(subject::MSG_ID_HEADER)).map(|v| v.to_string());
            client.publish(format!("maxis.{shop}.reply.{}", id.unwrap_or_default()), "{}".into()).await?;
            m.ack().await.map_err(|e| anyhow::anyhow!(e))?;
        }
        anyhow::Ok(())
    }))
}

type Waiting = Arc<Mutex<HashMap<String, (usize, Option<oneshot::Sender<()>>)>>>;

/// Shellia's side without application code: one reply subscription, replies counted per id.
#[derive(Clone)]
pub struct Requester {
    js: jetstream::Context,
    waiting: Waiting,
    router: Arc<JoinHandle<anyhow::Result<()>>>,
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
        Ok(Self { js: jetstream::new(client), waiting, router: Arc::new(router) })
    }

    /// Publishes order `id` to `target` (stored, acked by the stream) and waits for `replies`.
    pub async fn order(&self, target: &str, id: &str, replies: usize) -> anyhow::Result<()> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.insert(id.to_owned(), (replies, Some(tx)));
        let mut headers = HeaderMap::new();
        headers.insert(subject::MSG_ID_HEADER, id);
        self.js.publish_with_headers(format!("maxis.{target}.control.status"), headers, "{}".into()).await?.await?;
        tokio::time::timeout(Duration::from_secs(10), rx).await??;
        Ok(())
    }

    /// Stops routing replies.
    pub fn stop(&self) {
        self.router.abort();
    }
}
