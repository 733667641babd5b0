//! Sending one order to a target and collecting every addressed shop's answer.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, consumer};
use async_nats::HeaderMap;
use futures::{StreamExt, TryStreamExt};
use secrecy::{ExposeSecret, SecretString};
use subjects::signature::{self, SIGNATURE_HEADER, SIGNER_HEADER};
use subjects::subject::{self, CONTROL_STREAM};
use subjects::{Action, EventKind, Name, Order, Reply, ShopId, Target};
use tokio::sync::OnceCell;

use super::attribution::Forgeries;
use super::directory::Directory;
use super::replies::Replies;

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
    /// For `restart`: how long each restarted shop took to be back (`None`: not back in time).
    pub back: BTreeMap<ShopId, Option<Duration>>,
}

impl Dispatch {
    /// Whether any shop refused the order.
    pub fn any_rejected(&self) -> bool {
        self.shops.values().any(|d| matches!(d, Delivery::Replied(r) if !r.ok))
    }
}

/// One shop of the fleet as Shellia sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Shop id.
    pub id: ShopId,
    /// Groups (from its consumer's filters).
    pub groups: Vec<String>,
    /// Orders waiting for it.
    pub pending: u64,
    /// Maxis version, when online.
    pub version: Option<String>,
}

/// Why an order could not be sent. Nothing was published in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No shop's consumer reads orders for this target.
    #[error("no shop receives orders for `{0}`: it is neither a shop id nor a group of one (known shops: {1})")]
    UnknownTarget(Target, String),
    /// The order is larger than the contract allows (`subjects::limits::MAX_ORDER_BYTES`).
    #[error("the order is {0} bytes; an order may have at most {1}: shorten its text")]
    TooLarge(usize, usize),
    /// The broker failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Shellia's connection to the fleet.
#[derive(Clone)]
pub struct FleetClient {
    pub(super) client: async_nats::Client,
    pub(super) js: jetstream::Context,
    identity: Name,
    seed: SecretString,
    ttl: Duration,
    /// The shared reply subscription, made at the first send.
    replies: Arc<OnceCell<Replies>>,
    /// Replies, events and discovery answers dropped for speaking in another shop's name.
    pub(super) forgeries: Arc<Forgeries>,
    /// The shops' consumers, kept current for sends, made at the first send.
    directory: Arc<OnceCell<Directory>>,
    /// The watch over the events stream's consumers ([`FleetClient::guard_event_consumers`]).
    guard: Arc<OnceCell<super::guard::ConsumerGuard>>,
}

impl FleetClient {
    /// Connects as the Shellia `identity`; `seed` authenticates the connection and signs orders.
    pub async fn connect(url: &str, identity: Name, seed: SecretString) -> anyhow::Result<Self> {
        let inbox = subject::shellia_inbox(&identity);
        let client = broker::connect::options(seed.expose_secret(), &inbox, &format!("shellia-{identity}"), None)
            .connect(broker::connect::server_addrs(url)?)
            .await
            .with_context(|| format!("Failed to connect to NATS at {url} as Shellia `{identity}`"))?;
        Ok(Self::from_client(client, identity, seed))
    }

    /// Wraps an existing connection; `seed` signs the orders.
    pub fn from_client(client: async_nats::Client, identity: Name, seed: SecretString) -> Self {
        let js = jetstream::new(client.clone());
        Self {
            client,
            js,
            identity,
            seed,
            ttl: Duration::from_secs(86_400),
            replies: Arc::default(),
            forgeries: Arc::default(),
            directory: Arc::default(),
            guard: Arc::default(),
        }
    }

    /// Orders sent without an expiry get `ttl` (default one day): an order queued for an offline
    /// shop is not executed after that.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Replies, events and discovery answers dropped so far because a shop credential spoke in
    /// another shop's name (each offending identity is logged once).
    pub fn forgeries(&self) -> u64 {
        self.forgeries.count()
    }

