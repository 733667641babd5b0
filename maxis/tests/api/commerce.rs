//! Selling end to end: cart, checkout through the real Stripe client against the project's
//! Stripe stand-in, signed webhooks into the shop's HTTP server, roles, receipts, events.

use std::sync::Arc;
use std::time::Duration;

use maxis::commerce::CommerceError;
use maxis::store::Store;
use secrecy::SecretString;
use serde_json::Value;
use subjects::params::{AnalyticsParams, Period, PromoParams};
use subjects::results::AnalyticsResult;
use subjects::{Command, Order};
use testkit::shop::{events, send, spawn_with_members, wait_for_event, RecordingMembers, TestApp};
use testkit::stripe::{deliver, deliver_with, sign, StripeStandIn};
use testkit::TestFleet;

pub const KEY: &str = "sk_test_maxis";
pub const WEBHOOK_SECRET: &str = "whsec_test_maxis";
const VIP_ROLE: &str = "100000000000000002";
const PRO_ROLE: &str = "100000000000000001";

const CATALOG: &str = r#"
currency = "eur"
[[product]]
id = "pro"
name = "Pro"
kind = "plan"
price = "9.99"
interval = "month"
role = "100000000000000001"
[[product]]
id = "vip"
name = "VIP"
kind = "role"
price = "49.00"
role = "100000000000000002"
[[product]]
id = "last-one"
name = "The last one"
kind = "physical"
price = "15.00"
stock = 1
"#;

/// A shop whose process is stopped: what outlives it.
pub struct Stopped {
    pub fleet: TestFleet,
    pub stripe: StripeStandIn,
    pub members: Arc<RecordingMembers>,
    pub dir: tempfile::TempDir,
}

impl Stopped {
    /// Starts the shop's process on the same database, Stripe account, guild and catalog file.
    pub async fn start(self) -> Shop {
        let Stopped { fleet, stripe, members, dir } = self;
        let mut settings = testkit::shop::settings(&fleet, "shop1", &dir.path().join("shop1.db"));
        settings.stripe.secret_key = Some(SecretString::from(KEY));
        settings.stripe.webhook_secret = Some(SecretString::from(WEBHOOK_SECRET));
        settings.stripe.api_base = stripe.base_url();
        settings.catalog.path = dir.path().join("catalog.toml").display().to_string();
        let app = spawn_with_members(settings, members.clone()).await;
        Shop { fleet, stripe, members, app, dir }
    }
}

pub struct Shop {
    pub fleet: TestFleet,
    pub stripe: StripeStandIn,
    pub members: Arc<RecordingMembers>,
    pub app: TestApp,
    pub dir: tempfile::TempDir,
}

impl Shop {
    pub async fn start() -> Self {
        Self::start_with(CATALOG).await
    }

    /// A shop selling `catalog` (a `catalog.toml`).
    pub async fn start_with(catalog_toml: &str) -> Self {
        let fleet = TestFleet::start(&["shop1"]).await.unwrap();
        let stripe = StripeStandIn::start(KEY).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("catalog.toml"), catalog_toml).unwrap();
        let members = Arc::new(RecordingMembers::default());
        Stopped { fleet, stripe, members, dir }.start().await
    }

    /// Stops the shop's process (its database, Stripe account and guild stay).
    pub async fn stop(self) -> Stopped {
        let Shop { fleet, stripe, members, app, dir } = self;
        app.stop().await;
        Stopped { fleet, stripe, members, dir }
    }

    pub fn webhook_url(&self) -> String {
        format!("http://{}/stripe/webhook", self.app.http)
    }

    /// Puts `product` in `buyer`'s cart and checks out; returns (checkout id, Stripe session id).
    pub async fn buy(&self, buyer: &str, product: &str, code: Option<&str>) -> Result<(String, String), CommerceError> {
        let commerce = &self.app.commerce;
        commerce.set_cart(buyer, product, 1).await?;
        let view = commerce.checkout(buyer, code).await?;
        let session = self.session_of(&view.id);
        assert_eq!(view.url, self.stripe.session(&session).unwrap()["url"].as_str().unwrap());
        Ok((view.id, session))
    }

    pub fn session_of(&self, checkout: &str) -> String {
        let sessions = self.stripe.sessions();
        let s =
            sessions.iter().find(|s| s["client_reference_id"] == checkout).expect("a Stripe session for the checkout");
        s["id"].as_str().unwrap().to_owned()
    }

    pub async fn webhook(&self, event: &Value) -> u16 {
        deliver(&self.webhook_url(), event, WEBHOOK_SECRET).await.unwrap().0
    }

    pub async fn store(&self) -> Store {
        Store::open(&self.dir.path().join("shop1.db")).await.unwrap()
    }

    /// Runs fulfilment until every delivery is done or blocked and every receipt is sent (the
    /// shop's own worker runs too: whichever claims a delivery does it).
    pub async fn settle(&self) {
        let store = self.store().await;
        for _ in 0..100 {
            self.app.commerce.fulfil_once().await.unwrap();
            let pending = count(&store, "SELECT COUNT(*) FROM reconcile_queue WHERE attempts = 0").await
                + count(&store, "SELECT COUNT(*) FROM receipts WHERE sent = 0 AND failed IS NULL").await;
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("deliveries did not settle");
    }

    pub async fn analytics(&self) -> AnalyticsResult {
        let order =
            Order::new(Command::Analytics(AnalyticsParams { period: Period::Today, from: None, to: None }), "t");
        send(&self.fleet, "shop1", &order).await.result_as().unwrap().unwrap()
    }
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(store.pool()).await.unwrap()
}

