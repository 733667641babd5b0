//! Broker tests against a real nats-server loading the generated config.
mod cluster;
mod helpers;
mod permissions;
mod provisioning;
