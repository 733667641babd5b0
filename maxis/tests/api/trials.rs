//! Trials end to end: `trial_days` in the catalog, Checkout with
//! `subscription_data[trial_period_days]` on the Stripe stand-in, its test clock warning three
//! days before and converting, one trial per member.

use chrono::Utc;
use serde_json::Value;
use subjects::params::{CatalogParams, ProductSpec, WhyParams};
use subjects::results::WhyResult;
use subjects::{Command, ErrorCode, Order};
use testkit::shop::send;

use crate::commerce::Shop;

const PRO_ROLE: &str = "100000000000000001";
const DAY: i64 = 24 * 3600;
const CATALOG: &str = r#"
currency = "eur"
[[product]]
id = "pro"
name = "Pro"
kind = "plan"
price = "9.99"
interval = "month"
role = "100000000000000001"
trial_days = 7
"#;

async fn state(shop: &Shop, member: &str) -> String {
    let order = Order::new(Command::Why(WhyParams { member: member.into() }), "t");
    let why: WhyResult = send(&shop.fleet, "shop1", &order).await.result_as().unwrap().unwrap();
    why.roles[0].sources.last().unwrap().state.clone()
}

async fn deliver_all(shop: &Shop, events: &[Value]) {
    for event in events {
        assert_eq!(shop.webhook(event).await, 200, "{}", event["type"]);
    }
    shop.settle().await;
    shop.app.commerce.dunning_once(Utc::now()).await.unwrap();
}

fn dms(shop: &Shop, who: &str, needle: &str) -> usize {
    shop.members.dms.lock().unwrap().iter().filter(|(u, t)| u == who && t.contains(needle)).count()
}

#[tokio::test]
async fn a_trial_holds_the_role_warns_three_days_before_and_converts_on_the_clock_once_per_member() {
    let shop = Shop::start_with(CATALOG).await;
    let (_, session) = shop.buy("7", "pro", None).await.unwrap();
    let created = shop.stripe.requests().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(created.form["subscription_data"]["trial_period_days"], "7");

    let completed = shop.stripe.complete(&session, true).unwrap();
    let first = shop.stripe.invoice(&session, true).unwrap();
    deliver_all(&shop, &[completed, first]).await;

    assert!(shop.members.holds("7", PRO_ROLE), "the role is held during the trial");
    assert_eq!(state(&shop, "7").await, "trialing");
    assert_eq!(dms(&shop, "7", "free trial of Pro has started"), 1);
    assert_eq!(dms(&shop, "7", "Thank you for your purchase"), 0, "a trial is not a purchase");
    let analytics = shop.analytics().await;
    assert_eq!(analytics.sales, 0);
    let figures = analytics.memberships.unwrap();
    assert_eq!((figures.active[0].members, figures.mrr.len()), (1, 0), "a trial holds the plan and brings no MRR yet");

    let start = shop.stripe.clock(&session).unwrap();
    deliver_all(&shop, &shop.stripe.advance_clock(&session, start + 3 * DAY).unwrap()).await;
    assert_eq!(dms(&shop, "7", "ends on"), 0, "not warned 4 days before");
    let warned = shop.stripe.advance_clock(&session, start + 4 * DAY + 60).unwrap();
    deliver_all(&shop, &warned).await;
    deliver_all(&shop, &warned).await;
    assert_eq!(dms(&shop, "7", "free trial of Pro ends on"), 1, "warned once, 3 days before");

    deliver_all(&shop, &shop.stripe.advance_clock(&session, start + 7 * DAY + 60).unwrap()).await;
    assert!(shop.members.holds("7", PRO_ROLE));
    assert_eq!(state(&shop, "7").await, "active");
    let analytics = shop.analytics().await;
    assert_eq!((analytics.sales, analytics.revenue[0].amount), (1, 999), "the conversion is the first sale");
    let figures = analytics.memberships.unwrap();
    assert_eq!((figures.trials_started, figures.trials_converted, figures.new), (1, 1, 1));
    assert_eq!((figures.mrr[0].amount, figures.active[0].members), (999, 1));

    // A second trial of the same plan by the same member is refused: the next checkout is paid.
    let (_, again) = shop.buy("7", "pro", None).await.unwrap();
    let form = &shop.stripe.requests().into_iter().rfind(|r| r.path == "/v1/checkout/sessions").unwrap().form;
    assert!(form["subscription_data"]["trial_period_days"].is_null(), "{form}");
    assert_eq!(shop.stripe.session(&again).unwrap()["amount_total"], 999);
}

