//! Whether the shop sells, and how long the process has run.

use chrono::{DateTime, Utc};

/// Open or closed, with the message buyers see while closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopState {
    /// Whether sales are accepted.
    pub open: bool,
    /// Shown to buyers while closed.
    pub closed_reason: Option<String>,
}

impl Default for ShopState {
    /// A new shop is open.
    fn default() -> Self {
        Self { open: true, closed_reason: None }
    }
}

/// What a state change did, for the reply and the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The state changed.
    Changed,
    /// It already was in that state: nothing to do.
    Unchanged,
}

impl ShopState {
    /// Opens the shop.
    pub fn open(&mut self) -> Transition {
        let changed = !self.open;
        self.open = true;
        self.closed_reason = None;
        if changed {
            Transition::Changed
        } else {
            Transition::Unchanged
        }
    }

    /// Closes the shop with an optional message for buyers.
    pub fn close(&mut self, reason: Option<String>) -> Transition {
        let changed = self.open || self.closed_reason != reason;
        self.open = false;
        self.closed_reason = reason;
        if changed {
            Transition::Changed
        } else {
            Transition::Unchanged
        }
    }
}

/// When the process started.
#[derive(Debug, Clone, Copy)]
pub struct Uptime {
    /// Start instant.
    pub started_at: DateTime<Utc>,
}

impl Uptime {
    /// Starts counting now.
    pub fn now() -> Self {
        Self { started_at: Utc::now() }
    }

    /// Whole seconds since start.
    pub fn seconds(&self, now: DateTime<Utc>) -> u64 {
        (now - self.started_at).num_seconds().max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_twice_with_the_same_reason_changes_nothing() {
        let mut state = ShopState::default();
        assert_eq!(state.close(Some("inventory".into())), Transition::Changed);
        assert_eq!(state.close(Some("inventory".into())), Transition::Unchanged);
        assert_eq!(state.open(), Transition::Changed);
        assert_eq!(state.open(), Transition::Unchanged);
    }
}
