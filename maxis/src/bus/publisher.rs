//! Replies (core NATS) and events (JetStream, from the outbox).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream;
use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::HeaderMap;
use prometheus_client::metrics::counter::Counter;
use subjects::event::OutboxDead;
use subjects::limits::{clip, MAX_ERROR_CHARS, MAX_EVENT_BYTES};
use subjects::{subject, Event, EventKind, Reply};
use tokio::sync::Mutex;

use crate::store::{orders, Store};

/// Outbox events read, published and marked at a time.
const OUTBOX_BATCH: i64 = 256;

/// How long a flush keeps trying while the shop's events intake refuses events over its quota
/// (room comes back as the oldest events age past the quota's window): past it the flush fails
/// and the orders waiting on it are retried.
const QUOTA_WAIT: Duration = Duration::from_secs(15);

/// The pause between two tries while over quota.
const QUOTA_PAUSE: Duration = Duration::from_millis(250);

/// Publishes what the shop says.
#[derive(Clone)]
pub struct Publisher {
    client: async_nats::Client,
    js: jetstream::Context,
    /// One outbox flush at a time: a flush waiting here usually finds its events already
    /// published by the one before (which read them from the outbox too), so concurrent orders
    /// share one publish round trip instead of publishing the same events twice.
    flushing: Arc<Mutex<()>>,
    /// The outbox sequence up to which every event is stored by the stream (written under
    /// `flushing`). A flush reads only the events after it, so events stored but not yet marked
    /// published are not published again by this process.
    ///
    /// Every outbox event up to it was read by a flush: write transactions are serialized
    /// (SQLite has one writer), so an event's sequence is allotted and committed before any later
    /// one is, and a flush reads in sequence order.
    stored_through: Arc<AtomicI64>,
    /// The outbox sequence up to which events are marked published in the database.
    marked_through: Arc<AtomicI64>,
    /// Outbox events set aside because the broker can never accept them.
    dead: Counter,
    /// Refusals by the shop's events quota.
    throttled: Counter,
    /// The intake sequences of the events this process published, so the misuse watch knows
    /// its own.
    pub(crate) stored: Arc<super::watch::Stored>,
}

impl Publisher {
    /// A publisher on `client`.
    pub fn new(client: async_nats::Client) -> Self {
        let js = jetstream::new(client.clone());
        Self {
            client,
            js,
            flushing: Arc::default(),
            stored_through: Arc::default(),
            marked_through: Arc::default(),
            dead: Counter::default(),
            throttled: Counter::default(),
            stored: Arc::default(),
        }
    }

    /// Counts the outbox events set aside on `counter` (`maxis_outbox_dead_total`).
    pub fn counting_dead(mut self, counter: Counter) -> Self {
        self.dead = counter;
        self
    }

    /// Counts the refusals by the events quota on `counter` (`maxis_events_throttled_total`).
    pub fn counting_throttled(mut self, counter: Counter) -> Self {
        self.throttled = counter;
        self
    }

    /// Publishes a reply on `maxis.<shop>.reply.<order-id>`.
    pub async fn reply(&self, reply: &Reply) -> anyhow::Result<()> {
        let subject = subject::reply(&reply.instance, &reply.order_id);
        self.client.publish(subject, reply.to_json().into()).await.context("Failed to publish the reply")?;
        Ok(())
    }

    /// Publishes one event directly (not through the outbox), waiting for the stream's ack.
    pub async fn event(&self, event: &Event) -> anyhow::Result<()> {
        let mut headers = HeaderMap::new();
        headers.insert(subject::MSG_ID_HEADER, event.id.as_str());
        let ack = self
            .js
            .publish_with_headers(subject::event(&event.instance, &event.kind), headers, event.to_json().into())
            .await
            .context("Failed to publish an event")?
            .await
            .context("The events stream did not store an event")?;
        self.stored.record(ack.sequence);
        Ok(())
    }

    /// Publishes every pending outbox event, oldest first, and marks them published once the
    /// stream acknowledged every one of them. Returns how many were published.
    pub async fn flush_outbox(&self, store: &Store) -> anyhow::Result<usize> {
        let published = self.publish_outbox(store).await?;
        self.mark_published(store).await?;
        Ok(published)
    }

