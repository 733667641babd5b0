//! `restart` reports when the shop is back; `fleet` lists the shops and who is online;
//! rejections are visible to scripts.

use std::time::Duration;

use shellia::render;
use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::helpers::{send, shellia, WAIT};

#[tokio::test]
async fn restart_reports_when_the_shop_is_back() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_app(&fleet, "shop1", dir.path()).await;
    // The supervisor: a shop that exits for a restart is started again.
    let supervisor = {
        let dir = dir.path().to_owned();
        let fleet = &fleet;
        async move {
            assert_eq!(first.finished().await, maxis::startup::Exit::Restart);
            spawn_app(fleet, "shop1", &dir).await
        }
    };
    let shellia = shellia(&fleet).await;

    let (dispatch, _second) = tokio::join!(send(&shellia, "shop1", "restart", &[], WAIT), supervisor);

    let back = dispatch.back[&"shop1".parse().unwrap()];
    assert!(back.is_some_and(|d| d < Duration::from_secs(20)), "{back:?}");
    assert!(render::table(&dispatch).contains("back after"));
}

#[tokio::test]
async fn fleet_lists_every_shop_and_who_is_online() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;

    let members = shellia(&fleet).await.fleet(Duration::from_millis(500)).await.unwrap();

    assert_eq!(members.len(), 2);
    assert_eq!((members[0].id.as_ref(), members[0].groups.clone()), ("shop1", vec!["eu".to_owned()]));
    assert_eq!(members[0].version.as_deref(), Some(maxis::VERSION));
    assert_eq!(members[1].version, None, "shop2 is offline");
    let table = render::fleet_table(&members);
    assert!(table.contains("online (maxis") && table.contains("offline"), "{table}");
}

#[tokio::test]
async fn a_rejection_by_any_shop_is_flagged_for_scripts() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;
    let shellia = shellia(&fleet).await;

    let ok = send(&shellia, "all", "status", &[], WAIT).await;
    let refused = send(&shellia, "all", "config", &["key=shop.owner", "value=me"], WAIT).await;

    assert!(!ok.any_rejected());
    assert!(refused.any_rejected());
    assert!(render::table(&refused).contains("not_found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_each_shop_and_exits_non_zero_when_a_shop_refuses() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let key = fleet.fleet.key_path(&fleet.shellia());
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_shellia"))
            .args(args)
            .env("SHELLIA_NATS__URL", fleet.url())
            .env("SHELLIA_NATS__SEED_FILE", &key)
            .env("SHELLIA_REPLY_TIMEOUT_MS", "1500")
            .env("SHELLIA_DATABASE__PATH", fleet.fleet.dir.join("shellia.db"))
            .output()
            .unwrap()
    };

    let out = tokio::task::block_in_place(|| cli(&["send", "all", "status"]));
    let refused = tokio::task::block_in_place(|| cli(&["send", "shop1", "config", "key=nope"]));
    let bad = tokio::task::block_in_place(|| cli(&["send", "all", "promo", "discount.percent=500"]));

    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("shop1  ok") && text.contains("shop2  queued"), "{text}");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("not_found"));
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("invalid params for `promo`"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
