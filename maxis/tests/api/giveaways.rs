//! Giveaways users can trust: one entry each, requirements and bonuses, a draw anyone can
//! recompute, rerolls that skip earlier winners, an end that happens once across restarts.

use std::sync::Arc;

use chrono::{Duration, Utc};
use maxis::domain::giveaway::MemberInfo;
use maxis::store::Store;
use subjects::params::{BonusEntries, GiveawayParams, GiveawayTrigger, GiveawaysParams, Requirements};
use subjects::results::{GiveawayInfo, GiveawayStatus, GiveawaysResult};
use subjects::{Command, ErrorCode, Order};
use testkit::shop::{events, send, spawn_with_members, wait_for_event, RecordingMembers, TestApp};
use testkit::TestFleet;

struct Shop {
    fleet: TestFleet,
    app: Option<TestApp>,
    dir: tempfile::TempDir,
    members: Arc<RecordingMembers>,
}

impl Shop {
    async fn start() -> Self {
        let fleet = TestFleet::start(&["shop1"]).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let members = Arc::new(RecordingMembers::default());
        let mut shop = Self { fleet, app: None, dir, members };
        shop.restart().await;
        shop
    }
    async fn restart(&mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await;
        }
        let settings = testkit::shop::settings(&self.fleet, "shop1", &self.dir.path().join("shop1.db"));
        self.app = Some(spawn_with_members(settings, self.members.clone()).await);
    }
    fn commerce(&self) -> &maxis::commerce::Commerce {
        &self.app.as_ref().unwrap().commerce
    }
    async fn create(&self, params: GiveawayParams) -> GiveawayInfo {
        send(&self.fleet, "shop1", &Order::new(Command::Giveaway(params), "t")).await.result_as().unwrap().unwrap()
    }
    async fn manage(&self, params: GiveawaysParams) -> subjects::Reply {
        send(&self.fleet, "shop1", &Order::new(Command::Giveaways(params), "t")).await
    }
    async fn store(&self) -> Store {
        Store::open(&self.dir.path().join("shop1.db")).await.unwrap()
    }
}

fn giveaway(winners: u32, secs: u64) -> GiveawayParams {
    GiveawayParams {
        prize: "Nitro".into(),
        winners,
        duration_secs: secs,
        trigger: GiveawayTrigger::Now,
        channel: Some("123456789012".into()),
        requirements: Requirements::default(),
        bonus: vec![],
    }
}

fn member(id: u64, roles: &[&str]) -> MemberInfo {
    // Ids far above 2^22 carry an old creation date; joined a year ago.
    MemberInfo {
        id: (id << 22).to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        joined_at: Some(Utc::now() - Duration::days(365)),
    }
}

#[tokio::test]
async fn two_concurrent_entries_by_the_same_member_make_one_entry() {
    let shop = Shop::start().await;
    let g = shop.create(giveaway(1, 3600)).await;
    let m = member(1_000_000, &[]);

    let (a, b) = tokio::join!(
        shop.commerce().enter_giveaway(&g.id, &m, Utc::now()),
        shop.commerce().enter_giveaway(&g.id, &m, Utc::now())
    );

    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(u8::from(a.new) + u8::from(b.new), 1);
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM giveaway_entries").fetch_one(shop.store().await.pool()).await.unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn requirements_decide_who_enters_and_bonus_roles_add_entries() {
    let shop = Shop::start().await;
    let mut params = giveaway(1, 3600);
    params.requirements = Requirements { role: Some("55555".into()), account_age_days: Some(30), member_days: Some(7) };
    params.bonus = vec![BonusEntries { role: "77777".into(), entries: 4 }];
    let g = shop.create(params).await;
    let now = Utc::now();
    let c = shop.commerce();

    let without_role = c.enter_giveaway(&g.id, &member(2_000_000, &[]), now).await.unwrap_err();
    let newcomer = MemberInfo { joined_at: Some(now - Duration::days(1)), ..member(2_000_001, &["55555"]) };
    let too_new = c.enter_giveaway(&g.id, &newcomer, now).await.unwrap_err();
    let fresh_account = MemberInfo {
        id: ((now.timestamp_millis() - 1_420_070_400_000) as u64 * (1 << 22)).to_string(),
        ..member(0, &["55555"])
    };
    let too_young = c.enter_giveaway(&g.id, &fresh_account, now).await.unwrap_err();
    let plain = c.enter_giveaway(&g.id, &member(2_000_002, &["55555"]), now).await.unwrap();
    let boosted = c.enter_giveaway(&g.id, &member(2_000_003, &["55555", "77777"]), now).await.unwrap();

    assert!(without_role.to_string().contains("role"), "{without_role}");
    assert!(too_new.to_string().contains("7 days"), "{too_new}");
    assert!(too_young.to_string().contains("30 days"), "{too_young}");
    assert_eq!((plain.weight, boosted.weight), (1, 5));
}

async fn enter_many(shop: &Shop, id: &str, n: u64) {
    for i in 0..n {
        shop.commerce().enter_giveaway(id, &member(3_000_000 + i, &[]), Utc::now()).await.unwrap();
    }
}