#[tokio::test]
async fn a_purchase_goes_from_cart_to_role_receipt_event_and_analytics() {
    let shop = Shop::start().await;

    let (checkout, session) = shop.buy("42", "vip", None).await.unwrap();
    let status = shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await;
    shop.settle().await;

    assert_eq!(status, 200);
    let request = shop.stripe.requests().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(request.header("idempotency-key"), Some(checkout.as_str()));
    assert_eq!(request.form["line_items"][0]["price_data"]["unit_amount"], "4900");
    assert!(shop.members.holds("42", VIP_ROLE));
    let dms = shop.members.dms.lock().unwrap().clone();
    assert!(
        dms.iter().any(|(user, text)| user == "42" && text.contains("VIP") && text.contains("49.00 EUR")),
        "{dms:?}"
    );
    let sale = wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "sale.completed").await;
    assert_eq!(sale.data["checkout_id"], checkout);
    assert!(events(&shop.fleet).await.iter().any(|e| e.kind.as_ref() == "role.granted"));
    let analytics = shop.analytics().await;
    assert_eq!((analytics.sales, analytics.revenue[0].amount), (1, 4900));
}

#[tokio::test]
async fn a_subscription_grants_its_role_while_paid_and_loses_it_when_deleted() {
    let shop = Shop::start().await;
    let (_, session) = shop.buy("7", "pro", None).await.unwrap();
    assert_eq!(shop.stripe.session(&session).unwrap()["mode"], "subscription");

    shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await;
    shop.settle().await;
    assert!(shop.members.holds("7", PRO_ROLE));

    shop.webhook(&shop.stripe.invoice(&session, false).unwrap()).await;
    shop.settle().await;
    assert!(shop.members.holds("7", PRO_ROLE), "a failed payment alone keeps the role (grace)");

    shop.webhook(&shop.stripe.subscription(&session, "canceled", true).unwrap()).await;
    shop.settle().await;
    assert!(!shop.members.holds("7", PRO_ROLE));
    assert!(events(&shop.fleet).await.iter().any(|e| e.kind.as_ref() == "subscription.canceled"));
}

#[tokio::test]
async fn fifty_concurrent_checkouts_of_the_last_unit_reserve_it_once_and_expiry_gives_it_back() {
    let shop = Shop::start().await;
    let buyers: Vec<String> = (0..50).map(|i| format!("buyer{i}")).collect();

    let results = futures::future::join_all(buyers.iter().map(|b| shop.buy(b, "last-one", None))).await;

    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1);
    assert!(results.iter().filter(|r| matches!(r, Err(CommerceError::OutOfStock(_)))).count() == 49);
    let store = shop.store().await;
    assert_eq!(count(&store, "SELECT stock FROM products WHERE id = 'last-one'").await, 0);

    shop.webhook(&shop.stripe.expire(&won[0].1).unwrap()).await;

    assert_eq!(count(&store, "SELECT stock FROM products WHERE id = 'last-one'").await, 1, "the stock is back");
    assert!(shop.buy("late", "last-one", None).await.is_ok());
}

