//! The order path: validation, execution once, replies, events.

use serde_json::json;
use subjects::params::{StatusParams, StopParams};
use subjects::reply::StatusReport;
use subjects::{Command, ErrorCode, Order};
use testkit::TestFleet;

use crate::helpers::{events, publish_signed, request, send, spawn_app, wait_for_event};

fn status() -> Order {
    Order::new(Command::Status(StatusParams {}), "shellia:admin")
}

#[tokio::test]
async fn status_is_answered_by_the_shop_with_version_uptime_and_state() {
    let fleet = TestFleet::start(&["shop1:eu"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;

    let reply = send(&fleet, "shop1", &status()).await;

    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.instance.as_ref(), "shop1");
    let report: StatusReport = reply.result_as().unwrap().unwrap();
    assert_eq!(report.version, maxis::VERSION);
    assert!(report.online && report.open);
    assert_eq!(report.groups, vec!["eu"]);
    assert!(report.uptime_secs < 60);
}

#[tokio::test]
async fn an_executed_order_is_evented_with_its_id() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let order = status();

    send(&fleet, "shop1", &order).await;

    let event = wait_for_event(&fleet, |e| e.kind.as_ref() == "order.executed").await;
    assert_eq!(event.order_id.as_ref(), Some(&order.id));
    assert_eq!(event.instance.as_ref(), "shop1");
    assert_eq!(event.data["action"], "status");
    assert!(events(&fleet).await.iter().any(|e| e.kind.as_ref() == "shop.started"));
}

#[tokio::test]
async fn a_redelivered_order_gets_the_stored_reply_and_changes_nothing() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let order = Order::new(Command::Stop(StopParams { reason: Some("inventory".into()) }), "shellia:admin");
    let subject = "maxis.shop1.control.stop";

    let first = request(&fleet, subject, order.id.as_ref(), order.to_json(), "shop1", order.id.as_ref()).await;
    // The same order delivered again (a new stream message, as after a redelivery).
    let again = request(&fleet, subject, "another-msg-id", order.to_json(), "shop1", order.id.as_ref()).await;

    assert!(first.ok && !first.replayed);
    assert!(again.replayed, "{again:?}");
    assert_eq!(again.result, first.result);
    let all = events(&fleet).await;
    let closed: Vec<_> = all.iter().filter(|e| e.kind.as_ref() == "shop.closed").collect();
    assert_eq!(closed.len(), 1, "the effect happened once");
    let executed = all.iter().filter(|e| e.kind.as_ref() == "order.executed" && e.order_id == Some(order.id.clone()));
    assert_eq!(executed.count(), 1);
}

#[tokio::test]
async fn stop_and_start_persist_across_a_restart() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(&fleet, "shop1", dir.path()).await;
    let stop = Order::new(Command::Stop(StopParams { reason: Some("inventory".into()) }), "shellia:admin");
    assert!(send(&fleet, "shop1", &stop).await.ok);
    app.stop().await;

    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let report: StatusReport = send(&fleet, "shop1", &status()).await.result_as().unwrap().unwrap();

    assert!(!report.open);
    assert_eq!(report.closed_reason.as_deref(), Some("inventory"));
}

fn raw(id: &str, v: &str, action: &str, params: serde_json::Value) -> Vec<u8> {
    json!({"v": v, "id": id, "action": action, "params": params, "issued_by": "test", "issued_at": "2026-11-24T00:00:00Z"})
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn bad_orders_are_answered_with_typed_errors() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let cases = [
        (
            "bad-params",
            "maxis.shop1.control.status",
            raw("bad-params", "1.0", "status", json!({"x": 1})),
            ErrorCode::InvalidParams,
        ),
        (
            "bad-major",
            "maxis.shop1.control.status",
            raw("bad-major", "2.0", "status", json!({})),
            ErrorCode::UnsupportedVersion,
        ),
        (
            "bad-action",
            "maxis.shop1.control.explode",
            raw("bad-action", "1.0", "explode", json!({})),
            ErrorCode::UnknownAction,
        ),
        (
            "mismatch",
            "maxis.shop1.control.start",
            raw("mismatch", "1.0", "status", json!({})),
            ErrorCode::ActionMismatch,
        ),
    ];
    for (id, subject, payload, code) in cases {
        let reply = request(&fleet, subject, id, payload, "shop1", id).await;
        assert!(!reply.ok);
        assert_eq!(reply.error.as_ref().unwrap().code, code, "{id}: {reply:?}");
    }
    let rejected = events(&fleet).await.into_iter().filter(|e| e.kind.as_ref() == "order.rejected").count();
    assert_eq!(rejected, 4);
}

#[tokio::test]
async fn an_expired_order_is_refused_not_executed() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let mut stop = Order::new(Command::Stop(StopParams::default()), "shellia:admin");
    stop.expires_at = Some(stop.issued_at - chrono::Duration::seconds(1));

    let reply = send(&fleet, "shop1", &stop).await;

    assert_eq!(reply.error.unwrap().code, ErrorCode::Expired);
    let report: StatusReport = send(&fleet, "shop1", &status()).await.result_as().unwrap().unwrap();
    assert!(report.open, "the expired stop did not close the shop");
}

#[tokio::test]
async fn an_unreadable_order_is_dropped_and_reported() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    publish_signed(&fleet, "maxis.shop1.control.status", b"garbage".to_vec()).await;

    let event = wait_for_event(&fleet, |e| e.kind.as_ref() == "order.rejected").await;

    assert_eq!(event.data["error"]["code"], "malformed");
    // The shop still serves orders after it.
    assert!(send(&fleet, "shop1", &status()).await.ok);
}

#[tokio::test]
async fn every_action_refuses_unknown_params_and_expired_orders_with_typed_errors() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    for action in subjects::Action::ALL {
        let id = format!("unknown-field-{action}");
        let subject = format!("maxis.shop1.control.{action}");
        let reply =
            request(&fleet, &subject, &id, raw(&id, "1.0", action.as_str(), json!({"surprise": 1})), "shop1", &id)
                .await;
        assert_eq!(reply.error.as_ref().map(|e| e.code), Some(ErrorCode::InvalidParams), "{action}: {reply:?}");
    }
    let mut expired = status();
    expired.expires_at = Some(expired.issued_at - chrono::Duration::seconds(1));
    assert_eq!(send(&fleet, "shop1", &expired).await.error.unwrap().code, ErrorCode::Expired);
}
