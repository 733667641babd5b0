//! The consumer: each order is authenticated, checked, executed once, answered, evented, then
//! acked. A failing order is retried with the consumer's backoff and, after its last delivery,
//! given up with `order.dead`.
//!
//! The loop ([`OrderHandler::consume`]) takes the orders delivered and waiting (up to
//! [`MAX_BATCH`]) as one batch, and executes them one after the other, in delivery order, in one
//! SQLite transaction (group commit): each order in a savepoint of its own, so an order refused or
//! failing is undone alone while the others commit. Once the batch is committed, its events are
//! published (their stream acks awaited), then each order is answered and acked, while the loop
//! executes the next batch: up to [`IN_FLIGHT`] batches finish at once.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind};
use futures::{FutureExt, Stream, StreamExt};
use serde_json::json;
use subjects::event::{OrderDead, StorageFault};
use subjects::{Action, ErrorBody, EventKind, OrderId, Reply};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::bus::Publisher;
use crate::execute::{self, ShopContext};
use crate::metrics::Metrics;
use crate::storage::Storage;
use crate::store::Store;

/// What happened to one delivered message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Executed now.
    Executed(Reply),
    /// Refused (bad order, expired, unsupported…), answered.
    Rejected(Reply),
    /// Already handled: the stored reply was sent again, nothing changed.
    Replayed(Reply),
    /// Not signed by a trusted Shellia key: answered when possible, never recorded or executed.
    Unauthorized(String),
    /// Unreadable without an id: reported as an event and terminated.
    Dropped(String),
    /// The shop failed; the order will be redelivered.
    Retry(String),
    /// The shop failed on the last allowed delivery: given up, reported as `order.dead`.
    Dead(String),
    /// The database cannot commit: the order is held, unacknowledged, until it can.
    Held(String),
}

impl Outcome {
    /// The metrics label.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Executed(_) => "executed",
            Self::Rejected(_) => "rejected",
            Self::Replayed(_) => "replayed",
            Self::Unauthorized(_) => "unauthorized",
            Self::Dropped(_) => "dropped",
            Self::Retry(_) => "retry",
            Self::Dead(_) => "dead",
            Self::Held(_) => "held",
        }
    }
}

/// An order decided and committed (or nothing of it committed): what is left to send.
pub(crate) enum Step {
    /// Committed (or refused and recorded): publish its events, then send this reply.
    Send(Reply),
    /// Not signed by a trusted key (its `order.rejected` event is committed): answer it when its
    /// id is readable, then terminate it.
    Refuse { id: Option<OrderId>, error: ErrorBody },
    /// Unreadable without an id (its `order.rejected` event is committed): terminate it.
    Drop(String),
    /// The shop failed and nothing of the order is committed: redeliver it.
    Retry(String),
    /// Storage failed and nothing of the order is committed: hold it until storage is back.
    Stalled(StorageFault, String),
}

impl Step {
    /// The step of an order that failed with `error`: held when storage is at fault, else retried.
    pub(crate) fn failed(error: &anyhow::Error) -> Self {
        match crate::storage::fault::classify(error) {
            Some(fault) => Self::Stalled(fault, format!("{error:#}")),
            None => Self::Retry(format!("{error:#}")),
        }
    }
}

/// Why the order loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The shutdown future completed, or the order stream ended.
    Shutdown,
    /// A `restart` order was executed and acked.
    Restart,
}

/// Executed batches that may be publishing their events, replying and acking at once.
pub const IN_FLIGHT: usize = 32;

/// Orders executed in one transaction at most: those already delivered when a batch starts.
pub const MAX_BATCH: usize = 64;

/// The consumer's redelivery settings, read from the broker at start.
#[derive(Debug, Clone)]
pub struct Redelivery {
    /// Deliveries before the broker gives up.
    pub max_deliver: i64,
    /// Waits between deliveries.
    pub backoff: Vec<Duration>,
}

impl Redelivery {
    fn delay(&self, delivered: i64) -> Duration {
        let index = usize::try_from(delivered.max(1) - 1).unwrap_or(0);
        self.backoff.get(index).or(self.backoff.last()).copied().unwrap_or(Duration::from_secs(5))
    }
}

/// Things the order path tells the rest of the shop.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// A `restart` order was executed and acked: stop so the supervisor restarts the shop.
    pub restart: Arc<Notify>,
    /// Something time-driven changed (a promotion): the clock looks again.
    pub timers: Arc<Notify>,
}

