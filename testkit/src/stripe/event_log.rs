//! Every event the stand-in's account emits, kept as Stripe keeps them, and `GET /v1/events`:
//! newest first, filtered by `created` (`gt`, `gte`, `lt`, `lte` or an exact time) and `types[]`,
//! paginated by `starting_after` / `ending_before` (one of them) with `limit` 1–100 (default 10),
//! and only the last 30 days ("List events, going back up to 30 days", Stripe's API reference).

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::answers::{error, int, invalid};
use super::{now, ApiError, Inner, StripeStandIn};

/// How far back Stripe lists events.
pub const EVENT_WINDOW_SECS: i64 = 30 * 24 * 3600;

impl Inner {
    /// Keeps `event` (an event Stripe emitted) for `GET /v1/events`.
    pub(super) fn log_event(&mut self, event: &Value) {
        self.events.push(event.clone());
    }

    /// `GET /v1/events`.
    pub(super) fn list_events(&self, query: &Value) -> Result<Value, ApiError> {
        let limit = match &query["limit"] {
            Value::Null => 10,
            value => int(value).ok_or_else(|| invalid("limit", "Invalid integer: limit"))?,
        };
        if !(1..=100).contains(&limit) {
            let message = "This value must be greater than or equal to 1 and less than or equal to 100.";
            return Err(error(
                StatusCode::BAD_REQUEST,
                Some("parameter_invalid_integer"),
                Some("limit"),
                message.into(),
            ));
        }
        let (after, before) = (query["starting_after"].as_str(), query["ending_before"].as_str());
        if after.is_some() && before.is_some() {
            let message = "You may only specify one of these parameters: ending_before, starting_after.";
            return Err(invalid("starting_after", message));
        }
        let created = created_filter(&query["created"])?;
        let types: Vec<&str> = match &query["types"] {
            Value::Array(types) => types.iter().filter_map(Value::as_str).collect(),
            _ => query["type"].as_str().into_iter().collect(),
        };
        if types.len() > 20 {
            return Err(invalid("types", "You may pass up to 20 event types."));
        }
        let oldest = now() - EVENT_WINDOW_SECS;
        // Newest first; the same second keeps the order of emission, newest first.
        let listed: Vec<&Value> = self
            .events
            .iter()
            .rev()
            .filter(|e| e["created"].as_i64().is_some_and(|c| c > oldest && created(c)))
            .filter(|e| types.is_empty() || e["type"].as_str().is_some_and(|t| matches_type(&types, t)))
            .collect();
        let position = |id: &str, param: &str| {
            listed.iter().position(|e| e["id"] == id).ok_or_else(|| {
                let message = format!("No such event: '{id}'");
                error(StatusCode::BAD_REQUEST, Some("resource_missing"), Some(param), message)
            })
        };
        let limit = limit as usize;
        let (page, has_more) = match (after, before) {
            (Some(id), _) => {
                let from = position(id, "starting_after")? + 1;
                let rest = &listed[from..];
                (rest.iter().take(limit).collect::<Vec<_>>(), rest.len() > limit)
            }
            (None, Some(id)) => {
                let until = position(id, "ending_before")?;
                let start = until.saturating_sub(limit);
                (listed[start..until].iter().collect(), start > 0)
            }
            (None, None) => (listed.iter().take(limit).collect(), listed.len() > limit),
        };
        Ok(json!({"object": "list", "data": page, "has_more": has_more, "url": "/v1/events"}))
    }
}

/// `created` as Stripe takes it: an exact Unix time, or any of `gt`, `gte`, `lt`, `lte`.
fn created_filter(value: &Value) -> Result<impl Fn(i64) -> bool, ApiError> {
    let bad = || invalid("created", "Invalid timestamp: created takes an integer or gt, gte, lt, lte.");
    let bound = |key: &str| match &value[key] {
        Value::Null => Ok(None),
        v => int(v).map(Some).ok_or_else(bad),
    };
    let exact = match value {
        Value::Null | Value::Object(_) => None,
        v => Some(int(v).ok_or_else(bad)?),
    };
    if let Value::Object(map) = value {
        if let Some(key) = map.keys().find(|k| !["gt", "gte", "lt", "lte"].contains(&k.as_str())) {
            return Err(invalid(&format!("created[{key}]"), format!("Received unknown parameter: created[{key}]")));
        }
    }
    let (gt, gte, lt, lte) = (bound("gt")?, bound("gte")?, bound("lt")?, bound("lte")?);
    Ok(move |c: i64| {
        exact.is_none_or(|e| c == e)
            && gt.is_none_or(|b| c > b)
            && gte.is_none_or(|b| c >= b)
            && lt.is_none_or(|b| c < b)
            && lte.is_none_or(|b| c <= b)
    })
}

/// `types[]` entries may end in `.*` (`invoice.*`).
fn matches_type(types: &[&str], kind: &str) -> bool {
    types.iter().any(|t| match t.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => *t == kind,
    })
}

impl StripeStandIn {
    /// Every event emitted so far, oldest first (what `GET /v1/events` lists, newest first).
    pub fn events(&self) -> Vec<Value> {
        self.lock().events.clone()
    }

    /// Moves every event emitted so far `seconds` into the past, as if they had been emitted
    /// then: for tests of Stripe's 30-day window.
    pub fn age_events(&self, seconds: i64) {
        for event in &mut self.lock().events {
            if let Some(created) = event["created"].as_i64() {
                event["created"] = (created - seconds).into();
            }
        }
    }
}
