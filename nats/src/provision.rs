//! Streams and consumers, created by the provisioning identity only.
//!
//! Provisioning is idempotent: a stream or consumer whose configuration already matches is left
//! alone, one that differs is updated in place, a missing one is created. A shop's consumer
//! starts at "new" messages, so a shop added later never executes broadcasts issued before it.

use std::fmt;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::context::GetStreamErrorKind;
use async_nats::jetstream::stream::ConsumerErrorKind;
use async_nats::jetstream::{self, consumer, stream, ErrorCode};
use subjects::subject::{self, CONTROL_STREAM, EVENTS_STREAM};

use crate::fleet::{Fleet, Identity, ShopSpec, StreamSettings};

/// What provisioning did to one stream or consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It did not exist.
    Created,
    /// It existed with another configuration.
    Updated,
    /// It already matched.
    Unchanged,
}

/// One line of a provisioning report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `stream MAXIS_CONTROL` or `consumer MAXIS_CONTROL/shop1`.
    pub what: String,
    /// What happened.
    pub change: Change,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let change = match self.change {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Unchanged => "unchanged",
        };
        write!(f, "{}: {change}", self.what)
    }
}

/// The control stream's configuration.
pub fn control_stream(settings: &StreamSettings) -> stream::Config {
    stream::Config {
        name: CONTROL_STREAM.to_owned(),
        description: Some("Orders from Shellia to the Maxis shops (audit trail)".to_owned()),
        subjects: vec![subject::control_all_targets()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        max_age: Duration::from_secs(settings.control_max_age_secs),
        duplicate_window: Duration::from_secs(settings.control_dedupe_secs),
        num_replicas: settings.replicas,
        // Orders are an audit trail: no message is deleted one by one.
        deny_delete: true,
        // Bounded, and full means "refuse the new order" (Shellia is told): a stored order is
        // never dropped to make room.
        max_bytes: settings.control_max_bytes,
        max_message_size: settings.control_max_msg_size,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    }
}

/// The events stream's configuration: it takes no subject of its own but sources every shop's
/// intake stream, so each shop's events arrive here only within that shop's quota.
pub fn events_stream(settings: &StreamSettings, shops: &[ShopSpec]) -> stream::Config {
    stream::Config {
        name: EVENTS_STREAM.to_owned(),
        description: Some("Events of the Maxis shops".to_owned()),
        subjects: vec![],
        sources: Some(
            shops
                .iter()
                .map(|shop| stream::Source { name: subject::events_intake(&shop.id), ..Default::default() })
                .collect(),
        ),
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        max_age: Duration::from_secs(settings.events_max_age_secs),
        // Sourced messages keep their `Nats-Msg-Id`: an event published again after the intake's
        // short window is still stored once here.
        duplicate_window: Duration::from_secs(settings.events_dedupe_secs),
        num_replicas: settings.replicas,
        deny_delete: true,
        // Bounded below the server's store, so no identity filling it can starve the orders;
        // full, the oldest events go first and every shop's new events keep flowing.
        max_bytes: settings.events_max_bytes,
        // A sourced copy carries a `Nats-Stream-Source` header the intake's message did not: room
        // for it, or an event the intake took could never be copied (and sourcing would stall).
        max_message_size: settings.events_max_msg_size + SOURCE_HEADER_ROOM,
        discard: stream::DiscardPolicy::Old,
        ..Default::default()
    }
}

/// Room for the header a sourced copy gains (`Nats-Stream-Source: <stream> <seq> …`, about 150
/// bytes with a long stream name).
const SOURCE_HEADER_ROOM: i32 = 1024;

/// The intake stream of one shop's events: the quota. It takes `maxis.<shop>.events.>`,
/// acknowledges the shop's publications, and refuses new ones (never drops stored ones) once
/// the shop has `shop_events_max_bytes` (or `shop_events_max_msgs`) of events younger than
/// `shop_events_window_secs`: a
/// refusal costs the server nothing, so a flood with a leaked shop credential is capped in rate
/// and in bytes, and the other shops' events and orders keep flowing.
pub fn intake_stream(settings: &StreamSettings, shop: &ShopSpec) -> stream::Config {
    let window = Duration::from_secs(settings.shop_events_window_secs);
    stream::Config {
        name: subject::events_intake(&shop.id),
        description: Some(format!("Events of shop {} (its quota; read MAXIS_EVENTS)", shop.id)),
        subjects: vec![subject::events_of(&shop.id)],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        max_age: window,
        duplicate_window: window.min(Duration::from_secs(settings.events_dedupe_secs)),
        num_replicas: settings.replicas,
        deny_delete: true,
        max_bytes: settings.shop_events_max_bytes,
        // Tiny events cost more in the sourced copy (its header) than in the intake: a count caps
        // them too.
        max_messages: settings.shop_events_max_msgs,
        max_message_size: settings.events_max_msg_size,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    }
}

/// The durable pull consumer of one shop, with the shop's public nkey in its metadata (`nkey`):
/// only the provisioner writes consumers, so readers take the fleet's keys from there.
pub fn shop_consumer(settings: &StreamSettings, shop: &ShopSpec, key: &str) -> consumer::pull::Config {
    let name = subject::shop_consumer(&shop.id);
    consumer::pull::Config {
        durable_name: Some(name.clone()),
        name: Some(name),
        description: Some(format!("Orders for shop {}", shop.id)),
        filter_subjects: subject::shop_consumer_filters(&shop.id, &shop.groups),
        deliver_policy: consumer::DeliverPolicy::New,
        ack_policy: consumer::AckPolicy::Explicit,
        max_deliver: settings.max_deliver,
        backoff: settings.backoff(),
        max_ack_pending: 256,
        num_replicas: settings.replicas,
        metadata: [(SHOP_KEY_METADATA.to_owned(), key.to_owned())].into(),
        ..Default::default()
    }
}

/// Consumer metadata key holding the shop's public nkey.
pub const SHOP_KEY_METADATA: &str = subjects::signature::DISCOVERY_KEY;

/// Creates or updates both streams, every shop's events intake and every shop's consumer. The
/// events stream comes before the intakes: a fleet provisioned before intakes existed has the
/// shops' subjects on it, which it gives up before an intake can take them.
pub async fn provision(js: &jetstream::Context, fleet: &Fleet) -> anyhow::Result<Vec<Step>> {
    let manifest = &fleet.manifest;
    let mut steps = vec![
        ensure_stream(js, control_stream(&manifest.streams)).await?,
        ensure_stream(js, events_stream(&manifest.streams, &manifest.shops)).await?,
    ];
    for shop in &manifest.shops {
        steps.push(ensure_stream(js, intake_stream(&manifest.streams, shop)).await?);
        let key = fleet.public_key(&Identity::Shop(shop.clone()))?;
        steps.push(ensure_shop_consumer(js, &manifest.streams, shop, &key).await?);
    }
    Ok(steps)
}

/// What a shop joining a running fleet needs: the events stream sourcing its intake, the intake,
/// and its consumer.
pub async fn ensure_shop(js: &jetstream::Context, fleet: &Fleet, shop: &ShopSpec) -> anyhow::Result<Vec<Step>> {
    let settings = &fleet.manifest.streams;
    let key = fleet.public_key(&Identity::Shop(shop.clone()))?;
    Ok(vec![
        ensure_stream(js, events_stream(settings, &fleet.manifest.shops)).await?,
        ensure_stream(js, intake_stream(settings, shop)).await?,
        ensure_shop_consumer(js, settings, shop, &key).await?,
    ])
}

async fn ensure_stream(js: &jetstream::Context, want: stream::Config) -> anyhow::Result<Step> {
    let what = format!("stream {}", want.name);
    let change = match js.get_stream(&want.name).await {
        Ok(mut existing) => {
            let have = &existing.info().await.context("Failed to read stream info")?.config;
            if stream_matches(have, &want) {
                Change::Unchanged
            } else {
                js.update_stream(&want).await.with_context(|| format!("Failed to update {what}"))?;
                Change::Updated
            }
        }
        Err(e) if matches!(e.kind(), GetStreamErrorKind::JetStream(ref j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND) =>
        {
            js.create_stream(want).await.map_err(|e| {
                let hint = if e.to_string().contains("insufficient") {
                    ": the streams' max_bytes (orders, events, and each shop's events quota) exceed the broker's \
                     max_file_store; lower [streams] shop_events_max_bytes in fleet.toml or raise max_file_store"
                } else {
                    ""
                };
                anyhow::Error::new(e).context(format!("Failed to create {what}{hint}"))
            })?;
            Change::Created
        }
        Err(e) => return Err(e).with_context(|| format!("Failed to look up {what}")),
    };
    Ok(Step { what, change })
}

fn stream_matches(have: &stream::Config, want: &stream::Config) -> bool {
    have.subjects == want.subjects
        && have.storage == want.storage
        && have.max_age == want.max_age
        && have.duplicate_window == want.duplicate_window
        && have.num_replicas.max(1) == want.num_replicas.max(1)
        && have.deny_delete == want.deny_delete
        && have.description == want.description
        && have.max_bytes == want.max_bytes
        && have.max_messages.max(0) == want.max_messages.max(0)
        && have.max_message_size == want.max_message_size
        && have.discard == want.discard
        && sources(have) == sources(want)
}

fn sources(config: &stream::Config) -> Vec<&str> {
    let mut names: Vec<&str> = config.sources.iter().flatten().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names
}

/// Creates or updates one shop's durable consumer (used when a shop joins a running fleet).
pub async fn ensure_shop_consumer(
    js: &jetstream::Context,
    settings: &StreamSettings,
    shop: &ShopSpec,
    key: &str,
) -> anyhow::Result<Step> {
    let want = shop_consumer(settings, shop, key);
    let name = subject::shop_consumer(&shop.id);
    let what = format!("consumer {CONTROL_STREAM}/{name}");
    let existing: Result<consumer::Consumer<consumer::pull::Config>, _> =
        js.get_consumer_from_stream(&name, CONTROL_STREAM).await;
    let change = match existing {
        Ok(mut consumer) => {
            let have = &consumer.info().await.context("Failed to read consumer info")?.config;
            let mut have_filters = have.filter_subjects.clone();
            if !have.filter_subject.is_empty() {
                have_filters.push(have.filter_subject.clone());
            }
            let mut want_filters = want.filter_subjects.clone();
            have_filters.sort();
            want_filters.sort();
            let same = have_filters == want_filters
                && have.max_deliver == want.max_deliver
                && have.backoff == want.backoff
                && have.max_ack_pending == want.max_ack_pending
                && have.description == want.description
                && have.metadata.get(SHOP_KEY_METADATA) == want.metadata.get(SHOP_KEY_METADATA);
            if same {
                Change::Unchanged
            } else {
                js.update_consumer_on_stream(want, CONTROL_STREAM)
                    .await
                    .with_context(|| format!("Failed to update {what}"))?;
                Change::Updated
            }
        }
        Err(e) if matches!(e.kind(), ConsumerErrorKind::JetStream(ref j) if j.error_code() == ErrorCode::CONSUMER_NOT_FOUND) =>
        {
            js.create_consumer_strict_on_stream(want, CONTROL_STREAM)
                .await
                .with_context(|| format!("Failed to create {what}"))?;
            Change::Created
        }
        Err(e) => return Err(e).with_context(|| format!("Failed to look up {what}")),
    };
    Ok(Step { what, change })
}
