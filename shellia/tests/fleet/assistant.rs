//! Who may command, how fast, and what becomes of a plan: the assistant's checks, through the
//! real broker and real shops.

use shellia::assistant::{Outcome, Refusal};
use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::helpers::{assistant, member, operator, orders_sent};

const REQUEST: &str = "Lance une promotion de 20% sur les plans Pro";

#[tokio::test]
async fn a_non_admin_is_refused_and_nothing_is_sent() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "[admin]\nroles = [77]\nusers = [42]").await;
    let stranger = member(1, vec![5]);

    let command = assistant.handle(&stranger, "status").await;
    let request = assistant.handle(&stranger, REQUEST).await;
    let by_role = assistant.handle(&member(2, vec![77]), "status").await;
    let by_user = assistant.handle(&member(42, vec![]), REQUEST).await;
    let stolen = assistant.confirm(&stranger, &by_user.pending.clone().unwrap().id).await;

    assert_eq!(command.outcome, Outcome::Refused(Refusal::NotAdmin), "{}", command.text);
    assert_eq!(request.outcome, Outcome::Refused(Refusal::NotAdmin));
    assert!(command.text.contains("Only admins"), "{}", command.text);
    assert_eq!(stolen.outcome, Outcome::Refused(Refusal::NotAdmin), "a non-admin cannot confirm");
    assert_eq!(by_role.outcome, Outcome::Done, "{}", by_role.text);
    assert_eq!(by_user.outcome, Outcome::Previewed, "{}", by_user.text);
    assert_eq!(
        orders_sent(&fleet).await,
        6,
        "only the admin's status, the two catalog reads (status, catalog), the estimate of its preview and the \
         estimates of two other audiences (the default one reaches nobody) went out"
    );
}

#[tokio::test]
async fn an_admin_over_the_rate_limit_is_told_how_long_to_wait() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "[admin]\norders_per_minute = 2").await;
    let admin = operator();

    let first = assistant.handle(&admin, "status").await;
    let second = assistant.handle(&admin, "status").await;
    let third = assistant.handle(&admin, "status").await;
    let other = assistant.handle(&shellia::assistant::Requester::console("other"), "status").await;

    assert_eq!((first.outcome, second.outcome), (Outcome::Done, Outcome::Done));
    assert!(matches!(third.outcome, Outcome::Refused(Refusal::RateLimited(_))), "{:?}", third.outcome);
    assert!(third.text.contains("wait 3") || third.text.contains("wait 30"), "{}", third.text);
    assert_eq!(other.outcome, Outcome::Done, "each admin has their own limit");
    assert_eq!(orders_sent(&fleet).await, 3);
}

#[tokio::test]
async fn a_plan_not_confirmed_in_time_expires_and_sends_nothing() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "[plans]\nconfirm_timeout_secs = 1").await;
    let admin = operator();
    let plan = assistant.handle(&admin, REQUEST).await.pending.expect("a plan to confirm");
    let sent_for_preview = orders_sent(&fleet).await;

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let late = assistant.confirm(&admin, &plan.id).await;
    let oui = assistant.handle(&admin, "oui").await;

    assert_eq!(late.outcome, Outcome::Expired, "{}", late.text);
    assert!(late.text.contains("expired"), "{}", late.text);
    assert_eq!(oui.outcome, Outcome::Refused(Refusal::NoPlan), "{}", oui.text);
    assert_eq!(orders_sent(&fleet).await, sent_for_preview, "nothing was sent after the preview");
}