#[tokio::test]
async fn a_code_with_one_redemption_is_redeemed_once_under_concurrency() {
    let shop = Shop::start().await;
    let params: PromoParams = serde_json::from_value(serde_json::json!({
        "discount": {"percent": 20}, "target": "all", "duration_secs": 3600, "code": "ONCE", "max_redemptions": 1
    }))
    .unwrap();
    assert!(send(&shop.fleet, "shop1", &Order::new(Command::Promo(params), "t")).await.ok);

    let (a, b) = tokio::join!(shop.buy("a", "vip", Some("ONCE")), shop.buy("b", "vip", Some("ONCE")));

    assert_eq!([&a, &b].into_iter().filter(|r| r.is_ok()).count(), 1, "{a:?} {b:?}");
    let refused = a.err().or(b.err()).unwrap();
    assert!(refused.to_string().contains("no redemption left"), "{refused}");
    let store = shop.store().await;
    assert_eq!(count(&store, "SELECT redemptions FROM promos").await, 1);
    let discounted = shop.stripe.requests().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(discounted.form["line_items"][0]["price_data"]["unit_amount"], "3920");
}

#[tokio::test]
async fn bad_webhook_signatures_get_400_and_change_nothing() {
    let shop = Shop::start().await;
    // The shop reads Stripe's event list at start (catch-up after downtime), and a later pass
    // would rightly apply the genuine event from there: let that first pass happen before the
    // event exists, so only the forged deliveries below could apply it (the next pass is minutes away).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !shop.stripe.requests().iter().any(|r| r.path == "/v1/events") {
        assert!(std::time::Instant::now() < deadline, "the shop never read Stripe's event list at start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, session) = shop.buy("42", "vip", None).await.unwrap();
    let event = shop.stripe.complete(&session, true).unwrap();
    let body = event.to_string();
    let now = chrono::Utc::now().timestamp();
    let url = shop.webhook_url();

    let tampered = deliver_with(&url, &body.replace("\"paid\"", "\"paid \""), Some(&sign(&body, WEBHOOK_SECRET, now)))
        .await
        .unwrap();
    let wrong_secret = deliver_with(&url, &body, Some(&sign(&body, "whsec_other", now))).await.unwrap();
    let stale = deliver_with(&url, &body, Some(&sign(&body, WEBHOOK_SECRET, now - 301))).await.unwrap();
    let unsigned = deliver_with(&url, &body, None).await.unwrap();

    for (status, _) in [&tampered, &wrong_secret, &stale, &unsigned] {
        assert_eq!(*status, 400);
    }
    assert!(stale.1.contains("300 s"), "{}", stale.1);
    shop.settle().await;
    let store = shop.store().await;
    assert_eq!(count(&store, "SELECT COUNT(*) FROM sales").await, 0);
    assert!(shop.members.grants.lock().unwrap().is_empty());
    assert_eq!(shop.webhook(&event).await, 200, "the genuine delivery still works");
}

#[tokio::test]
async fn the_same_event_delivered_twice_and_concurrently_fulfils_once() {
    let shop = Shop::start().await;
    let (_, session) = shop.buy("42", "vip", None).await.unwrap();
    let event = shop.stripe.complete(&session, true).unwrap();

    let (a, b, c) = tokio::join!(shop.webhook(&event), shop.webhook(&event), shop.webhook(&event));
    let again = shop.webhook(&event).await;
    shop.settle().await;
    shop.settle().await;

    assert_eq!([a, b, c, again], [200; 4]);
    let store = shop.store().await;
    assert_eq!(count(&store, "SELECT COUNT(*) FROM sales").await, 1);
    assert_eq!(shop.members.grants.lock().unwrap().len(), 1);
    assert_eq!(shop.members.dms.lock().unwrap().len(), 1);
    let sales = events(&shop.fleet).await.into_iter().filter(|e| e.kind.as_ref() == "sale.completed").count();
    assert_eq!(sales, 1);
}

#[tokio::test]
async fn a_refund_that_arrives_before_the_completion_ends_refunded() {
    let shop = Shop::start().await;
    let (_, session) = shop.buy("42", "vip", None).await.unwrap();
    let completed = shop.stripe.complete(&session, true).unwrap();
    let refunded = shop.stripe.refund(&session, None).unwrap();

    assert_eq!(shop.webhook(&refunded).await, 200);
    assert_eq!(shop.webhook(&completed).await, 200);
    shop.settle().await;

    assert!(!shop.members.holds("42", VIP_ROLE));
    let analytics = shop.analytics().await;
    assert_eq!((analytics.sales, analytics.refunds), (0, 1));
}

#[tokio::test]
async fn a_full_refund_or_a_dispute_revokes_and_a_partial_refund_keeps_the_role() {
    let shop = Shop::start().await;
    let (_, s1) = shop.buy("1", "vip", None).await.unwrap();
    let (_, s2) = shop.buy("2", "vip", None).await.unwrap();
    let (_, s3) = shop.buy("3", "vip", None).await.unwrap();
    for s in [&s1, &s2, &s3] {
        shop.webhook(&shop.stripe.complete(s, true).unwrap()).await;
    }
    shop.settle().await;

    shop.webhook(&shop.stripe.refund(&s1, Some(1000)).unwrap()).await;
    shop.webhook(&shop.stripe.refund(&s2, None).unwrap()).await;
    shop.webhook(&shop.stripe.dispute(&s3).unwrap()).await;
    shop.settle().await;

    assert!(shop.members.holds("1", VIP_ROLE), "partial refund");
    assert!(!shop.members.holds("2", VIP_ROLE), "full refund");
    assert!(!shop.members.holds("3", VIP_ROLE), "dispute");
    let kinds: Vec<String> = events(&shop.fleet).await.into_iter().map(|e| e.kind.to_string()).collect();
    for kind in ["refund.partial", "refund.full", "dispute.created", "role.revoked"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} missing from {kinds:?}");
    }
}

