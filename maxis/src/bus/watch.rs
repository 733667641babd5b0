//! The misuse watch: a shop's events intake (`MAXIS_EVENTS_IN_<shop>`) takes only what the
//! shop's credential publishes. Every event this process publishes is acknowledged with its
//! sequence in the intake; a sequence it was never given was stored by someone else with its
//! credential (a leaked key flooding or forging): counted (`maxis_foreign_events_total`), logged,
//! and reported as `credential.misused` (at most once a minute) so that admins rotate the key.
//!
//! The shop reads the intake's last sequence (stream info), not the messages: its credential
//! may not subscribe to its own events subjects, so a leaked key cannot see the shop's
//! publications either, nor answer their acknowledgements in the stream's place.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use prometheus_client::metrics::counter::Counter;
use serde_json::json;
use subjects::event::CredentialMisused;
use subjects::{subject, EventKind};

use super::OrderHandler;
use crate::execute;

/// How often the intake's last sequence is read.
const WATCH_EVERY: Duration = Duration::from_secs(2);

/// At most one `credential.misused` event per this period.
const ALERT_EVERY: Duration = Duration::from_secs(60);

/// The intake sequences of the events this process published (acknowledged, stored or found
/// duplicate), until the watch has accounted for them.
#[derive(Debug, Default)]
pub struct Stored {
    seqs: Mutex<BTreeSet<u64>>,
}

impl Stored {
    /// Records the intake sequence of an acknowledged publication.
    pub fn record(&self, seq: u64) {
        if let Ok(mut seqs) = self.seqs.lock() {
            seqs.insert(seq);
        }
    }

    /// How many of the sequences after `after` up to `through` are the shop's own; forgets
    /// them (and any older).
    fn own_between(&self, after: u64, through: u64) -> u64 {
        let Ok(mut seqs) = self.seqs.lock() else { return through - after };
        let later = seqs.split_off(&(through + 1));
        let own = seqs.range(after + 1..).count() as u64;
        *seqs = later;
        own
    }
}

/// Reads the shop's intake every [`WATCH_EVERY`] until the connection ends; `foreign` counts.
///
/// The sequences stored up to one reading are accounted for at the next one, when the acks of
/// everything the shop published before that reading have come back.
pub async fn run(handler: OrderHandler, client: async_nats::Client, foreign: Counter) -> anyhow::Result<()> {
    let js = jetstream::new(client);
    let intake = subject::events_intake(&handler.ctx.id);
    let identity = format!("shop-{}", handler.ctx.id);
    let last_sequence = |js: jetstream::Context| {
        let intake = intake.clone();
        async move {
            let stream = js.get_stream(&intake).await?;
            let state = stream.cached_info().state.clone();
            anyhow::Ok((state.last_sequence, state.bytes / state.messages.max(1)))
        }
    };
    // What was stored before this process started is not its to judge.
    let mut accounted = loop {
        match last_sequence(js.clone()).await {
            Ok((seq, _)) => break seq,
            Err(e) => tracing::debug!(error.message = %e, "the events intake is not readable yet"),
        }
        tokio::time::sleep(WATCH_EVERY).await;
    };
    let mut pending = accounted;
    let (mut count, mut bytes, mut since, mut alerted) = (0u64, 0u64, None, None::<Instant>);
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        let (now_at, average) = match last_sequence(js.clone()).await {
            Ok(read) => read,
            Err(e) => {
                tracing::debug!(error.message = %e, "Failed to read the events intake");
                continue;
            }
        };
        let own = handler.publisher.stored.own_between(accounted, pending);
        let others = (pending - accounted).saturating_sub(own);
        (accounted, pending) = (pending, now_at.max(pending));
        if others == 0 {
            continue;
        }
        foreign.inc_by(others);
        count += others;
        bytes += others * average;
        let first = *since.get_or_insert_with(chrono::Utc::now);
        if alerted.is_some_and(|at| at.elapsed() < ALERT_EVERY) {
            continue;
        }
        alerted = Some(Instant::now());
        tracing::error!(%identity, foreign = count,
            "messages this shop did not send were stored in its events intake: its credential is used elsewhere");
        let data = json!(CredentialMisused {
            identity: identity.clone(),
            foreign_messages: count,
            foreign_bytes: bytes,
            since: first
        });
        let reported = async {
            execute::emit(&handler.store, &handler.ctx, None, EventKind::CREDENTIAL_MISUSED, data).await?;
            handler.publisher.flush_outbox(&handler.store).await
        };
        if let Err(e) = reported.await {
            tracing::warn!(error.message = %e, "Failed to report credential.misused");
        }
    }
}
