//! `/gift` through serenity against the fake Discord, paid through async-stripe against the
//! Stripe stand-in: the recipient holds the role, a plan's months end on the shop's clock, a
//! refund revokes the gift, a gift to a member who left waits until they rejoin.

use chrono::{Duration, Utc};
use fake_discord::Message;
use maxis::timers::apply_due;
use serde_json::{json, Value};

use crate::discord::{sub, Guild, THREE_SECONDS, WAIT};

impl Guild {
    /// `giver` runs `/gift` and reads the private answer.
    async fn gift(&self, giver: u64, recipient: u64, product: &str, months: Option<u32>) -> Message {
        let mut options = vec![
            json!({"name": "member", "value": recipient.to_string()}),
            json!({"name": "product", "value": product}),
        ];
        if let Some(m) = months {
            options.push(json!({"name": "months", "value": m}));
        }
        let interaction = self.slash(giver, "gift", Value::Array(options)).await;
        let response = interaction.response(WAIT).await.unwrap();
        assert!(response.elapsed < THREE_SECONDS, "/gift answered in {:?}", response.elapsed);
        let message = interaction.final_message(WAIT).await.unwrap();
        assert_eq!(message.flags & 64, 64, "the payment link is the giver's alone");
        message
    }

    /// The session of the latest gift, paid: its id.
    async fn pay_gift(&self) -> String {
        let session = self.stripe.sessions().last().unwrap()["id"].as_str().unwrap().to_owned();
        self.webhook(&self.stripe.complete(&session, true).unwrap()).await;
        session
    }

    async fn why(&self, member: u64) -> String {
        let why = self.slash(self.admin, "admin", sub("why", json!([{"name": "member", "value": member.to_string()}])));
        why.await.final_message(WAIT).await.unwrap().content
    }

    async fn events_of(&self, kind: &str) -> Vec<Value> {
        let events = testkit::shop::events(&self.fleet).await;
        events.into_iter().filter(|e| e.kind.as_ref() == kind).map(|e| e.data).collect()
    }
}

#[tokio::test]
async fn a_gift_of_one_month_of_pro_is_held_by_the_recipient_and_ends_after_the_month_once() {
    let g = Guild::start().await;
    let carol = g.discord.add_member("carol", &[]);
    let answer = g.gift(g.buyer, carol, "pro", Some(1)).await.content;
    assert!(answer.contains("9.99 EUR") && answer.contains(&g.stripe.base_url()), "{answer}");
    let session = g.stripe.sessions().last().unwrap().clone();
    assert_eq!(session["mode"], "payment", "a gift is paid once, even for a plan");
    assert_eq!(session["metadata"]["gift_giver"], g.buyer.to_string());
    assert_eq!(session["metadata"]["gift_recipient"], carol.to_string());
    assert_eq!(session["metadata"]["gift_months"], "1");

    let paid_at = Utc::now();
    g.pay_gift().await;
    g.wait_for_role(carol, g.pro_role).await;
    assert!(!g.discord.member_roles(g.buyer).contains(&g.pro_role), "the giver gets nothing");
    let told = g.discord.wait_for_dm(carol, |m| m.content.contains("gave you Pro"), WAIT).await.unwrap();
    assert!(told.content.contains(&format!("<@{}>", g.buyer)), "{}", told.content);
    g.discord.wait_for_dm(g.buyer, |m| m.content.contains("gift of Pro"), WAIT).await.unwrap();
    let why = g.why(carol).await;
    assert!(why.contains(&format!("gift of Pro from <@{}> (1 month, until", g.buyer)), "{why}");
    let paid = g.events_of("gift.paid").await;
    assert_eq!(paid.len(), 1);
    assert_eq!(
        (paid[0]["recipient"].as_str(), paid[0]["months"].as_u64()),
        (Some(carol.to_string().as_str()), Some(1))
    );

    // The shop's clock: not a day before the month ends, then once.
    let (store, ctx) = (&g.app.commerce.store, &g.app.commerce.ctx);
    apply_due(store, ctx, paid_at + Duration::days(27)).await.unwrap();
    g.app.commerce.fulfil_once().await.unwrap();
    assert!(g.discord.member_roles(carol).contains(&g.pro_role), "held for the whole month");
    apply_due(store, ctx, paid_at + Duration::days(32)).await.unwrap();
    g.app.commerce.fulfil_once().await.unwrap();
    g.wait_without_role(carol, g.pro_role).await;
    g.discord.wait_for_dm(carol, |m| m.content.contains("ended"), WAIT).await.unwrap();
    apply_due(store, ctx, paid_at + Duration::days(40)).await.unwrap();
    g.app.commerce.publisher.flush_outbox(store).await.unwrap();
    let ended = g.events_of("gift.ended").await;
    assert_eq!(ended.len(), 1, "ended once: {ended:?}");
    assert_eq!(ended[0]["reason"], "expired");
}

#[tokio::test]
async fn refunding_a_gift_revokes_it_and_a_gift_to_oneself_or_a_bot_is_refused() {
    let g = Guild::start().await;
    let carol = g.discord.add_member("carol", &[]);
    g.gift(g.buyer, carol, "pro", Some(2)).await;
    let session = g.pay_gift().await;
    g.wait_for_role(carol, g.pro_role).await;
    assert_eq!(g.stripe.session(&session).unwrap()["amount_total"], 1998, "2 months × 9.99");

    g.webhook(&g.stripe.refund(&session, None).unwrap()).await;
    g.wait_without_role(carol, g.pro_role).await;
    let ended = g.events_of("gift.ended").await;
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["reason"], "refunded");
    assert!(g.why(carol).await.contains("refunded"));

    let sessions = g.stripe.sessions().len();
    let to_self = g.gift(g.buyer, g.buyer, "pro", None).await.content;
    assert!(to_self.contains("cannot give a gift to yourself"), "{to_self}");
    let to_bot = g.gift(g.buyer, g.bot.user_id, "pro", None).await.content;
    assert!(to_bot.contains("bots cannot receive gifts"), "{to_bot}");
    let poster = g.gift(g.buyer, carol, "poster", None).await.content;
    assert!(poster.contains("only plans and role products"), "{poster}");
    assert_eq!(g.stripe.sessions().len(), sessions, "no payment page for a refused gift");
}

#[tokio::test]
async fn a_gift_to_a_member_who_left_is_delivered_when_they_rejoin() {
    let g = Guild::start().await;
    let carol = g.discord.add_member("carol", &[]);
    g.discord.member_leave(carol).await;
    g.gift(g.buyer, carol, "pro", Some(1)).await;
    g.pay_gift().await;
    g.app.commerce.fulfil_once().await.unwrap();
    let why = g.why(carol).await;
    assert!(why.contains("has left the server"), "{why}");

    g.discord.member_rejoin(carol).await;
    g.wait_for_role(carol, g.pro_role).await;
}
