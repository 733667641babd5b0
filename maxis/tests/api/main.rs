//! Maxis against a real broker with the generated config: orders in, replies and events out.
mod helpers;
mod orders;
