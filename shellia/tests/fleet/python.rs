//! The example ops client in Python (`examples/ops_events.py`, nats-py's standard calls) tails and
//! replays events with the `ops` credential, through the project's venv (`deploy/env.sh`).

use std::process::Stdio;
use std::time::Duration;

use subjects::{Event, EventKind, Name};
use testkit::shop::spawn_app;
use testkit::TestFleet;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::{send, shellia, WAIT};

fn python(fleet: &TestFleet, args: &[&str]) -> Command {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut command = Command::new(format!("{root}/.venv/bin/python"));
    let seed = fleet.fleet.key_path(&fleet.ops());
    command
        .arg(format!("{root}/examples/ops_events.py"))
        .args(["--url", fleet.url(), "--seed", &seed.display().to_string(), "--name", "ops"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

fn events(stdout: &[u8]) -> Vec<Event> {
    String::from_utf8_lossy(stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test]
async fn the_python_ops_client_replays_and_tails_events_with_the_ops_credential() {
    let fleet = TestFleet::start(&["shop1", "shop2"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _shop1 = spawn_app(&fleet, "shop1", dir.path()).await;
    let shellia = shellia(&fleet).await;
    for _ in 0..3 {
        send(&shellia, "shop1", "status", &[], WAIT).await;
    }
    // A leaked shop1 credential stores an event in shop2's name: no reader shows it.
    let attacker = async_nats::jetstream::new(fleet.connect(&fleet.shop("shop1")).await.unwrap());
    let kind = EventKind::known(EventKind::ORDER_EXECUTED);
    let forged = Event::new(Name::parse("shop2").unwrap(), kind.clone(), None, serde_json::json!({}));
    let on = subjects::subject::event(&Name::parse("shop1").unwrap(), &kind);
    attacker.publish(on, forged.to_json().into()).await.unwrap().await.unwrap();

    let replay = python(&fleet, &["replay", "--since-seconds", "600"]).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&replay.stderr);
    assert!(replay.status.success(), "{stderr}");
    let replayed = events(&replay.stdout);
    assert_eq!(replayed.iter().filter(|e| e.kind.as_ref() == "order.executed").count(), 3, "{replayed:?}");
    assert!(replayed.iter().any(|e| e.kind.as_ref() == "shop.started"));
    assert!(replayed.iter().all(|e| e.instance.as_ref() == "shop1"));
    assert!(stderr.contains("forgery dropped"), "{stderr}");

    let mut tail = python(&fleet, &["tail", "--seconds", "4"]).spawn().unwrap();
    let mut ready = BufReader::new(tail.stderr.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), ready.next_line()).await.unwrap().unwrap();
    assert_eq!(line.as_deref(), Some("ready"));
    send(&shellia, "shop1", "stop", &["inventory"], WAIT).await;
    let tailed = tail.wait_with_output().await.unwrap();
    assert!(tailed.status.success());
    let tailed = events(&tailed.stdout);
    assert!(tailed.iter().any(|e| e.kind.as_ref() == "order.executed"), "{tailed:?}");
    assert!(tailed.iter().any(|e| e.kind.as_ref() == "shop.closed"), "{tailed:?}");
}
