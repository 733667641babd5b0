//! The consumer: each order is checked, executed once, answered, evented, then acked.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind};
use subjects::{subject, ErrorBody, ErrorCode, Order, Reply};

use crate::bus::Publisher;
use crate::execute::{self, ExecuteError, ShopContext};
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
    /// Unreadable without an id: reported as an event and terminated.
    Dropped(String),
    /// The shop failed; the order will be redelivered.
    Retry(String),
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
}

/// How often an in-progress ack is sent while an order runs (the consumer's first ack wait is 30 s).
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

impl OrderHandler {
    /// Handles one delivered message, start to finish: the single step of the consumer loop.
    #[tracing::instrument(skip_all, fields(shop = %self.ctx.id, subject = %message.subject))]
    pub async fn handle(&self, message: &jetstream::Message) -> Outcome {
        let outcome = self.with_progress(message, self.decide(message)).await;
        let ack = match &outcome {
            Outcome::Retry(_) => message.ack_with(AckKind::Nak(Some(Duration::from_secs(5)))).await,
            Outcome::Dropped(_) => message.ack_with(AckKind::Term).await,
            _ => message.ack().await,
        };
        if let Err(e) = ack {
            tracing::warn!(error.message = %e, "Failed to ack an order; it will be redelivered and replayed");
        }
        match &outcome {
            Outcome::Retry(e) => tracing::error!(error.message = %e, "order failed, will be retried"),
            Outcome::Dropped(e) => tracing::warn!(error.message = %e, "unreadable order dropped"),
            Outcome::Rejected(r) => tracing::info!(order_id = %r.order_id, error = ?r.error, "order rejected"),
            Outcome::Executed(r) => tracing::info!(order_id = %r.order_id, "order executed"),
            Outcome::Replayed(r) => tracing::info!(order_id = %r.order_id, "order replayed"),
        }
        outcome
    }

    async fn with_progress(
        &self,
        message: &jetstream::Message,
        work: impl std::future::Future<Output = Outcome>,
    ) -> Outcome {
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

    async fn decide(&self, message: &jetstream::Message) -> Outcome {
        let subject_action = subject::parse_control(&message.subject).map(|s| s.action);
        let order = match Order::from_json(&message.payload) {
            Ok(order) => order,
            Err(e) => {
                let Some(order_id) = e.order_id.clone() else {
                    return self.drop_unreadable(e.message).await;
                };
                return self.reject(&order_id, e.action.as_deref(), None, ErrorBody::from(&e)).await;
            }
        };
        if subject_action.as_deref() != Some(order.action().as_str()) {
            let error = ErrorBody::new(
                ErrorCode::ActionMismatch,
                format!("the subject {} does not carry a `{}` order", message.subject, order.action()),
            );
            return self.reject(&order.id, Some(order.action().as_str()), Some(&order.issued_by), error).await;
        }
        match execute::execute(&self.store, &self.ctx, &order).await {
            Ok(reply) => self.send(reply).await,
            Err(ExecuteError::Rejected(error)) => {
                self.reject(&order.id, Some(order.action().as_str()), Some(&order.issued_by), error).await
            }
            Err(ExecuteError::Unexpected(e)) => Outcome::Retry(format!("{e:#}")),
        }
    }

    async fn reject(
        &self,
        id: &subjects::OrderId,
        action: Option<&str>,
        by: Option<&str>,
        error: ErrorBody,
    ) -> Outcome {
        match execute::record_rejection(&self.store, &self.ctx, id, action, by, error).await {
            Ok(reply) => self.send(reply).await,
            Err(e) => Outcome::Retry(format!("{e:#}")),
        }
    }

    /// Sends the reply and the pending events; a failure leaves the order unacked for redelivery.
    async fn send(&self, reply: Reply) -> Outcome {
        if let Err(e) = self.publisher.reply(&reply).await {
            return Outcome::Retry(format!("{e:#}"));
        }
        if let Err(e) = self.publisher.flush_outbox(&self.store).await {
            return Outcome::Retry(format!("{e:#}"));
        }
        match (reply.replayed, reply.ok) {
            (true, _) => Outcome::Replayed(reply),
            (false, true) => Outcome::Executed(reply),
            (false, false) => Outcome::Rejected(reply),
        }
    }

    async fn drop_unreadable(&self, reason: String) -> Outcome {
        let data = subjects::event::OrderRejected {
            action: None,
            error: ErrorBody::new(ErrorCode::Malformed, reason.clone()),
        };
        let stored = async {
            let mut tx = self.store.begin().await?;
            execute::enqueue(&mut tx, &self.ctx, None, subjects::EventKind::ORDER_REJECTED, serde_json::json!(data))
                .await?;
            tx.commit().await?;
            self.publisher.flush_outbox(&self.store).await
        };
        match stored.await {
            Ok(_) => Outcome::Dropped(reason),
            Err(e) => Outcome::Retry(format!("{e:#}")),
        }
    }
}