#[tokio::test]
async fn a_member_who_already_paid_for_the_plan_gets_no_trial_when_the_plan_starts_offering_one() {
    let shop = Shop::start().await;
    let (_, paid) = shop.buy("8", "pro", None).await.unwrap();
    let completed = shop.stripe.complete(&paid, true).unwrap();
    deliver_all(&shop, &[completed, shop.stripe.invoice(&paid, true).unwrap()]).await;

    // The owner adds a 7-day trial to Pro and restarts the shop.
    let stopped = shop.stop().await;
    std::fs::write(stopped.dir.path().join("catalog.toml"), CATALOG).unwrap();
    let shop = stopped.start().await;
    shop.buy("8", "pro", None).await.unwrap();
    shop.buy("9", "pro", None).await.unwrap();

    let forms: Vec<Value> =
        shop.stripe.requests().into_iter().filter(|r| r.path == "/v1/checkout/sessions").map(|r| r.form).collect();
    assert_eq!(forms.len(), 3);
    assert!(forms[1]["subscription_data"]["trial_period_days"].is_null(), "8 paid for Pro: {}", forms[1]);
    assert_eq!(forms[2]["subscription_data"]["trial_period_days"], "7", "9 never had Pro");
}

fn upsert(
    id: &str,
    name: &str,
    kind: &str,
    price: &str,
    interval: Option<&str>,
    role: Option<&str>,
    trial_days: u32,
) -> Order {
    let product = ProductSpec {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        kind: kind.into(),
        price: price.into(),
        currency: None,
        role: role.map(Into::into),
        stock: None,
        per_user_limit: None,
        interval: interval.map(Into::into),
        visible: None,
        trial_days: Some(trial_days),
    };
    Order::new(Command::Catalog(CatalogParams::Upsert { product }), "admin")
}

#[tokio::test]
async fn a_catalog_upsert_with_trial_days_makes_the_next_checkout_a_trial_and_zero_removes_it() {
    let shop = Shop::start().await;
    let pro = |days| upsert("pro", "Pro", "plan", "9.99", Some("month"), Some(PRO_ROLE), days);
    let reply = send(&shop.fleet, "shop1", &pro(7)).await;
    assert!(reply.error.is_none(), "{reply:?}");
    shop.buy("10", "pro", None).await.unwrap();
    let reply = send(&shop.fleet, "shop1", &pro(0)).await;
    assert!(reply.error.is_none(), "{reply:?}");
    shop.buy("11", "pro", None).await.unwrap();

    let forms: Vec<Value> =
        shop.stripe.requests().into_iter().filter(|r| r.path == "/v1/checkout/sessions").map(|r| r.form).collect();
    assert_eq!(forms.len(), 2);
    assert_eq!(forms[0]["subscription_data"]["trial_period_days"], "7", "{}", forms[0]);
    assert!(forms[1]["subscription_data"]["trial_period_days"].is_null(), "0 removes the trial: {}", forms[1]);
}

#[tokio::test]
async fn a_catalog_upsert_refuses_trial_days_on_a_product_that_is_not_a_plan() {
    let shop = Shop::start().await;
    let vip = upsert("vip", "VIP", "role", "49.00", None, Some("100000000000000002"), 7);
    let reply = send(&shop.fleet, "shop1", &vip).await;
    let error = reply.error.unwrap_or_else(|| panic!("expected a refusal"));
    assert_eq!(error.code, ErrorCode::InvalidParams);
    assert!(error.message.contains("only plans have trial days"), "{}", error.message);
}

fn config(key: &str, value: &str) -> Order {
    let params = subjects::params::ConfigParams { key: key.into(), value: Some(value.into()) };
    Order::new(Command::Config(params), "admin")
}

#[tokio::test]
async fn config_trial_pro_sets_the_plans_trial_days_for_the_next_checkout_and_zero_removes_it() {
    let shop = Shop::start().await;
    let set = send(&shop.fleet, "shop1", &config("trial_pro", "14 jours")).await;
    shop.buy("12", "pro", None).await.unwrap();
    let removed = send(&shop.fleet, "shop1", &config("trial.pro", "0")).await;
    shop.buy("13", "pro", None).await.unwrap();
    let not_a_plan = send(&shop.fleet, "shop1", &config("trial.vip", "7")).await;
    let weeks = send(&shop.fleet, "shop1", &config("trial.pro", "2 weeks")).await;

    assert_eq!(set.result.as_ref().unwrap()["value"], "14", "{set:?}");
    assert!(removed.error.is_none(), "{removed:?}");
    let forms: Vec<Value> =
        shop.stripe.requests().into_iter().filter(|r| r.path == "/v1/checkout/sessions").map(|r| r.form).collect();
    assert_eq!(forms[0]["subscription_data"]["trial_period_days"], "14", "{}", forms[0]);
    assert!(forms[1]["subscription_data"]["trial_period_days"].is_null(), "0 removes the trial: {}", forms[1]);
    let refused = not_a_plan.error.expect("vip is not a plan");
    assert_eq!(refused.code, ErrorCode::NotFound);
    assert!(refused.message.contains("no plan \"vip\"") && refused.message.contains("pro"), "{}", refused.message);
    assert_eq!(weeks.error.expect("weeks are not days").code, ErrorCode::InvalidParams);
}
