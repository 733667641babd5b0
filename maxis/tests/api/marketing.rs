//! Activity, audiences, promotion pings and announcements delivered with counts.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use maxis::domain::giveaway::MemberInfo;
use maxis::store::{members, Store};
use subjects::params::{AnnounceParams, Audience, ConfigParams};
use subjects::{Command, Order};
use testkit::shop::{send, spawn_with_members, wait_for_event, RecordingMembers, TestApp};
use testkit::TestFleet;

async fn shop() -> (TestFleet, TestApp, Arc<RecordingMembers>, tempfile::TempDir) {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let members = Arc::new(RecordingMembers::default());
    let settings = testkit::shop::settings(&fleet, "shop1", &dir.path().join("shop1.db"));
    let app = spawn_with_members(settings, members.clone()).await;
    (fleet, app, members, dir)
}

fn member(id: &str, roles: &[&str]) -> MemberInfo {
    MemberInfo { id: id.into(), roles: roles.iter().map(|r| r.to_string()).collect(), joined_at: None }
}

async fn config(fleet: &TestFleet, key: &str, value: &str) {
    let order = Order::new(Command::Config(ConfigParams { key: key.into(), value: Some(value.into()) }), "t");
    assert!(send(fleet, "shop1", &order).await.ok);
}

#[tokio::test]
async fn the_inactive_audience_is_exactly_the_members_without_activity_in_n_days() {
    let (_fleet, app, _members, dir) = shop().await;
    let now = Utc::now();
    for (id, days_ago) in [("a", 1), ("b", 29), ("c", 31), ("d", 90)] {
        app.commerce.touch(&member(id, &[]), now - chrono::Duration::days(days_ago)).await.unwrap();
    }
    // An older activity never moves the last one back.
    app.commerce.touch(&member("a", &[]), now - chrono::Duration::days(100)).await.unwrap();
    let store = Store::open(&dir.path().join("shop1.db")).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    members::set_marketing(&mut conn, "e", false).await.unwrap(); // known, never active

    let inactive = members::resolve(&mut conn, &Audience::InactiveDays(30), now).await.unwrap();

    let ids: Vec<&str> = inactive.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec!["c", "d", "e"]);
}

#[tokio::test]
async fn announcements_reach_their_audience_respect_opt_outs_and_report_counts() {
    let (fleet, app, recorded, _dir) = shop().await;
    config(&fleet, "announce.channel", "123456789012").await;
    config(&fleet, "marketing.promo_ping_role", "444444444444").await;
    let old = Utc::now() - chrono::Duration::days(60);
    for id in ["x", "y", "z"] {
        app.commerce.touch(&member(id, &["vip1"]), old).await.unwrap();
    }
    app.commerce.set_promo_ping("y", false).await.unwrap();
    app.commerce.set_promo_ping("z", true).await.unwrap();
    let announce = |audience| {
        Order::new(Command::Announce(AnnounceParams { message: "Soldes !".into(), audience, channel: None }), "t")
    };
    send(&fleet, "shop1", &announce(Audience::InactiveDays(30))).await;
    send(&fleet, "shop1", &announce(Audience::PromoPing)).await;

    let delivered = app.commerce.deliver_announcements(Duration::ZERO).await.unwrap();
    // The shop's own worker may deliver some first; every announcement is delivered once.
    let sent =
        wait_for_event(&fleet, |e| e.kind.as_ref() == "announcement.sent" && e.data["skipped_opt_out"] == 1).await;

    assert!(delivered.len() <= 2);
    assert_eq!((sent.data["reached"].as_u64(), sent.data["skipped_opt_out"].as_u64()), (Some(2), Some(1)));
    let dms: Vec<String> = recorded.dms.lock().unwrap().iter().map(|(u, _)| u.clone()).collect();
    assert_eq!(dms, vec!["x", "z"], "y opted out");
    let posts = recorded.posts.lock().unwrap().clone();
    assert_eq!(posts, vec![("123456789012".to_owned(), "<@&444444444444> Soldes !".to_owned())]);
    assert!(recorded.holds("z", "444444444444"), "opting in gives the promotion pings role");
    assert!(!recorded.holds("y", "444444444444"));
}
