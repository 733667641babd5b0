//! Replies (core NATS) and events (JetStream, from the outbox).

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
}

impl Publisher {
    /// A publisher on `client`.
    pub fn new(client: async_nats::Client) -> Self {
        let js = jetstream::new(client.clone());
        Self { client, js, flushing: Arc::default() }
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
    ///
    /// A batch is published in order on the one connection, then its acks are awaited together:
    /// one round trip per batch rather than per event. When an ack fails nothing of the batch is
    /// marked, and the next flush publishes it again under the same `Nats-Msg-Id` (the stream
    /// drops the copies it already has).
    pub async fn flush_outbox(&self, store: &Store) -> anyhow::Result<usize> {
        let _one_at_a_time = self.flushing.lock().await;
        let mut published = 0;
        loop {
            let mut conn = store.pool().acquire().await?;
            let batch = orders::unpublished(&mut conn, OUTBOX_BATCH).await?;
            let last = (batch.len() as i64) < OUTBOX_BATCH;
            if batch.is_empty() {
                return Ok(published);
            }
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
            let seqs: Vec<i64> = batch.iter().map(|e| e.seq).collect();
            orders::mark_published(&mut conn, &seqs).await?;
            published += batch.len();
            if last {
                return Ok(published);
            }
        }
    }
}
