//! Roles follow the money, per member: the ledger, the reconciler, `why` and Stripe objects linked
//! end to end, with Stripe-shaped events of the current API (a subscription session has no
//! payment intent; an invoice names its subscription under `parent`; a refund or dispute of an
//! invoice's charge names only its payment intent).

use serde_json::Value;
use subjects::params::{GrantParams, WhyParams};
use subjects::results::{GrantResult, WhyResult};
use subjects::{Command, Order};
use testkit::shop::{events, send};

use crate::commerce::Shop;

const VIP_ROLE: &str = "100000000000000002";
const PRO_ROLE: &str = "100000000000000001";
/// A role the shop does not sell.
const OTHER_ROLE: &str = "100000000000000099";

async fn why(shop: &Shop, member: &str) -> WhyResult {
    let order = Order::new(Command::Why(WhyParams { member: member.into() }), "t");
    send(&shop.fleet, "shop1", &order).await.result_as().unwrap().unwrap()
}

async fn resync(shop: &Shop) {
    assert!(send(&shop.fleet, "shop1", &Order::new(Command::Resync(Default::default()), "t")).await.ok);
}

/// Member `who` subscribes to Pro and pays its first invoice; returns the Stripe session.
async fn subscribed(shop: &Shop, who: &str) -> String {
    let (_, session) = shop.buy(who, "pro", None).await.unwrap();
    assert_eq!(shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await, 200);
    assert_eq!(shop.webhook(&shop.stripe.invoice(&session, true).unwrap()).await, 200);
    shop.settle().await;
    assert!(shop.members.holds(who, PRO_ROLE));
    session
}

fn summary(w: &WhyResult) -> String {
    w.summary.join("\n")
}

#[tokio::test]
async fn a_disputed_subscription_loses_its_role_the_admins_are_told_and_resync_does_not_give_it_back() {
    let shop = Shop::start().await;
    let session = subscribed(&shop, "7").await;

    assert_eq!(shop.webhook(&shop.stripe.dispute(&session).unwrap()).await, 200);
    shop.settle().await;
    assert!(!shop.members.holds("7", PRO_ROLE), "a dispute of the first invoice's charge revokes");
    let notes = shop.members.admin_notes.lock().unwrap().clone();
    assert!(notes.iter().any(|n| n.contains("<@7>") && n.contains("disputed")), "{notes:?}");

    resync(&shop).await;
    shop.settle().await;
    assert!(!shop.members.holds("7", PRO_ROLE), "resync grants nothing the ledger does not");
    let w = why(&shop, "7").await;
    assert!(!w.roles[0].should_hold && w.roles[0].sources[0].state == "disputed");
    assert!(summary(&w).contains("subscription to Pro") && summary(&w).contains("no longer counts"), "{}", summary(&w));
}

#[tokio::test]
async fn a_full_refund_of_the_first_invoice_removes_the_plan_role_a_partial_one_keeps_it() {
    let shop = Shop::start().await;
    let full = subscribed(&shop, "7").await;
    let partial = subscribed(&shop, "8").await;

    let first = |s: &str| shop.stripe.payment_intents(s).unwrap()[0].clone();
    let refund = shop.stripe.refund_payment(&full, &first(&full), None).unwrap();
    assert_eq!(shop.webhook(&refund).await, 200);
    let refund = shop.stripe.refund_payment(&partial, &first(&partial), Some(300)).unwrap();
    assert_eq!(shop.webhook(&refund).await, 200);
    shop.settle().await;

    assert!(!shop.members.holds("7", PRO_ROLE), "full refund of a subscription's invoice");
    assert!(shop.members.holds("8", PRO_ROLE), "partial refund keeps the role");
    resync(&shop).await;
    shop.settle().await;
    assert!(!shop.members.holds("7", PRO_ROLE));
    assert!(summary(&why(&shop, "7").await).contains("refunded"));
}

#[tokio::test]
async fn a_refund_of_the_first_invoice_before_invoice_paid_is_applied_when_the_invoice_arrives() {
    let shop = Shop::start().await;
    let (_, session) = shop.buy("7", "pro", None).await.unwrap();
    let completed = shop.stripe.complete(&session, true).unwrap();
    let paid = shop.stripe.invoice(&session, true).unwrap();
    let pi = shop.stripe.payment_intents(&session).unwrap()[0].clone();
    let refund = shop.stripe.refund_payment(&session, &pi, None).unwrap();

    // Stripe does not promise an order: the refund comes first, then the completion, then the invoice.
    assert_eq!(shop.webhook(&refund).await, 200);
    assert_eq!(shop.webhook(&completed).await, 200);
    assert_eq!(shop.webhook(&paid).await, 200);
    shop.settle().await;

    assert!(!shop.members.holds("7", PRO_ROLE), "{:?}", why(&shop, "7").await);
}