/// Handles the orders of one shop.
#[derive(Clone)]
pub struct OrderHandler {
    /// The shop.
    pub ctx: ShopContext,
    /// Its database.
    pub store: Store,
    /// Its voice.
    pub publisher: Publisher,
    /// Public nkeys of the Shellia instances whose orders it executes.
    pub trusted: Arc<[String]>,
    /// Redelivery settings.
    pub redelivery: Redelivery,
    /// Signals to the rest of the shop.
    pub signals: Signals,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Whether the database commits; orders wait while it does not.
    pub storage: Storage,
}

/// How often an in-progress ack is sent while an order runs (the consumer's first ack wait is 30 s).
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

impl OrderHandler {
    /// Handles delivered messages start to finish, as one batch: the single step of the consumer
    /// loop. Returns each message's outcome, in order.
    #[tracing::instrument(skip_all, fields(shop = %self.ctx.id, orders = batch.len()))]
    pub async fn handle(&self, batch: &[jetstream::Message]) -> Vec<Outcome> {
        let started = Instant::now();
        let decided = self.decide(batch).await;
        self.finish(batch, started, decided).await
    }

    /// Consumes `messages` until `shutdown` completes or a `restart` order is acked: batches
    /// execute one after the other in delivery order; up to [`IN_FLIGHT`] executed ones finish
    /// (events, replies, acks) concurrently. Those in flight finish before it returns.
    pub async fn consume<S, E>(&self, mut messages: S, shutdown: impl Future<Output = ()>) -> Stopped
    where
        S: Stream<Item = Result<jetstream::Message, E>> + Unpin,
        E: std::fmt::Display,
    {
        tokio::pin!(shutdown);
        let restart = self.signals.restart.clone();
        let mut finishing = JoinSet::new();
        // Orders delivered while the database could not commit, oldest first.
        let mut held: Vec<jetstream::Message> = Vec::new();
        let stopped = loop {
            if !held.is_empty() {
                if self.storage.is_degraded() {
                    match self.hold(&mut held, &mut messages, shutdown.as_mut()).await {
                        Some(stopped) => break stopped,
                        None => continue,
                    }
                }
                let batch: Vec<_> = held.drain(..held.len().min(MAX_BATCH)).collect();
                let again = self.run(batch, &mut finishing).await;
                held.splice(0..0, again);
                continue;
            }
            tokio::select! {
                _ = &mut shutdown => break Stopped::Shutdown,
                _ = restart.notified() => break Stopped::Restart,
                Some(_) = finishing.join_next(), if !finishing.is_empty() => {}
                next = messages.next(), if finishing.len() < IN_FLIGHT => {
                    let (batch, ended) = gather(next, &mut messages);
                    if self.storage.is_degraded() {
                        self.storage.held(batch.len());
                        held.extend(batch);
                    } else if !batch.is_empty() {
                        held.extend(self.run(batch, &mut finishing).await);
                    }
                    if ended {
                        break Stopped::Shutdown;
                    }
                }
            }
        };
        while finishing.join_next().await.is_some() {}
        stopped
    }

    /// Executes a batch; its events, replies and acks finish in `finishing`, or at once when an
    /// order failed. Returns the messages held because storage failed (storage is then degraded).
    async fn run(
        &self,
        batch: Vec<jetstream::Message>,
        finishing: &mut JoinSet<Vec<Outcome>>,
    ) -> Vec<jetstream::Message> {
        let started = Instant::now();
        let decided = self.decide(&batch).await;
        if let Some((fault, reason)) = decided.iter().find_map(|(_, step)| match step {
            Step::Stalled(fault, reason) => Some((*fault, reason.clone())),
            _ => None,
        }) {
            self.storage.report(fault, &reason);
            let outcomes = self.finish(&batch, started, decided).await;
            let held: Vec<_> = batch
                .into_iter()
                .zip(outcomes)
                .filter_map(|(message, outcome)| matches!(outcome, Outcome::Held(_)).then_some(message))
                .collect();
            self.storage.held(held.len());
            held
        } else if decided.iter().any(|(_, step)| matches!(step, Step::Retry(_))) {
            // The shop is failing: finish now and pause, rather than spin.
            self.finish(&batch, started, decided).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            Vec::new()
        } else {
            let handler = self.clone();
            finishing.spawn(async move { handler.finish(&batch, started, decided).await });
            Vec::new()
        }
    }

