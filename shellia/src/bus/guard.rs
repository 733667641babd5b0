//! The events stream's consumers deliver only to a reader's own inbox.
//!
//! nats-server checks who may *create* a consumer (the `ops` identity may, on `MAXIS_EVENTS`),
//! but not where a push consumer *delivers*: the server itself publishes the stream's events to
//! the `deliver_subject` named in the request, whoever listens there (nats-server issue #8274).
//! Subject permissions cannot see a request's payload, so Shellia, which may read and delete the
//! events stream's consumers, watches the server's consumer-created advisories and deletes at
//! once a push consumer delivering anywhere but an ops or Shellia inbox. Each is counted and
//! logged with the subject it aimed at.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Context;
use async_nats::jetstream;
use futures::StreamExt;
use subjects::subject::{self, api, EVENTS_STREAM};
use tokio::task::JoinHandle;

/// The watch over the events stream's consumers; it stops when this is dropped.
pub(super) struct ConsumerGuard {
    removed: Arc<AtomicU64>,
    watcher: JoinHandle<()>,
}

impl Drop for ConsumerGuard {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl ConsumerGuard {
    /// Subscribes to the events stream's consumer-created advisories on `client`.
    pub(super) async fn start(client: &async_nats::Client) -> anyhow::Result<Self> {
        let mut advisories = client
            .subscribe(api::consumer_created_advisories(EVENTS_STREAM))
            .await
            .context("Failed to subscribe to the events stream's consumer advisories")?;
        let js = jetstream::new(client.clone());
        let removed = Arc::new(AtomicU64::new(0));
        let count = removed.clone();
        let watcher = tokio::spawn(async move {
            while let Some(advisory) = advisories.next().await {
                let Some(name) = advisory.subject.rsplit('.').next().map(str::to_owned) else { continue };
                match check(&js, &name).await {
                    Ok(true) => {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(consumer = %name, error.message = %e, "Failed to check an events consumer")
                    }
                }
            }
        });
        Ok(Self { removed, watcher })
    }

    /// Push consumers deleted so far for delivering outside a reader's inbox.
    pub(super) fn removed(&self) -> u64 {
        self.removed.load(Ordering::Relaxed)
    }
}

/// Deletes consumer `name` when it pushes outside a reader's inbox; tells whether it did.
async fn check(js: &jetstream::Context, name: &str) -> anyhow::Result<bool> {
    let stream = js.get_stream_no_info(EVENTS_STREAM).await?;
    let info = match stream.consumer_info(name).await {
        Ok(info) => info,
        // Gone already (an ordered consumer replaced, a reader done).
        Err(e) if e.to_string().contains("not found") => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let Some(deliver) = info.config.deliver_subject.as_deref() else { return Ok(false) };
    if subject::is_reader_inbox(deliver) {
        return Ok(false);
    }
    stream.delete_consumer(name).await.context("Failed to delete a consumer pushing outside an inbox")?;
    tracing::warn!(
        consumer = %name,
        deliver_subject = %subjects::limits::clip(deliver, subjects::limits::MAX_QUOTED_CHARS),
        "deleted an events consumer pushing outside a reader's inbox"
    );
    Ok(true)
}