#[tokio::test]
async fn a_renewal_paid_after_a_refunded_period_gives_the_role_back() {
    let shop = Shop::start().await;
    let session = subscribed(&shop, "7").await;
    let pi = shop.stripe.payment_intents(&session).unwrap()[0].clone();
    shop.webhook(&shop.stripe.refund_payment(&session, &pi, None).unwrap()).await;
    shop.settle().await;
    assert!(!shop.members.holds("7", PRO_ROLE));

    shop.webhook(&shop.stripe.invoice(&session, true).unwrap()).await;
    shop.settle().await;

    assert!(shop.members.holds("7", PRO_ROLE), "the member paid the next period");
}

#[tokio::test]
async fn two_purchases_of_one_role_one_refunded_keeps_it_both_refunded_removes_it() {
    let shop = Shop::start().await;
    let (_, first) = shop.buy("7", "vip", None).await.unwrap();
    let (_, second) = shop.buy("7", "vip", None).await.unwrap();
    shop.webhook(&shop.stripe.complete(&first, true).unwrap()).await;
    shop.webhook(&shop.stripe.complete(&second, true).unwrap()).await;
    shop.settle().await;
    assert!(shop.members.holds("7", VIP_ROLE));

    shop.webhook(&shop.stripe.refund(&first, None).unwrap()).await;
    shop.settle().await;
    assert!(shop.members.holds("7", VIP_ROLE), "one purchase is still paid");
    assert!(shop.members.revokes.lock().unwrap().is_empty(), "no DELETE while a source grants the role");
    let w = why(&shop, "7").await;
    assert!(w.roles[0].should_hold && w.roles[0].sources.len() == 2);
    assert_eq!(w.roles[0].sources.iter().filter(|s| s.active).count(), 1);
    assert!(summary(&w).contains("holds it, as paid for"), "{}", summary(&w));

    shop.webhook(&shop.stripe.refund(&second, None).unwrap()).await;
    shop.settle().await;
    assert!(!shop.members.holds("7", VIP_ROLE), "both refunded");
    assert_eq!(shop.members.revokes.lock().unwrap().len(), 1, "one DELETE, once");
}

#[tokio::test]
async fn the_drift_check_gives_back_a_paid_role_removed_by_hand_and_never_touches_other_roles() {
    let shop = Shop::start().await;
    let (_, session) = shop.buy("7", "vip", None).await.unwrap();
    shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await;
    shop.settle().await;
    // An admin removes VIP by hand and gives an unrelated role; another member gets VIP by hand
    // without ever buying here.
    shop.members.set_roles_by_hand("7", &[OTHER_ROLE]);
    shop.members.set_roles_by_hand("9", &[VIP_ROLE]);

    let queued = shop.app.commerce.drift_check().await.unwrap();
    shop.settle().await;

    assert_eq!(queued, 1, "only members the shop sold to are compared");
    assert!(shop.members.holds("7", VIP_ROLE), "the paid role is back");
    assert!(shop.members.holds("7", OTHER_ROLE), "an unmanaged role is never touched");
    assert!(shop.members.holds("9", VIP_ROLE), "a member the shop never sold to is left alone");
    let grants = shop.members.grants.lock().unwrap().clone();
    assert_eq!(grants.iter().filter(|(u, _)| u == "7").count(), 2, "granted at purchase, then once at the check");

    // A second check with nothing changed changes nothing.
    shop.app.commerce.drift_check().await.unwrap();
    shop.settle().await;
    assert_eq!(shop.members.grants.lock().unwrap().len(), grants.len());
}

#[tokio::test]
async fn a_member_who_leaves_and_rejoins_gets_their_paid_roles_back() {
    let shop = Shop::start().await;
    let (_, session) = shop.buy("7", "vip", None).await.unwrap();
    shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await;
    shop.settle().await;

    shop.members.leave("7");
    shop.app.commerce.member_left("7").await.unwrap();
    shop.app.commerce.drift_check().await.unwrap();
    shop.settle().await;
    assert!(summary(&why(&shop, "7").await).contains("left the server"));

    shop.members.rejoin("7");
    shop.app.commerce.member_joined("7").await.unwrap();
    shop.settle().await;

    assert!(shop.members.holds("7", VIP_ROLE));
    assert!(summary(&why(&shop, "7").await).contains("holds it, as paid for"));
}

#[tokio::test]
async fn a_blocked_role_tells_the_admins_and_the_buyer_once_and_why_says_so() {
    let shop = Shop::start().await;
    shop.members.forbidden.lock().unwrap().push(VIP_ROLE.to_owned());
    let (_, session) = shop.buy("7", "vip", None).await.unwrap();
    shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await;
    shop.settle().await;
    shop.app.commerce.drift_check().await.unwrap();
    shop.settle().await;

    let notes = shop.members.admin_notes.lock().unwrap().clone();
    assert_eq!(notes.iter().filter(|n| n.contains("50013")).count(), 1, "told once: {notes:?}");
    let dms = shop.members.dms.lock().unwrap().clone();
    assert_eq!(dms.iter().filter(|(u, t)| u == "7" && t.contains("could not give you the role")).count(), 1);
    let w = why(&shop, "7").await;
    assert!(summary(&w).contains("should hold it but does not yet") && summary(&w).contains("50013"));
    let blocked = events(&shop.fleet).await.into_iter().filter(|e| e.kind.as_ref() == "delivery.blocked").count();
    assert_eq!(blocked, 1);
}

