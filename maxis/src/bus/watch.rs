//! The misuse watch: a shop listens to its own events subjects. A message there that this
//! process did not publish was sent with its credential by someone else (a leaked key flooding
//! the stream, or forging in its name): counted (`maxis_foreign_events_total`), logged, and
//! reported as `credential.misused` (at most once a minute) so that admins rotate the key.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::StreamExt;
use prometheus_client::metrics::counter::Counter;
use serde_json::json;
use subjects::event::CredentialMisused;
use subjects::{subject, EventKind};

use super::OrderHandler;
use crate::execute;

/// Own event ids remembered; older ones are forgotten (a restarted outbox is published at start).
const REMEMBERED: usize = 100_000;
/// At most one `credential.misused` event per this period.
const ALERT_EVERY: Duration = Duration::from_secs(60);

/// Ids of the events this process published lately.
#[derive(Debug, Default)]
pub struct Sent {
    ids: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl Sent {
    /// Remembers an id about to be published.
    pub fn remember(&self, id: &str) {
        if let Ok(mut guard) = self.ids.lock() {
            let (set, order) = &mut *guard;
            if set.insert(id.to_owned()) {
                order.push_back(id.to_owned());
                if order.len() > REMEMBERED {
                    if let Some(old) = order.pop_front() {
                        set.remove(&old);
                    }
                }
            }
        }
    }

    fn knows(&self, id: &str) -> bool {
        self.ids.lock().map(|g| g.0.contains(id)).unwrap_or(true)
    }
}

/// Watches the shop's own events subjects until the subscription ends; `foreign` counts.
pub async fn run(handler: OrderHandler, client: async_nats::Client, foreign: Counter) -> anyhow::Result<()> {
    let mut messages = client.subscribe(subject::events_of(&handler.ctx.id)).await?;
    let identity = format!("shop-{}", handler.ctx.id);
    let (mut count, mut bytes, mut since, mut alerted) = (0u64, 0u64, None, None::<Instant>);
    while let Some(message) = messages.next().await {
        let id = message.headers.as_ref().and_then(|h| h.get(subject::MSG_ID_HEADER)).map(|v| v.as_str());
        if id.is_some_and(|id| handler.publisher.sent.knows(id)) {
            continue;
        }
        foreign.inc();
        count += 1;
        bytes += message.payload.len() as u64;
        let first = *since.get_or_insert_with(chrono::Utc::now);
        if alerted.is_some_and(|at| at.elapsed() < ALERT_EVERY) {
            continue;
        }
        alerted = Some(Instant::now());
        tracing::error!(%identity, subject = %message.subject, foreign = count,
            "a message this shop did not send arrived on its events subject: its credential is used elsewhere");
        let data = json!(CredentialMisused {
            identity: identity.clone(),
            foreign_messages: count,
            foreign_bytes: bytes,
            since: first,
        });
        let reported = async {
            execute::emit(&handler.store, &handler.ctx, None, EventKind::CREDENTIAL_MISUSED, data).await?;
            handler.publisher.flush_outbox(&handler.store).await
        };
        if let Err(e) = reported.await {
            tracing::warn!(error.message = %e, "Failed to report credential.misused");
        }
    }
    Ok(())
}
