//! The Shellia → Maxis contract.
//!
//! This crate owns every subject string of the system and every payload that travels on it:
//! orders (`maxis.<target>.control.<action>`), replies (`maxis.<shop>.reply.<order-id>`) and
//! events (`maxis.<shop>.events.<kind>`), plus the JetStream names (streams, consumers, inbox
//! prefixes) that the broker configuration is generated from. Nothing else in the workspace
//! formats or parses a subject. See `subjects/README.md` for the wire protocol.

pub mod event;
pub mod limits;
pub mod name;
pub mod order;
pub mod params;
pub mod reply;
pub mod results;
pub mod schema;
pub mod signature;
pub mod subject;
pub mod version;

pub use event::{Event, EventKind, EventKindError};
pub use name::{Name, NameError, NameErrorKind, ShopId, Target};
pub use order::{Action, Command, Order, OrderError, OrderErrorKind, OrderId};
pub use reply::{ErrorBody, ErrorCode, Reply};
pub use version::ContractVersion;
