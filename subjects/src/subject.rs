//! Every subject, stream, consumer and header name of the system.
//!
//! Layout:
//! - orders: `maxis.<target>.control.<action>` (target: a shop, a group or `all`)
//! - replies: `maxis.<shop>.reply.<order-id>` (a shop can only ever answer as itself)
//! - events: `maxis.<shop>.events.<kind>` (kind has one or more tokens, e.g. `order.executed`)

use crate::event::EventKind;
use crate::name::{Name, ShopId, Target, ALL};
use crate::order::{Action, OrderId};

/// First token of every application subject.
pub const ROOT: &str = "maxis";
/// Stream that stores orders (`maxis.*.control.>`).
pub const CONTROL_STREAM: &str = "MAXIS_CONTROL";
/// Stream that stores every shop's events, sourced from each shop's intake stream (readers read
/// this one; it keeps each message's subject `maxis.<shop>.events.<kind>`).
pub const EVENTS_STREAM: &str = "MAXIS_EVENTS";
/// Prefix of each shop's events intake stream (`MAXIS_EVENTS_IN_<shop>`).
pub const EVENTS_INTAKE_PREFIX: &str = "MAXIS_EVENTS_IN_";
/// Name of the NATS service every Maxis registers for discovery (`$SRV.PING.maxis`).
pub const SERVICE_NAME: &str = "maxis";
/// Header carrying the order id (or event id) for JetStream de-duplication.
pub const MSG_ID_HEADER: &str = "Nats-Msg-Id";

/// `maxis.<target>.control.<action>`: where an order is published.
pub fn control(target: &Target, action: Action) -> String {
    format!("{ROOT}.{target}.control.{}", action.as_str())
}

/// `maxis.<target>.control.>`: every order addressed to `target`.
pub fn control_filter(target: &Target) -> String {
    format!("{ROOT}.{target}.control.>")
}

/// `maxis.*.control.>`: every order (the control stream's subject).
pub fn control_all_targets() -> String {
    format!("{ROOT}.*.control.>")
}

/// `maxis.<shop>.reply.<order-id>`: where `shop` answers the order.
pub fn reply(shop: &ShopId, order: &OrderId) -> String {
    format!("{ROOT}.{shop}.reply.{order}")
}

/// `maxis.*.reply.<order-id>`: every shop's answer to one order.
pub fn replies_to(order: &OrderId) -> String {
    format!("{ROOT}.*.reply.{order}")
}

/// `maxis.<shop>.reply.>`: every answer a shop may publish.
pub fn replies_of(shop: &ShopId) -> String {
    format!("{ROOT}.{shop}.reply.>")
}

/// `maxis.*.reply.>`: every answer of every shop.
pub fn replies_all() -> String {
    format!("{ROOT}.*.reply.>")
}

/// `maxis.<shop>.events.<kind>`.
pub fn event(shop: &ShopId, kind: &EventKind) -> String {
    format!("{ROOT}.{shop}.events.{kind}")
}

/// `maxis.<shop>.events.>`: every event of one shop.
pub fn events_of(shop: &ShopId) -> String {
    format!("{ROOT}.{shop}.events.>")
}

/// `MAXIS_EVENTS_IN_<shop>`: the stream that takes a shop's events (`maxis.<shop>.events.>`)
/// within the shop's quota and acknowledges them; `MAXIS_EVENTS` sources from it.
pub fn events_intake(shop: &ShopId) -> String {
    format!("{EVENTS_INTAKE_PREFIX}{shop}")
}

/// `maxis.*.events.<kind>`: one kind of event from every shop.
pub fn events_of_kind(kind: &EventKind) -> String {
    format!("{ROOT}.*.events.{kind}")
}

/// `maxis.*.events.>`: every event.
pub fn events_all() -> String {
    format!("{ROOT}.*.events.>")
}

/// The parts of an order subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlSubject {
    /// Who the order was addressed to.
    pub target: Target,
    /// The action token, as written (it may not be a known action).
    pub action: String,
}

/// Parses `maxis.<target>.control.<action>`; `None` when the subject is not an order subject.
pub fn parse_control(subject: &str) -> Option<ControlSubject> {
    let mut parts = subject.splitn(4, '.');
    let (root, target, control, action) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if root != ROOT || control != "control" || action.is_empty() {
        return None;
    }
    Some(ControlSubject { target: Target::parse(target).ok()?, action: action.to_owned() })
}

