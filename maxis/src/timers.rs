//! Time-driven changes: promotions start and end by themselves, also across restarts (a
//! promotion whose end passed while Maxis was down ends when it starts).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use subjects::results::PromoStatus;
use subjects::EventKind;
use tokio::sync::Notify;

use crate::bus::OrderHandler;
use crate::domain::promo;
use crate::engagement;
use crate::execute;
use crate::store::{giveaways, promos};

/// Applies every change due at `now`, publishes the events, and returns the next due instant.
pub async fn run_due(handler: &OrderHandler, now: DateTime<Utc>) -> anyhow::Result<Option<DateTime<Utc>>> {
    let mut tx = handler.store.begin().await?;
    for mut p in promos::live(&mut tx).await? {
        let Some(next) = promo::due(&p, now) else { continue };
        if promos::transition(&mut tx, &p.id, p.status, next).await? {
            let kind = if next == PromoStatus::Active { EventKind::PROMO_STARTED } else { EventKind::PROMO_ENDED };
            p.status = next;
            let order_id = subjects::OrderId::parse(p.id.clone()).ok();
            execute::enqueue(&mut tx, &handler.ctx, order_id.as_ref(), kind, json!(p)).await?;
        }
    }
    for g in giveaways::due(&mut tx, now).await? {
        engagement::end(&mut tx, &handler.ctx, &g).await?;
    }
    let next = [promos::next_change(&mut tx).await?, giveaways::next_end(&mut tx).await?].into_iter().flatten().min();
    tx.commit().await?;
    handler.publisher.flush_outbox(&handler.store).await?;
    Ok(next)
}

/// Runs the clock until `shutdown`: wakes at the next due instant, or when `changed` is
/// notified (a new promotion), and at least every minute.
pub async fn run(handler: OrderHandler, changed: Arc<Notify>, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let wait = match run_due(&handler, Utc::now()).await {
            Ok(Some(next)) => (next - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(Duration::from_secs(60)),
            Ok(None) => Duration::from_secs(60),
            Err(e) => {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "Failed to run the promotion clock");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = &mut shutdown => return,
            _ = changed.notified() => {}
            // A few milliseconds late, so that the instant has passed when we look again.
            _ = tokio::time::sleep(wait + Duration::from_millis(5)) => {}
        }
    }
}
