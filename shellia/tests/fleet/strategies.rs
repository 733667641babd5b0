//! Strategies and campaigns: named defaults the brain uses, and scheduled campaigns that run once
//! per slot through the same order path (also after a restart), paused, resumed and deleted by
//! command.

use chrono::{Duration, Utc};
use shellia::assistant::{Outcome, Refusal};
use shellia::strategy::Schedule;
use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::helpers::{assistant, operator, orders_sent};

#[tokio::test]
async fn a_named_strategy_in_use_gives_the_brain_its_defaults() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "").await;
    let admin = operator();

    let saved =
        assistant.handle(&admin, "strategy set flash promo_hours=24 audience=inactive:14 max_discount=30").await;
    let used = assistant.handle(&admin, "strategy use flash").await;
    let list = assistant.handle(&admin, "strategy list").await;
    let plan = assistant.handle(&admin, "Lance une promotion de 20% sur les plans Pro").await;
    let too_much = assistant.handle(&admin, "Lance une promotion de 40% sur les plans Pro").await;
    let bad = assistant.handle(&admin, "strategy set flash max_discount=500").await;

    assert_eq!(saved.outcome, Outcome::Info, "{}", saved.text);
    assert!(used.text.contains("now in use"), "{}", used.text);
    assert!(list.text.contains("* flash: promotions 24h to members inactive 14 days, cap 30%"), "{}", list.text);
    assert!(plan.text.contains("pendant 24h"), "{}", plan.text);
    assert!(plan.text.contains("aux membres inactifs depuis 14 jours"), "{}", plan.text);
    assert_eq!(too_much.outcome, Outcome::Refused(Refusal::Brain), "{}", too_much.text);
    assert_eq!(bad.outcome, Outcome::Refused(Refusal::Invalid), "{}", bad.text);
}

#[tokio::test]
async fn a_campaign_runs_once_per_slot_even_after_a_restart_with_the_same_audit_trail() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "").await;
    let admin = operator();
    let added =
        assistant.handle(&admin, "campaign add friday fri 18:00 promo 10% all 48h audience.inactive_days=30").await;
    let slot = Schedule::parse("fri", "18:00").unwrap().next_slot(Utc::now());
    let before = orders_sent(&fleet).await;

    let early = assistant.run_due(slot - Duration::minutes(1)).await.unwrap();
    let first = assistant.run_due(slot + Duration::minutes(1)).await.unwrap();
    let again = assistant.run_due(slot + Duration::minutes(2)).await.unwrap();
    let restarted = crate::helpers::assistant(&fleet, dir.path(), "").await;
    let after_restart = restarted.run_due(slot + Duration::minutes(3)).await.unwrap();

    assert_eq!(added.outcome, Outcome::Info, "{}", added.text);
    assert!(early.is_empty(), "not due before its slot");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].answer.outcome, Outcome::Done, "{}", first[0].answer.text);
    assert!(again.is_empty() && after_restart.is_empty(), "one run per slot");
    assert_eq!(orders_sent(&fleet).await, before + 1);
    let audit = restarted.store().audit(10).await.unwrap();
    let promo = audit.iter().find(|r| r.action == "promo").unwrap();
    assert_eq!(promo.issued_by, "shellia:admin/campaign:friday");
    assert_eq!(promo.confirmed_by.as_deref(), Some("console:tester"), "the admin who scheduled it");
    let listed = restarted.handle(&admin, "campaign list").await.text;
    assert!(listed.contains("friday  fri 18:00  active") && listed.contains("(ok)"), "{listed}");
}

#[tokio::test]
async fn a_paused_campaign_does_not_run_until_resumed_and_a_deleted_one_never_again() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "").await;
    let admin = operator();
    assistant.handle(&admin, "campaign add weekly-report monday 9:00 report").await;
    let slot = Schedule::parse("mon", "09:00").unwrap().next_slot(Utc::now());

    let paused = assistant.handle(&admin, "campaign pause weekly-report").await;
    let while_paused = assistant.run_due(slot + Duration::minutes(1)).await.unwrap();
    assistant.handle(&admin, "campaign resume weekly-report").await;
    let resumed = assistant.run_due(slot + Duration::minutes(2)).await.unwrap();
    let deleted = assistant.handle(&admin, "campaign delete weekly-report").await;
    let after_delete = assistant.run_due(slot + Duration::days(7) + Duration::minutes(1)).await.unwrap();
    let unknown = assistant.handle(&admin, "campaign pause weekly-report").await;
    let bad = assistant.handle(&admin, "campaign add oops someday 9:00 report").await;

    assert!(paused.text.contains("paused"), "{}", paused.text);
    assert!(while_paused.is_empty());
    assert_eq!(resumed.len(), 1);
    assert!(resumed[0].answer.text.contains("report → all"), "{}", resumed[0].answer.text);
    assert!(deleted.text.contains("deleted"), "{}", deleted.text);
    assert!(after_delete.is_empty());
    assert_eq!(unknown.outcome, Outcome::Refused(Refusal::Invalid));
    assert!(bad.text.contains("write a day and a time"), "{}", bad.text);
}
