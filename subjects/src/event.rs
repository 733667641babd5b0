//! Events: what a shop tells the world, on `maxis.<shop>.events.<kind>`, stored in `MAXIS_EVENTS`.

use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::name::ShopId;
use crate::order::OrderId;
use crate::reply::ErrorBody;
use crate::version::ContractVersion;

/// A refused event kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event kind {0:?}: 1 to 4 dot-separated tokens of [a-z0-9_]")]
pub struct EventKindError(pub String);

/// An event kind: 1 to 4 dot-separated tokens of `[a-z0-9_]`, e.g. `order.executed`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventKind(String);

impl EventKind {
    /// An order was executed (data: [`OrderExecuted`]).
    pub const ORDER_EXECUTED: &'static str = "order.executed";
    /// An order was refused (data: [`OrderRejected`]).
    pub const ORDER_REJECTED: &'static str = "order.rejected";
    /// A shop process started (data: [`ShopLifecycle`]).
    pub const SHOP_STARTED: &'static str = "shop.started";
    /// A shop process is stopping (data: [`ShopLifecycle`]).
    pub const SHOP_STOPPING: &'static str = "shop.stopping";
    /// An order failed on every delivery and was given up (data: [`OrderDead`]).
    pub const ORDER_DEAD: &'static str = "order.dead";
    /// The shop opened (data: [`crate::results::OpenResult`]).
    pub const SHOP_OPENED: &'static str = "shop.opened";
    /// The shop closed (data: [`crate::results::OpenResult`]).
    pub const SHOP_CLOSED: &'static str = "shop.closed";
    /// The shop is about to restart (data: [`crate::results::RestartResult`]).
    pub const SHOP_RESTARTING: &'static str = "shop.restarting";
    /// A setting changed (data: [`crate::results::ConfigResult`]).
    pub const CONFIG_CHANGED: &'static str = "config.changed";
    /// A promotion was created to start later (data: [`crate::results::PromoInfo`]).
    pub const PROMO_SCHEDULED: &'static str = "promo.scheduled";
    /// A promotion started (data: [`crate::results::PromoInfo`]).
    pub const PROMO_STARTED: &'static str = "promo.started";
    /// A promotion ended, by its end time or replaced (data: [`crate::results::PromoInfo`]).
    pub const PROMO_ENDED: &'static str = "promo.ended";
    /// A giveaway was created (data: [`crate::results::GiveawayInfo`]).
    pub const GIVEAWAY_CREATED: &'static str = "giveaway.created";
    /// An announcement was stored for delivery (data: [`AnnouncementCreated`]).
    pub const ANNOUNCEMENT_CREATED: &'static str = "announcement.created";
    /// An outbox event could never be published and was set aside (data: [`OutboxDead`]).
    pub const OUTBOX_DEAD: &'static str = "outbox.dead";
    /// Events the shop did not send arrived on its subjects: its credential is used elsewhere
    /// (data: [`CredentialMisused`]).
    pub const CREDENTIAL_MISUSED: &'static str = "credential.misused";
    /// The shop cannot write its database (read-only, disk full, I/O error): orders wait,
    /// unacknowledged, until it can (data: [`ShopDegraded`]).
    pub const SHOP_DEGRADED: &'static str = "shop.degraded";
    /// The shop can write its database again and executes the orders that waited (data:
    /// [`ShopRecovered`]).
    pub const SHOP_RECOVERED: &'static str = "shop.recovered";
    /// A member paid a gift for another member, who now holds it (data: [`GiftPaid`]).
    pub const GIFT_PAID: &'static str = "gift.paid";
    /// A gift stopped granting: its months ran out, or it was refunded or disputed (data:
    /// [`GiftEnded`]).
    pub const GIFT_ENDED: &'static str = "gift.ended";
    /// A plan switch took effect: the roles swapped (data: [`SubscriptionSwitch`]).
    pub const SUBSCRIPTION_SWITCHED: &'static str = "subscription.switched";
    /// A downgrade was scheduled at Stripe for the period's end (data: [`SubscriptionSwitch`]).
    pub const SUBSCRIPTION_SWITCH_SCHEDULED: &'static str = "subscription.switch_scheduled";
    /// A scheduled downgrade was dropped: the member stays, or switched elsewhere (data:
    /// [`SubscriptionSwitch`] of the dropped switch).
    pub const SUBSCRIPTION_SWITCH_CANCELED: &'static str = "subscription.switch_canceled";
    /// A plan switch could not be carried out (data: [`SubscriptionSwitch`], with `error`).
    pub const SUBSCRIPTION_SWITCH_FAILED: &'static str = "subscription.switch_failed";

