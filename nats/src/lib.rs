//! The broker side of the fleet.
//!
//! - [`fleet`]: the fleet manifest (`fleet.toml`: shops, their groups, Shellia and ops
//!   identities) and the nkey seed of every identity, kept in a git-ignored folder.
//! - [`permissions`]: the least-privilege permissions of each identity.
//! - [`server_config`]: the nats-server configuration rendered from `nats/broker.conf` and the fleet.
//! - [`provision`]: the streams and the durable consumer of every shop, created idempotently.
//! - [`cluster`]: a JetStream cluster of three or more nodes (`[cluster]` in `fleet.toml`).
//! - [`connect`]: how every program of the workspace connects with its nkey.

pub mod cluster;
pub mod connect;
pub mod fleet;
pub mod permissions;
pub mod provision;
pub mod reload;
pub mod server_config;

pub use fleet::{Fleet, Identity, ShopSpec};
