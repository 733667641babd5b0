//! The member port: roles and direct messages. The Discord adapter plugs in here; without a
//! Discord token the shop runs headless and deliveries wait (they are never reported as done).

use crate::payments::BoxFuture;

/// Why Discord did not do it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemberError {
    /// Discord refused for good (50013: the role is above the bot's, or a permission is
    /// missing): an admin must act; the delivery stays pending.
    #[error("Discord refused: {0}")]
    Forbidden(String),
    /// Not reachable now (no connection, rate limit, outage): retried later.
    #[error("Discord is unavailable: {0}")]
    Unavailable(String),
}

/// Roles and messages for members.
pub trait Members: Send + Sync {
    /// Gives `role` to `user`.
    fn grant_role<'a>(&'a self, user: &'a str, role: &'a str) -> BoxFuture<'a, Result<(), MemberError>>;
    /// Takes `role` from `user`.
    fn revoke_role<'a>(&'a self, user: &'a str, role: &'a str) -> BoxFuture<'a, Result<(), MemberError>>;
    /// Sends `text` to `user` by direct message.
    fn send_dm<'a>(&'a self, user: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), MemberError>>;
    /// Posts `text` in a channel.
    fn post<'a>(&'a self, channel: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), MemberError>>;
}

/// No Discord connection: nothing can be delivered yet, so everything waits.
pub struct Headless;

impl Members for Headless {
    fn grant_role<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
    fn revoke_role<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
    fn send_dm<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
    fn post<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
}