#[tokio::test]
async fn a_role_discord_refuses_stays_pending_tells_the_admin_and_resync_delivers_it() {
    let shop = Shop::start().await;
    shop.members.forbidden.lock().unwrap().push(VIP_ROLE.to_owned());
    let (_, session) = shop.buy("42", "vip", None).await.unwrap();
    shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await;

    shop.settle().await;

    let blocked = wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "delivery.blocked").await;
    assert!(!shop.members.holds("42", VIP_ROLE));
    assert!(blocked.data["reason"].as_str().unwrap().contains("50013"));
    assert_eq!(shop.app.commerce.fulfil_once().await.unwrap().roles.granted, 0, "blocked until an admin acts");

    shop.members.forbidden.lock().unwrap().clear();
    let resync = send(&shop.fleet, "shop1", &Order::new(Command::Resync(Default::default()), "t")).await;
    shop.settle().await;

    assert!(resync.ok);
    assert!(shop.members.holds("42", VIP_ROLE));
}

#[tokio::test]
async fn a_closed_shop_refuses_checkouts_with_its_message() {
    let shop = Shop::start().await;
    let stop = Order::new(Command::Stop(subjects::params::StopParams { reason: Some("inventaire".into()) }), "t");
    send(&shop.fleet, "shop1", &stop).await;
    shop.app.commerce.set_cart("42", "vip", 1).await.unwrap();

    let err = shop.app.commerce.checkout("42", None).await.unwrap_err();

    assert!(matches!(err, CommerceError::ShopClosed(ref m) if m == "inventaire"), "{err}");
    assert!(shop.stripe.sessions().is_empty());
}

#[tokio::test]
async fn admins_manage_the_catalog_by_order() {
    let shop = Shop::start().await;
    let catalog = |params: serde_json::Value| {
        Order::new(Command::from_parts("catalog", params).expect("valid catalog params"), "t")
    };
    let mug = serde_json::json!({"op": "upsert", "product": {"id": "mug", "name": "Mug", "kind": "physical", "price": "12.50", "stock": 3, "per_user_limit": 1}});

    let added: subjects::results::CatalogResult =
        send(&shop.fleet, "shop1", &catalog(mug)).await.result_as().unwrap().unwrap();
    let restocked =
        send(&shop.fleet, "shop1", &catalog(serde_json::json!({"op": "stock", "id": "mug", "stock": 10}))).await;
    let hidden = send(&shop.fleet, "shop1", &catalog(serde_json::json!({"op": "hide", "id": "vip"}))).await;
    let missing = send(&shop.fleet, "shop1", &catalog(serde_json::json!({"op": "hide", "id": "nope"}))).await;
    let bad = send(
        &shop.fleet,
        "shop1",
        &catalog(
            serde_json::json!({"op": "upsert", "product": {"id": "x", "name": "X", "kind": "plan", "price": "1"}}),
        ),
    )
    .await;

    let mug = added.products.iter().find(|p| p.id == "mug").unwrap();
    assert_eq!((mug.price, mug.stock), (1250, Some(3)));
    assert!(restocked.ok && hidden.ok);
    assert_eq!(missing.error.unwrap().code, subjects::ErrorCode::NotFound);
    assert!(bad.error.unwrap().message.contains("interval"));
    assert!(matches!(shop.app.commerce.set_cart("42", "vip", 1).await, Err(CommerceError::UnknownProduct(_))));
    // The per-member limit holds across checkouts.
    shop.buy("42", "mug", None).await.unwrap();
    let again = shop.buy("42", "mug", None).await.unwrap_err();
    assert!(matches!(again, CommerceError::LimitReached { limit: 1, .. }), "{again}");
}

