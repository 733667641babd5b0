//! Shellia, the admin assistant: it turns an admin's request into typed orders, sends them to
//! one shop, a group or every shop over NATS JetStream, and reports each shop's answer.
//!
//! Layout: [`brain`] (plain-language requests read into plans, deterministically),
//! [`command`] (the text command language shared by the CLI and the console),
//! [`bus`] (the fleet client), [`render`] (tables and JSON lines), [`console`], [`configuration`].

pub mod ask;
pub mod assistant;
pub mod brain;
pub mod bus;
pub mod command;
pub mod configuration;
pub mod console;
pub mod discord;
pub mod eval;
pub mod progress;
pub mod render;
pub mod store;
pub mod strategy;
pub mod syntax;
pub mod telemetry;
