//! Prometheus metrics: orders by action and outcome, order latency, consumer lag, and what
//! members and operators feel: interaction answer latency, webhook-to-role latency, the role
//! reconciliation's lag, orders given up, deliveries blocked.
//!
//! Every metric is registered at start, so `/metrics` names all of them from the first scrape
//! (the dashboard and alert rules in `deploy/monitoring/` rely on it).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrderLabels {
    action: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: String,
}

/// Payments remembered until their role is granted; older ones are dropped past this many.
const PAID_WAITING_MAX: usize = 10_000;

/// The shop's metrics; cheap to update from the order path.
pub struct Metrics {
    registry: Registry,
    orders: Family<OrderLabels, Counter>,
    latency: Family<ActionLabels, Histogram>,
    lag: Gauge,
    pending_acks: Gauge,
    outbox_dead: Counter,
    events_throttled: Counter,
    foreign_events: Counter,
    orders_dead: Counter,
    interaction_answer: Histogram,
    webhook_to_role: Histogram,
    reconciliation_lag: Gauge<f64, std::sync::atomic::AtomicU64>,
    deliveries_pending: Gauge,
    deliveries_blocked: Gauge,
    storage_degraded: Gauge,
    /// Members paid for and not yet given their role, with when the payment's webhook arrived.
    paid: Mutex<HashMap<String, Instant>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("maxis");
        let orders = Family::<OrderLabels, Counter>::default();
        let latency = Family::<ActionLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0002, 2.0, 16))
        });
        let this = Self {
            orders,
            latency,
            lag: Gauge::default(),
            pending_acks: Gauge::default(),
            outbox_dead: Counter::default(),
            events_throttled: Counter::default(),
            foreign_events: Counter::default(),
            orders_dead: Counter::default(),
            // 1 ms … 16 s: Discord fails an interaction not answered within 3 s.
            interaction_answer: Histogram::new(exponential_buckets(0.001, 2.0, 15)),
            webhook_to_role: Histogram::new(exponential_buckets(0.001, 2.0, 18)),
            reconciliation_lag: Gauge::default(),
            deliveries_pending: Gauge::default(),
            deliveries_blocked: Gauge::default(),
            storage_degraded: Gauge::default(),
            paid: Mutex::default(),
            registry: Registry::default(),
        };
        registry.register("orders", "Orders handled, by action and outcome", this.orders.clone());
        registry.register("order_duration_seconds", "Time from delivery to ack, by action", this.latency.clone());
        registry.register("consumer_lag", "Orders waiting in the shop's consumer, not yet delivered", this.lag.clone());
        registry.register(
            "consumer_ack_pending",
            "Orders delivered and not yet acknowledged",
            this.pending_acks.clone(),
        );
        registry.register(
            "outbox_dead",
            "Outbox events set aside because the broker can never accept them (outbox.dead)",
            this.outbox_dead.clone(),
        );
        registry.register(
            "events_throttled",
            "Times the shop's events intake refused events over its quota (retried shortly; many mean a burst or a leaked credential)",
            this.events_throttled.clone(),
        );
        registry.register(
            "foreign_events",
            "Messages on this shop's events subjects that it did not send: its credential is used elsewhere",
            this.foreign_events.clone(),
        );
        registry.register(
            "orders_dead",
            "Orders given up after failing on every delivery (order.dead)",
            this.orders_dead.clone(),
        );
        registry.register(
            "interaction_answer_seconds",
            "Discord interactions (buttons, slash commands): from their creation to the end of their handling",
            this.interaction_answer.clone(),
        );
        registry.register(
            "webhook_to_role_seconds",
            "From a payment's Stripe webhook to its role granted in Discord",
            this.webhook_to_role.clone(),
        );
        registry.register(
            "reconciliation_lag_seconds",
            "How long the oldest member due for a role check has been waiting",
            this.reconciliation_lag.clone(),
        );
        registry.register(
            "deliveries_pending",
            "Members whose roles differ from what they paid for and are waiting for a (re)try",
            this.deliveries_pending.clone(),
        );
        registry.register(
            "deliveries_blocked",
            "Roles Discord refused for a reason only an admin can fix (50013)",
            this.deliveries_blocked.clone(),
        );
        registry.register(
            "storage_degraded",
            "1 while the shop cannot commit to its database (orders held), else 0",
            this.storage_degraded.clone(),
        );
        Self { registry, ..this }
    }
}

/// What the store says about role deliveries, read at each scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Deliveries {
    /// Not in place yet (and not blocked).
    pub pending: i64,
    /// Blocked for an admin.
    pub blocked: i64,
    /// Age of the oldest due one, in seconds (0 when none is due).
    pub lag_seconds: f64,
}

impl Metrics {
    /// The gauge that says whether storage is degraded (`maxis_storage_degraded`).
    pub fn storage_degraded(&self) -> Gauge {
        self.storage_degraded.clone()
    }

    /// Counts one handled order.
    pub fn observe(&self, action: &str, outcome: &str, seconds: f64) {
        self.orders.get_or_create(&OrderLabels { action: action.to_owned(), outcome: outcome.to_owned() }).inc();
        self.latency.get_or_create(&ActionLabels { action: action.to_owned() }).observe(seconds);
        if outcome == "dead" {
            self.orders_dead.inc();
        }
    }

    /// Sets the consumer's lag (undelivered) and pending acks.
    pub fn set_consumer(&self, lag: u64, ack_pending: usize) {
        self.lag.set(i64::try_from(lag).unwrap_or(i64::MAX));
        self.pending_acks.set(i64::try_from(ack_pending).unwrap_or(i64::MAX));
    }

    /// The counter of outbox events set aside, for the publisher.
    pub fn outbox_dead(&self) -> Counter {
        self.outbox_dead.clone()
    }

    /// The counter of refusals by the shop's events quota, for the publisher.
    pub fn events_throttled(&self) -> Counter {
        self.events_throttled.clone()
    }

    /// The counter of foreign messages on the shop's events subjects, for the misuse watch.
    pub fn foreign_events(&self) -> Counter {
        self.foreign_events.clone()
    }

    /// One Discord interaction handled, `elapsed` after Discord created it.
    pub fn interaction_answered(&self, elapsed: Duration) {
        self.interaction_answer.observe(elapsed.as_secs_f64());
    }

    /// A webhook paying for `member`'s role arrived now: their next grant is timed from here.
    pub fn checkout_paid(&self, member: &str) {
        if let Ok(mut paid) = self.paid.lock() {
            if paid.len() >= PAID_WAITING_MAX {
                // A shop whose roles never go out (no Discord) must not grow without bound.
                let oldest = paid.iter().min_by_key(|(_, at)| **at).map(|(id, _)| id.clone());
                oldest.map(|id| paid.remove(&id));
            }
            paid.entry(member.to_owned()).or_insert_with(Instant::now);
        }
    }

    /// A role was granted to `member`: observes webhook → role once.
    pub fn role_granted(&self, member: &str) {
        let since = self.paid.lock().ok().and_then(|mut paid| paid.remove(member));
        if let Some(since) = since {
            self.webhook_to_role.observe(since.elapsed().as_secs_f64());
        }
    }

    /// Sets the role deliveries' gauges.
    pub fn set_deliveries(&self, d: Deliveries) {
        self.deliveries_pending.set(d.pending);
        self.deliveries_blocked.set(d.blocked);
        self.reconciliation_lag.set(d.lag_seconds.max(0.0));
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
