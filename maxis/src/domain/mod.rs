//! The shop's rules, free of Discord, NATS and SQL.

pub mod catalog;
pub mod commands;
pub mod config;
pub mod draw;
pub mod giveaway;
pub mod period;
pub mod promo;
pub mod shipping;
pub mod shop;

pub use shop::{ShopState, Uptime};
