//! Defense in depth: a shop with a catalog refuses a promotion, a giveaway prize plan or a price
//! setting on a plan or product it does not have, with `not_found` naming what it has.

use serde_json::json;
use subjects::params::*;
use subjects::{Command, ErrorCode, Order, Reply};
use testkit::TestFleet;

use crate::helpers::{send, spawn_app};

fn order(command: Command) -> Order {
    Order::new(command, "shellia:admin")
}

fn upsert(id: &str, kind: &str) -> Order {
    let mut product = json!({"id": id, "name": id, "kind": kind, "price": "9.99"});
    if kind == "plan" || kind == "role" {
        product["role"] = json!("100000000000000001");
    }
    if kind == "plan" {
        product["interval"] = json!("month");
    }
    order(Command::from_parts("catalog", json!({"op": "upsert", "product": product})).unwrap())
}

fn promo(target: PromoTarget) -> Order {
    order(Command::Promo(PromoParams {
        discount: Discount::Percent(20),
        target,
        duration_secs: 3600,
        audience: Audience::Everyone,
        code: None,
        max_redemptions: None,
        starts_at: None,
        replace: false,
    }))
}

fn refusal(reply: &Reply) -> (ErrorCode, String) {
    let error = reply.error.as_ref().unwrap_or_else(|| panic!("expected a refusal: {reply:?}"));
    (error.code, error.message.clone())
}

#[tokio::test]
async fn a_promo_a_prize_or_a_price_on_a_plan_the_shop_lacks_is_refused_naming_what_it_has() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    for added in
        [send(&fleet, "shop1", &upsert("pro", "plan")).await, send(&fleet, "shop1", &upsert("mug", "physical")).await]
    {
        assert!(added.ok, "{added:?}");
    }

    let gold = send(&fleet, "shop1", &promo(PromoTarget::Plan("gold".into()))).await;
    let hoodie = send(&fleet, "shop1", &promo(PromoTarget::Product("hoodie".into()))).await;
    let prize = send(
        &fleet,
        "shop1",
        &order(Command::Giveaway(GiveawayParams {
            prize: "1 month of the Platinum plan".into(),
            winners: 1,
            duration_secs: 3600,
            trigger: GiveawayTrigger::Now,
            channel: None,
            requirements: Requirements::default(),
            bonus: vec![],
        })),
    )
    .await;
    let price = send(
        &fleet,
        "shop1",
        &order(Command::Config(ConfigParams { key: "price.gold".into(), value: Some("10".into()) })),
    )
    .await;
    let pro = send(&fleet, "shop1", &promo(PromoTarget::Plan("pro".into()))).await;

    for reply in [&gold, &hoodie, &prize, &price] {
        let (code, message) = refusal(reply);
        assert_eq!(code, ErrorCode::NotFound, "{message}");
        assert!(message.contains("its plans: pro") && message.contains("its products: mug"), "{message}");
    }
    assert!(refusal(&gold).1.contains("\"gold\""));
    assert!(pro.ok, "a plan the shop has is accepted: {pro:?}");
}