async fn preorder_order(shop: &Shop, params: serde_json::Value) -> subjects::Reply {
    send(&shop.fleet, "shop1", &Order::new(Command::from_parts("preorder", params).unwrap(), "t")).await
}

#[tokio::test]
async fn a_preorder_takes_a_deposit_then_asks_the_balance_at_release_and_grants_the_role() {
    let shop = Shop::start().await;
    let release_at = chrono::Utc::now() + chrono::Duration::days(30);
    let opened = preorder_order(
        &shop,
        serde_json::json!({"op": "open", "product": "vip", "release_at": release_at, "cap": 2, "deposit_percent": 20}),
    )
    .await;
    assert!(opened.ok, "{opened:?}");

    let view = shop.app.commerce.preorder("42", "vip").await.unwrap();
    let deposit_session = shop.session_of(&view.id);
    assert_eq!(view.amount_total, 980, "20% of 49.00");
    assert!(
        matches!(shop.app.commerce.preorder("42", "vip").await, Err(CommerceError::LimitReached { .. })),
        "one per member"
    );
    shop.webhook(&shop.stripe.complete(&deposit_session, true).unwrap()).await;
    shop.settle().await;
    assert!(!shop.members.holds("42", VIP_ROLE), "no role before the release");

    let released = preorder_order(&shop, serde_json::json!({"op": "release", "product": "vip"})).await;
    assert!(released.ok, "{released:?}");
    // The shop's worker opens balance links too: whichever runs first, there is one.
    // When the worker is the one opening it, its request to Stripe may still be in flight.
    shop.app.commerce.open_balance_checkouts().await.unwrap();
    let balance = format!("{}-balance", view.id);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !shop.stripe.sessions().iter().any(|s| s["client_reference_id"] == balance.as_str())
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let balance_session = shop.session_of(&balance);
    assert_eq!(shop.stripe.session(&balance_session).unwrap()["amount_total"], 3920);
    shop.settle().await;
    let dms = shop.members.dms.lock().unwrap().clone();
    assert!(dms.iter().any(|(u, t)| u == "42" && t.contains("Pay the balance (39.20 EUR)")), "{dms:?}");

    shop.webhook(&shop.stripe.complete(&balance_session, true).unwrap()).await;
    shop.settle().await;

    assert!(shop.members.holds("42", VIP_ROLE));
    let kinds: Vec<String> = events(&shop.fleet).await.into_iter().map(|e| e.kind.to_string()).collect();
    for kind in [
        "preorder.opened",
        "preorder.paid",
        "preorder.released",
        "preorder.balance_link",
        "preorder.completed",
        "role.granted",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} missing from {kinds:?}");
    }
    let analytics = shop.analytics().await;
    assert_eq!((analytics.sales, analytics.revenue[0].amount), (2, 4900), "deposit + balance = the price");
}

#[tokio::test]
async fn a_preorder_cancelled_before_release_is_refunded_and_frees_its_slot() {
    let shop = Shop::start().await;
    let release_at = chrono::Utc::now() + chrono::Duration::days(30);
    preorder_order(&shop, serde_json::json!({"op": "open", "product": "vip", "release_at": release_at, "cap": 1}))
        .await;
    let view = shop.app.commerce.preorder("42", "vip").await.unwrap();
    shop.webhook(&shop.stripe.complete(&shop.session_of(&view.id), true).unwrap()).await;
    assert!(matches!(shop.app.commerce.preorder("43", "vip").await, Err(CommerceError::OutOfStock(_))), "cap reached");

    shop.app.commerce.cancel_preorder("42", "vip").await.unwrap();

    let refund = shop.stripe.requests().into_iter().find(|r| r.path == "/v1/refunds").expect("a refund was asked");
    assert!(refund.form["payment_intent"].as_str().is_some_and(|pi| pi.starts_with("pi_")));
    assert!(shop.app.commerce.preorder("43", "vip").await.is_ok(), "the slot is free again");
    assert!(events(&shop.fleet).await.iter().any(|e| e.kind.as_ref() == "preorder.cancelled"));
    let released = preorder_order(&shop, serde_json::json!({"op": "release", "product": "vip"})).await;
    assert!(released.ok);
    shop.settle().await;
    assert!(!shop.members.holds("42", VIP_ROLE));
}

