//! Sending one order to a target and collecting every addressed shop's answer.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, consumer};
use async_nats::HeaderMap;
use futures::{StreamExt, TryStreamExt};
use subjects::subject::{self, CONTROL_STREAM};
use subjects::{Name, Order, Reply, ShopId, Target};

/// What became of the order for one shop.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// The shop answered.
    Replied(Reply),
    /// The shop is offline: the order waits in its queue and runs when it starts.
    Queued,
    /// The shop is online but did not answer in time; the order stays in its queue.
    NoReply,
}

/// The result of sending one order.
#[derive(Debug, Clone)]
pub struct Dispatch {
    /// The order sent.
    pub order: Order,
    /// Where it went.
    pub target: Target,
    /// Its sequence in the control stream.
    pub stream_seq: u64,
    /// Whether the broker had already stored an order with this id (a retry).
    pub duplicate: bool,
    /// Each addressed shop, by id.
    pub shops: BTreeMap<ShopId, Delivery>,
}

/// Why an order could not be sent. Nothing was published in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No shop's consumer reads orders for this target.
    #[error("no shop receives orders for `{0}`: it is neither a shop id nor a group of one (known shops: {1})")]
    UnknownTarget(Target, String),
    /// The broker failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Shellia's connection to the fleet.
#[derive(Clone)]
pub struct FleetClient {
    client: async_nats::Client,
    js: jetstream::Context,
    identity: Name,
}

impl FleetClient {
    /// Connects as the Shellia `identity`.
    pub async fn connect(url: &str, identity: Name, seed: &str) -> anyhow::Result<Self> {
        let client =
            broker::connect::options(seed, &subject::shellia_inbox(&identity), &format!("shellia-{identity}"), None)
                .connect(url)
                .await
                .with_context(|| format!("Failed to connect to NATS at {url} as Shellia `{identity}`"))?;
        Ok(Self::from_client(client, identity))
    }

    /// Wraps an existing connection.
    pub fn from_client(client: async_nats::Client, identity: Name) -> Self {
        let js = jetstream::new(client.clone());
        Self { client, js, identity }
    }

    /// This Shellia's identity, as recorded in orders (`shellia:<identity>`).
    pub fn issuer(&self) -> String {
        format!("shellia:{}", self.identity)
    }

    /// The shops whose consumer reads orders for `target`, with their pending pull count
    /// (`num_waiting` > 0 means the shop is connected and waiting for orders).
    pub async fn addressed_shops(&self, target: &Target) -> anyhow::Result<BTreeMap<ShopId, usize>> {
        let filter = subject::control_filter(target);
        let stream = self.js.get_stream_no_info(CONTROL_STREAM).await.context("Failed to open the control stream")?;
        let infos: Vec<consumer::Info> =
            stream.consumers().try_collect().await.context("Failed to list the shops' consumers")?;
        Ok(infos
            .into_iter()
            .filter(|info| info.config.filter_subjects.contains(&filter) || info.config.filter_subject == filter)
            .filter_map(|info| Name::parse(info.name.clone()).ok().map(|id| (id, info.num_waiting)))
            .collect())
    }

    /// Every shop of the fleet (every consumer that reads `all`).
    pub async fn shops(&self) -> anyhow::Result<Vec<ShopId>> {
        Ok(self.addressed_shops(&Target::All).await?.into_keys().collect())
    }

    /// Publishes `order` for `target` and waits up to `wait` for every addressed shop's reply.
    #[tracing::instrument(skip_all, fields(order_id = %order.id, target = %target))]
    pub async fn send(&self, target: &Target, order: Order, wait: Duration) -> Result<Dispatch, SendError> {
        let addressed = self.addressed_shops(target).await?;
        if addressed.is_empty() {
            let known = self.shops().await.unwrap_or_default();
            let known = known.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            return Err(SendError::UnknownTarget(target.clone(), known));
        }
        // Subscribe before publishing so that no reply can be missed.
        let mut replies = self
            .client
            .subscribe(subject::replies_to(&order.id))
            .await
            .context("Failed to subscribe to the replies")?;
        let mut headers = HeaderMap::new();
        headers.insert(subject::MSG_ID_HEADER, order.id.as_ref());
        let ack = self
            .js
            .publish_with_headers(subject::control(target, order.action()), headers, order.to_json().into())
            .await
            .context("Failed to publish the order")?
            .await
            .context("The control stream did not store the order")?;

        let mut shops: BTreeMap<ShopId, Delivery> = BTreeMap::new();
        let deadline = tokio::time::Instant::now() + wait;
        while shops.len() < addressed.len() {
            let Ok(Some(message)) = tokio::time::timeout_at(deadline, replies.next()).await else { break };
            match serde_json::from_slice::<Reply>(&message.payload) {
                Ok(reply) if addressed.contains_key(&reply.instance) => {
                    shops.insert(reply.instance.clone(), Delivery::Replied(reply));
                }
                Ok(reply) => tracing::warn!(shop = %reply.instance, "reply from a shop that was not addressed"),
                Err(e) => tracing::warn!(error.message = %e, subject = %message.subject, "unreadable reply"),
            }
        }
        let _ = replies.unsubscribe().await;
        if shops.len() < addressed.len() {
            let now = self.addressed_shops(target).await.unwrap_or_default();
            for id in addressed.keys() {
                if !shops.contains_key(id) {
                    let online = now.get(id).copied().unwrap_or(0) > 0;
                    shops.insert(id.clone(), if online { Delivery::NoReply } else { Delivery::Queued });
                }
            }
        }
        Ok(Dispatch { order, target: target.clone(), stream_seq: ack.sequence, duplicate: ack.duplicate, shops })
    }
}
