//! The payment port: what the shop needs from a payment provider. The Stripe adapter
//! ([`stripe`]) implements it with async-stripe against the real API (or any base URL, such as
//! the project's Stripe stand-in in tests).

pub mod stripe;

use std::future::Future;
use std::pin::Pin;

/// A boxed future, so that the port can be used as `Arc<dyn Payments>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One-off payment or subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A one-off payment.
    Payment,
    /// A recurring subscription.
    Subscription,
}

/// Billing period of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// Every month.
    Month,
    /// Every year.
    Year,
}

/// One line of a checkout, priced inline (no Stripe Price object needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Product name shown on the payment page.
    pub name: String,
    /// Unit price in minor units, after discounts.
    pub unit_amount: i64,
    /// Lowercase ISO 4217 code.
    pub currency: String,
    /// Quantity.
    pub quantity: u32,
    /// Billing period, for a plan.
    pub interval: Option<Interval>,
}

/// A checkout session to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    /// Idempotency key: the same key never creates two sessions.
    pub idempotency_key: String,
    /// Payment or subscription.
    pub mode: Mode,
    /// What is bought.
    pub lines: Vec<Line>,
    /// Our checkout id, sent as `client_reference_id` and echoed by the webhooks.
    pub client_reference_id: String,
    /// Where the buyer lands after paying.
    pub success_url: String,
    /// Where the buyer lands after cancelling.
    pub cancel_url: String,
    /// Unix time after which the session expires (Stripe allows 30 min to 24 h).
    pub expires_at: i64,
    /// Key/value metadata (shop, member, checkout) copied onto the session and onto what it
    /// creates: the payment intent (`payment_intent_data.metadata`) in payment mode, the
    /// subscription (`subscription_data.metadata`) in subscription mode, so that every charge,
    /// refund, dispute, invoice and subscription in the Dashboard names its buyer.
    pub metadata: Vec<(String, String)>,
    /// The member's Stripe Customer (`cus_…`), reused across their checkouts.
    pub customer: Option<String>,
    /// Countries (two-letter codes) the payment page asks a shipping address in; empty: no
    /// shipping address is asked (nothing physical is bought).
    pub shipping_countries: Vec<String>,
    /// Free days before the subscription's first payment (`subscription_data[trial_period_days]`).
    pub trial_days: Option<u32>,
}

/// A Stripe Customer to create for a member (idempotent on `idempotency_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRequest {
    /// Idempotency key: the same key never creates two customers.
    pub idempotency_key: String,
    /// Shown in the Dashboard.
    pub description: String,
    /// Shop and member ids.
    pub metadata: Vec<(String, String)>,
}

/// One payment of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePayment {
    /// The payment intent that paid it (`pi_…`).
    pub payment_intent: String,
    /// Amount paid, minor units.
    pub amount: i64,
}

/// One event of the provider's account, as the provider serialized it (the same JSON a webhook
/// carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEvent {
    /// Event id (`evt_…`).
    pub id: String,
    /// Unix time it was created.
    pub created: i64,
    /// The event, as JSON.
    pub payload: String,
}

/// One page of the provider's events, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventPage {
    /// The events, newest first.
    pub events: Vec<ProviderEvent>,
    /// More (older) events follow the last one.
    pub has_more: bool,
}

/// A subscription as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionInfo {
    /// Provider id (`sub_…`).
    pub id: String,
    /// `trialing`, `active`, `past_due`, `canceled`, `unpaid`…
    pub status: String,
    /// It ends at the end of the current period.
    pub cancel_at_period_end: bool,
    /// End of the current period (next payment), Unix time.
    pub current_period_end: i64,
    /// End of the trial, if any.
    pub trial_end: Option<i64>,
    /// What each period costs, minor units.
    pub amount: i64,
    /// Lowercase ISO 4217 code.
    pub currency: String,
    /// Its (first) item (`si_…`).
    pub item: String,
    /// That item's price (`price_…`).
    pub price: String,
    /// Start of the current period, Unix time.
    pub current_period_start: i64,
    /// The subscription schedule managing it, if any (`sub_sched_…`).
    pub schedule: Option<String>,
}

/// A recurring Price to create for a plan (idempotent on `idempotency_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRequest {
    /// Idempotency key: the same key never creates two prices.
    pub idempotency_key: String,
    /// The plan's name (its Stripe Product is created with the price).
    pub name: String,
    /// Per period, minor units.
    pub unit_amount: i64,
    /// Lowercase ISO 4217 code.
    pub currency: String,
    /// Billing period.
    pub interval: Interval,
}

/// A subscription's item moved to another price now, its proration invoiced and charged at once
/// (`proration_behavior=always_invoice`; refused, and nothing changed, when the charge fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChange {
    /// Idempotency key.
    pub idempotency_key: String,
    /// The subscription (`sub_…`).
    pub subscription: String,
    /// Its item (`si_…`).
    pub item: String,
    /// The new price (`price_…`).
    pub price: String,
}

/// What a price change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChanged {
    /// The subscription after it.
    pub subscription: SubscriptionInfo,
    /// The proration invoice (`in_…`), if one was made.
    pub invoice: Option<String>,
    /// Its total: the remaining time on the new price less the unused time on the old, minor units.
    pub prorated: i64,
    /// What was charged for it.
    pub amount_paid: i64,
}

/// A price change at the end of the current period: a subscription schedule whose current
/// phase keeps `current_price` until `period_end`, then a phase of one period at `new_price`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledChange {
    /// Idempotency key (two requests: `<key>:create` and `<key>:phases`).
    pub idempotency_key: String,
    /// The subscription.
    pub subscription: String,
    /// Its price now.
    pub current_price: String,
    /// Its price from `period_end`.
    pub new_price: String,
    /// The current period, Unix times.
    pub period_start: i64,
    /// The current period's end: when the new price starts.
    pub period_end: i64,
    /// Billing period.
    pub interval: Interval,
}