    /// Validates a kind.
    pub fn parse(input: impl Into<String>) -> Result<Self, EventKindError> {
        let input = input.into();
        let token_ok = |t: &str| {
            !t.is_empty()
                && t.len() <= 32
                && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        let tokens: Vec<&str> = input.split('.').collect();
        if tokens.len() > 4 || !tokens.iter().all(|t| token_ok(t)) {
            return Err(EventKindError(input));
        }
        Ok(Self(input))
    }

    /// A kind from a constant of this crate.
    pub fn known(kind: &'static str) -> Self {
        Self(kind.to_owned())
    }
}

impl AsRef<str> for EventKind {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for EventKind {
    type Error = EventKindError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}
impl From<EventKind> for String {
    fn from(value: EventKind) -> Self {
        value.0
    }
}
impl JsonSchema for EventKind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventKind".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[a-z0-9_]{1,32}(\\.[a-z0-9_]{1,32}){0,3}$",
            "description": "Event kind, also the subject tail after `events.`"
        })
    }
}

/// Something that happened in a shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Event {
    /// Contract version.
    pub v: ContractVersion,
    /// Unique event id (UUIDv7), also its `Nats-Msg-Id`.
    pub id: String,
    /// The shop it happened in.
    pub instance: ShopId,
    /// What happened; the subject's tail.
    pub kind: EventKind,
    /// When.
    pub at: DateTime<Utc>,
    /// The order that caused it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Kind-specific data (see `schema/events/`). Readers ignore kinds they do not know.
    pub data: Value,
}

impl Event {
    /// A new event happening now.
    pub fn new(instance: ShopId, kind: EventKind, order_id: Option<OrderId>, data: impl Serialize) -> Self {
        Self {
            v: ContractVersion::CURRENT,
            id: uuid::Uuid::now_v7().simple().to_string(),
            instance,
            kind,
            at: Utc::now(),
            order_id,
            data: serde_json::to_value(data).unwrap_or(Value::Null),
        }
    }

    /// The data read as the type of its kind.
    pub fn data_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(self.data.clone())
    }

    /// The JSON bytes to publish.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Data of `order.executed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderExecuted {
    /// The action executed.
    pub action: String,
    /// Who issued the order.
    pub issued_by: String,
    /// The result sent in the reply.
    pub result: Value,
}

/// Data of `order.rejected`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderRejected {
    /// The action, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Why.
    pub error: ErrorBody,
}

/// Data of `shop.started` and `shop.stopping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShopLifecycle {
    /// Maxis version.
    pub version: String,
    /// Groups of the shop.
    pub groups: Vec<String>,
}

/// Data of `order.dead`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderDead {
    /// The action, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// How many times it was delivered.
    pub deliveries: i64,
    /// The last failure.
    pub reason: String,
}

/// Data of `announcement.created`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AnnouncementCreated {
    /// Announcement id.
    pub id: String,
    /// The text.
    pub message: String,
    /// Discord channel id.
    pub channel: String,
    /// Who is reached.
    pub audience: crate::params::Audience,
}

/// Data of `outbox.dead`: an event the broker can never accept (too large, refused by the
/// stream), set aside in the shop's database so that the events after it are published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OutboxDead {
    /// The id of the event set aside.
    pub event_id: String,
    /// Its subject.
    pub subject: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Why it cannot be published.
    pub reason: String,
}