#[tokio::test]
async fn a_giveaway_ends_by_itself_with_a_proof_anyone_can_verify() {
    let shop = Shop::start().await;
    let g = shop.create(giveaway(2, 1)).await;
    enter_many(&shop, &g.id, 10).await;

    let ended = wait_for_event(&shop.fleet, |e| e.kind.as_ref() == "giveaway.ended").await;
    let verify: GiveawaysResult =
        shop.manage(GiveawaysParams::Verify { id: g.id.clone() }).await.result_as().unwrap().unwrap();

    let proof: subjects::results::DrawProof = serde_json::from_value(ended.data).unwrap();
    assert_eq!(proof.commitment, g.commitment.unwrap(), "the seed matches the commitment published at start");
    assert_eq!(proof.rounds[0].picked.len(), 2);
    assert_eq!(verify.verified, Some(true));
    assert_eq!(verify.giveaways[0].winners_drawn, proof.rounds[0].picked);
    let parts = events(&shop.fleet).await.into_iter().filter(|e| e.kind.as_ref() == "giveaway.entries").count();
    assert_eq!(parts, 1);
    shop.commerce().fulfil_once().await.unwrap();
    let dms = shop.members.dms.lock().unwrap().clone();
    assert!(proof.rounds[0].picked.iter().all(|w| dms.iter().any(|(u, t)| u == w && t.contains("Nitro"))), "{dms:?}");
}

#[tokio::test]
async fn a_tampered_entry_list_fails_verification() {
    let shop = Shop::start().await;
    let g = shop.create(giveaway(1, 3600)).await;
    enter_many(&shop, &g.id, 20).await;
    shop.manage(GiveawaysParams::End { id: g.id.clone() }).await;

    sqlx::query("UPDATE giveaway_entries SET weight = 50 WHERE member = (SELECT MIN(member) FROM giveaway_entries)")
        .execute(shop.store().await.pool())
        .await
        .unwrap();
    let verify: GiveawaysResult =
        shop.manage(GiveawaysParams::Verify { id: g.id.clone() }).await.result_as().unwrap().unwrap();

    assert_eq!(verify.verified, Some(false));
}

#[tokio::test]
async fn rerolls_never_pick_an_earlier_winner() {
    let shop = Shop::start().await;
    let g = shop.create(giveaway(2, 3600)).await;
    enter_many(&shop, &g.id, 8).await;
    let ended: GiveawaysResult =
        shop.manage(GiveawaysParams::End { id: g.id.clone() }).await.result_as().unwrap().unwrap();
    let mut seen: Vec<String> = ended.proof.unwrap().rounds[0].picked.clone();

    let first = seen[0].clone();
    let one: GiveawaysResult = shop
        .manage(GiveawaysParams::Reroll { id: g.id.clone(), replace: Some(first.clone()) })
        .await
        .result_as()
        .unwrap()
        .unwrap();
    let replacement = one.proof.unwrap().rounds.last().unwrap().picked.clone();
    assert_eq!(replacement.len(), 1);
    assert!(!seen.contains(&replacement[0]));
    assert!(!one.giveaways[0].winners_drawn.contains(&first));
    seen.extend(replacement);
    let all: GiveawaysResult =
        shop.manage(GiveawaysParams::Reroll { id: g.id.clone(), replace: None }).await.result_as().unwrap().unwrap();
    let fresh = all.proof.unwrap().rounds.last().unwrap().picked.clone();

    assert_eq!(fresh.len(), 2);
    assert!(fresh.iter().all(|w| !seen.contains(w)), "{fresh:?} vs {seen:?}");
    let not_winner = shop.manage(GiveawaysParams::Reroll { id: g.id.clone(), replace: Some("nobody".into()) }).await;
    assert_eq!(not_winner.error.unwrap().code, ErrorCode::Conflict);
    let verify: GiveawaysResult =
        shop.manage(GiveawaysParams::Verify { id: g.id.clone() }).await.result_as().unwrap().unwrap();
    assert_eq!(verify.verified, Some(true), "every round recomputes");
}

#[tokio::test]
async fn a_giveaway_whose_end_passed_while_down_ends_once_and_a_second_restart_draws_nothing() {
    let mut shop = Shop::start().await;
    let g = shop.create(giveaway(1, 2)).await;
    enter_many(&shop, &g.id, 3).await;
    shop.app.take().unwrap().stop().await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;

    shop.restart().await;
    shop.restart().await;

    let ended = events(&shop.fleet).await.into_iter().filter(|e| e.kind.as_ref() == "giveaway.ended").count();
    assert_eq!(ended, 1);
    let rounds: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM giveaway_rounds").fetch_one(shop.store().await.pool()).await.unwrap();
    assert_eq!(rounds, 1);
}

#[tokio::test]
async fn a_milestone_giveaway_opens_when_the_server_reaches_its_member_count() {
    let shop = Shop::start().await;
    let mut params = giveaway(1, 3600);
    params.trigger = GiveawayTrigger::Members(100);
    let g = shop.create(params).await;
    assert_eq!(g.status, GiveawayStatus::Waiting);
    let early = shop.commerce().enter_giveaway(&g.id, &member(9_000_000, &[]), Utc::now()).await;

    let none = shop.commerce().members_changed(99, Utc::now()).await.unwrap();
    let opened = shop.commerce().members_changed(100, Utc::now()).await.unwrap();
    let again = shop.commerce().members_changed(101, Utc::now()).await.unwrap();

    assert!(matches!(early, Err(maxis::engagement::EnterError::NotOpen)));
    assert!(none.is_empty() && again.is_empty());
    assert_eq!(opened.len(), 1);
    assert!(shop.commerce().enter_giveaway(&g.id, &member(9_000_000, &[]), Utc::now()).await.unwrap().new);
}
