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
