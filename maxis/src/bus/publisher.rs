//! Replies (core NATS) and events (JetStream, from the outbox).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use anyhow::Context;
use async_nats::jetstream;
use async_nats::HeaderMap;
use subjects::{subject, Event, Reply};
use tokio::sync::Mutex;

use crate::store::{orders, Store};

/// Outbox events read, published and marked at a time.
const OUTBOX_BATCH: i64 = 256;

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
}

impl Publisher {
    /// A publisher on `client`.
    pub fn new(client: async_nats::Client) -> Self {
        let js = jetstream::new(client.clone());
        Self { client, js, flushing: Arc::default(), stored_through: Arc::default(), marked_through: Arc::default() }
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
        self.js
            .publish_with_headers(subject::event(&event.instance, &event.kind), headers, event.to_json().into())
            .await
            .context("Failed to publish an event")?
            .await
            .context("The events stream did not store an event")?;
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
        loop {
            let after = self.stored_through.load(Ordering::Acquire);
            let batch = orders::unpublished(&mut *store.pool().acquire().await?, after, OUTBOX_BATCH).await?;
            let Some(through) = batch.last().map(|e| e.seq) else {
                return Ok(published);
            };
            let mut acks = Vec::with_capacity(batch.len());
            for event in &batch {
                let mut headers = HeaderMap::new();
                headers.insert(subject::MSG_ID_HEADER, event.event_id.as_str());
                let ack = self
                    .js
                    .publish_with_headers(event.subject.clone(), headers, event.payload.clone().into())
                    .await
                    .context("Failed to publish an event")?;
                acks.push(std::future::IntoFuture::into_future(ack));
            }
            futures::future::try_join_all(acks).await.context("The events stream did not store an event")?;
            self.stored_through.store(through, Ordering::Release);
            published += batch.len();
            if (batch.len() as i64) < OUTBOX_BATCH {
                return Ok(published);
            }
        }
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
