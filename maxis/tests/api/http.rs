//! `/healthz` and `/metrics`.

use subjects::params::StatusParams;
use subjects::{Command, Order};
use testkit::shop::http_get;
use testkit::TestFleet;

use crate::helpers::{send, spawn_app};

#[tokio::test]
async fn health_and_metrics_report_the_order_path() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(&fleet, "shop1", dir.path()).await;
    send(&fleet, "shop1", &Order::new(Command::Status(StatusParams {}), "t")).await;

    let (health, body) = http_get(app.http, "/healthz").await;
    let (metrics_status, metrics) = http_get(app.http, "/metrics").await;

    assert_eq!(health, 200);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (body["shop"].as_str(), body["nats"].as_bool(), body["database"].as_bool()),
        (Some("shop1"), Some(true), Some(true))
    );
    assert_eq!(metrics_status, 200);
    assert!(metrics.contains("maxis_orders_total{action=\"status\",outcome=\"executed\"} 1"), "{metrics}");
    assert!(metrics.contains("maxis_order_duration_seconds_count{action=\"status\"} 1"), "{metrics}");
    assert!(metrics.contains("maxis_consumer_lag 0"), "{metrics}");
}

/// The `maxis_*` names in a PromQL expression (a name is a token of `[a-zA-Z0-9_:]`).
fn metric_names(expr: &str) -> Vec<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|t| t.starts_with("maxis_"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_dashboard_and_alert_rules_name_only_metrics_a_shop_exports() {
    let monitoring = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/monitoring");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(monitoring.join("maxis-dashboard.json")).unwrap()).unwrap();
    let alerts: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(monitoring.join("alerts.yml")).unwrap()).unwrap();

    let mut exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .map(|t| t["expr"].as_str().unwrap().to_owned())
        .collect();
    let panel_ids: std::collections::BTreeSet<u64> =
        dashboard["panels"].as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(panel_ids.len(), dashboard["panels"].as_array().unwrap().len(), "panel ids are unique");
    let rules = alerts["groups"][0]["rules"].as_sequence().unwrap();
    for rule in rules {
        let name = rule["alert"].as_str().unwrap();
        assert!(rule["labels"]["severity"].as_str().is_some(), "{name} has a severity");
        assert!(rule["annotations"]["summary"].as_str().is_some(), "{name} has a summary");
        exprs.push(rule["expr"].as_str().unwrap().to_owned());
    }
    let mut named: Vec<String> = exprs.iter().flat_map(|e| metric_names(e)).collect();
    named.sort();
    named.dedup();
    for needed in ["interaction_answer", "webhook_to_role", "reconciliation_lag", "orders_dead", "deliveries_blocked"] {
        assert!(named.iter().any(|n| n.contains(needed)), "nothing shows {needed}: {named:?}");
    }

    // A shop that handled one order exports every series the dashboard and the rules read.
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(&fleet, "shop1", dir.path()).await;
    send(&fleet, "shop1", &Order::new(Command::Status(StatusParams {}), "t")).await;
    let (status, metrics) = http_get(app.http, "/metrics").await;
    assert_eq!(status, 200);
    let exported: std::collections::BTreeSet<&str> =
        metrics.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split(['{', ' ']).next()).collect();
    let missing: Vec<&String> = named.iter().filter(|n| !exported.contains(n.as_str())).collect();
    assert!(missing.is_empty(), "named but not exported: {missing:?}\n{metrics}");
}
