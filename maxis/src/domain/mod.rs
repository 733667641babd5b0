//! The shop's rules, free of Discord, NATS and SQL.

pub mod shop;

pub use shop::{ShopState, Uptime};
