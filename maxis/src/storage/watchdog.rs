//! The watchdog: checks the database (every 2 s, twice a second while degraded) and tells the
//! world when the shop becomes degraded or recovers.

use std::future::Future;
use std::time::Duration;

use serde_json::json;
use subjects::event::{ShopDegraded, ShopRecovered, StorageFault};
use subjects::{Event, EventKind};

use super::{fault, Condition, Storage};
use crate::execute;

/// Between checks while the database commits.
const HEALTHY_EVERY: Duration = Duration::from_secs(2);

/// Between checks while it does not.
const DEGRADED_EVERY: Duration = Duration::from_millis(500);

/// Checks the database until `stopped` completes.
pub async fn run(storage: Storage, stopped: impl Future<Output = ()>) {
    tokio::pin!(stopped);
    loop {
        let every = if storage.is_degraded() { DEGRADED_EVERY } else { HEALTHY_EVERY };
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(every) => {}
        }
        match fault::check(&storage.inner.store).await {
            Ok(None) if storage.is_degraded() => storage.recovered().await,
            Ok(None) => {}
            Ok(Some((fault, reason))) => storage.report(fault, &reason),
            Err(e) => tracing::debug!(error.message = %e, "No answer from the storage check"),
        }
    }
}

impl Storage {
    /// `shop.degraded`, published directly (the outbox is in the database that fails), and the
    /// admins told.
    pub(super) async fn announce_degraded(&self) {
        let Condition::Degraded { fault, reason, since, .. } = self.condition() else { return };
        let shop = &self.inner.ctx.id;
        tracing::error!(shop = %shop, ?fault, error.message = %reason, "The database cannot commit: orders are held");
        let data = json!(ShopDegraded { fault, reason: reason.clone(), since });
        let event = Event::new(shop.clone(), EventKind::known(EventKind::SHOP_DEGRADED), None, data);
        if let Err(e) = self.inner.publisher.event(&event).await {
            tracing::warn!(error.message = %e, "Failed to publish shop.degraded");
        }
        if !self.may_tell() {
            return;
        }
        let text = format!(
            "⚠️ Shop {shop} cannot write its database ({}): orders wait and run once it can. {reason}",
            describe(fault)
        );
        if let Err(e) = self.inner.members.tell_admins(&text).await {
            tracing::warn!(error.message = %e, "Failed to tell the admins the shop is degraded");
        }
    }

    /// `shop.recovered` through the outbox (the database commits again), and the admins told.
    pub(super) async fn announce_recovered(&self, fault: StorageFault, lasted: Duration, held: u64) {
        let shop = &self.inner.ctx.id;
        let degraded_ms = u64::try_from(lasted.as_millis()).unwrap_or(u64::MAX);
        tracing::info!(shop = %shop, degraded_ms, held, "The database commits again: held orders run");
        let data = json!(ShopRecovered { fault, degraded_ms, held_orders: held });
        let (store, publisher) = (&self.inner.store, &self.inner.publisher);
        let stored = execute::emit(store, &self.inner.ctx, None, EventKind::SHOP_RECOVERED, data).await;
        if let Err(e) = async {
            stored?;
            publisher.flush_outbox(store).await
        }
        .await
        {
            tracing::warn!(error.message = %e, "Failed to publish shop.recovered");
        }
        let text = format!(
            "✅ Shop {shop} writes its database again after {:.0} s ({}); {held} held orders now run.",
            lasted.as_secs_f64(),
            describe(fault)
        );
        if let Err(e) = self.inner.members.tell_admins(&text).await {
            tracing::warn!(error.message = %e, "Failed to tell the admins the shop recovered");
        }
    }
}

fn describe(fault: StorageFault) -> &'static str {
    match fault {
        StorageFault::ReadOnly => "read-only",
        StorageFault::Full => "disk full",
        StorageFault::Io => "I/O error",
    }
}