    /// While the database cannot commit: keeps the held orders (and those delivered meanwhile)
    /// unacknowledged with in-progress acks, so the broker neither redelivers them nor counts a
    /// delivery. Returns `None` once storage is back, or why the loop stops.
    async fn hold<S, E>(
        &self,
        held: &mut Vec<jetstream::Message>,
        messages: &mut S,
        mut shutdown: std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> Option<Stopped>
    where
        S: Stream<Item = Result<jetstream::Message, E>> + Unpin,
        E: std::fmt::Display,
    {
        let healthy = self.storage.healthy();
        tokio::pin!(healthy);
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        loop {
            tokio::select! {
                _ = &mut shutdown => return Some(Stopped::Shutdown),
                _ = &mut healthy => return None,
                _ = ticker.tick() => {
                    for message in held.iter() {
                        if let Err(e) = message.ack_with(AckKind::Progress).await {
                            tracing::warn!(error.message = %e, "Failed to send an in-progress ack");
                        }
                    }
                }
                next = messages.next() => {
                    let (batch, ended) = gather(next, messages);
                    self.storage.held(batch.len());
                    held.extend(batch);
                    if ended {
                        return Some(Stopped::Shutdown);
                    }
                }
            }
        }
    }

    /// Executes a batch (in one transaction when it can) and says what each order has to send.
    async fn decide(&self, batch: &[jetstream::Message]) -> Vec<(Option<Action>, Step)> {
        let plans: Vec<_> = batch.iter().map(|m| self.plan(m)).collect();
        let steps = self.with_progress(batch, self.execute_plans(&plans)).await;
        plans.into_iter().map(|(action, _)| action).zip(steps).collect()
    }

    /// Publishes the batch's events, then answers and acks each order, and reports it.
    async fn finish(
        &self,
        batch: &[jetstream::Message],
        started: Instant,
        decided: Vec<(Option<Action>, Step)>,
    ) -> Vec<Outcome> {
        let mut published = Ok(());
        if decided.iter().any(|(_, step)| !matches!(step, Step::Retry(_) | Step::Stalled(..))) {
            let flush = self.publisher.publish_outbox(&self.store);
            published = self.with_progress(batch, flush).await.map(drop).map_err(|e| format!("{e:#}"));
        }
        let mut outcomes = Vec::with_capacity(batch.len());
        for (message, (action, step)) in batch.iter().zip(decided) {
            let outcome = match (step, &published) {
                (Step::Retry(reason), _) => Outcome::Retry(reason),
                (Step::Stalled(_, reason), _) => Outcome::Held(reason),
                (_, Err(e)) => Outcome::Retry(e.clone()),
                (Step::Send(reply), Ok(())) => self.send(reply).await,
                (Step::Refuse { id, error }, Ok(())) => self.refuse(id, error).await,
                (Step::Drop(reason), Ok(())) => Outcome::Dropped(reason),
            };
            outcomes.push(self.settle(message, started, action, outcome).await);
        }
        // After the replies: the events are stored already; marking them only spares a restarted
        // shop publishing them again (the stream would drop the copies by their ids).
        if let Err(e) = self.publisher.mark_published(&self.store).await {
            tracing::warn!(error.message = %e, "Failed to mark events published");
        }
        outcomes
    }

    /// Acks (or naks, or terminates) an order whose reply and events are sent, and reports it.
    async fn settle(
        &self,
        message: &jetstream::Message,
        started: Instant,
        action: Option<Action>,
        outcome: Outcome,
    ) -> Outcome {
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        let outcome = match outcome {
            Outcome::Retry(reason) if delivered >= self.redelivery.max_deliver => {
                self.give_up(&message.payload, action, delivered, reason).await
            }
            other => other,
        };
        let ack = match &outcome {
            // Held: no ack at all; in-progress acks keep it until storage is back.
            Outcome::Held(_) => Ok(()),
            Outcome::Retry(_) => message.ack_with(AckKind::Nak(Some(self.redelivery.delay(delivered)))).await,
            Outcome::Dropped(_) | Outcome::Dead(_) | Outcome::Unauthorized(_) => message.ack_with(AckKind::Term).await,
            _ => message.ack().await,
        };
        if let Err(e) = ack {
            tracing::warn!(error.message = %e, "Failed to ack an order; it will be redelivered and replayed");
        }
        let action_label = action.map_or("unknown", Action::as_str);
        self.metrics.observe(action_label, outcome.label(), started.elapsed().as_secs_f64());
        match &outcome {
            Outcome::Retry(e) => tracing::error!(error.message = %e, delivered, "order failed, will be retried"),
            Outcome::Held(e) => tracing::warn!(error.message = %e, "storage failed: order held until it commits again"),
            Outcome::Dead(e) => tracing::error!(error.message = %e, delivered, "order given up"),
            Outcome::Dropped(e) | Outcome::Unauthorized(e) => tracing::warn!(error.message = %e, "order refused"),
            Outcome::Rejected(r) => tracing::info!(order_id = %r.order_id, error = ?r.error, "order rejected"),
            Outcome::Replayed(r) => tracing::info!(order_id = %r.order_id, "order replayed"),
            Outcome::Executed(r) => {
                tracing::info!(order_id = %r.order_id, action = action_label, "order executed");
                // Orders that only read or write settings change no deadline: the clock sleeps on.
                if !matches!(action, Some(Action::Status | Action::Config | Action::Analytics | Action::Report)) {
                    self.signals.timers.notify_one();
                }
                if action == Some(Action::Restart) {
                    self.signals.restart.notify_one();
                }
            }
        }
        outcome
    }

    /// Runs `work`, sending an in-progress ack for every message of `batch` every 10 s meanwhile.
    async fn with_progress<T>(&self, batch: &[jetstream::Message], work: impl Future<Output = T>) -> T {
        tokio::pin!(work);
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
        loop {
            tokio::select! {
                outcome = &mut work => return outcome,
                _ = ticker.tick() => {
                    for message in batch {
                        if let Err(e) = message.ack_with(AckKind::Progress).await {
                            tracing::warn!(error.message = %e, "Failed to send an in-progress ack");
                        }
                    }
                }
            }
        }
    }

    /// Sends the reply of a committed order (its events are stored).
    async fn send(&self, reply: Reply) -> Outcome {
        if let Err(e) = self.publisher.reply(&reply).await {
            return Outcome::Retry(format!("{e:#}"));
        }
        match (reply.replayed, reply.ok) {
            (true, _) => Outcome::Replayed(reply),
            (false, true) => Outcome::Executed(reply),
            (false, false) => Outcome::Rejected(reply),
        }
    }

    /// An order that is not Shellia's: answered (so a mistaken sender learns why) but neither
    /// recorded nor executed, so it can never block a genuine order with the same id.
    async fn refuse(&self, id: Option<OrderId>, error: ErrorBody) -> Outcome {
        let reason = error.message.clone();
        if let Some(id) = id {
            if let Err(e) = self.publisher.reply(&Reply::err(id, self.ctx.id.clone(), error)).await {
                return Outcome::Retry(format!("{e:#}"));
            }
        }
        Outcome::Unauthorized(reason)
    }

    /// The last delivery failed too: report `order.dead` (best effort: the shop is failing).
    async fn give_up(&self, payload: &[u8], action: Option<Action>, deliveries: i64, reason: String) -> Outcome {
        let order_id = read_id(payload);
        let data = json!(OrderDead { action: action.map(|a| a.to_string()), deliveries, reason: reason.clone() });
        let order_id = order_id.as_ref();
        let reported = async {
            execute::emit(&self.store, &self.ctx, order_id, EventKind::ORDER_DEAD, data.clone()).await?;
            self.publisher.flush_outbox(&self.store).await
        };
        if let Err(e) = reported.await {
            // The database may be what fails: publish the event directly.
            tracing::warn!(error.message = %e, "Failed to store order.dead; publishing it directly");
            let kind = subjects::EventKind::known(EventKind::ORDER_DEAD);
            let event = subjects::Event::new(self.ctx.id.clone(), kind, order_id.cloned(), data);
            let _ = self.publisher.event(&event).await;
        }
        Outcome::Dead(reason)
    }
}

/// The batch that starts with `first`: it and the messages already delivered after it, up to
/// [`MAX_BATCH`], without waiting for more. Also tells whether the stream ended.
fn gather<S, E>(first: Option<Result<jetstream::Message, E>>, messages: &mut S) -> (Vec<jetstream::Message>, bool)
where
    S: Stream<Item = Result<jetstream::Message, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut batch = Vec::new();
    let mut next = first;
    loop {
        match next {
            Some(Ok(message)) => batch.push(message),
            Some(Err(e)) => tracing::warn!(error.message = %e, "order stream error"),
            None => return (batch, true),
        }
        if batch.len() >= MAX_BATCH {
            return (batch, false);
        }
        match messages.next().now_or_never() {
            Some(more) => next = more,
            None => return (batch, false),
        }
    }
}

/// The order id of a payload that may not be a valid order.
pub(crate) fn read_id(payload: &[u8]) -> Option<OrderId> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    OrderId::parse(value.get("id")?.as_str()?).ok()
}
