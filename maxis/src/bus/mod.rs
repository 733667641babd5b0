//! NATS: the shop's durable consumer, its replies and events, and service discovery.

pub mod consumer;
pub mod discovery;
mod group;
pub mod publisher;
pub mod watch;

pub use consumer::{OrderHandler, Outcome, Redelivery, Signals, Stopped};
pub use publisher::Publisher;
