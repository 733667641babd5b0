//! Time-driven changes: promotions start and end by themselves, and so do giveaways, preorder
//! releases and the months of gifted plans, also across restarts (a change whose instant passed
//! while Maxis was down happens when it starts, once).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use subjects::results::PromoStatus;
use subjects::EventKind;
use tokio::sync::Notify;

use crate::bus::{OrderHandler, Publisher};
use crate::domain::promo;
use crate::engagement::giveaways as engagement;
use crate::engagement::giveaways::store as giveaways;
use crate::engagement::preorders::store as preorders;
use crate::execute;
use crate::execute::ShopContext;
use crate::marketing::store::promos;
use crate::store::Store;

/// Applies every change due at `now`, publishes the events, and returns the next due instant.
pub async fn run_due(handler: &OrderHandler, now: DateTime<Utc>) -> anyhow::Result<Option<DateTime<Utc>>> {
    let next = apply_due(&handler.store, &handler.ctx, now).await?;
    handler.publisher.flush_outbox(&handler.store).await?;
    Ok(next)
}

/// Applies every change due at `now` (promotions start and end, giveaways end and draw,
/// preorders release, gifted months end), with their events in the outbox; returns the next due instant.
pub async fn apply_due(store: &Store, ctx: &ShopContext, now: DateTime<Utc>) -> anyhow::Result<Option<DateTime<Utc>>> {
    let mut tx = store.begin().await?;
    for mut p in promos::live(&mut tx).await? {
        let Some(next) = promo::due(&p, now) else { continue };
        if promos::transition(&mut tx, &p.id, p.status, next).await? {
            let kind = if next == PromoStatus::Active { EventKind::PROMO_STARTED } else { EventKind::PROMO_ENDED };
            p.status = next;
            if next == PromoStatus::Active {
                crate::marketing::announce_promo(&mut tx, &p).await?;
            }
            let order_id = subjects::OrderId::parse(p.id.clone()).ok();
            execute::enqueue(&mut tx, ctx, order_id.as_ref(), kind, json!(p)).await?;
        }
    }
    for g in giveaways::due(&mut tx, now).await? {
        engagement::end(&mut tx, ctx, &g).await?;
    }
    for p in preorders::due(&mut tx, now).await? {
        crate::engagement::preorders::release(&mut tx, ctx, &p.product).await?;
    }
    crate::gifts::lifecycle::end_due(&mut tx, ctx, now).await?;
    let next = [
        promos::next_change(&mut tx).await?,
        giveaways::next_end(&mut tx).await?,
        preorders::next_release(&mut tx).await?,
        crate::gifts::store::next_end(&mut tx).await?,
    ]
    .into_iter()
    .flatten()
    .min();
    tx.commit().await?;
    Ok(next)
}

/// Runs the clock until `shutdown`: wakes at the next due instant, or when `changed` is
/// notified (a new promotion), and at least every minute. Events are published through
/// `publisher` when there is one (else they wait in the outbox).
pub async fn run(
    store: Store,
    ctx: ShopContext,
    publisher: Option<Publisher>,
    changed: Arc<Notify>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let step = async {
            let next = apply_due(&store, &ctx, Utc::now()).await?;
            if let Some(p) = &publisher {
                p.flush_outbox(&store).await?;
            }
            anyhow::Ok(next)
        };
        let wait = match step.await {
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
