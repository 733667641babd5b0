//! Replies: a shop's answer to one order, on `maxis.<shop>.reply.<order-id>`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::name::ShopId;
use crate::order::{OrderError, OrderId};
use crate::version::ContractVersion;

/// Stable machine codes of a failed order. New codes may appear in a minor version; readers
/// treat a code they do not know as [`ErrorCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or a broken envelope.
    Malformed,
    /// A contract major version the shop does not know.
    UnsupportedVersion,
    /// An action the shop does not know.
    UnknownAction,
    /// Parameters with an unknown field, a wrong type or a value out of range.
    InvalidParams,
    /// The action in the payload differs from the subject's.
    ActionMismatch,
    /// The order arrived after its `expires_at`.
    Expired,
    /// The shop knows the action but this version cannot carry it out.
    NotSupported,
    /// The order clashes with the shop's state (e.g. a running promotion).
    Conflict,
    /// Something named by the order does not exist.
    NotFound,
    /// The shop is closed.
    ShopClosed,
    /// The order is not signed by a trusted Shellia key, or the signature does not match.
    Unauthorized,
    /// `execute` named a command outside the shop's allow-list.
    NotAllowed,
    /// The shop failed; the order may be retried.
    Internal,
    /// A code from a newer minor version.
    #[serde(other)]
    Other,
}

impl ErrorCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnsupportedVersion => "unsupported_version",
            Self::UnknownAction => "unknown_action",
            Self::InvalidParams => "invalid_params",
            Self::ActionMismatch => "action_mismatch",
            Self::Expired => "expired",
            Self::NotSupported => "not_supported",
            Self::Conflict => "conflict",
            Self::NotFound => "not_found",
            Self::ShopClosed => "shop_closed",
            Self::Unauthorized => "unauthorized",
            Self::NotAllowed => "not_allowed",
            Self::Internal => "internal",
            Self::Other => "other",
        }
    }
}

/// A failure: a stable code for programs and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// Stable machine code.
    pub code: ErrorCode,
    /// What happened and what to do, for the admin.
    pub message: String,
}

impl ErrorBody {
    /// A new error body; a message over [`crate::limits::MAX_ERROR_CHARS`] is cut, so an error
    /// never repeats an unbounded input whole.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: crate::limits::clip(&message.into(), crate::limits::MAX_ERROR_CHARS) }
    }
}

impl From<&OrderError> for ErrorBody {
    fn from(e: &OrderError) -> Self {
        Self::new(e.kind.code(), e.message.clone())
    }
}

/// A shop's answer to one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reply {
    /// Contract version of the shop.
    pub v: ContractVersion,
    /// The order answered.
    pub order_id: OrderId,
    /// The shop that answers (also the second token of the subject).
    pub instance: ShopId,
    /// Whether the order was executed.
    pub ok: bool,
    /// The action's result when `ok` (see `schema/results/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Why it failed when not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// True when the order had already been executed and this is the stored answer again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
    /// When the shop handled the order.
    pub at: DateTime<Utc>,
}

impl Reply {
    /// A success.
    pub fn ok(order_id: OrderId, instance: ShopId, result: Value) -> Self {
        Self {
            v: ContractVersion::CURRENT,
            order_id,
            instance,
            ok: true,
            result: Some(result),
            error: None,
            replayed: false,
            at: Utc::now(),
        }
    }

    /// A failure.
    pub fn err(order_id: OrderId, instance: ShopId, error: ErrorBody) -> Self {
        Self {
            v: ContractVersion::CURRENT,
            order_id,
            instance,
            ok: false,
            result: None,
            error: Some(error),
            replayed: false,
            at: Utc::now(),
        }
    }

    /// The result read as the type of its action (e.g. [`StatusReport`]).
    pub fn result_as<T: serde::de::DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        self.result.clone().map(serde_json::from_value)
    }

    /// The JSON bytes to publish.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Result of `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusReport {
    /// Maxis version, e.g. `0.1.0`.
    pub version: String,
    /// Contract version the shop speaks.
    pub contract: ContractVersion,
    /// Always true when answered: the shop is running.
    pub online: bool,
    /// Whether the shop sells (`start`) or is closed (`stop`).
    pub open: bool,
    /// Message shown to buyers while closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<String>,
    /// When this process started.
    pub started_at: DateTime<Utc>,
    /// Seconds since start.
    pub uptime_secs: u64,
    /// Groups the shop belongs to (read from its consumer's filters at start).
    pub groups: Vec<String>,
    /// Counts of what the shop holds.
    pub counts: StatusCounts,
}

/// Counts in a [`StatusReport`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusCounts {
    /// Products and plans in the catalog.
    pub products: u64,
    /// Orders (carts checked out) not yet paid or fulfilled.
    pub open_orders: u64,
    /// Promotions running now.
    pub active_promos: u64,
    /// Giveaways open for entries or waiting for their trigger.
    pub active_giveaways: u64,
}
