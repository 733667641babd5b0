//! Storage failures seen and survived: a shop that cannot commit to its database (read-only,
//! disk full, I/O errors) is *degraded*. It says so (`shop.degraded`, the admins told, `/healthz`
//! 503), holds its orders unacknowledged (in-progress acks, so they are neither redelivered
//! nor counted against their deliveries), replaces its database connections, and checks the
//! database twice a second; once a write commits it says `shop.recovered` and the held orders
//! execute, each once.

pub mod fault;
mod watchdog;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use prometheus_client::metrics::gauge::Gauge;
use subjects::event::StorageFault;
use tokio::sync::watch;

use crate::bus::Publisher;
use crate::execute::ShopContext;
use crate::members::Members;
use crate::store::Store;

pub use watchdog::run;

/// Whether the shop can write its database.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// It commits.
    Healthy,
    /// It cannot, since `since`.
    Degraded {
        /// What fails.
        fault: StorageFault,
        /// The error, clipped.
        reason: String,
        /// When it was first seen.
        since: DateTime<Utc>,
        /// The same, for durations.
        started: Instant,
    },
}

/// The shop's view of its storage, shared by the order path, `/healthz` and the watchdog.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    ctx: ShopContext,
    publisher: Publisher,
    members: Arc<dyn Members>,
    state: watch::Sender<Condition>,
    held: AtomicU64,
    /// When the admins were last told the shop is degraded: at most once a minute, should storage
    /// fail, pass a check and fail again.
    told: std::sync::Mutex<Option<Instant>>,
    /// `maxis_storage_degraded`.
    gauge: Gauge,
}

impl Storage {
    /// The storage of `store`, healthy until found otherwise.
    pub fn new(store: Store, ctx: ShopContext, publisher: Publisher, members: Arc<dyn Members>, gauge: Gauge) -> Self {
        let (state, _) = watch::channel(Condition::Healthy);
        let told = std::sync::Mutex::default();
        let inner = Inner { store, ctx, publisher, members, state, held: AtomicU64::new(0), told, gauge };
        Self { inner: Arc::new(inner) }
    }

    /// The condition now.
    pub fn condition(&self) -> Condition {
        self.inner.state.borrow().clone()
    }

    /// Whether the shop cannot write its database now.
    pub fn is_degraded(&self) -> bool {
        matches!(*self.inner.state.borrow(), Condition::Degraded { .. })
    }

    /// Waits until the database commits again.
    pub async fn healthy(&self) {
        let mut rx = self.inner.state.subscribe();
        let _ = rx.wait_for(|c| *c == Condition::Healthy).await;
    }

    /// The order path failed on storage: the shop is degraded from now (told once per episode),
    /// and every database connection is replaced.
    pub fn report(&self, fault: StorageFault, reason: &str) {
        self.inner.store.reopen();
        let reason = subjects::limits::clip(reason, 200);
        let entered = self.inner.state.send_if_modified(|c| match c {
            Condition::Healthy => {
                *c = Condition::Degraded { fault, reason, since: Utc::now(), started: Instant::now() };
                true
            }
            Condition::Degraded { .. } => false,
        });
        if entered {
            self.inner.gauge.set(1);
            let this = self.clone();
            tokio::spawn(async move { this.announce_degraded().await });
        }
    }

    /// Counts orders held while degraded (reported in `shop.recovered`).
    pub fn held(&self, orders: usize) {
        self.inner.held.fetch_add(u64::try_from(orders).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Whether the admins may be told of a degradation now (not within a minute of the last).
    fn may_tell(&self) -> bool {
        let mut told = self.inner.told.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if told.is_some_and(|at| at.elapsed() < std::time::Duration::from_secs(60)) {
            return false;
        }
        *told = Some(Instant::now());
        true
    }

    /// The database commits again: healthy, connections replaced, `shop.recovered` told.
    async fn recovered(&self) {
        self.inner.store.reopen();
        let previous = self.inner.state.send_replace(Condition::Healthy);
        self.inner.gauge.set(0);
        if let Condition::Degraded { fault, started, .. } = previous {
            let held = self.inner.held.swap(0, Ordering::Relaxed);
            self.announce_recovered(fault, started.elapsed(), held).await;
        }
    }
}
