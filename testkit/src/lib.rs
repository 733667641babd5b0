//! Dev-only test support: a throwaway nats-server per test, loading the project's generated
//! configuration, and a fleet (manifest, keys, streams, consumers) built on it.
//!
//! Modelled on nats.rs's `nats-server` test crate: the binary is spawned with `-p -1` and a
//! temporary store, the port is read back from `--ports_file_dir`, and `Drop` kills the server
//! and removes its files. A test that panics gets the server log on stderr.

pub mod cluster;
pub mod fleet;
mod server;
pub mod shop;
pub mod stripe;

pub use fleet::TestFleet;
pub use server::{nats_server_bin, NatsServer};