/// Why a member cancels (Stripe's `cancellation_details[feedback]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelFeedback {
    /// Too expensive.
    TooExpensive,
    /// Does not use it.
    Unused,
    /// Misses features.
    MissingFeatures,
    /// Switched to another service.
    SwitchedService,
    /// Quality was too low.
    LowQuality,
    /// Too complex.
    TooComplex,
    /// Customer service.
    CustomerService,
    /// Something else.
    Other,
}

impl CancelFeedback {
    /// Every reason, in the order members are offered them.
    pub const ALL: [Self; 8] = [
        Self::TooExpensive,
        Self::Unused,
        Self::MissingFeatures,
        Self::SwitchedService,
        Self::LowQuality,
        Self::TooComplex,
        Self::CustomerService,
        Self::Other,
    ];

    /// Stripe's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooExpensive => "too_expensive",
            Self::Unused => "unused",
            Self::MissingFeatures => "missing_features",
            Self::SwitchedService => "switched_service",
            Self::LowQuality => "low_quality",
            Self::TooComplex => "too_complex",
            Self::CustomerService => "customer_service",
            Self::Other => "other",
        }
    }
}

/// A created checkout session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Provider id (`cs_…`).
    pub id: String,
    /// The payment page.
    pub url: String,
    /// Unix expiry.
    pub expires_at: i64,
}

/// A refund to create, of a paid payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// Idempotency key: the same key never creates two refunds.
    pub idempotency_key: String,
    /// The paid payment (`pi_…`, the checkout session's `payment_intent`).
    pub payment_intent: String,
    /// Amount to refund in minor units; `None` refunds what remains of the payment.
    pub amount: Option<i64>,
    /// Why: `requested_by_customer` (or Stripe's `duplicate`, `fraudulent`); `None` sends none.
    pub reason: Option<String>,
}

/// A created refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundInfo {
    /// Provider id (`re_…`).
    pub id: String,
    /// Amount refunded, in minor units.
    pub amount: i64,
    /// Provider status: `pending`, `requires_action`, `succeeded`, `failed` or `canceled`
    /// (`unknown` if the provider gave none).
    pub status: String,
}

/// A provider failure.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The provider refused the request (bad request, card declined…): not retried.
    #[error("the payment provider refused: {0}")]
    Refused(String),
    /// The provider could not be reached or failed: may be retried.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

/// What the shop needs from the payment provider.
pub trait Payments: Send + Sync {
    /// Creates a checkout session (idempotent on `idempotency_key`).
    fn create_session(&self, request: SessionRequest) -> BoxFuture<'_, Result<Session, PaymentError>>;
    /// Expires an open session (the buyer cancelled, or the reservation is released).
    fn expire_session(&self, id: String) -> BoxFuture<'_, Result<(), PaymentError>>;
    /// Refunds all or part of a paid payment (idempotent on `idempotency_key`). Refunding more
    /// than what remains, or an unknown payment, is [`PaymentError::Refused`].
    fn refund(&self, request: RefundRequest) -> BoxFuture<'_, Result<RefundInfo, PaymentError>>;
    /// Creates a customer (idempotent on `idempotency_key`); returns its id (`cus_…`).
    fn create_customer(&self, request: CustomerRequest) -> BoxFuture<'_, Result<String, PaymentError>>;
    /// The payments of an invoice (`GET /v1/invoice_payments?invoice=…`): how a refund or dispute
    /// of a subscription's charge, which names only its payment intent, finds the subscription.
    fn invoice_payments(&self, invoice: String) -> BoxFuture<'_, Result<Vec<InvoicePayment>, PaymentError>>;
    /// The account's events created after `created_after` (Unix time), newest first, one page of
    /// up to 100 (`GET /v1/events`; Stripe lists the last 30 days), continuing after event
    /// `starting_after` when given.
    fn events_since(
        &self,
        created_after: i64,
        starting_after: Option<String>,
    ) -> BoxFuture<'_, Result<EventPage, PaymentError>>;
    /// A subscription as it stands (`GET /v1/subscriptions/{id}`).
    fn subscription(&self, id: String) -> BoxFuture<'_, Result<SubscriptionInfo, PaymentError>>;
    /// Cancels a subscription at the end of its period, with why (`feedback`), or resumes it
    /// (`cancel` false, no feedback).
    fn cancel_at_period_end(
        &self,
        id: String,
        cancel: bool,
        feedback: Option<CancelFeedback>,
    ) -> BoxFuture<'_, Result<SubscriptionInfo, PaymentError>>;
    /// A Billing Portal session for a customer (`cus_…`): the link where they manage their
    /// payment method, invoices and subscription, coming back to `return_url`.
    fn portal_session(&self, customer: String, return_url: String) -> BoxFuture<'_, Result<String, PaymentError>>;
    /// Creates a recurring price (`POST /v1/prices`); returns its id.
    fn create_price(&self, request: PriceRequest) -> BoxFuture<'_, Result<String, PaymentError>>;
    /// Moves a subscription to another price now, with its prorated invoice charged at once.
    fn change_price_now(&self, change: PriceChange) -> BoxFuture<'_, Result<PriceChanged, PaymentError>>;
    /// Schedules a price change at the end of the period; returns the schedule's id.
    fn schedule_price_change(&self, change: ScheduledChange) -> BoxFuture<'_, Result<String, PaymentError>>;
    /// Releases a subscription schedule (a scheduled change is dropped; the subscription goes on
    /// as it is).
    fn release_schedule(&self, schedule: String, idempotency_key: String) -> BoxFuture<'_, Result<(), PaymentError>>;
}
