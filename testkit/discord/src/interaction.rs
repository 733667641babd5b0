//! A dispatched interaction, as the test holds it: waits for the bot's callback and for its visible answer.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::state::Shared;
use crate::Message;

/// What the bot answered with `POST /interactions/{id}/{token}/callback`.
#[derive(Clone, Debug)]
pub struct InteractionResponse {
    /// The callback type: 4 message, 5 deferred message, 6 deferred update, 7 update message, 9 modal.
    pub kind: u8,
    /// The callback's `data` (`Value::Null` when none).
    pub data: Value,
    /// Time from the dispatch of INTERACTION_CREATE to the callback, on the fake's clock (Discord allows 3 s).
    pub elapsed: Duration,
    /// Files sent with the callback (multipart): (filename, bytes).
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// An interaction the fake dispatched to a bot.
#[derive(Clone)]
pub struct Interaction {
    pub id: u64,
    pub token: String,
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for Interaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interaction").field("id", &self.id).field("token", &self.token).finish()
    }
}

impl Interaction {
    /// Waits for the bot's callback.
    ///
    /// # Errors
    /// When no callback arrives within `timeout`.
    pub async fn response(&self, timeout: Duration) -> anyhow::Result<InteractionResponse> {
        let what = format!("the callback of interaction {}", self.id);
        self.shared.wait_for(&what, timeout, |world| world.interactions.get(&self.id)?.response.clone()).await
    }

    /// Waits for the visible answer: the message of a type 4 or 7 callback, else the latest edit of
    /// `@original` or follow-up (a deferred response's placeholder does not count).
    ///
    /// # Errors
    /// When there is no visible answer within `timeout`.
    pub async fn final_message(&self, timeout: Duration) -> anyhow::Result<Message> {
        let what = format!("the visible answer to interaction {}", self.id);
        self.shared
            .wait_for(&what, timeout, |world| {
                let message = world.interactions.get(&self.id)?.final_message?;
                world.message(message).cloned()
            })
            .await
    }

    /// The follow-up messages sent so far (`POST /webhooks/{application}/{token}`), in order.
    pub fn followups(&self) -> Vec<Message> {
        let world = self.shared.world();
        let ids = world.interactions.get(&self.id).map(|r| r.followups.clone()).unwrap_or_default();
        ids.iter().filter_map(|id| world.message(*id).cloned()).collect()
    }

    /// The message `@original` refers to now, if any (a deferred response's placeholder included).
    pub fn original(&self) -> Option<Message> {
        let world = self.shared.world();
        world.interactions.get(&self.id)?.original.and_then(|id| world.message(id).cloned())
    }
}
