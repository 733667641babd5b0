//! The seed's example end to end: "@Shellia Lance une promotion de 20% sur les plans Pro" →
//! a plan, a preview, a confirmation, the shops execute, the reply text, the promo in the
//! shop's database.

use maxis::store::Store;
use shellia::console;
use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::helpers::{assistant, operator};

const SEED: &str = "@Shellia Lance une promotion de 20% sur les plans Pro";
const DONE: &str = "✅ Promotion lancée ! 20% sur les plans Pro pendant 48h.";

async fn promo_rows(dir: &std::path::Path, shop: &str) -> Vec<(String, String)> {
    let store = Store::open(&dir.join(format!("{shop}.db"))).await.unwrap();
    sqlx::query_as("SELECT discount, target FROM promos").fetch_all(store.pool()).await.unwrap()
}

fn cli(fleet: &TestFleet, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_shellia"))
        .args(args)
        .env("SHELLIA_NATS__URL", fleet.url())
        .env("SHELLIA_NATS__SEED_FILE", fleet.fleet.key_path(&fleet.shellia()))
        .env("SHELLIA_REPLY_TIMEOUT_MS", "3000")
        .env("SHELLIA_DATABASE__PATH", fleet.fleet.dir.join("shellia.db"))
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_example_from_ask_yes_launches_the_promotion_in_every_shop() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;

    let out = tokio::task::block_in_place(|| cli(&fleet, &["ask", "--yes", SEED]));

    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(DONE), "{text}");
    for shop in ["shop1", "shop2"] {
        assert_eq!(
            promo_rows(dir.path(), shop).await,
            vec![("{\"percent\":20}".to_owned(), "{\"plan\":\"pro\"}".to_owned())]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_prints_the_plan_as_json_and_sends_nothing() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();

    let out = tokio::task::block_in_place(|| cli(&fleet, &["ask", "--dry-run", "--json", SEED]));

    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["target"], "all");
    assert_eq!(plan["orders"][0]["action"], "promo");
    assert_eq!(plan["orders"][0]["params"]["discount"]["percent"], 20);
    assert_eq!(plan["orders"][0]["params"]["duration_secs"], 172_800);
    // Every field is stated, defaults included, and the shops the target reaches are listed.
    assert_eq!(plan["orders"][0]["target"], "all");
    assert_eq!(plan["orders"][0]["params"]["audience"], serde_json::json!({"inactive_days": 30}));
    assert_eq!(plan["orders"][0]["params"]["replace"], false);
    assert!(plan["orders"][0]["params"].as_object().unwrap().contains_key("code"));
    assert_eq!(plan["shops"], serde_json::json!(["shop1"]));
    assert_eq!(plan["lang"], "fr");
    let js = async_nats::jetstream::new(fleet.connect(&testkit::fleet::provisioner()).await.unwrap());
    let mut stream = js.get_stream(subjects::subject::CONTROL_STREAM).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 2, "nothing was sent but the catalog's reads");
}

#[tokio::test]
async fn the_console_previews_waits_for_oui_and_then_reports() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "").await;
    let input = format!("{SEED}\nnon\n{SEED}\noui\n");
    let mut out = Vec::new();

    console::run(&assistant, &operator(), None, input.as_bytes(), &mut out).await.unwrap();

    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches("Confirmer ? (oui/non)").count(), 2, "{text}");
    assert!(text.contains("Annulé."), "{text}");
    assert_eq!(text.matches(DONE).count(), 1, "{text}");
    assert_eq!(promo_rows(dir.path(), "shop1").await.len(), 1, "one promotion: the first plan was cancelled");
}