    /// Publishes every pending outbox event, oldest first, and returns once the stream stored
    /// every one of them, without marking them in the database ([`Publisher::mark_published`]
    /// does, later: the order path replies first). Returns how many were published.
    ///
    /// A batch is published in order on the one connection, then its acks are awaited together:
    /// one round trip per batch rather than per event. When an ack fails the batch counts as not
    /// stored, and the next flush publishes it again under the same `Nats-Msg-Id` (the stream
    /// drops the copies it already has); so does a restarted process with events stored but not
    /// yet marked.
    pub async fn publish_outbox(&self, store: &Store) -> anyhow::Result<usize> {
        let _one_at_a_time = self.flushing.lock().await;
        let mut published = 0;
        let started = Instant::now();
        loop {
            let after = self.stored_through.load(Ordering::Acquire);
            let batch = orders::unpublished(&mut *store.pool().acquire().await?, after, OUTBOX_BATCH).await?;
            let Some(through) = batch.last().map(|e| e.seq) else {
                return Ok(published);
            };
            let mut acks = Vec::with_capacity(batch.len());
            let mut dead = Vec::new();
            for event in &batch {
                if event.payload.len() > MAX_EVENT_BYTES {
                    let reason = format!("{} bytes, over the contract's {MAX_EVENT_BYTES}", event.payload.len());
                    dead.push((event, reason));
                    continue;
                }
                let mut headers = HeaderMap::new();
                headers.insert(subject::MSG_ID_HEADER, event.event_id.as_str());
                match self.js.publish_with_headers(event.subject.clone(), headers, event.payload.clone().into()).await {
                    Ok(ack) => acks.push((event, std::future::IntoFuture::into_future(ack))),
                    Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => dead.push((event, e.to_string())),
                    Err(e) => return Err(e).context("Failed to publish an event"),
                }
            }
            let (events, futures): (Vec<_>, Vec<_>) = acks.into_iter().unzip();
            let mut failed = None;
            for (event, stored) in events.into_iter().zip(futures::future::join_all(futures).await) {
                match stored {
                    Ok(ack) => self.stored.record(ack.sequence),
                    Err(e) if never_stored(&e) => dead.push((event, e.to_string())),
                    Err(e) => failed = Some(e),
                }
            }
            if !dead.is_empty() {
                self.set_aside(store, &dead).await?;
            }
            if let Some(e) = failed {
                if over_quota(&e) && started.elapsed() < QUOTA_WAIT {
                    // The batch goes again: the intake drops the copies it already stored.
                    if self.throttled.inc().is_multiple_of(20) {
                        tracing::warn!("The shop's events intake is over its quota; trying again shortly");
                    }
                    tokio::time::sleep(QUOTA_PAUSE).await;
                    continue;
                }
                return Err(e).context("The events stream did not store an event");
            }
            self.stored_through.store(through, Ordering::Release);
            published += batch.len() - dead.len();
            if (batch.len() as i64) < OUTBOX_BATCH && dead.is_empty() {
                return Ok(published);
            }
        }
    }

    /// Sets aside outbox events the broker can never accept, each with an `outbox.dead` event
    /// (queued behind them, so the next round publishes it), in one transaction.
    async fn set_aside(&self, store: &Store, dead: &[(&orders::Pending, String)]) -> anyhow::Result<()> {
        let mut tx = store.begin().await?;
        for (event, reason) in dead {
            let reason = clip(reason, MAX_ERROR_CHARS);
            tracing::error!(event_id = %event.event_id, subject = %event.subject, bytes = event.payload.len(), %reason,
                "An outbox event can never be published; set aside (outbox.dead)");
            orders::set_aside(&mut tx, event.seq, &reason).await?;
            let Some(shop) = subject::parse_event(&event.subject).map(|(shop, _)| shop) else { continue };
            let data = OutboxDead {
                event_id: event.event_id.clone(),
                subject: event.subject.clone(),
                bytes: event.payload.len() as u64,
                reason,
            };
            let notice = Event::new(shop.clone(), EventKind::known(EventKind::OUTBOX_DEAD), None, data);
            let kind = EventKind::known(EventKind::OUTBOX_DEAD);
            orders::enqueue(&mut tx, &subject::event(&shop, &kind), &notice).await?;
        }
        tx.commit().await?;
        self.dead.inc_by(dead.len() as u64);
        Ok(())
    }

    /// Marks published in the database every event the stream stored (one statement, on the
    /// writer connection); nothing to do when they are marked already.
    pub async fn mark_published(&self, store: &Store) -> anyhow::Result<()> {
        let through = self.stored_through.load(Ordering::Acquire);
        if through <= self.marked_through.load(Ordering::Acquire) {
            return Ok(());
        }
        orders::mark_published(&mut *store.writer().acquire().await?, through).await?;
        self.marked_through.fetch_max(through, Ordering::AcqRel);
        Ok(())
    }
}

/// The JetStream error code a stream answered a publication with, if it answered one.
fn stream_error(e: &PublishError) -> Option<jetstream::ErrorCode> {
    use std::error::Error as _;
    e.source().and_then(|s| s.downcast_ref::<jetstream::Error>()).map(jetstream::Error::error_code)
}

/// Whether the shop's events intake refused an event because the shop's quota for the window is
/// used up (it takes events again as the oldest age out).
fn over_quota(e: &PublishError) -> bool {
    matches!(
        stream_error(e),
        Some(jetstream::ErrorCode::STREAM_STORE_FAILED | jetstream::ErrorCode::INSUFFICIENT_RESOURCES)
    )
}

/// Whether the stream refused an event for good (too large for it): publishing it again would
/// fail again. Full storage and timeouts are not: they pass.
fn never_stored(e: &PublishError) -> bool {
    matches!(
        stream_error(e),
        Some(
            jetstream::ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM | jetstream::ErrorCode::STREAM_HEADER_EXCEEDS_MAXIMUM
        )
    )
}
