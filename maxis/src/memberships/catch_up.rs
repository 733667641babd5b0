//! No lost Stripe event after downtime: on start and periodically, the shop lists the events
//! Stripe created since the last pass (`GET /v1/events`, within Stripe's 30-day window) and
//! applies each through the webhook's own idempotent path. An event seen before (delivered by a
//! webhook, or by an earlier pass) changes nothing; a pass that fails part way keeps its cursor,
//! so the next one lists the same events again.

use chrono::Utc;
use stripe_webhook::Webhook;

use super::store;
use crate::commerce::webhook::{Handled, WebhookError};
use crate::commerce::Commerce;
use crate::payments::ProviderEvent;

/// How far back Stripe lists events (30 days), less a minute so a query never reaches past it.
const WINDOW_SECS: i64 = 30 * 24 * 3600 - 60;
/// Events this close to the newest one listed are listed again by the next pass: Stripe may make
/// an event listable a little after others created later.
const OVERLAP_SECS: i64 = 300;

/// What a catch-up pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Events listed.
    pub listed: usize,
    /// Applied now (missed by the webhooks).
    pub applied: usize,
    /// Already handled, or of a type the shop does not act on.
    pub skipped: usize,
}

impl Commerce {
    /// Lists the Stripe events created since the last pass and applies those not handled yet,
    /// oldest first. Without a Stripe key there is nothing to catch up with.
    ///
    /// # Errors
    /// Stripe cannot be reached, or an event could not be applied (the next pass tries again).
    pub async fn catch_up(&self) -> anyhow::Result<CatchUp> {
        let Some(payments) = self.payments.clone() else { return Ok(CatchUp::default()) };
        let now = Utc::now().timestamp();
        let since = {
            let mut conn = self.store.pool().acquire().await?;
            store::events_cursor(&mut conn).await?.unwrap_or(0).max(now - WINDOW_SECS)
        };
        let mut events: Vec<ProviderEvent> = Vec::new();
        let mut after = None;
        loop {
            let page = payments.events_since(since, after.take()).await?;
            after = page.events.last().map(|e| e.id.clone());
            events.extend(page.events);
            if !page.has_more || after.is_none() {
                break;
            }
        }
        let mut pass = CatchUp { listed: events.len(), ..CatchUp::default() };
        let newest = events.iter().map(|e| e.created).max();
        // Stripe lists newest first: apply in the order they happened.
        for event in events.into_iter().rev() {
            let seen = {
                let mut conn = self.store.pool().acquire().await?;
                store::handled(&mut conn, &event.id).await?
            };
            if seen {
                pass.skipped += 1;
                continue;
            }
            // Fetched from Stripe's API with the shop's secret key: no webhook signature to check.
            let parsed = match Webhook::insecure(&event.payload) {
                Ok(parsed) => parsed,
                Err(e) => {
                    tracing::warn!(event = %event.id, error.message = %e, "a listed Stripe event does not parse; skipped");
                    pass.skipped += 1;
                    continue;
                }
            };
            match self.apply_event(parsed).await {
                Ok(Handled::Applied) => {
                    tracing::info!(event = %event.id, "missed Stripe event applied");
                    pass.applied += 1;
                }
                Ok(Handled::Duplicate | Handled::Ignored) => pass.skipped += 1,
                Err(WebhookError::Unexpected(e)) => return Err(e.context(format!("applying event {}", event.id))),
                Err(e) => {
                    tracing::warn!(event = %event.id, error.message = %e, "a listed Stripe event was refused; skipped");
                    pass.skipped += 1;
                }
            }
        }
        if let Some(newest) = newest {
            let mut conn = self.store.writer().acquire().await?;
            store::set_events_cursor(&mut conn, newest - OVERLAP_SECS).await?;
        }
        Ok(pass)
    }
}
