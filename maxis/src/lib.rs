//! Maxis, the shop bot: one instance per shop. It executes the orders Shellia sends over NATS
//! JetStream, exactly once in effect, answers each one and publishes events.
//!
//! Layout, one folder per capability, each with its service, store queries and order handlers:
//! [`commerce`] (cart, checkout, Stripe webhooks, refunds), [`entitlements`] (roles follow the money),
//! [`engagement`] (giveaways, preorders), [`marketing`] (promotions, codes, announcements).
//! Around them: [`domain`] (rules without Discord, NATS or SQL), [`store`] (the shop's SQLite and
//! the shared tables), [`actions`] (dispatch of orders), [`bus`] (NATS), [`discord`] (serenity/poise),
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
pub mod gifts;
pub mod http;
pub mod marketing;
pub mod members;
pub mod memberships;
pub mod metrics;
pub mod payments;
pub mod startup;
pub mod storage;
pub mod store;
pub mod telemetry;
pub mod timers;

/// Version of this Maxis build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