#[tokio::test]
async fn a_manual_grant_gives_the_role_and_taking_it_back_keeps_a_paid_one() {
    let shop = Shop::start().await;
    let grant = |revoke| GrantParams { member: "<@7>".into(), product: "vip".into(), revoke };
    let given: GrantResult =
        send(&shop.fleet, "shop1", &Order::new(Command::Grant(grant(false)), "t")).await.result_as().unwrap().unwrap();
    shop.settle().await;
    assert!(given.should_hold && shop.members.holds("7", VIP_ROLE));

    let (_, session) = shop.buy("7", "vip", None).await.unwrap();
    shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await;
    let back = send(&shop.fleet, "shop1", &Order::new(Command::Grant(grant(true)), "t")).await;
    shop.settle().await;
    assert!(back.ok && shop.members.holds("7", VIP_ROLE), "the purchase still grants it");

    let unknown = GrantParams { member: "7".into(), product: "gold".into(), revoke: false };
    let refused = send(&shop.fleet, "shop1", &Order::new(Command::Grant(unknown), "t")).await;
    assert!(!refused.ok && refused.error.unwrap().message.contains("vip"), "names the products it has");
}

#[tokio::test]
async fn no_receipt_for_a_checkout_refunded_before_its_completion() {
    let shop = Shop::start().await;
    let (_, session) = shop.buy("7", "vip", None).await.unwrap();
    let completed = shop.stripe.complete(&session, true).unwrap();
    shop.webhook(&shop.stripe.refund(&session, None).unwrap()).await;
    shop.webhook(&completed).await;
    shop.settle().await;

    let attempts = shop.members.dm_attempts.lock().unwrap().clone();
    assert!(!attempts.iter().any(|(_, t)| t.contains("Thank you")), "{attempts:?}");
    assert!(!shop.members.holds("7", VIP_ROLE));
}

#[tokio::test]
async fn a_receipt_to_closed_dms_is_tried_once_recorded_and_shown_in_orders() {
    let shop = Shop::start().await;
    shop.members.closed_dms.lock().unwrap().push("7".into());
    let (checkout, session) = shop.buy("7", "vip", None).await.unwrap();
    shop.webhook(&shop.stripe.complete(&session, true).unwrap()).await;
    shop.settle().await;
    for _ in 0..3 {
        shop.app.commerce.fulfil_once().await.unwrap();
    }

    let attempts = shop.members.dm_attempts.lock().unwrap().iter().filter(|(u, _)| u == "7").count();
    assert_eq!(attempts, 1, "50007 is permanent: one attempt");
    let failed = events(&shop.fleet).await.into_iter().find(|e| e.kind.as_ref() == "receipt.failed").unwrap();
    assert_eq!(failed.data["checkout_id"], checkout.as_str());
    let orders = shop.app.commerce.orders_with_receipts("7", 10).await.unwrap();
    assert!(orders[0].1.as_deref().unwrap().contains("direct messages are closed"), "{orders:?}");
    assert!(shop.members.holds("7", VIP_ROLE), "the role does not depend on the receipt");
}

#[tokio::test]
async fn every_checkout_of_a_member_uses_one_stripe_customer_and_names_the_buyer_on_what_it_creates() {
    let shop = Shop::start().await;
    shop.buy("7", "vip", None).await.unwrap();
    shop.buy("7", "pro", None).await.unwrap();

    let requests = shop.stripe.requests();
    let customers: Vec<_> = requests.iter().filter(|r| r.path == "/v1/customers").collect();
    assert_eq!(customers.len(), 1, "created once, then reused");
    assert_eq!(customers[0].form["metadata"]["member"], "7");
    let sessions: Vec<&Value> =
        requests.iter().filter(|r| r.path == "/v1/checkout/sessions").map(|r| &r.form).collect();
    assert_eq!(sessions[0]["customer"], sessions[1]["customer"]);
    let one_off = sessions.iter().find(|f| f["mode"] == "payment").unwrap();
    let plan = sessions.iter().find(|f| f["mode"] == "subscription").unwrap();
    for (key, value) in [("member", "7"), ("shop", "shop1")] {
        assert_eq!(one_off["payment_intent_data"]["metadata"][key], value);
        assert_eq!(plan["subscription_data"]["metadata"][key], value);
    }
    assert!(one_off["payment_intent_data"]["metadata"]["checkout"].is_string());
    assert!(plan["payment_intent_data"].is_null(), "Stripe refuses payment_intent_data in subscription mode");
}
