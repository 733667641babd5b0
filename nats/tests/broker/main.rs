//! Broker tests against a real nats-server loading the generated config.
mod cluster;
mod deployment;
mod helpers;
mod permissions;
mod provisioning;