    /// Starts watching the events stream's consumers (once; it runs while this client lives): a
    /// push consumer delivering anywhere but an ops or Shellia inbox is deleted at once.
    pub async fn guard_event_consumers(&self) -> anyhow::Result<()> {
        self.guard.get_or_try_init(|| super::guard::ConsumerGuard::start(&self.client)).await?;
        Ok(())
    }

    /// Push consumers on the events stream deleted so far for delivering outside a reader's inbox.
    pub fn rogue_consumers_removed(&self) -> u64 {
        self.guard.get().map_or(0, super::guard::ConsumerGuard::removed)
    }

    /// This Shellia's identity, as recorded in orders (`shellia:<identity>`).
    pub fn issuer(&self) -> String {
        format!("shellia:{}", self.identity)
    }

    /// The shops whose consumer reads orders for `target`, with their pending pull count
    /// (`num_waiting` > 0 means the shop is connected and waiting for orders).
    pub async fn addressed_shops(&self, target: &Target) -> anyhow::Result<BTreeMap<ShopId, usize>> {
        Ok(addressed_in(&self.consumers().await?, target))
    }

    /// The shops `target` reaches, from the consumer list kept current by [`Directory`] (no
    /// listing per order).
    async fn addressed_kept(&self, target: &Target) -> anyhow::Result<Vec<ShopId>> {
        let directory = self.directory.get_or_try_init(|| Directory::start(&self.client)).await?;
        let infos = directory.consumers(&self.client, &self.js).await?;
        Ok(addressed_in(&infos, target).into_keys().collect())
    }

    /// Every shop's consumer, listed now.
    async fn consumers(&self) -> anyhow::Result<Vec<consumer::Info>> {
        let stream = self.js.get_stream_no_info(CONTROL_STREAM).await.context("Failed to open the control stream")?;
        let infos: Vec<consumer::Info> =
            stream.consumers().try_collect().await.context("Failed to list the shops' consumers")?;
        Ok(infos)
    }

    /// Every shop of the fleet (every consumer that reads `all`).
    pub async fn shops(&self) -> anyhow::Result<Vec<ShopId>> {
        Ok(self.addressed_shops(&Target::All).await?.into_keys().collect())
    }

