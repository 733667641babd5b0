//! Orders: what Shellia asks a shop to do.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::limits::{clip, MAX_ERROR_CHARS, MAX_ISSUER_CHARS, MAX_ORDER_BYTES, MAX_QUOTED_CHARS};
use crate::params::*;
use crate::reply::ErrorCode;
use crate::version::ContractVersion;

/// An order id: 1 to 64 characters of `[A-Za-z0-9_-]` (one subject token). New ids are UUIDv7,
/// so they sort by creation time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderId(String);

impl OrderId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }

    /// Validates an id received from elsewhere.
    pub fn parse(input: impl Into<String>) -> Result<Self, String> {
        let input = input.into();
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if input.is_empty() || input.len() > 64 || !input.chars().all(ok) {
            return Err(format!("invalid order id {input:?}: 1 to 64 of [A-Za-z0-9_-]"));
        }
        Ok(Self(input))
    }
}

impl AsRef<str> for OrderId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for OrderId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}
impl From<OrderId> for String {
    fn from(value: OrderId) -> Self {
        value.0
    }
}
impl schemars::JsonSchema for OrderId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OrderId".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{1,64}$",
            "description": "Unique order id, also sent as the Nats-Msg-Id header."
        })
    }
}

macro_rules! actions {
    ($($variant:ident($params:ty) = $name:literal),+ $(,)?) => {
        /// The action of an order (the last token of its subject).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Action { $($variant),+ }

        impl Action {
            /// Every action, in the order of the seed's command table.
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The wire name of the action.
            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $name),+ }
            }
        }

        impl FromStr for Action {
            type Err = OrderError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Action::$variant),)+
                    other => Err(OrderError::new(
                        OrderErrorKind::UnknownAction,
                        format!("unknown action {:?}; known actions: {}", clip(other, MAX_QUOTED_CHARS), Action::names()),
                    )),
                }
            }
        }

        /// An action together with its typed parameters.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Command { $($variant($params)),+ }

        impl Command {
            /// The action of this command.
            pub fn action(&self) -> Action {
                match self { $(Command::$variant(_) => Action::$variant),+ }
            }

            /// The parameters as JSON.
            pub fn params_json(&self) -> Value {
                let value = match self { $(Command::$variant(p) => serde_json::to_value(p)),+ };
                // Serializing these plain data types cannot fail.
                value.unwrap_or(Value::Null)
            }

            /// Builds a command from an action name and its JSON parameters, checking types and values.
            pub fn from_parts(action: &str, params: Value) -> Result<Self, OrderError> {
                let action: Action = action.parse()?;
                let params = match params {
                    Value::Null => Value::Object(Default::default()),
                    Value::Object(_) => params,
                    // serde reads a struct from an array too: the contract says object.
                    _ => return Err(invalid(action, "params must be a JSON object".to_owned())),
                };
                match action {
                    $(Action::$variant => {
                        let p: $params = serde_json::from_value(params).map_err(|e| invalid(action, e.to_string()))?;
                        p.validate().map_err(|m| invalid(action, m))?;
                        Ok(Command::$variant(p))
                    })+
                }
            }

            /// JSON Schema of each action's parameters, by action name.
            pub fn params_schemas() -> Vec<(&'static str, schemars::Schema)> {
                vec![$(($name, schemars::schema_for!($params))),+]
            }
        }
    };
}

actions! {
    Status(StatusParams) = "status",
    Config(ConfigParams) = "config",
    Start(StartParams) = "start",
    Stop(StopParams) = "stop",
    Restart(RestartParams) = "restart",
    Promo(PromoParams) = "promo",
    Giveaway(GiveawayParams) = "giveaway",
    Analytics(AnalyticsParams) = "analytics",
    Report(ReportParams) = "report",
    Execute(ExecuteParams) = "execute",
    Announce(AnnounceParams) = "announce",
    Resync(ResyncParams) = "resync",
    Catalog(CatalogParams) = "catalog",
    Giveaways(GiveawaysParams) = "giveaways",
    Preorder(PreorderParams) = "preorder",
    Estimate(EstimateParams) = "estimate",
    Why(WhyParams) = "why",
    Grant(GrantParams) = "grant",
    Subscription(SubscriptionParams) = "subscription",
}

impl Action {
    fn names() -> String {
        Self::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn invalid(action: Action, message: String) -> OrderError {
    OrderError::new(OrderErrorKind::InvalidParams, format!("invalid params for `{action}`: {message}"))
}

/// Why an order was refused before execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderErrorKind {
    /// Not JSON, or the envelope lacks a field or has an unknown one.
    Malformed,
    /// The major contract version is not one this reader knows.
    UnsupportedVersion,
    /// The action is not one of [`Action::ALL`].
    UnknownAction,
    /// The parameters have an unknown field, a wrong type or a value out of range.
    InvalidParams,
}

impl OrderErrorKind {
    /// The stable wire code of this kind.
    pub fn code(self) -> ErrorCode {
        match self {
            Self::Malformed => ErrorCode::Malformed,
            Self::UnsupportedVersion => ErrorCode::UnsupportedVersion,
            Self::UnknownAction => ErrorCode::UnknownAction,
            Self::InvalidParams => ErrorCode::InvalidParams,
        }
    }
}

/// An order that cannot be executed, with the id when it could be read (so it can be answered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OrderError {
    /// What was wrong.
    pub kind: OrderErrorKind,
    /// A sentence for the admin.
    pub message: String,
    /// The order id, when the envelope had a valid one.
    pub order_id: Option<OrderId>,
    /// The action, when it could be read.
    pub action: Option<String>,
}

