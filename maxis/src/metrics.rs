//! Prometheus metrics: orders by action and outcome, order latency, consumer lag.

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

/// The shop's metrics; cheap to update from the order path.
pub struct Metrics {
    registry: Registry,
    orders: Family<OrderLabels, Counter>,
    latency: Family<ActionLabels, Histogram>,
    lag: Gauge,
    pending_acks: Gauge,
    outbox_dead: Counter,
    foreign_events: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("maxis");
        let orders = Family::<OrderLabels, Counter>::default();
        let latency = Family::<ActionLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0002, 2.0, 16))
        });
        let lag = Gauge::default();
        let pending_acks = Gauge::default();
        registry.register("orders", "Orders handled, by action and outcome", orders.clone());
        registry.register("order_duration_seconds", "Time from delivery to ack, by action", latency.clone());
        registry.register("consumer_lag", "Orders waiting in the shop's consumer, not yet delivered", lag.clone());
        registry.register("consumer_ack_pending", "Orders delivered and not yet acknowledged", pending_acks.clone());
        let outbox_dead = Counter::default();
        registry.register(
            "outbox_dead",
            "Outbox events set aside because the broker can never accept them (outbox.dead)",
            outbox_dead.clone(),
        );
        let foreign_events = Counter::default();
        registry.register(
            "foreign_events",
            "Messages on this shop's events subjects that it did not send: its credential is used elsewhere",
            foreign_events.clone(),
        );
        Self { registry, orders, latency, lag, pending_acks, outbox_dead, foreign_events }
    }
}

impl Metrics {
    /// Counts one handled order.
    pub fn observe(&self, action: &str, outcome: &str, seconds: f64) {
        self.orders.get_or_create(&OrderLabels { action: action.to_owned(), outcome: outcome.to_owned() }).inc();
        self.latency.get_or_create(&ActionLabels { action: action.to_owned() }).observe(seconds);
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

    /// The counter of foreign messages on the shop's events subjects, for the misuse watch.
    pub fn foreign_events(&self) -> Counter {
        self.foreign_events.clone()
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