/// Parses `maxis.<shop>.reply.<order-id>` into the shop and the order id.
pub fn parse_reply(subject: &str) -> Option<(ShopId, OrderId)> {
    let mut parts = subject.splitn(4, '.');
    let (root, shop, reply, order) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if root != ROOT || reply != "reply" {
        return None;
    }
    Some((Name::parse(shop).ok()?, OrderId::parse(order).ok()?))
}

/// The one durable consumer of `MAXIS_EVENTS` an ops identity may create and own, e.g. `ops_jane`.
pub fn ops_consumer(identity: &Name) -> String {
    format!("ops_{identity}")
}

/// Parses an event subject `maxis.<shop>.events.<kind>` into the shop (the identity the broker
/// let publish it) and the kind.
pub fn parse_event(subject: &str) -> Option<(ShopId, EventKind)> {
    let mut parts = subject.splitn(4, '.');
    let (root, shop, events, kind) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if root != ROOT || events != "events" {
        return None;
    }
    Some((Name::parse(shop).ok()?, EventKind::parse(kind).ok()?))
}

/// Parses a consumer filter `maxis.<target>.control.>` back into its target.
pub fn parse_control_filter(filter: &str) -> Option<Target> {
    let rest = filter.strip_prefix(ROOT)?.strip_prefix('.')?;
    let target = rest.strip_suffix(".control.>")?;
    Target::parse(target).ok()
}

/// The filter subjects of a shop's durable consumer: its own id, each of its groups, and `all`.
pub fn shop_consumer_filters(shop: &ShopId, groups: &[Name]) -> Vec<String> {
    let mut filters = vec![control_filter(&Target::Named(shop.clone()))];
    filters.extend(groups.iter().map(|g| control_filter(&Target::Named(g.clone()))));
    filters.push(control_filter(&Target::All));
    filters
}

/// The durable consumer of a shop on [`CONTROL_STREAM`]: named after the shop.
pub fn shop_consumer(shop: &ShopId) -> String {
    shop.to_string()
}

/// Inbox prefix of a shop's connection (`_INBOX_maxis_<shop>`); never the shared `_INBOX`.
pub fn shop_inbox(shop: &ShopId) -> String {
    format!("_INBOX_maxis_{shop}")
}

/// Inbox prefix of a Shellia identity's connection.
pub fn shellia_inbox(identity: &Name) -> String {
    format!("_INBOX_shellia_{identity}")
}

/// Inbox prefix of an ops (read-only) identity's connection.
pub fn ops_inbox(identity: &Name) -> String {
    format!("_INBOX_ops_{identity}")
}

/// Whether a push consumer delivering to `subject` delivers to a reader's own inbox: an ops or a
/// Shellia identity's (`_INBOX_ops_<name>.…`, `_INBOX_shellia_<name>.…`), where no shop and no
/// other kind of identity listens.
pub fn is_reader_inbox(subject: &str) -> bool {
    ["_INBOX_ops_", "_INBOX_shellia_"].iter().any(|prefix| {
        subject
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.split_once('.').is_some_and(|(name, tail)| !name.is_empty() && !tail.is_empty()))
    })
}

/// Inbox prefix of the provisioning identity.
pub fn provisioner_inbox() -> String {
    "_INBOX_provisioner".to_owned()
}

/// `<inbox>.>`: what an identity subscribes to for its own replies.
pub fn inbox_wildcard(prefix: &str) -> String {
    format!("{prefix}.>")
}

/// The target of `all`, for symmetry with [`Target::parse`].
pub fn all() -> Target {
    debug_assert_eq!(Target::All.as_str(), ALL);
    Target::All
}

/// JetStream and service API subjects, for permissions and for clients that speak the API directly.
pub mod api {
    use super::SERVICE_NAME;

    /// Every JetStream API subject (the provisioning identity only).
    pub const ALL: &str = "$JS.API.>";