#[tokio::test]
async fn confirming_twice_sends_once_and_records_who_asked_and_who_confirmed() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "[admin]\nusers = [42, 43]").await;
    let (asker, confirmer) = (member(42, vec![]), member(43, vec![]));
    let plan = assistant.handle(&asker, REQUEST).await.pending.expect("a plan to confirm");
    let before = orders_sent(&fleet).await;

    let (first, second) = tokio::join!(assistant.confirm(&confirmer, &plan.id), assistant.confirm(&asker, &plan.id));
    let third = assistant.confirm(&confirmer, &plan.id).await;

    let outcomes = [first.outcome.clone(), second.outcome.clone()];
    assert!(outcomes.contains(&Outcome::Done), "{}{}", first.text, second.text);
    assert!(outcomes.contains(&Outcome::Refused(Refusal::NoPlan)), "{}{}", first.text, second.text);
    assert!(third.text.contains("already confirmed"), "{}", third.text);
    assert_eq!(orders_sent(&fleet).await, before + 1, "one promo order, sent once");
    let done = if first.outcome == Outcome::Done { &first } else { &second };
    assert!(done.text.contains("✅ Promotion lancée !"), "{}", done.text);
    assert!(done.text.contains("shop1") && done.text.contains("shop2"), "each shop's answer: {}", done.text);
    let audit = assistant.store().audit(10).await.unwrap();
    let promo = audit.iter().find(|r| r.action == "promo").expect("the promo in the audit");
    assert_eq!(promo.issued_by, "shellia:admin/discord:42");
    assert!(matches!(promo.confirmed_by.as_deref(), Some("discord:43") | Some("discord:42")));
    assert_eq!(promo.outcome, "ok");
}

#[tokio::test]
async fn a_report_with_its_chart_comes_back_as_a_png_attachment() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "").await;

    let answer = assistant.handle(&operator(), "@shop1 report chart=true").await;

    assert_eq!(answer.outcome, Outcome::Done, "{}", answer.text);
    assert_eq!(answer.attachments.len(), 1);
    assert_eq!(answer.attachments[0].0, "report-shop1.png");
    assert!(answer.attachments[0].1.starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn the_preview_shows_members_reached_the_estimated_cost_and_clashes() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let store = maxis::store::Store::open(&dir.path().join("shop1.db")).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let now = chrono::Utc::now();
    let long_ago = now - chrono::Duration::days(60);
    for (id, seen) in [("m1", long_ago), ("m2", long_ago), ("m3", now)] {
        maxis::store::members::touch(&mut conn, id, &[], None, seen).await.unwrap();
    }
    for (id, product, amount) in [("s1", "pro", 10_000), ("s2", "pro", 5_000), ("s3", "basic", 999)] {
        let sale = maxis::store::sales::NewSale {
            id,
            checkout_id: None,
            product_id: product,
            buyer: "m3",
            amount,
            currency: "eur",
            at: now - chrono::Duration::days(1),
        };
        maxis::store::sales::record_sale(&mut conn, &sale).await.unwrap();
    }
    drop(conn);
    let assistant = assistant(&fleet, dir.path(), "").await;
    let admin = operator();
    assert_eq!(assistant.handle(&admin, "@shop1 promo 10% pro 24h").await.outcome, Outcome::Done);
    assistant.strategy().await.unwrap(); // the shops' catalog, read once and kept
    let sent = orders_sent(&fleet).await;

    let preview = assistant.handle(&admin, REQUEST).await;

    assert_eq!(preview.outcome, Outcome::Previewed, "{}", preview.text);
    let text = &preview.text;
    assert!(text.contains("shop1: 2 membre(s) touché(s)"), "inactive for 30 days: m1 and m2: {text}");
    assert!(text.contains("coût estimé 30,00 EUR sur 150,00 EUR de ventes en 7 jours (2 vente(s))"), "{text}");
    assert!(text.contains("chevauche la promotion"), "{text}");
    assert!(!text.contains('{'), "a preview is sentences, not JSON: {text}");
    assert_eq!(orders_sent(&fleet).await, sent + 1, "one read-only estimate, no promo");
    let promos: Vec<(String,)> = sqlx::query_as("SELECT discount FROM promos").fetch_all(store.pool()).await.unwrap();
    assert_eq!(promos.len(), 1, "the estimate changed nothing");
}