#[tokio::test]
async fn a_preorder_releases_by_itself_at_its_time() {
    let shop = Shop::start().await;
    let release_at = chrono::Utc::now() + chrono::Duration::seconds(2);
    preorder_order(&shop, serde_json::json!({"op": "open", "product": "vip", "release_at": release_at, "cap": 5}))
        .await;
    let view = shop.app.commerce.preorder("42", "vip").await.unwrap();
    shop.webhook(&shop.stripe.complete(&shop.session_of(&view.id), true).unwrap()).await;

    let released = wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "preorder.released").await;
    shop.settle().await;

    assert!(released.at >= release_at);
    assert_eq!(released.data["complete"], 1, "paid in full: complete at release");
    assert!(shop.members.holds("42", VIP_ROLE));
}

/// The tallest run of `color` pixels in any column of rows `rows` of a decoded RGB picture.
fn tallest(rgb: &[u8], width: u32, rows: std::ops::Range<u32>, color: [u8; 3]) -> u32 {
    (0..width)
        .map(|x| rows.clone().filter(|y| rgb[((y * width + x) * 3) as usize..][..3] == color).count() as u32)
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn partial_refunds_of_10_then_15_on_a_29_99_sale_leave_4_99_net_in_analytics_and_in_the_chart() {
    let shop = Shop::start().await;
    let price = Order::new(
        Command::Config(subjects::params::ConfigParams { key: "price_vip".into(), value: Some("29.99".into()) }),
        "t",
    );
    assert!(send(&shop.fleet, "shop1", &price).await.ok);
    let (_, session) = shop.buy("42", "vip", None).await.unwrap();
    shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await;
    let first = shop.stripe.refund(&session, Some(1000)).unwrap();
    let second = shop.stripe.refund(&session, Some(1500)).unwrap();

    // Out of order, redelivered, and the same cumulative figure under another event id.
    let mut echo = second.clone();
    echo["id"] = "evt_same_charge_again".into();
    for event in [&second, &first, &second, &echo, &first] {
        assert_eq!(shop.webhook(event).await, 200);
    }
    shop.settle().await;

    assert!(shop.members.holds("42", VIP_ROLE), "a partial refund keeps the role");
    let a = shop.analytics().await;
    assert_eq!((a.revenue[0].amount, a.gross[0].amount, a.refunded[0].amount), (499, 2999, 2500));
    assert_eq!((a.sales, a.refunds), (1, 1));
    assert_eq!((a.top_products[0].revenue[0].amount, a.top_products[0].gross[0].amount), (499, 2999));
    let report =
        Order::new(Command::Report(subjects::params::ReportParams { period: Period::Today, chart: true }), "t");
    let report: subjects::results::ReportResult =
        send(&shop.fleet, "shop1", &report).await.result_as().unwrap().unwrap();
    assert_eq!(report.current.revenue[0].amount, 499);
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD.decode(report.chart_png.unwrap()).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).unwrap();
    let rgb_of = |c: plotters::style::RGBColor| [c.0, c.1, c.2];
    let net = tallest(&rgb, info.width, info.height / 2..info.height, rgb_of(maxis::chart::REVENUE_BAR_COLOR));
    let refunded = tallest(&rgb, info.width, info.height / 2..info.height, rgb_of(maxis::chart::REFUNDED_BAR_COLOR));
    let gross = f64::from(net + refunded);
    assert!(gross > 100.0, "the gross bar is {gross} px");
    assert!((f64::from(net) - gross * 499.0 / 2999.0).abs() <= 2.0, "net {net} px of gross {gross} px");
}

#[tokio::test]
async fn with_200_ms_between_the_shop_and_a_strict_stripe_fifty_checkouts_in_a_row_all_succeed() {
    let shop = Shop::start().await;
    shop.stripe.set_latency(Duration::from_millis(200));

    for i in 0..50 {
        let buyer = format!("buyer{i}");
        if let Err(e) = shop.buy(&buyer, "vip", None).await {
            panic!("checkout {i} failed: {e:?}");
        }
    }

    let sessions = shop.stripe.sessions();
    assert_eq!(sessions.len(), 50);
    for s in &sessions {
        let (created, expires) = (s["created"].as_i64().unwrap(), s["expires_at"].as_i64().unwrap());
        assert!(expires >= created + 1800, "{s}");
    }
}