/// Data of `gift.paid`: who gave what to whom, and until when it grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GiftPaid {
    /// The shop's checkout id of the gift.
    pub checkout_id: String,
    /// The member who paid (Discord user id).
    pub giver: String,
    /// The member who receives it (Discord user id).
    pub recipient: String,
    /// The product or plan given.
    pub product_id: String,
    /// Months of a plan given; absent for a product (held for good, like a purchase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
    /// When a plan's gift ends (RFC 3339); absent for a product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Paid, in minor units.
    pub amount: i64,
    /// Currency (ISO 4217, lowercase).
    pub currency: String,
}

/// Data of `subscription.switched`, `subscription.switch_scheduled` and
/// `subscription.switch_failed`: a member's move from one plan to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubscriptionSwitch {
    /// The switch: the order's id, `member:<member>:<id>` (asked with `/subscription switch`), or
    /// `stripe:<subscription>:<time>` (changed at Stripe, e.g. in the Billing Portal).
    pub switch_id: String,
    /// The Stripe subscription.
    pub subscription: String,
    /// The member (Discord user id).
    pub member: String,
    /// The plan before (catalog id).
    pub from: String,
    /// The plan after (catalog id).
    pub to: String,
    /// `upgrade`, `downgrade`, `stay` (back to the current plan: a scheduled downgrade is
    /// dropped), or `changed` (at Stripe).
    pub direction: String,
    /// `member`, `order` or `stripe`.
    pub requested_by: String,
    /// `applied`, `scheduled`, `canceled` or `failed`.
    pub status: String,
    /// When the roles swap(ped) (RFC 3339).
    #[serde(default)]
    pub effective_at: Option<DateTime<Utc>>,
    /// An upgrade's proration invoice (`in_…`).
    #[serde(default)]
    pub invoice: Option<String>,
    /// That invoice's total, minor units (the new plan's remaining time less the old plan's
    /// unused time).
    #[serde(default)]
    pub prorated: Option<i64>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
}

/// Data of `gift.ended`: a gift stopped granting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GiftEnded {
    /// The shop's checkout id of the gift.
    pub checkout_id: String,
    /// The member who paid.
    pub giver: String,
    /// The member who held it.
    pub recipient: String,
    /// The product or plan given.
    pub product_id: String,
    /// Why: `expired` (its months ran out), `refunded` or `disputed`.
    pub reason: String,
}

/// Data of `credential.misused`: messages the shop did not publish arrived on its own events
/// subjects, so someone else holds its credential (rotate it: `broker` keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CredentialMisused {
    /// The NATS identity whose credential is misused, e.g. `shop-shop1`.
    pub identity: String,
    /// Foreign messages seen since the shop started.
    pub foreign_messages: u64,
    /// Their bytes, estimated from the intake's average message size.
    pub foreign_bytes: u64,
    /// When the first one was seen.
    pub since: DateTime<Utc>,
}

/// What a shop's storage failure looks like from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StorageFault {
    /// The database file (or its directory) cannot be written.
    ReadOnly,
    /// The disk holding the database is full.
    Full,
    /// Reading or writing the file failed (I/O error, cannot open).
    Io,
}

/// Data of `shop.degraded`: the shop cannot commit to its database. Orders are held (neither
/// executed nor lost) until it can; `/healthz` answers 503 meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShopDegraded {
    /// What fails.
    pub fault: StorageFault,
    /// The storage error, clipped.
    pub reason: String,
    /// When the shop first saw it.
    pub since: DateTime<Utc>,
}

/// Data of `shop.recovered`: the database commits again; the orders held meanwhile are executed
/// (each once) right after this event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShopRecovered {
    /// What failed.
    pub fault: StorageFault,
    /// How long the shop could not write, in milliseconds.
    pub degraded_ms: u64,
    /// Orders held while degraded, now executed.
    pub held_orders: u64,
}
