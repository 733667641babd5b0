//! Selling: cart, checkout with stock and promo code reservations, Stripe webhooks, fulfilment.
//!
//! Every step commits its effects and its events in one transaction; the webhook handler
//! deduplicates by Stripe event id, so a redelivered or concurrent event changes nothing.

mod checkout;
pub mod fulfil;
mod reversals;
pub mod shipping;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

pub(crate) use checkout::expiry;
pub use checkout::{CheckoutView, CommerceError};

use crate::bus::Publisher;
use crate::execute::ShopContext;
use crate::members::Members;
use crate::payments::Payments;
use crate::store::Store;

/// Checkout settings.
#[derive(Debug, Clone)]
pub struct CheckoutSettings {
    /// How long a checkout holds its stock (Stripe accepts 30 min to 24 h).
    pub hold: Duration,
    /// Where buyers land after paying.
    pub success_url: String,
    /// Where buyers land after cancelling.
    pub cancel_url: String,
    /// Stripe webhook signing secret (`whsec_…`); webhooks are refused without it.
    pub webhook_secret: Option<String>,
    /// The Discord channel where the admins are told what needs them ("to ship"…), if any.
    pub admin_channel: Option<String>,
}

/// The shop's commerce.
#[derive(Clone)]
pub struct Commerce {
    /// The shop.
    pub ctx: ShopContext,
    /// Its database.
    pub store: Store,
    /// Its events.
    pub publisher: Publisher,
    /// The payment provider; `None` when no Stripe key is configured.
    pub payments: Option<Arc<dyn Payments>>,
    /// Roles and messages.
    pub members: Arc<dyn Members>,
    /// Settings.
    pub settings: CheckoutSettings,
    /// How roles are reconciled.
    pub reconcile: crate::entitlements::ReconcileSettings,
    /// Wakes the fulfilment worker.
    pub deliveries: Arc<tokio::sync::Notify>,
    /// Giveaway entries, written in batches.
    pub entries: crate::engagement::EntryQueue,
    /// The shop's metrics (webhook-to-role latency).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Memberships: catch-up pace, grace after a failed renewal.
    pub memberships: crate::memberships::MembershipPolicy,
}