    /// Every shop id and group name the fleet knows (from the shops' consumers).
    pub async fn known_targets(&self) -> anyhow::Result<Vec<Name>> {
        let infos = self.consumers().await?;
        let mut names: Vec<Name> = infos
            .iter()
            .flat_map(|i| i.config.filter_subjects.iter().filter_map(|f| subject::parse_control_filter(f)))
            .filter_map(|t| match t {
                Target::Named(name) => Some(name),
                Target::All => None,
            })
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The fleet: every shop with its groups and queue, and the version of those online
    /// (answering `$SRV.INFO.maxis` within `wait`).
    pub async fn fleet(&self, wait: Duration) -> anyhow::Result<Vec<Member>> {
        let infos = self.consumers().await?;
        let inbox = self.client.new_inbox();
        let mut answers = self.client.subscribe(inbox.clone()).await.context("Failed to subscribe")?;
        self.client
            .publish_with_reply(subject::api::service_info(), inbox, "".into())
            .await
            .context("Failed to ask the shops")?;
        let keys: BTreeMap<String, String> = infos
            .iter()
            .filter_map(|i| Some((i.name.clone(), i.config.metadata.get(signature::DISCOVERY_KEY)?.clone())))
            .collect();
        let mut online: BTreeMap<String, String> = BTreeMap::new();
        let deadline = tokio::time::Instant::now() + wait;
        while online.len() < infos.len() {
            let Ok(Some(message)) = tokio::time::timeout_at(deadline, answers.next()).await else { break };
            if let Ok(info) = serde_json::from_slice::<serde_json::Value>(&message.payload) {
                match self.attested(&keys, &info) {
                    Some(instance) => {
                        online.insert(instance, info["version"].as_str().unwrap_or_default().to_owned());
                    }
                    None => tracing::debug!("discovery answer without a valid shop signature dropped"),
                }
            }
        }
        let mut members: Vec<Member> = infos
            .into_iter()
            .filter_map(|info| {
                let id = Name::parse(info.name.clone()).ok()?;
                let groups = info
                    .config
                    .filter_subjects
                    .iter()
                    .filter_map(|f| subject::parse_control_filter(f))
                    .filter(|t| !matches!(t, Target::All) && t.as_str() != id.as_ref())
                    .map(|t| t.to_string())
                    .collect();
                Some(Member { version: online.get(id.as_ref()).cloned(), id, groups, pending: info.num_pending })
            })
            .collect();
        members.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(members)
    }

    /// The shop a discovery answer is from, when it is signed by that shop's key (`keys`: from
    /// the consumers' metadata, written by the provisioner). A forged one is counted.
    fn attested(&self, keys: &BTreeMap<String, String>, info: &serde_json::Value) -> Option<String> {
        let meta = &info["metadata"];
        let field = |name: &str| meta[name].as_str().unwrap_or_default();
        let instance = field("instance");
        let claim = signature::discovery_claim(
            instance,
            field("groups"),
            field("contract"),
            info["version"].as_str().unwrap_or_default(),
        );
        let key = field(signature::DISCOVERY_KEY);
        let signed = signature::verify_claim(key, field(signature::DISCOVERY_SIGNATURE), &claim).is_ok();
        if signed && keys.get(instance).is_some_and(|k| k == key) {
            return Some(instance.to_owned());
        }
        // Signed by another shop of the fleet: that shop's credential answered in `instance`'s name.
        let by = keys.iter().find(|(_, k)| signed && *k == key).map(|(shop, _)| format!("shop-{shop}"));
        self.forgeries.record(by.as_deref().unwrap_or("unknown"), "discovery answer", instance);
        None
    }

    /// Publishes `order` for `target`, signed, and waits up to `wait` for every addressed shop's
    /// reply (for `restart`, also until each restarted shop is back).
    #[tracing::instrument(skip_all, fields(order_id = %order.id, target = %target))]
    pub async fn send(&self, target: &Target, mut order: Order, wait: Duration) -> Result<Dispatch, SendError> {
        if order.expires_at.is_none() {
            order.expires_at = chrono::Duration::from_std(self.ttl).ok().map(|ttl| order.issued_at + ttl);
        }
        // From the list kept current by the consumer advisories: a shop added a moment ago is
        // waited for too.
        let mut addressed: Vec<ShopId> = self.addressed_kept(target).await?;
        // A consumer list taken while a cluster moves its leaders can miss a shop for a moment
        // (seen in the failover test): look again before calling the target unknown.
        for pause in [100, 300, 600] {
            if !addressed.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(pause)).await;
            addressed = self.addressed_shops(target).await?.into_keys().collect();
        }
        if addressed.is_empty() {
            let known = self.shops().await.unwrap_or_default();
            let known = known.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            return Err(SendError::UnknownTarget(target.clone(), known));
        }
        // Expect the replies before publishing so that none can be missed.
        let replies = self.replies.get_or_try_init(|| Replies::start(&self.client)).await?;
        let mut replies = replies.expect(&order.id);
        let mut started = match order.action() {
            Action::Restart => Some(
                self.client
                    .subscribe(subject::events_of_kind(&EventKind::known(EventKind::SHOP_STARTED)))
                    .await
                    .context("Failed to subscribe to the shops' starts")?,
            ),
            _ => None,
        };
        let payload = order.to_json();
        if payload.len() > subjects::limits::MAX_ORDER_BYTES {
            return Err(SendError::TooLarge(payload.len(), subjects::limits::MAX_ORDER_BYTES));
        }
        let control = subject::control(target, order.action());
        let (signer, signed) =
            signature::sign(self.seed.expose_secret(), &control, &payload).context("Failed to sign the order")?;
        let mut headers = HeaderMap::new();
        headers.insert(subject::MSG_ID_HEADER, order.id.as_ref());
        headers.insert(SIGNER_HEADER, signer.as_str());
        headers.insert(SIGNATURE_HEADER, signed.as_str());
        let sent_at = tokio::time::Instant::now();
        let ack = self
            .js
            .publish_with_headers(control, headers, payload.into())
            .await
            .context("Failed to publish the order")?
            .await
            .context("The control stream did not store the order")?;

        let mut shops: BTreeMap<ShopId, Delivery> = BTreeMap::new();
        let deadline = tokio::time::Instant::now() + wait;
        while shops.len() < addressed.len() {
            let Ok(Some(message)) = tokio::time::timeout_at(deadline, replies.next()).await else { break };
            let reply = serde_json::from_slice::<Reply>(&message.payload);
            let reply = match reply {
                Ok(reply) => match self.forgeries.reply(&message.subject, reply) {
                    Some(reply) => Ok(reply),
                    None => continue,
                },
                Err(e) => Err(e),
            };
            match reply {
                Ok(reply) if addressed.contains(&reply.instance) => {
                    shops.insert(reply.instance.clone(), Delivery::Replied(reply));
                }
                // A shop that joined since the consumers were listed: list them again.
                Ok(reply) if self.addressed_shops(target).await.unwrap_or_default().contains_key(&reply.instance) => {
                    addressed.push(reply.instance.clone());
                    shops.insert(reply.instance.clone(), Delivery::Replied(reply));
                }
                Ok(reply) => tracing::warn!(shop = %reply.instance, "reply from a shop that was not addressed"),
                Err(e) => tracing::warn!(error.message = %e, subject = %message.subject, "unreadable reply"),
            }
        }
        drop(replies);
        if shops.len() < addressed.len() {
            let now = self.addressed_shops(target).await.unwrap_or_default();
            for id in &addressed {
                if !shops.contains_key(id) {
                    let online = now.get(id).copied().unwrap_or(0) > 0;
                    shops.insert(id.clone(), if online { Delivery::NoReply } else { Delivery::Queued });
                }
            }
        }
        let mut back = BTreeMap::new();
        if let Some(started) = started.as_mut() {
            let restarting: Vec<ShopId> = shops
                .iter()
                .filter(|(_, d)| matches!(d, Delivery::Replied(r) if r.ok))
                .map(|(id, _)| id.clone())
                .collect();
            back = restarting.iter().map(|id| (id.clone(), None)).collect();
            let deadline = tokio::time::Instant::now() + wait.max(Duration::from_secs(30));
            while back.values().any(Option::is_none) {
                let Ok(Some(message)) = tokio::time::timeout_at(deadline, started.next()).await else { break };
                let event = serde_json::from_slice::<subjects::Event>(&message.payload).ok();
                if let Some(event) = event.and_then(|e| self.forgeries.event(&message.subject, e)) {
                    if event.kind.as_ref() == EventKind::SHOP_STARTED {
                        if let Some(slot) = back.get_mut(&event.instance) {
                            slot.get_or_insert(sent_at.elapsed());
                        }
                    }
                }
            }
        }
        Ok(Dispatch { order, target: target.clone(), stream_seq: ack.sequence, duplicate: ack.duplicate, shops, back })
    }
}

/// The consumers among `infos` that read `target`'s orders, with their pending pull count.
fn addressed_in(infos: &[consumer::Info], target: &Target) -> BTreeMap<ShopId, usize> {
    let filter = subject::control_filter(target);
    infos
        .iter()
        .filter(|info| info.config.filter_subjects.contains(&filter) || info.config.filter_subject == filter)
        .filter_map(|info| Name::parse(info.name.clone()).ok().map(|id| (id, info.num_waiting)))
        .collect()
}
