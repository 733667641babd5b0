//! The consumer: each order is authenticated, checked, executed once, answered, evented, then
//! acked. A failing order is retried with the consumer's backoff and, after its last delivery,
//! given up with `order.dead`.
//!
//! The loop ([`OrderHandler::consume`]) executes orders one at a time, in delivery order (each
//! commits its effect, idempotency record and events before the next starts), and lets up to
//! [`IN_FLIGHT`] executed orders publish their events, reply and ack meanwhile: the broker round
//! trips of one order overlap the SQLite work of the next.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind};
use futures::{Stream, StreamExt};
use serde_json::json;
use subjects::event::{OrderDead, OrderRejected};
use subjects::signature::{self, SIGNATURE_HEADER, SIGNER_HEADER};
use subjects::{subject, Action, ErrorBody, ErrorCode, EventKind, Order, OrderId, Reply};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::bus::Publisher;
use crate::execute::{self, ExecuteError, ShopContext};
use crate::metrics::Metrics;
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
        }
    }
}

/// An order decided: its reply is committed and waits to be sent, or it is done.
enum Step {
    /// Committed (or refused and recorded): publish its events, then send this reply.
    Send(Reply),
    /// Nothing to send through the outbox path.
    Done(Outcome),
}

/// Why the order loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The shutdown future completed, or the order stream ended.
    Shutdown,
    /// A `restart` order was executed and acked.
    Restart,
}

/// Executed orders that may be publishing their events, replying and acking at once.
pub const IN_FLIGHT: usize = 32;

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
}

/// How often an in-progress ack is sent while an order runs (the consumer's first ack wait is 30 s).
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

impl OrderHandler {
    /// Handles one delivered message, start to finish: the single step of the consumer loop.
    #[tracing::instrument(skip_all, fields(shop = %self.ctx.id, subject = %message.subject))]
    pub async fn handle(&self, message: &jetstream::Message) -> Outcome {
        let started = Instant::now();
        let (action, step) = self.with_progress(message, self.decide(message)).await;
        self.finish(message, started, action, step).await
    }

    /// Consumes `messages` until `shutdown` completes or a `restart` order is acked: orders
    /// execute one after the other in delivery order; up to [`IN_FLIGHT`] executed ones finish
    /// (events, reply, ack) concurrently. Those in flight finish before it returns.
    pub async fn consume<S, E>(&self, mut messages: S, shutdown: impl Future<Output = ()>) -> Stopped
    where
        S: Stream<Item = Result<jetstream::Message, E>> + Unpin,
        E: std::fmt::Display,
    {
        tokio::pin!(shutdown);
        let restart = self.signals.restart.clone();
        let mut finishing = JoinSet::new();
        let stopped = loop {
            tokio::select! {
                _ = &mut shutdown => break Stopped::Shutdown,
                _ = restart.notified() => break Stopped::Restart,
                Some(_) = finishing.join_next(), if !finishing.is_empty() => {}
                next = messages.next(), if finishing.len() < IN_FLIGHT => match next {
                    Some(Ok(message)) => {
                        let started = Instant::now();
                        let (action, step) = self.with_progress(&message, self.decide(&message)).await;
                        if let Step::Done(Outcome::Retry(_)) = step {
                            self.finish(&message, started, action, step).await;
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        } else {
                            let handler = self.clone();
                            finishing.spawn(async move { handler.finish(&message, started, action, step).await });
                        }
                    }
                    Some(Err(e)) => tracing::warn!(error.message = %e, "order stream error"),
                    None => break Stopped::Shutdown,
                },
            }
        };
        while finishing.join_next().await.is_some() {}
        stopped
    }

