//! `/subscription` through serenity against the fake Discord: a member's own membership, with
//! the Stripe stand-in's subscriptions, Billing Portal and test clock.

use fake_discord::Message;
use serde_json::{json, Value};

use crate::discord::{sub, Guild, THREE_SECONDS, WAIT};

impl Guild {
    /// `user` runs `/subscription <action>` and reads the private answer.
    async fn subscription(&self, user: u64, action: &str, options: Value) -> Message {
        let interaction = self.slash(user, "subscription", sub(action, options)).await;
        let response = interaction.response(WAIT).await.unwrap();
        assert!(response.elapsed < THREE_SECONDS, "/subscription {action} answered in {:?}", response.elapsed);
        let message = interaction.final_message(WAIT).await.unwrap();
        assert_eq!(message.flags & 64, 64, "/subscription {action} is the member's alone");
        message
    }
}

#[tokio::test]
async fn a_member_reads_cancels_with_a_reason_resumes_manages_and_a_cancel_ends_the_role_at_the_period_end() {
    let g = Guild::start().await;
    let none = g.subscription(g.buyer, "status", json!([])).await;
    assert!(none.content.contains("no membership"), "{}", none.content);
    let session = g.subscribe_to_pro(g.buyer).await;
    g.wait_for_role(g.buyer, g.pro_role).await;

    let status = g.subscription(g.buyer, "status", json!([])).await.content;
    assert!(status.contains("Pro") && status.contains("Next payment: 9.99 EUR"), "{status}");

    // Reason 0 of the picker: "Too expensive".
    let canceled = g.subscription(g.buyer, "cancel", json!([{"name": "reason", "type": 4, "value": 0}])).await;
    assert!(canceled.content.contains("ends on"), "{}", canceled.content);
    let sub_id = g.stripe.session(&session).unwrap()["subscription"].as_str().unwrap().to_owned();
    let update = g.stripe.requests().into_iter().rfind(|r| r.path == format!("/v1/subscriptions/{sub_id}")).unwrap();
    assert_eq!(update.form["cancel_at_period_end"], "true");
    assert_eq!(update.form["cancellation_details"]["feedback"], "too_expensive");
    g.webhook(g.stripe.events().last().unwrap()).await;
    let again = g.subscription(g.buyer, "cancel", json!([{"name": "reason", "type": 4, "value": 1}])).await;
    assert!(again.content.contains("already ends"), "{}", again.content);
    assert!(g.subscription(g.buyer, "status", json!([])).await.content.contains("Ends on"));

    let resumed = g.subscription(g.buyer, "resume", json!([])).await;
    assert!(resumed.content.contains("resumed"), "{}", resumed.content);
    g.webhook(g.stripe.events().last().unwrap()).await;
    let manage = g.subscription(g.buyer, "manage", json!([])).await;
    assert!(manage.content.contains(&format!("{}portal/bps_", g.stripe.base_url())), "{}", manage.content);
    let events = testkit::shop::events(&g.fleet).await;
    let asked = events.iter().find(|e| e.kind.as_ref() == "subscription.cancel_requested").unwrap();
    assert_eq!(asked.data["reason"], "too_expensive");

    // Cancel for good: the role stays until the period ends, and goes then.
    g.subscription(g.buyer, "cancel", json!([{"name": "reason", "type": 4, "value": 1}])).await;
    g.webhook(g.stripe.events().last().unwrap()).await;
    let start = g.stripe.clock(&session).unwrap();
    assert!(g.stripe.advance_clock(&session, start + 29 * 24 * 3600).unwrap().is_empty());
    g.app.commerce.fulfil_once().await.unwrap();
    assert!(g.discord.member_roles(g.buyer).contains(&g.pro_role), "not before the period ends");
    for event in g.stripe.advance_clock(&session, start + 31 * 24 * 3600).unwrap() {
        assert_eq!(event["type"], "customer.subscription.deleted");
        g.webhook(&event).await;
    }
    g.wait_without_role(g.buyer, g.pro_role).await;
}

#[tokio::test]
async fn a_member_switches_pro_to_basic_at_the_period_end_and_back_to_pro_at_once_through_subscription_switch() {
    use subjects::params::{CatalogParams, ProductSpec};
    let g = Guild::start().await;
    let basic_role = g.discord.add_role("Basic", 1);
    let basic = ProductSpec {
        id: "basic".into(),
        name: "Basic".into(),
        description: String::new(),
        kind: "plan".into(),
        price: "4.99".into(),
        currency: None,
        role: Some(basic_role.to_string()),
        stock: None,
        per_user_limit: None,
        interval: Some("month".into()),
        visible: None,
        trial_days: None,
    };
    let order = subjects::Order::new(subjects::Command::Catalog(CatalogParams::Upsert { product: basic }), "t");
    assert!(testkit::shop::send(&g.fleet, "shop1", &order).await.ok);
    let session = g.subscribe_to_pro(g.buyer).await;
    g.wait_for_role(g.buyer, g.pro_role).await;
    let plan = |name: &str| json!([{"name": "plan", "type": 3, "value": name}]);

    let same = g.subscription(g.buyer, "switch", plan("pro")).await;
    assert!(same.content.contains("on Pro already"), "{}", same.content);
    let seen = g.stripe.events().len();
    let down = g.subscription(g.buyer, "switch", plan("Basic")).await;
    assert!(down.content.contains("from **Pro** to **Basic** on <t:"), "{}", down.content);
    for event in g.stripe.events().iter().skip(seen) {
        g.webhook(event).await;
    }
    let status = g.subscription(g.buyer, "status", json!([])).await.content;
    assert!(status.contains("Switches to **Basic**"), "{status}");
    assert!(g.discord.member_roles(g.buyer).contains(&g.pro_role), "Pro until the period ends");

    let start = g.stripe.clock(&session).unwrap();
    for event in g.stripe.advance_clock(&session, start + 31 * 24 * 3600).unwrap() {
        g.webhook(&event).await;
    }
    g.wait_for_role(g.buyer, basic_role).await;
    g.wait_without_role(g.buyer, g.pro_role).await;

    let up = g.subscription(g.buyer, "switch", plan("pro")).await;
    assert!(
        up.content.contains("You are now on **Pro** (was Basic)") && up.content.contains("prorated"),
        "{}",
        up.content
    );
    g.wait_for_role(g.buyer, g.pro_role).await;
    g.wait_without_role(g.buyer, basic_role).await;
}
