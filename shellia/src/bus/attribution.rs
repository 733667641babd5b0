//! Attribution by credential, never by payload claims: a reply or an event belongs to the shop
//! whose token is in its subject (the broker lets a shop's credential publish only under
//! `maxis.<its id>.reply.>` and `maxis.<its id>.events.>`), and a discovery answer to the shop
//! whose nkey signed it (the key the provisioner wrote in that shop's consumer).
//!
//! Anything claiming another shop is a forgery: dropped, counted, and logged once per offending
//! identity (the shop whose credential sent it).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use subjects::{subject, Event, Reply, ShopId};

/// Forgeries seen by one client: how many, and the identities already logged.
#[derive(Debug, Default)]
pub struct Forgeries {
    count: AtomicU64,
    logged: Mutex<BTreeSet<String>>,
}

impl Forgeries {
    /// How many forgeries were dropped so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Counts one forgery sent with `identity`'s credential, logging the first of each identity.
    pub(super) fn record(&self, identity: &str, what: &str, claimed: &str) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let first = self.logged.lock().map(|mut l| l.insert(identity.to_owned())).unwrap_or(false);
        if first {
            tracing::warn!(
                identity,
                what,
                claimed = %subjects::limits::clip(claimed, subjects::limits::MAX_QUOTED_CHARS),
                "forgery dropped: a shop credential spoke in another shop's name (logged once per identity)"
            );
        }
    }

    /// The reply if its subject's shop and order are the ones it claims; else a forgery.
    pub(super) fn reply(&self, subject_text: &str, reply: Reply) -> Option<Reply> {
        match subject::parse_reply(subject_text) {
            Some((shop, order)) if shop == reply.instance && order == reply.order_id => Some(reply),
            Some((shop, _)) => {
                self.record(&identity(&shop), "reply", reply.instance.as_ref());
                None
            }
            None => None,
        }
    }

    /// The event if its subject's shop and kind are the ones it claims; else a forgery.
    pub(super) fn event(&self, subject_text: &str, event: Event) -> Option<Event> {
        match subject::parse_event(subject_text) {
            Some((shop, kind)) if shop == event.instance && kind == event.kind => Some(event),
            Some((shop, _)) => {
                self.record(&identity(&shop), "event", event.instance.as_ref());
                None
            }
            None => None,
        }
    }

    /// Whether an event head (instance, kind) read from a payload matches its subject; counts a
    /// forgery when it does not.
    pub(super) fn head(&self, subject_text: &str, instance: &str, kind: &str) -> bool {
        match subject::parse_event(subject_text) {
            Some((shop, k)) if shop.as_ref() == instance && k.as_ref() == kind => true,
            Some((shop, _)) => {
                self.record(&identity(&shop), "event", instance);
                false
            }
            None => false,
        }
    }
}

/// The NATS identity behind a shop's subjects.
pub(super) fn identity(shop: &ShopId) -> String {
    format!("shop-{shop}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use subjects::{EventKind, Name, OrderId};

    fn shop(s: &str) -> ShopId {
        Name::parse(s).unwrap()
    }

    #[test]
    fn a_reply_claiming_another_shop_than_its_subject_is_dropped_and_counted_once_per_identity() {
        let forgeries = Forgeries::default();
        let id = OrderId::generate();
        let honest = Reply::ok(id.clone(), shop("shop1"), serde_json::json!({}));
        let subject = format!("maxis.shop1.reply.{id}");
        assert!(forgeries.reply(&subject, honest).is_some());
        for claimed in ["shop2", "shop3"] {
            let forged = Reply::ok(id.clone(), shop(claimed), serde_json::json!({}));
            assert!(forgeries.reply(&subject, forged).is_none());
        }
        assert_eq!(forgeries.count(), 2);
        assert_eq!(forgeries.logged.lock().unwrap().len(), 1, "logged once for shop-shop1");
    }

    #[test]
    fn an_event_claiming_another_shop_or_kind_than_its_subject_is_dropped() {
        let forgeries = Forgeries::default();
        let kind = EventKind::known(EventKind::ORDER_EXECUTED);
        let event = Event::new(shop("shop2"), kind, None, serde_json::json!({}));
        assert!(forgeries.event("maxis.shop1.events.order.executed", event.clone()).is_none());
        assert!(forgeries.event("maxis.shop2.events.order.rejected", event.clone()).is_none());
        assert!(forgeries.event("maxis.shop2.events.order.executed", event).is_some());
        assert!(!forgeries.head("maxis.shop1.events.order.executed", "shop2", "order.executed"));
        assert_eq!(forgeries.count(), 3);
    }
}
