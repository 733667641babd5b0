//! JSON Schemas of every payload, generated from the types. The committed copies live in
//! `subjects/schema/`; the contract test fails when they are stale (`SUBJECTS_BLESS=1` rewrites them).

use schemars::{schema_for, Schema};

use crate::event::{Event, OrderExecuted, OrderRejected, ShopLifecycle};
use crate::order::{Command, OrderWire};
use crate::reply::{Reply, StatusReport};

/// Every schema, as (relative path under `schema/`, schema).
pub fn all() -> Vec<(String, Schema)> {
    let mut out = vec![
        ("order.json".to_owned(), schema_for!(OrderWire)),
        ("reply.json".to_owned(), schema_for!(Reply)),
        ("event.json".to_owned(), schema_for!(Event)),
        ("results/status.json".to_owned(), schema_for!(StatusReport)),
        ("events/order.executed.json".to_owned(), schema_for!(OrderExecuted)),
        ("events/order.rejected.json".to_owned(), schema_for!(OrderRejected)),
        ("events/shop.started.json".to_owned(), schema_for!(ShopLifecycle)),
        ("events/shop.stopping.json".to_owned(), schema_for!(ShopLifecycle)),
    ];
    out.extend(Command::params_schemas().into_iter().map(|(name, s)| (format!("params/{name}.json"), s)));
    out
}

/// A schema as the pretty JSON text committed to the repository.
pub fn render(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
