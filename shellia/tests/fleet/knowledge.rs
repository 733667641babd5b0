//! The brain reads requests against the real shops' catalog: asked with `status` and `catalog`
//! orders, kept, and asked again when a shop publishes a `catalog.*` event.

use serde_json::json;
use shellia::assistant::Outcome;
use subjects::{Command, Order};
use testkit::shop::{send, spawn_app};
use testkit::TestFleet;

use crate::helpers::{assistant, operator, orders_sent};

fn plan(id: &str, name: &str) -> Order {
    let product = json!({"op": "upsert", "product": {"id": id, "name": name, "kind": "plan", "price": "9.99", "interval": "month", "role": "123456789012345678"}});
    Order::new(Command::from_parts("catalog", product).unwrap(), "test")
}

#[tokio::test]
async fn plans_come_from_the_shops_catalog_and_a_new_one_is_known_after_its_catalog_event() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let added = send(&fleet, "shop1", &plan("gold", "Gold")).await;
    assert!(added.ok, "{:?}", added.error);
    let assistant = assistant(&fleet, dir.path(), "").await;
    let admin = operator();

    let gold = assistant.handle(&admin, "promo de 20% sur le gold").await;
    let platine = assistant.handle(&admin, "promo de 20% sur le plan platine").await;
    let before = orders_sent(&fleet).await;
    let cached = assistant.handle(&admin, "promo de 10% sur le plan gold").await;
    let cached_reads = orders_sent(&fleet).await - before;
    assert!(send(&fleet, "shop1", &plan("silver", "Silver")).await.ok);
    // The shop's `catalog.updated` event reaches Shellia's listener within moments.
    let knows_silver = || async {
        let catalog = assistant.strategy().await.unwrap().catalog;
        catalog.shops.iter().any(|s| s.plans.iter().any(|p| p.id == "silver"))
    };
    let mut known = knows_silver().await;
    for _ in 0..100 {
        if known {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        known = knows_silver().await;
    }
    let silver = assistant.handle(&admin, "promo de 20% sur le plan silver").await;

    assert_eq!(gold.outcome, Outcome::Previewed, "{}", gold.text);
    assert!(gold.text.contains("gold"), "{}", gold.text);
    assert_eq!(platine.outcome, Outcome::Asked, "{}", platine.text);
    assert!(platine.text.contains("gold"), "the real names are given: {}", platine.text);
    assert_eq!(cached.outcome, Outcome::Previewed, "{}", cached.text);
    // The preview's estimates only (its audience reaches nobody: two other audiences are
    // estimated too); no `status` or `catalog` read: the catalog is kept.
    assert_eq!(cached_reads, 3);
    assert_eq!(silver.outcome, Outcome::Previewed, "{}", silver.text);
}
