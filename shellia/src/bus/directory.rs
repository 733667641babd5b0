//! Which shops an order reaches, without listing the consumers before every order: the control
//! stream's consumers are listed once and listed again only when they may have changed:
//! - JetStream's consumer advisories (`$JS.EVENT.ADVISORY.CONSUMER.*.MAXIS_CONTROL.*`: a shop's
//!   consumer created or deleted) mark the list stale, and the next order lists them first;
//! - after a reconnection (advisories may have been missed meanwhile);
//! - after [`MAX_AGE`] (a consumer updated in place, e.g. a shop moved to another group, sends no
//!   advisory; a reply from a shop not in the list also makes the sender list them again).
//!
//! The advisory subscription is made before the first listing on the same connection, so no
//! change after a listing can go unnoticed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::{self, consumer};
use futures::{StreamExt, TryStreamExt};
use subjects::subject::{api, CONTROL_STREAM};
use tokio::task::JoinHandle;

/// The longest a listing is used without looking again.
pub const MAX_AGE: Duration = Duration::from_secs(5);

/// One listing of the consumers.
struct Listing {
    infos: Arc<Vec<consumer::Info>>,
    at: Instant,
    connects: u64,
}

/// The cached consumer list and the advisory watcher; the watcher stops when this is dropped.
pub(super) struct Directory {
    stale: Arc<AtomicBool>,
    listing: Mutex<Option<Listing>>,
    watcher: JoinHandle<()>,
}

impl Drop for Directory {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl Directory {
    /// Subscribes to the control stream's consumer advisories on `client`.
    pub(super) async fn start(client: &async_nats::Client) -> anyhow::Result<Self> {
        let mut advisories = client
            .subscribe(api::consumer_advisories(CONTROL_STREAM))
            .await
            .context("Failed to subscribe to the consumer advisories")?;
        let stale = Arc::new(AtomicBool::new(true));
        let mark = stale.clone();
        let watcher = tokio::spawn(async move {
            while advisories.next().await.is_some() {
                mark.store(true, Ordering::SeqCst);
            }
        });
        Ok(Self { stale, listing: Mutex::new(None), watcher })
    }

    /// The consumers: the cached listing when nothing says it changed, else a new one.
    pub(super) async fn consumers(
        &self,
        client: &async_nats::Client,
        js: &jetstream::Context,
    ) -> anyhow::Result<Arc<Vec<consumer::Info>>> {
        let connects = client.statistics().connects.load(Ordering::Relaxed);
        let cached = self.listing.lock().ok().and_then(|l| {
            l.as_ref().filter(|l| l.connects == connects && l.at.elapsed() < MAX_AGE).map(|l| l.infos.clone())
        });
        // Cleared before listing: an advisory arriving during the listing marks it stale again.
        let stale = self.stale.swap(false, Ordering::SeqCst);
        if let (Some(infos), false) = (cached, stale) {
            return Ok(infos);
        }
        let at = Instant::now();
        let infos = Arc::new(list(js).await.inspect_err(|_| self.stale.store(true, Ordering::SeqCst))?);
        if let Ok(mut listing) = self.listing.lock() {
            *listing = Some(Listing { infos: infos.clone(), at, connects });
        }
        Ok(infos)
    }
}

/// Every shop's consumer, listed now.
pub(super) async fn list(js: &jetstream::Context) -> anyhow::Result<Vec<consumer::Info>> {
    let stream = js.get_stream_no_info(CONTROL_STREAM).await.context("Failed to open the control stream")?;
    stream.consumers().try_collect().await.context("Failed to list the shops' consumers")
}
