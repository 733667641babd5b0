//! Maxis, the shop bot: one instance per shop. It executes the orders Shellia sends over NATS
//! JetStream, exactly once in effect, answers each one and publishes events.
//!
//! Layout: [`domain`] (no Discord, NATS or SQL), [`store`] (SQLite via sqlx), [`bus`] (NATS), [`discord`] (serenity/poise),
//! [`execute`] (one order → one transaction), [`startup`] (wiring), [`configuration`].

pub mod actions;
pub mod bus;
pub mod chart;
pub mod commerce;
pub mod configuration;
pub mod discord;
pub mod domain;
pub mod engagement;
pub mod entitlements;
pub mod execute;
pub mod http;
pub mod marketing;
pub mod members;
pub mod memberships;
pub mod metrics;
pub mod payments;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod timers;

/// Version of this Maxis build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