    /// `$JS.API.CONSUMER.INFO.<stream>.<consumer>`: binding to a consumer calls it.
    pub fn consumer_info(stream: &str, consumer: &str) -> String {
        format!("$JS.API.CONSUMER.INFO.{stream}.{consumer}")
    }
    /// `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`: a pull request.
    pub fn consumer_next(stream: &str, consumer: &str) -> String {
        format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}")
    }
    /// `$JS.ACK.<stream>.<consumer>.>`: acks (and in-progress, nak, term) of a consumer's messages.
    pub fn acks(stream: &str, consumer: &str) -> String {
        format!("$JS.ACK.{stream}.{consumer}.>")
    }
    /// `$JS.API.CONSUMER.LIST.<stream>`: list consumers with their configuration (read only).
    pub fn consumer_list(stream: &str) -> String {
        format!("$JS.API.CONSUMER.LIST.{stream}")
    }
    /// `$JS.EVENT.ADVISORY.CONSUMER.*.<stream>.*`: the server's advisories when a consumer of
    /// `stream` is created or deleted (read only: who is addressed changes).
    pub fn consumer_advisories(stream: &str) -> String {
        format!("$JS.EVENT.ADVISORY.CONSUMER.*.{stream}.*")
    }
    /// `$JS.EVENT.ADVISORY.CONSUMER.CREATED.<stream>.*`: the server's advisory when a consumer
    /// of `stream` is created (read only).
    pub fn consumer_created_advisories(stream: &str) -> String {
        format!("$JS.EVENT.ADVISORY.CONSUMER.CREATED.{stream}.*")
    }
    /// `$JS.API.STREAM.INFO.<stream>`.
    pub fn stream_info(stream: &str) -> String {
        format!("$JS.API.STREAM.INFO.{stream}")
    }
    /// The create subjects of one named consumer (legacy durable form and the 2.9+ named forms).
    pub fn durable_create(stream: &str, consumer: &str) -> Vec<String> {
        vec![
            format!("$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{consumer}"),
            format!("$JS.API.CONSUMER.CREATE.{stream}.{consumer}"),
            format!("$JS.API.CONSUMER.CREATE.{stream}.{consumer}.>"),
        ]
    }
    /// Flow-control answers of push consumers on a stream (ordered consumers use them).
    pub fn flow_control(stream: &str) -> String {
        format!("$JS.FC.{stream}.>")
    }
    /// The stream names lookup (clients use it to find the stream of a subject).
    pub fn stream_names() -> String {
        "$JS.API.STREAM.NAMES".to_owned()
    }
    /// `$JS.API.CONSUMER.CREATE.<stream>`: creates an unnamed (ephemeral) consumer only.
    pub fn ephemeral_create(stream: &str) -> String {
        format!("$JS.API.CONSUMER.CREATE.{stream}")
    }
    /// `$JS.API.CONSUMER.DELETE.<stream>.<consumer>`: deletes one consumer of `stream`.
    pub fn consumer_delete(stream: &str, consumer: &str) -> String {
        format!("$JS.API.CONSUMER.DELETE.{stream}.{consumer}")
    }
    /// `$JS.API.CONSUMER.DELETE.<stream>.*`: deletes a consumer of `stream`.
    pub fn consumer_delete_any(stream: &str) -> String {
        format!("$JS.API.CONSUMER.DELETE.{stream}.*")
    }
    /// `$JS.API.CONSUMER.MSG.NEXT.<stream>.*`: pull from any consumer of `stream`.
    pub fn consumer_next_any(stream: &str) -> String {
        format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.*")
    }
    /// `$JS.ACK.<stream>.>`: acks on any consumer of `stream`.
    pub fn acks_any(stream: &str) -> String {
        format!("$JS.ACK.{stream}.>")
    }
    /// The subjects a service instance subscribes to for PING, INFO and STATS.
    pub fn service_discovery_listen() -> Vec<String> {
        vec!["$SRV.*".to_owned(), format!("$SRV.*.{SERVICE_NAME}"), format!("$SRV.*.{SERVICE_NAME}.>")]
    }
    /// The subjects a client publishes to discover the shops (`$SRV.PING.maxis`, `$SRV.INFO.maxis`, …).
    pub fn service_discovery_ask() -> Vec<String> {
        vec![format!("$SRV.*.{SERVICE_NAME}"), format!("$SRV.*.{SERVICE_NAME}.>")]
    }
    /// `$SRV.INFO.maxis`: every live shop answers with its service info.
    pub fn service_info() -> String {
        format!("$SRV.INFO.{SERVICE_NAME}")
    }
}
