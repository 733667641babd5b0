//! Reading the shops' events: live (`tail`) or from the stream since an instant (`replay`).
//!
//! A replay is a pipeline of two tasks: a spawned task drains the ordered consumer, the caller's
//! task parses, filters, tells the progress callback and hands each event on (the CLI prints it
//! at once: [`FleetClient::replay_each`]), so on a multi-core machine parsing overlaps with
//! receiving instead of delaying the next pull. Parsing stays on the caller's task on purpose:
//! in the CLI the caller is the main thread, whose glibc arena grows the heap with `brk` in 128 KB
//! steps; a worker thread's arena grows it page by page, one `mprotect` each (parsing 1M events
//! there, `perf` showed that thread spending about as long in `mprotect` and page faults as in
//! parsing). Keeping every event ([`FleetClient::replay`]) costs about 1.6 KB each: printing them
//! as they come keeps a long replay's memory flat.

use std::borrow::Cow;
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::consumer::pull::{Ordered, OrderedConfig};
use async_nats::jetstream::consumer::DeliverPolicy;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Deserialize;
use subjects::subject::{self, EVENTS_STREAM};
use subjects::{Event, EventKind, ShopId};
use tokio::sync::mpsc;

use super::{FleetClient, Forgeries};

/// Without a message for this long, a replay ends with what it has (the stream lost messages
/// to its limits while we read, or the broker went quiet).
const IDLE: Duration = Duration::from_secs(2);
/// Messages handed to the parsing task at once: one channel operation per chunk, not per event.
const CHUNK: usize = 256;
/// Chunks in flight between the two tasks; bounds the memory of a replay that outruns parsing.
const CHUNKS_IN_FLIGHT: usize = 16;
/// The progress callback is told every this many events.
const PROGRESS_EVERY: u64 = 1_000;

/// Which events: one shop or all, one kind (or a kind prefix such as `giveaway`) or all.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this shop.
    pub shop: Option<ShopId>,
    /// Only this kind, or the kinds under this prefix.
    pub kind: Option<EventKind>,
}

/// The two fields a filter looks at, borrowed from the payload: rejecting an event costs no
/// allocation and skips its data.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    instance: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
}

impl EventFilter {
    fn is_everything(&self) -> bool {
        self.shop.is_none() && self.kind.is_none()
    }

    fn matches(&self, event: &Event) -> bool {
        self.matches_parts(event.instance.as_ref(), event.kind.as_ref())
    }

    fn matches_parts(&self, instance: &str, kind: &str) -> bool {
        let kind_ok = self
            .kind
            .as_ref()
            .is_none_or(|k| kind.strip_prefix(k.as_ref()).is_some_and(|rest| rest.is_empty() || rest.starts_with('.')));
        kind_ok && self.shop.as_ref().is_none_or(|s| instance == s.as_ref())
    }

    /// The event in `payload` if it passes and its subject attributes it to the shop it names
    /// (else a forgery, counted in `forgeries`); unreadable events are logged and skipped.
    fn select(&self, subject: &str, payload: &[u8], forgeries: &Forgeries) -> Option<Event> {
        if !self.is_everything() {
            // A payload whose head does not parse goes on to the full parse, which says why.
            if let Ok(head) = serde_json::from_slice::<Head>(payload) {
                if !forgeries.head(subject, &head.instance, &head.kind) {
                    return None;
                }
                if !self.matches_parts(&head.instance, &head.kind) {
                    return None;
                }
            }
        }
        match serde_json::from_slice::<Event>(payload) {
            Ok(event) => forgeries.event(subject, event).filter(|e| self.matches(e)),
            Err(e) => {
                // Junk stored with a leaked key can be most of a period: a line for the 1st,
                // 2nd, 4th, 8th… unreadable event, not one each.
                let seen = UNREADABLE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if seen.is_power_of_two() {
                    tracing::warn!(subject, error.message = %e, unreadable_so_far = seen, "unreadable event skipped");
                }
                None
            }
        }
    }
}

