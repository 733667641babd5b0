//! What the brain knows of the real shops: each shop's groups (from `status`) and its plans and
//! products (from `catalog` `list`), asked over the broker, kept for [`FRESH`], and asked again
//! as soon as a shop publishes a `catalog.*` event (a product added, changed, hidden or
//! restocked). A shop that does not answer is left out; when no shop has a catalog, the brain
//! knows nothing and takes names as written (the seed's shops keep their plans in `price.*`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use subjects::params::CatalogParams;
use subjects::reply::StatusReport;
use subjects::results::CatalogResult;
use subjects::{Command, EventKind, Order, Target};
use tokio::sync::Mutex;

use crate::brain::catalog::{Item, ShopInfo};
use crate::brain::Catalog;
use crate::bus::{Delivery, EventFilter, FleetClient};

/// How long a catalog is used without asking the shops again (a `catalog.*` event ends it).
pub const FRESH: Duration = Duration::from_secs(600);

/// The shops' catalog, cached.
#[derive(Debug, Default)]
pub struct Knowledge {
    cached: Mutex<Option<(Catalog, Instant)>>,
    stale: Arc<AtomicBool>,
}

impl Knowledge {
    /// A cache that is marked stale by every `catalog.*` event the shops publish (the listener
    /// runs as long as the process; a broker without events leaves only [`FRESH`]).
    pub fn listening(fleet: &FleetClient) -> Self {
        let knowledge = Self::default();
        let stale = knowledge.stale.clone();
        let fleet = fleet.clone();
        tokio::spawn(async move {
            let filter = EventFilter { shop: None, kind: EventKind::parse("catalog").ok() };
            match fleet.tail(&filter).await {
                Ok(events) => {
                    let mut events = std::pin::pin!(events);
                    while events.next().await.is_some() {
                        stale.store(true, Ordering::Relaxed);
                    }
                }
                Err(e) => {
                    tracing::warn!(error.message = %e, "catalog events unavailable: the catalog is asked every 10 min")
                }
            }
        });
        knowledge
    }

    /// The catalog: the cached one while fresh, else asked of the shops within `wait`.
    pub async fn catalog(&self, fleet: &FleetClient, wait: Duration) -> Catalog {
        let mut cached = self.cached.lock().await;
        let stale = self.stale.swap(false, Ordering::Relaxed);
        if let Some((catalog, at)) = cached.as_ref().filter(|(_, at)| !stale && at.elapsed() < FRESH) {
            tracing::trace!(age = ?at.elapsed(), "catalog from cache");
            return catalog.clone();
        }
        let catalog = match ask(fleet, wait).await {
            Ok(catalog) => catalog,
            Err(e) => {
                tracing::warn!(error.message = %e, "the shops' catalog could not be read: names are taken as written");
                Catalog::default()
            }
        };
        *cached = Some((catalog.clone(), Instant::now()));
        catalog
    }
}

/// Asks every shop for its status (groups) and its catalog.
async fn ask(fleet: &FleetClient, wait: Duration) -> anyhow::Result<Catalog> {
    let replies = |command: Command| async move {
        let mut order = Order::new(command, fleet.issuer());
        // A read: it expires with the wait, so an offline shop never runs it late.
        order.expires_at = chrono::Duration::from_std(wait).ok().map(|w| order.issued_at + w);
        let dispatch = fleet.send(&Target::All, order, wait).await?;
        let results: BTreeMap<String, serde_json::Value> = dispatch
            .shops
            .into_iter()
            .filter_map(|(shop, d)| match d {
                Delivery::Replied(r) if r.ok => Some((shop.to_string(), r.result?)),
                _ => None,
            })
            .collect();
        anyhow::Ok(results)
    };
    let statuses = replies(Command::Status(Default::default())).await?;
    let catalogs = replies(Command::Catalog(CatalogParams::List)).await?;
    Ok(from_replies(&statuses, &catalogs))
}

/// The catalog from each shop's `status` and `catalog` results; empty when no shop sells anything.
pub fn from_replies(
    statuses: &BTreeMap<String, serde_json::Value>,
    catalogs: &BTreeMap<String, serde_json::Value>,
) -> Catalog {
    let shops: Vec<ShopInfo> = catalogs
        .iter()
        .filter_map(|(shop, value)| {
            let catalog = serde_json::from_value::<CatalogResult>(value.clone()).ok()?;
            let groups = statuses
                .get(shop)
                .and_then(|s| serde_json::from_value::<StatusReport>(s.clone()).ok())
                .map(|s| s.groups)
                .unwrap_or_default();
            let (plans, products): (Vec<Item>, Vec<Item>) = catalog
                .products
                .into_iter()
                .map(|p| Item {
                    price: format!("{}.{:02}", p.price / 100, p.price % 100),
                    id: p.id,
                    name: p.name,
                    kind: p.kind,
                    stock: p.stock,
                })
                .partition(|i| i.kind == "plan");
            Some(ShopInfo { id: shop.clone(), groups, plans, products, settings: BTreeMap::new() })
        })
        .collect();
    if shops.iter().all(|s| s.plans.is_empty() && s.products.is_empty()) {
        return Catalog::default();
    }
    Catalog { shops }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plans_and_products_come_from_each_shops_catalog_and_groups_from_its_status() {
        let catalogs = BTreeMap::from([(
            "shop1".to_owned(),
            json!({"products": [
                {"id": "pro", "name": "Pro", "kind": "plan", "price": 999, "currency": "eur", "visible": true},
                {"id": "mug", "name": "Mug", "kind": "physical", "price": 1500, "currency": "eur", "stock": 3, "visible": true}
            ]}),
        )]);
        let catalog = from_replies(&BTreeMap::new(), &catalogs);
        assert_eq!(catalog.shops.len(), 1);
        assert_eq!(catalog.shops[0].plans[0].id, "pro");
        assert_eq!(catalog.shops[0].plans[0].price, "9.99");
        assert_eq!(catalog.shops[0].products[0].stock, Some(3));
    }

    #[test]
    fn shops_that_sell_nothing_leave_the_catalog_unknown() {
        let catalogs = BTreeMap::from([("shop1".to_owned(), json!({"products": []}))]);
        assert!(from_replies(&BTreeMap::new(), &catalogs).is_empty());
    }
}
