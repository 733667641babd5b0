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

/// What a button under a shop message does; its Discord `custom_id` is `<verb>:<argument>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction {
    /// Buy one unit of a product now (a checkout link for that product alone).
    Buy(String),
    /// Put one unit of a product in the cart.
    AddToCart(String),
    /// Enter a giveaway.
    EnterGiveaway(String),
}

impl ButtonAction {
    /// The `custom_id` carried by the button.
    pub fn custom_id(&self) -> String {
        match self {
            Self::Buy(p) => format!("buy:{p}"),
            Self::AddToCart(p) => format!("cart:{p}"),
            Self::EnterGiveaway(g) => format!("enter:{g}"),
        }
    }

    /// Reads a `custom_id` back; `None` for a button that is not the shop's.
    pub fn parse(custom_id: &str) -> Option<Self> {
        let (verb, arg) = custom_id.split_once(':')?;
        let arg = arg.to_owned();
        match verb {
            "buy" => Some(Self::Buy(arg)),
            "cart" => Some(Self::AddToCart(arg)),
            "enter" => Some(Self::EnterGiveaway(arg)),
            _ => None,
        }
    }
}

/// A button under a posted message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Button {
    /// What it does ([`ButtonAction::custom_id`]).
    pub custom_id: String,
    /// Its label.
    pub label: String,
}

impl Button {
    /// A button doing `action`.
    pub fn new(action: &ButtonAction, label: &str) -> Self {
        Self { custom_id: action.custom_id(), label: label.to_owned() }
    }
}

/// Roles and messages for members.
pub trait Members: Send + Sync {
    /// The roles `user` holds now, as Discord says; `None` when they are not in the server.
    fn member_roles<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<Option<Vec<String>>, MemberError>>;
    /// Tells the shop's admins (their channel), e.g. that a role could not be given.
    fn tell_admins<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), MemberError>>;
    /// Gives `role` to `user`.
    fn grant_role<'a>(&'a self, user: &'a str, role: &'a str) -> BoxFuture<'a, Result<(), MemberError>>;
    /// Takes `role` from `user`.
    fn revoke_role<'a>(&'a self, user: &'a str, role: &'a str) -> BoxFuture<'a, Result<(), MemberError>>;
    /// Sends `text` to `user` by direct message.
    fn send_dm<'a>(&'a self, user: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), MemberError>>;
    /// Posts `text` in a channel, with `buttons` under it.
    fn post<'a>(
        &'a self,
        channel: &'a str,
        text: &'a str,
        buttons: &'a [Button],
    ) -> BoxFuture<'a, Result<(), MemberError>>;
    /// Posts `text` in a channel with a file attached (`name`, `body`). A port that cannot
    /// attach files refuses (the post waits), rather than posting without the file.
    fn post_file<'a>(
        &'a self,
        channel: &'a str,
        text: &'a str,
        name: &'a str,
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<(), MemberError>> {
        let _ = (channel, text, name, body);
        Box::pin(async { Err(MemberError::Unavailable("this member port cannot attach files".into())) })
    }
}

/// No Discord connection: nothing can be delivered yet, so everything waits.
pub struct Headless;

impl Members for Headless {
    fn member_roles<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<Vec<String>>, MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
    fn tell_admins<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
    fn grant_role<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
    fn revoke_role<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
    fn send_dm<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
    fn post<'a>(&'a self, _: &'a str, _: &'a str, _: &'a [Button]) -> BoxFuture<'a, Result<(), MemberError>> {
        Box::pin(async { Err(MemberError::Unavailable("no Discord connection (set MAXIS_DISCORD__TOKEN)".into())) })
    }
}
