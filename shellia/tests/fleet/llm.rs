//! The optional brain: an OpenAI-compatible endpoint (a local stand-in here) proposes orders by
//! tool calling; they are validated like any order, previewed, and sent only once an admin
//! confirms. A malformed proposal is refused; a non-admin never reaches the model.

use shellia::assistant::{Outcome, Refusal};
use testkit::shop::spawn_app;
use testkit::TestFleet;

use crate::helpers::{assistant, fake_llm, member, operator, orders_sent, tool_call};

fn layer(url: &str) -> String {
    format!("[brain]\nkind = \"openai\"\nurl = \"{url}\"\nmodel = \"stand-in\"\n[admin]\nusers = [42]")
}

#[tokio::test]
async fn a_tool_call_becomes_a_plan_that_is_sent_only_after_confirmation() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let args = r#"{"target": "shop1", "params": {"discount": {"percent": 15}, "target": {"plan": "pro"}, "duration_secs": 3600}}"#;
    let (url, seen) = fake_llm(tool_call("promo", args)).await;
    let assistant = assistant(&fleet, dir.path(), &layer(&url)).await;
    let admin = operator();

    let preview = assistant.handle(&admin, "Put the Pro plan at 15% off for an hour").await;
    let before = orders_sent(&fleet).await;
    let done = assistant.confirm(&admin, &preview.pending.clone().expect("a plan to confirm").id).await;

    assert_eq!(preview.outcome, Outcome::Previewed, "{}", preview.text);
    assert!(preview.text.contains("Orders proposed by the model: promo"), "{}", preview.text);
    assert_eq!(done.outcome, Outcome::Done, "{}", done.text);
    assert_eq!(orders_sent(&fleet).await, before + 1, "the promo, once confirmed");
    let request = seen.lock().unwrap()[0].clone();
    assert_eq!(request["model"], "stand-in");
    let tools: Vec<&str> =
        request["tools"].as_array().unwrap().iter().filter_map(|t| t["function"]["name"].as_str()).collect();
    assert!(tools.contains(&"promo") && tools.contains(&"status") && !tools.contains(&"estimate"), "{tools:?}");
    let promo_schema = &request["tools"].as_array().unwrap().iter().find(|t| t["function"]["name"] == "promo").unwrap()
        ["function"]["parameters"];
    assert!(promo_schema["properties"]["params"]["properties"]["discount"].is_object(), "{promo_schema}");
    let store = maxis::store::Store::open(&dir.path().join("shop1.db")).await.unwrap();
    let promos: Vec<(String,)> = sqlx::query_as("SELECT discount FROM promos").fetch_all(store.pool()).await.unwrap();
    assert_eq!(promos, vec![("{\"percent\":15}".to_owned(),)]);
}

#[tokio::test]
async fn a_malformed_or_out_of_range_tool_call_is_refused_and_nothing_is_planned() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let (broken_url, _) = fake_llm(tool_call("promo", "{\"target\": \"shop1\", \"params\": ")).await;
    let (wild_url, _) = fake_llm(tool_call(
        "promo",
        r#"{"target": "all", "params": {"discount": {"percent": 150}, "target": "all", "duration_secs": 60}}"#,
    ))
    .await;
    let (unknown_url, _) = fake_llm(tool_call("drop_tables", r#"{"target": "all", "params": {}}"#)).await;

    let mut refusals = Vec::new();
    for url in [&broken_url, &wild_url, &unknown_url] {
        let assistant = assistant(&fleet, dir.path(), &layer(url)).await;
        refusals.push(assistant.handle(&operator(), "Launch a promotion on every shop please").await);
    }

    for answer in &refusals {
        assert_eq!(answer.outcome, Outcome::Refused(Refusal::Brain), "{}", answer.text);
        assert!(answer.pending.is_none());
        assert!(answer.text.contains("not a valid order"), "{}", answer.text);
    }
    assert!(refusals[0].text.contains("not JSON"), "{}", refusals[0].text);
    assert!(refusals[1].text.contains("between 1 and 100"), "{}", refusals[1].text);
    assert!(refusals[2].text.contains("unknown action"), "{}", refusals[2].text);
    assert_eq!(orders_sent(&fleet).await, 6, "only the catalog's two reads (status, catalog) by each assistant");
}

#[tokio::test]
async fn a_non_admin_never_reaches_the_model() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (url, seen) = fake_llm(tool_call("status", r#"{"target": "all", "params": {}}"#)).await;
    let assistant = assistant(&fleet, dir.path(), &layer(&url)).await;

    let answer = assistant.handle(&member(7, vec![]), "status of every shop please").await;

    assert_eq!(answer.outcome, Outcome::Refused(Refusal::NotAdmin));
    assert!(seen.lock().unwrap().is_empty(), "the model was not asked");
}
