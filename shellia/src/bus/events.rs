//! Reading the shops' events: live (`tail`) or from the stream since an instant (`replay`).

use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::consumer::{pull::OrderedConfig, DeliverPolicy};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use subjects::subject::{self, EVENTS_STREAM};
use subjects::{Event, EventKind, ShopId};

use super::FleetClient;

/// Which events: one shop or all, one kind (or a kind prefix such as `giveaway`) or all.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this shop.
    pub shop: Option<ShopId>,
    /// Only this kind, or the kinds under this prefix.
    pub kind: Option<EventKind>,
}

impl EventFilter {
    fn matches(&self, event: &Event) -> bool {
        let kind =
            self.kind.as_ref().is_none_or(|k| event.kind == *k || event.kind.as_ref().starts_with(&format!("{k}.")));
        let shop = self.shop.as_ref().is_none_or(|s| event.instance == *s);
        kind && shop
    }
}

impl FleetClient {
    /// Every stored event since `since` matching `filter`, oldest first, until the stream is
    /// caught up. `progress` is told (done, pending) every 1,000 events.
    pub async fn replay(
        &self,
        since: DateTime<Utc>,
        filter: &EventFilter,
        mut progress: impl FnMut(u64, u64),
    ) -> anyhow::Result<Vec<Event>> {
        let stream = self.js.get_stream_no_info(EVENTS_STREAM).await.context("Failed to open the events stream")?;
        let config = OrderedConfig {
            filter_subject: subject::events_all(),
            deliver_policy: DeliverPolicy::ByStartTime { start_time: since },
            ..Default::default()
        };
        let consumer = stream.create_consumer(config).await.context("Failed to read the events stream")?;
        let mut messages = consumer.messages().await.context("Failed to read the events stream")?;
        let mut events = Vec::new();
        let mut seen = 0u64;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(2), messages.next()).await;
            let Ok(Some(message)) = next else { break };
            let message = message.context("Failed to read an event")?;
            let pending = message.info().map(|i| i.pending).unwrap_or(0);
            seen += 1;
            if seen.is_multiple_of(1_000) {
                progress(seen, pending);
            }
            match serde_json::from_slice::<Event>(&message.payload) {
                Ok(event) if filter.matches(&event) => events.push(event),
                Ok(_) => {}
                Err(e) => tracing::warn!(subject = %message.subject, error.message = %e, "unreadable event skipped"),
            }
            if pending == 0 {
                break;
            }
        }
        progress(seen, 0);
        Ok(events)
    }

    /// New events matching `filter`, as they happen.
    pub async fn tail(&self, filter: &EventFilter) -> anyhow::Result<impl futures::Stream<Item = Event> + use<>> {
        let subscriber =
            self.client.subscribe(subject::events_all()).await.context("Failed to subscribe to the events")?;
        let filter = filter.clone();
        Ok(subscriber.filter_map(move |m| {
            let event = serde_json::from_slice::<Event>(&m.payload).ok().filter(|e| filter.matches(e));
            async move { event }
        }))
    }
}
