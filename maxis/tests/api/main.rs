//! Maxis against a real broker with the generated config: orders in, replies and events out.
mod actions;
mod bounds;
mod clock;
mod commerce;
mod discord;
mod entitlements;
mod giveaways;
mod group;
mod helpers;
mod http;
mod known;
mod marketing;
mod memberships;
mod orders;
mod quotas;
mod reliability;
mod security;
