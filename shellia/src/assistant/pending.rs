//! Plans waiting for a confirmation: by id, with their deadline, and the latest of each
//! requester (for `oui`/`yes`). A plan leaves this map exactly once, so it is sent at most once.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::brain::Plan;

/// A plan waiting for its confirmation.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The plan.
    pub plan: Plan,
    /// Who asked.
    pub requested_by: String,
    /// Until when it may be confirmed.
    pub expires_at: DateTime<Utc>,
}

/// What became of a plan that is no longer waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Confirmed (its orders were sent).
    Confirmed,
    /// Cancelled.
    Cancelled,
    /// Not confirmed in time.
    Expired,
}

/// The result of taking a plan.
#[derive(Debug)]
pub enum Taken {
    /// The plan, now removed: the caller sends or drops it.
    Plan(Box<Pending>),
    /// It was closed before.
    Closed(Closed),
    /// No plan has this id.
    Unknown,
}

/// The plans waiting, and what became of the others. A std `Mutex`: never held across an await.
#[derive(Debug, Default)]
pub struct PendingPlans {
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    waiting: HashMap<String, Pending>,
    /// What became of the plans no longer waiting, and when (kept a day, to answer a late click).
    closed: HashMap<String, (Closed, DateTime<Utc>)>,
    latest: HashMap<String, String>,
}

impl PendingPlans {
    /// Adds a plan under `id`.
    pub fn insert(&self, id: String, pending: Pending) {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        state.latest.insert(pending.requested_by.clone(), id.clone());
        state.waiting.insert(id, pending);
    }

    /// The id of `who`'s latest plan, if it still waits.
    pub fn latest_of(&self, who: &str) -> Option<String> {
        let state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        state.latest.get(who).filter(|id| state.waiting.contains_key(*id)).cloned()
    }

    /// Takes the plan `id` out to close it as `how`; an expired plan is closed as expired and
    /// not returned.
    pub fn take(&self, id: &str, how: Closed, now: DateTime<Utc>) -> Taken {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((closed, _)) = state.closed.get(id) {
            return Taken::Closed(*closed);
        }
        let Some(pending) = state.waiting.remove(id) else { return Taken::Unknown };
        if pending.expires_at <= now {
            state.closed.insert(id.to_owned(), (Closed::Expired, now));
            return Taken::Closed(Closed::Expired);
        }
        state.closed.insert(id.to_owned(), (how, now));
        Taken::Plan(Box::new(pending))
    }

    /// Drops every plan whose deadline passed, and forgets plans closed over a day ago.
    pub fn expire(&self, now: DateTime<Utc>) {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        state.closed.retain(|_, (_, at)| now - *at < chrono::Duration::days(1));
        let gone: Vec<String> =
            state.waiting.iter().filter(|(_, p)| p.expires_at <= now).map(|(id, _)| id.clone()).collect();
        for id in gone {
            state.waiting.remove(&id);
            state.closed.insert(id, (Closed::Expired, now));
        }
    }
}
