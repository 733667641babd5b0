//! Replies (core NATS) and events (JetStream, from the outbox).

use anyhow::Context;
use async_nats::jetstream;
use async_nats::HeaderMap;
use subjects::{subject, Event, Reply};

use crate::store::{orders, Store};

/// Publishes what the shop says.
#[derive(Clone)]
pub struct Publisher {
    client: async_nats::Client,
    js: jetstream::Context,
}

impl Publisher {
    /// A publisher on `client`.
    pub fn new(client: async_nats::Client) -> Self {
        let js = jetstream::new(client.clone());
        Self { client, js }
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

    /// Publishes every pending outbox event, oldest first, each acknowledged by the stream
    /// before it is marked published. Returns how many were published.
    pub async fn flush_outbox(&self, store: &Store) -> anyhow::Result<usize> {
        let mut published = 0;
        loop {
            let mut conn = store.pool().acquire().await?;
            let batch = orders::unpublished(&mut conn, 64).await?;
            if batch.is_empty() {
                return Ok(published);
            }
            for event in batch {
                let mut headers = HeaderMap::new();
                headers.insert(subject::MSG_ID_HEADER, event.event_id.as_str());
                self.js
                    .publish_with_headers(event.subject.clone(), headers, event.payload.into())
                    .await
                    .context("Failed to publish an event")?
                    .await
                    .context("The events stream did not store an event")?;
                orders::mark_published(&mut conn, event.seq).await?;
                published += 1;
            }
        }
    }
}