    /// Sends what a decided order has to send, acks it and reports it.
    async fn finish(
        &self,
        message: &jetstream::Message,
        started: Instant,
        action: Option<Action>,
        step: Step,
    ) -> Outcome {
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        let outcome = match step {
            Step::Send(reply) => self.with_progress(message, self.send(reply)).await,
            Step::Done(outcome) => outcome,
        };
        let outcome = match outcome {
            Outcome::Retry(reason) if delivered >= self.redelivery.max_deliver => {
                self.give_up(&message.payload, action, delivered, reason).await
            }
            other => other,
        };
        let ack = match &outcome {
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

    async fn with_progress<T>(&self, message: &jetstream::Message, work: impl std::future::Future<Output = T>) -> T {
        tokio::pin!(work);
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
        loop {
            tokio::select! {
                outcome = &mut work => return outcome,
                _ = ticker.tick() => {
                    if let Err(e) = message.ack_with(AckKind::Progress).await {
                        tracing::warn!(error.message = %e, "Failed to send an in-progress ack");
                    }
                }
            }
        }
    }

    async fn decide(&self, message: &jetstream::Message) -> (Option<Action>, Step) {
        if let Err(e) = self.authenticate(message) {
            return (None, Step::Done(self.refuse_unauthenticated(&message.payload, e).await));
        }
        let subject_action = subject::parse_control(&message.subject).map(|s| s.action);
        let order = match Order::from_json(&message.payload) {
            Ok(order) => order,
            Err(e) => {
                let action = e.action.as_deref().and_then(|a| a.parse().ok());
                let Some(order_id) = e.order_id.clone() else {
                    return (action, Step::Done(self.drop_unreadable(e.message).await));
                };
                return (action, self.reject(&order_id, e.action.as_deref(), None, ErrorBody::from(&e)).await);
            }
        };
        let action = Some(order.action());
        if subject_action.as_deref() != Some(order.action().as_str()) {
            let error = ErrorBody::new(
                ErrorCode::ActionMismatch,
                format!("the subject {} does not carry a `{}` order", message.subject, order.action()),
            );
            return (
                action,
                self.reject(&order.id, Some(order.action().as_str()), Some(&order.issued_by), error).await,
            );
        }
        let step = match execute::execute(&self.store, &self.ctx, &order).await {
            Ok(reply) => Step::Send(reply),
            Err(ExecuteError::Rejected(error)) => {
                self.reject(&order.id, Some(order.action().as_str()), Some(&order.issued_by), error).await
            }
            Err(ExecuteError::Unexpected(e)) => Step::Done(Outcome::Retry(format!("{e:#}"))),
        };
        (action, step)
    }

    fn authenticate(&self, message: &jetstream::Message) -> Result<(), signature::SignatureError> {
        let header = |name: &str| message.headers.as_ref().and_then(|h| h.get(name)).map(|v| v.as_str());
        signature::verify(&self.trusted, header(SIGNER_HEADER), header(SIGNATURE_HEADER), &message.payload)
    }

    /// An order that is not Shellia's: answered (so a mistaken sender learns why) but neither
    /// recorded nor executed, so it can never block a genuine order with the same id.
    async fn refuse_unauthenticated(&self, payload: &[u8], error: signature::SignatureError) -> Outcome {
        let body = ErrorBody::new(ErrorCode::Unauthorized, error.to_string());
        let id = read_id(payload);
        let data = json!(OrderRejected { action: None, error: body.clone() });
        if let Err(e) = execute::emit(&self.store, &self.ctx, id.as_ref(), EventKind::ORDER_REJECTED, data).await {
            return Outcome::Retry(format!("{e:#}"));
        }
        if let Some(id) = id {
            if let Err(e) = self.publisher.reply(&Reply::err(id, self.ctx.id.clone(), body)).await {
                return Outcome::Retry(format!("{e:#}"));
            }
        }
        if let Err(e) = self.publisher.flush_outbox(&self.store).await {
            return Outcome::Retry(format!("{e:#}"));
        }
        Outcome::Unauthorized(error.to_string())
    }

    async fn reject(&self, id: &OrderId, action: Option<&str>, by: Option<&str>, error: ErrorBody) -> Step {
        match execute::record_rejection(&self.store, &self.ctx, id, action, by, error).await {
            Ok(reply) => Step::Send(reply),
            Err(e) => Step::Done(Outcome::Retry(format!("{e:#}"))),
        }
    }

    /// Publishes the pending events, then the reply (so whoever reads the reply finds the
    /// events stored); a failure leaves the order unacked for redelivery.
    async fn send(&self, reply: Reply) -> Outcome {
        if let Err(e) = self.publisher.flush_outbox(&self.store).await {
            return Outcome::Retry(format!("{e:#}"));
        }
        if let Err(e) = self.publisher.reply(&reply).await {
            return Outcome::Retry(format!("{e:#}"));
        }
        match (reply.replayed, reply.ok) {
            (true, _) => Outcome::Replayed(reply),
            (false, true) => Outcome::Executed(reply),
            (false, false) => Outcome::Rejected(reply),
        }
    }

    async fn drop_unreadable(&self, reason: String) -> Outcome {
        let data = json!(OrderRejected { action: None, error: ErrorBody::new(ErrorCode::Malformed, reason.clone()) });
        let stored = async {
            execute::emit(&self.store, &self.ctx, None, EventKind::ORDER_REJECTED, data).await?;
            self.publisher.flush_outbox(&self.store).await
        };
        match stored.await {
            Ok(_) => Outcome::Dropped(reason),
            Err(e) => Outcome::Retry(format!("{e:#}")),
        }
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

/// The order id of a payload that may not be a valid order.
fn read_id(payload: &[u8]) -> Option<OrderId> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    OrderId::parse(value.get("id")?.as_str()?).ok()
}
