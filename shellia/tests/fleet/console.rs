//! The console speaks the same commands and prints the same tables.

use shellia::{console, render};
use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::helpers::{assistant, operator, send, shellia};

#[tokio::test]
async fn console_lines_send_orders_to_the_default_or_named_target() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let _shop2 = spawn_app(&fleet, "shop2", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "").await;
    let input = "status\n@us status\nsend eu stop reason=\"inventaire\"\nexplode\nshops\nquit\nstatus\n";
    let mut out = Vec::new();

    console::run(&assistant, &operator(), None, input.as_bytes(), &mut out).await.unwrap();

    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("status → all · 2 shop(s)"), "{text}");
    assert!(text.contains("status → us · 1 shop(s)"), "{text}");
    assert!(text.contains("stop → eu · 1 shop(s)"), "{text}");
    assert!(
        text.contains("Je n'ai pas compris") || text.contains("did not understand"),
        "a word that is no action is read as a request: {text}"
    );
    assert!(text.contains("2 shop(s): shop1, shop2"), "{text}");
    assert_eq!(text.matches("order ").count(), 3, "nothing ran after quit: {text}");
    assert!(text.contains("closed (inventaire)") || text.contains("\"open\":false"), "{text}");
}

#[tokio::test]
async fn json_lines_give_one_object_per_shop() {
    let fleet = TestFleet::start(&["shop1:eu", "shop2:us"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;

    let dispatch = send(&shellia(&fleet).await, "all", "status", &[], std::time::Duration::from_secs(1)).await;

    let lines: Vec<serde_json::Value> =
        render::json_lines(&dispatch).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["shop"], "shop1");
    assert_eq!(lines[0]["state"], "ok");
    assert_eq!(lines[0]["reply"]["result"]["open"], true);
    assert_eq!(lines[1]["shop"], "shop2");
    assert_eq!(lines[1]["state"], "queued");
    let table = render::table(&dispatch);
    assert!(table.contains("shop2") && table.contains("queued"), "{table}");
}

#[tokio::test]
async fn a_request_with_apostrophes_is_read_as_plain_language_not_refused_for_a_quote() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let assistant = assistant(&fleet, dir.path(), "").await;
    let input = "les ventes d'aujourd'hui sur shop1\nferme shop1 pour l'inventaire\noui\n";
    let mut out = Vec::new();

    console::run(&assistant, &operator(), None, input.as_bytes(), &mut out).await.unwrap();

    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("unclosed quote"), "{text}");
    assert!(text.contains("Donner les ventes d'aujourd'hui"), "{text}");
    assert!(text.contains("Boutique fermée (inventaire)"), "{text}");
}
