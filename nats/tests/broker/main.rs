//! Broker tests against a real nats-server loading the generated config.
mod helpers;
mod permissions;
mod provisioning;