/// Unreadable events skipped by this process.
static UNREADABLE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Event ids the tail showed lately: a shop whose publication the stream refused (its quota)
/// publishes it again, and every try reaches live subscribers.
#[derive(Default)]
struct Shown {
    ids: std::collections::HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl Shown {
    const KEPT: usize = 10_000;

    /// Whether `id` is new (remembered from now on).
    fn first(&mut self, id: &str) -> bool {
        if !self.ids.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back(id.to_owned());
        if self.order.len() > Self::KEPT {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        true
    }
}

impl FleetClient {
    /// Every stored event since `since` matching `filter`, oldest first, until the stream is
    /// caught up. `progress` is told (done, pending) every 1,000 events and once at the end.
    pub async fn replay(
        &self,
        since: DateTime<Utc>,
        filter: &EventFilter,
        progress: impl FnMut(u64, u64),
    ) -> anyhow::Result<Vec<Event>> {
        let mut events = Vec::new();
        self.replay_each(since, filter, progress, |event| {
            events.push(event);
            true
        })
        .await?;
        Ok(events)
    }

    /// [`Self::replay`], handing each event to `sink` as it is read instead of keeping them all:
    /// the CLI prints them as they come, so a long replay needs no memory for its whole period.
    /// `sink` returns false to stop early. Returns how many messages were read.
    pub async fn replay_each(
        &self,
        since: DateTime<Utc>,
        filter: &EventFilter,
        mut progress: impl FnMut(u64, u64),
        mut sink: impl FnMut(Event) -> bool,
    ) -> anyhow::Result<u64> {
        let stream = self.js.get_stream_no_info(EVENTS_STREAM).await.context("Failed to open the events stream")?;
        let config = OrderedConfig {
            filter_subject: subject::events_all(),
            deliver_policy: DeliverPolicy::ByStartTime { start_time: since },
            ..Default::default()
        };
        let consumer = stream.create_consumer(config).await.context("Failed to read the events stream")?;
        // What the period holds when the consumer is created: nothing means nothing to wait for.
        if consumer.cached_info().num_pending == 0 {
            progress(0, 0);
            return Ok(0);
        }
        let messages = consumer.messages().await.context("Failed to read the events stream")?;

        let (chunks, mut received) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
        let receiver = tokio::spawn(receive(messages, chunks));
        let mut seen = 0u64;
        while let Some(chunk) = received.recv().await {
            for (message, pending) in chunk {
                seen += 1;
                if seen.is_multiple_of(PROGRESS_EVERY) {
                    progress(seen, pending);
                }
                if let Some(event) = filter.select(message.subject.as_str(), &message.payload, &self.forgeries) {
                    if !sink(event) {
                        // Stopped early: the reader may be waiting on the broker; nobody needs it.
                        receiver.abort();
                        return Ok(seen);
                    }
                }
            }
        }
        receiver.await.context("The event reader stopped")??;
        progress(seen, 0);
        Ok(seen)
    }

    /// New events matching `filter`, as they happen.
    pub async fn tail(&self, filter: &EventFilter) -> anyhow::Result<impl futures::Stream<Item = Event> + use<>> {
        let subscriber =
            self.client.subscribe(subject::events_all()).await.context("Failed to subscribe to the events")?;
        let filter = filter.clone();
        let forgeries = self.forgeries.clone();
        let mut shown = Shown::default();
        Ok(subscriber.filter_map(move |m| {
            let event = serde_json::from_slice::<Event>(&m.payload)
                .ok()
                .and_then(|e| forgeries.event(m.subject.as_str(), e))
                .filter(|e| filter.matches(e))
                .filter(|e| shown.first(e.id.as_str()));
            async move { event }
        }))
    }
}

/// Messages in stream order, each with the count still pending after it.
type Chunk = Vec<(async_nats::Message, u64)>;

/// Drains the ordered consumer into `chunks` until the stream is caught up (the message that
/// leaves nothing pending), the consumer ends, the parser hangs up, or nothing arrives for [`IDLE`].
async fn receive(mut messages: Ordered, chunks: mpsc::Sender<Chunk>) -> anyhow::Result<()> {
    // One idle timer for the whole replay, not one per message: when it fires, the replay ends
    // only if no message came since the previous firing.
    let idle = tokio::time::sleep(IDLE);
    tokio::pin!(idle);
    let (mut seen, mut seen_at_last_tick) = (0u64, 0u64);
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        let message = tokio::select! {
            biased;
            next = messages.next() => match next {
                Some(message) => message.context("Failed to read an event")?,
                None => break,
            },
            () = &mut idle => {
                if seen == seen_at_last_tick {
                    break;
                }
                seen_at_last_tick = seen;
                idle.as_mut().reset(tokio::time::Instant::now() + IDLE);
                continue;
            }
        };
        seen += 1;
        let pending = message.info().map(|i| i.pending).unwrap_or(0);
        // Only what parsing needs crosses to the other task: the JetStream context (a client
        // handle), the ack subject and the headers are freed here, by the thread (and allocator
        // arena) that made them, not by the busier parsing thread.
        let mut message = message.message;
        message.reply = None;
        message.headers = None;
        chunk.push((message, pending));
        if pending == 0 {
            break;
        }
        if chunk.len() == CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            if chunks.send(full).await.is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        // An error here means the parser hung up: nobody is left to tell.
        let _ = chunks.send(chunk).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use subjects::{Event, EventKind, ShopId};

    use super::{EventFilter, Forgeries};

    fn payload(shop: &str, kind: &str) -> Vec<u8> {
        let (shop, kind) = (ShopId::parse(shop).unwrap(), EventKind::parse(kind).unwrap());
        Event::new(shop, kind, None, json!({"open": true})).to_json()
    }

    /// `filter` applied to an event of `shop` and `kind` on its own subject.
    fn pick(filter: &EventFilter, shop: &str, kind: &str) -> Option<Event> {
        filter.select(&format!("maxis.{shop}.events.{kind}"), &payload(shop, kind), &Forgeries::default())
    }

    fn kind(kind: &str) -> EventFilter {
        EventFilter { shop: None, kind: Some(EventKind::parse(kind).unwrap()) }
    }

    #[test]
    fn a_kind_filter_keeps_that_kind_and_the_kinds_under_it_only() {
        let giveaways = kind("giveaway");

        assert!(pick(&giveaways, "shop1", "giveaway").is_some());
        assert!(pick(&giveaways, "shop1", "giveaway.created").is_some());
        assert!(pick(&giveaways, "shop1", "giveaways.created").is_none());
        assert!(pick(&giveaways, "shop1", "order.executed").is_none());
    }

    #[test]
    fn a_shop_filter_keeps_that_shops_events_whole_and_drops_the_others() {
        let shop2 = EventFilter { shop: Some(ShopId::parse("shop2").unwrap()), kind: None };
        let theirs = payload("shop2", "order.executed");
        let subject = "maxis.shop2.events.order.executed";

        let kept = shop2.select(subject, &theirs, &Forgeries::default());

        assert_eq!(kept, Some(serde_json::from_slice::<Event>(&theirs).unwrap()));
        assert!(pick(&shop2, "shop1", "order.executed").is_none());
    }

    #[test]
    fn an_event_on_another_shops_subject_is_dropped_and_counted_with_or_without_a_filter() {
        let shop2 = EventFilter { shop: Some(ShopId::parse("shop2").unwrap()), kind: None };
        let forged = payload("shop2", "order.executed");
        let forgeries = Forgeries::default();
        for filter in [EventFilter::default(), shop2] {
            assert!(filter.select("maxis.shop1.events.order.executed", &forged, &forgeries).is_none());
        }
        assert_eq!(forgeries.count(), 2);
    }

    #[test]
    fn unreadable_events_are_skipped_with_or_without_a_filter() {
        // The fields a filter reads are there and match; the rest of an event is not.
        let headless = br#"{"instance":"shop1","kind":"order.executed"}"#;
        let subject = "maxis.shop1.events.order.executed";

        for filter in [EventFilter::default(), kind("order")] {
            assert!(filter.select(subject, headless, &Forgeries::default()).is_none());
            assert!(filter.select(subject, b"not json", &Forgeries::default()).is_none());
            assert!(pick(&filter, "shop1", "order.executed").is_some());
        }
    }
}