impl OrderError {
    fn new(kind: OrderErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: clip(&message.into(), MAX_ERROR_CHARS), order_id: None, action: None }
    }
}

/// An order: one action with its parameters, who issued it and until when it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Contract version the order was written with.
    pub v: ContractVersion,
    /// Unique id; the JetStream `Nats-Msg-Id` and the shop's idempotency key.
    pub id: OrderId,
    /// The action and its parameters.
    pub command: Command,
    /// Who asked, e.g. `shellia:admin/discord:123456`.
    pub issued_by: String,
    /// Who confirmed the plan this order came from, when it was confirmed.
    pub confirmed_by: Option<String>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// After this instant the order is refused with `expired` instead of executed.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The JSON form of an [`Order`].
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Order", description = "A signed order; its whole payload is at most 65536 bytes.")]
pub struct OrderWire {
    /// Contract version, `major.minor`.
    pub v: ContractVersion,
    /// Unique order id.
    pub id: OrderId,
    /// The action; equal to the last token of the subject.
    pub action: Action,
    /// Parameters of the action (see `schema/params/<action>.json`): an object; absent or `null`
    /// is read as `{}`.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub params: Value,
    /// Who asked (1 to 256 characters, no control character).
    #[schemars(length(min = 1, max = 256))]
    pub issued_by: String,
    /// Who confirmed, when the order came from a confirmed plan (1 to 256 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub confirmed_by: Option<String>,
    /// RFC 3339 instant of issue.
    pub issued_at: DateTime<Utc>,
    /// RFC 3339 instant after which the order must not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl Order {
    /// A new order issued now with a fresh id.
    pub fn new(command: Command, issued_by: impl Into<String>) -> Self {
        Self {
            v: ContractVersion::CURRENT,
            id: OrderId::generate(),
            command,
            issued_by: issued_by.into(),
            confirmed_by: None,
            issued_at: Utc::now(),
            expires_at: None,
        }
    }

    /// The action of the order.
    pub fn action(&self) -> Action {
        self.command.action()
    }

    /// Whether the order is past its `expires_at` at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| now > at)
    }

    /// The wire form.
    pub fn to_wire(&self) -> OrderWire {
        OrderWire {
            v: self.v,
            id: self.id.clone(),
            action: self.action(),
            params: self.command.params_json(),
            issued_by: self.issued_by.clone(),
            confirmed_by: self.confirmed_by.clone(),
            issued_at: self.issued_at,
            expires_at: self.expires_at,
        }
    }

    /// The JSON bytes to publish.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_wire()).unwrap_or_default()
    }

    /// Reads an order, in stages so that the error says the most useful thing: first the id (to
    /// answer), then the version (a newer major may change anything else), then the envelope,
    /// the action and its parameters.
    pub fn from_json(bytes: &[u8]) -> Result<Self, OrderError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| OrderError::new(OrderErrorKind::Malformed, format!("order is not JSON: {e}")))?;
        let object = value
            .as_object()
            .ok_or_else(|| OrderError::new(OrderErrorKind::Malformed, "order is not a JSON object"))?;
        let order_id = object.get("id").and_then(Value::as_str).and_then(|s| OrderId::parse(s).ok());
        // An action name longer than any known one is not repeated anywhere (replies, events).
        let action =
            object.get("action").and_then(Value::as_str).filter(|a| a.len() <= MAX_QUOTED_CHARS).map(str::to_owned);
        let with_context = |mut e: OrderError| {
            e.order_id = order_id.clone();
            e.action = action.clone();
            e
        };
        if bytes.len() > MAX_ORDER_BYTES {
            return Err(with_context(OrderError::new(
                OrderErrorKind::Malformed,
                format!("the order is {} bytes; an order may have at most {MAX_ORDER_BYTES}", bytes.len()),
            )));
        }
        let version = match object.get("v").and_then(Value::as_str) {
            Some(v) => ContractVersion::parse(v).ok_or_else(|| {
                OrderError::new(OrderErrorKind::Malformed, format!("`v` {v:?} is not a version like \"1.0\""))
            }),
            None => Err(OrderError::new(OrderErrorKind::Malformed, "order has no contract version `v`")),
        }
        .map_err(with_context)?;
        if !version.is_supported() {
            return Err(with_context(OrderError::new(
                OrderErrorKind::UnsupportedVersion,
                format!(
                    "contract version {version} is not supported; this shop speaks {}.x",
                    ContractVersion::CURRENT.major
                ),
            )));
        }
        if let Some(name) = object.get("action").and_then(Value::as_str) {
            name.parse::<Action>().map_err(with_context)?;
        }
        for field in ["issued_by", "confirmed_by"] {
            if let Some(text) = object.get(field).and_then(Value::as_str) {
                let chars = text.chars().count();
                if chars == 0 || chars > MAX_ISSUER_CHARS || text.chars().any(char::is_control) {
                    return Err(with_context(OrderError::new(
                        OrderErrorKind::Malformed,
                        format!("`{field}` must be 1 to {MAX_ISSUER_CHARS} characters without control characters ({chars} given)"),
                    )));
                }
            }
        }
        let wire: OrderWire = serde_json::from_value(value.clone())
            .map_err(|e| with_context(OrderError::new(OrderErrorKind::Malformed, format!("malformed order: {e}"))))?;
        let command = Command::from_parts(wire.action.as_str(), wire.params).map_err(with_context)?;
        Ok(Self {
            v: wire.v,
            id: wire.id,
            command,
            issued_by: wire.issued_by,
            confirmed_by: wire.confirmed_by,
            issued_at: wire.issued_at,
            expires_at: wire.expires_at,
        })
    }
}
