//! JSON Schemas of every payload, generated from the types. The committed copies live in
//! `subjects/schema/`; the contract test fails when they are stale (`SUBJECTS_BLESS=1` rewrites them).

use schemars::{schema_for, Schema};

use crate::event::{
    AnnouncementCreated, CredentialMisused, Event, GiftEnded, GiftPaid, OrderDead, OrderExecuted, OrderRejected,
    OutboxDead, ShopDegraded, ShopLifecycle, ShopRecovered, SubscriptionSwitch,
};
use crate::order::{Command, OrderWire};
use crate::reply::{Reply, StatusReport};
use crate::results::*;

/// Every schema, as (relative path under `schema/`, schema).
pub fn all() -> Vec<(String, Schema)> {
    let mut out = vec![
        ("order.json".to_owned(), schema_for!(OrderWire)),
        ("reply.json".to_owned(), schema_for!(Reply)),
        ("event.json".to_owned(), schema_for!(Event)),
        ("results/status.json".to_owned(), schema_for!(StatusReport)),
        ("results/config.json".to_owned(), schema_for!(ConfigResult)),
        ("results/start.json".to_owned(), schema_for!(OpenResult)),
        ("results/stop.json".to_owned(), schema_for!(OpenResult)),
        ("results/restart.json".to_owned(), schema_for!(RestartResult)),
        ("results/promo.json".to_owned(), schema_for!(PromoInfo)),
        ("results/giveaway.json".to_owned(), schema_for!(GiveawayInfo)),
        ("results/analytics.json".to_owned(), schema_for!(AnalyticsResult)),
        ("results/report.json".to_owned(), schema_for!(ReportResult)),
        ("results/announce.json".to_owned(), schema_for!(AnnounceResult)),
        ("results/execute.json".to_owned(), schema_for!(ExecuteResult)),
        ("results/resync.json".to_owned(), schema_for!(ResyncResult)),
        ("results/estimate.json".to_owned(), schema_for!(EstimateResult)),
        ("results/catalog.json".to_owned(), schema_for!(CatalogResult)),
        ("results/giveaways.json".to_owned(), schema_for!(GiveawaysResult)),
        ("results/preorder.json".to_owned(), schema_for!(PreorderResult)),
        ("results/why.json".to_owned(), schema_for!(WhyResult)),
        ("results/grant.json".to_owned(), schema_for!(GrantResult)),
        ("results/subscription.json".to_owned(), schema_for!(SubscriptionResult)),
        ("events/giveaway.ended.json".to_owned(), schema_for!(DrawProof)),
        ("events/order.executed.json".to_owned(), schema_for!(OrderExecuted)),
        ("events/order.rejected.json".to_owned(), schema_for!(OrderRejected)),
        ("events/order.dead.json".to_owned(), schema_for!(OrderDead)),
        ("events/shop.started.json".to_owned(), schema_for!(ShopLifecycle)),
        ("events/shop.stopping.json".to_owned(), schema_for!(ShopLifecycle)),
        ("events/shop.opened.json".to_owned(), schema_for!(OpenResult)),
        ("events/shop.closed.json".to_owned(), schema_for!(OpenResult)),
        ("events/shop.restarting.json".to_owned(), schema_for!(RestartResult)),
        ("events/config.changed.json".to_owned(), schema_for!(ConfigResult)),
        ("events/promo.scheduled.json".to_owned(), schema_for!(PromoInfo)),
        ("events/promo.started.json".to_owned(), schema_for!(PromoInfo)),
        ("events/promo.ended.json".to_owned(), schema_for!(PromoInfo)),
        ("events/giveaway.created.json".to_owned(), schema_for!(GiveawayInfo)),
        ("events/announcement.created.json".to_owned(), schema_for!(AnnouncementCreated)),
        ("events/outbox.dead.json".to_owned(), schema_for!(OutboxDead)),
        ("events/credential.misused.json".to_owned(), schema_for!(CredentialMisused)),
        ("events/shop.degraded.json".to_owned(), schema_for!(ShopDegraded)),
        ("events/shop.recovered.json".to_owned(), schema_for!(ShopRecovered)),
        ("events/gift.paid.json".to_owned(), schema_for!(GiftPaid)),
        ("events/gift.ended.json".to_owned(), schema_for!(GiftEnded)),
        ("events/subscription.switched.json".to_owned(), schema_for!(SubscriptionSwitch)),
        ("events/subscription.switch_scheduled.json".to_owned(), schema_for!(SubscriptionSwitch)),
        ("events/subscription.switch_failed.json".to_owned(), schema_for!(SubscriptionSwitch)),
        ("events/subscription.switch_canceled.json".to_owned(), schema_for!(SubscriptionSwitch)),
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
