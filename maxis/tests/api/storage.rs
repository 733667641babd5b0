//! Storage failures seen and survived: a database made read-only, and a full disk, for 20 s while
//! 50 orders arrive. The shop's database lives on a small tmpfs of its own, so the test breaks
//! the real file system under a running shop: `chattr +i` makes the files immutable (root ignores
//! permission bits, not that flag), and a filler file takes every free byte of the tmpfs.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::Arc;
use std::time::{Duration, Instant};

use subjects::params::ConfigParams;
use subjects::{Command, Order, OrderId};
use testkit::shop::{http_get, settings, spawn_with_members, RecordingMembers};
use testkit::TestFleet;

use crate::helpers::{events, publish_signed, wait_for_event};

/// How long storage stays broken.
const OUTAGE: Duration = Duration::from_secs(20);

/// Orders that arrive meanwhile.
const ORDERS: usize = 50;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, mib: u32) -> Self {
        std::fs::create_dir_all(path).unwrap();
        let status = Process::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(path)
            .status()
            .expect("mount runs");
        assert!(status.success(), "this test mounts a tmpfs for the shop's database: it needs root (CAP_SYS_ADMIN)");
        Self(path.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Process::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn chattr(flag: &str, data: &Path) {
    for name in ["shop1.db", "shop1.db-wal", "shop1.db-shm"] {
        let status = Process::new("chattr").arg(flag).arg(data.join(name)).status().expect("chattr runs");
        assert!(status.success(), "chattr {flag} {name} (needs CAP_LINUX_IMMUTABLE)");
    }
}

/// Fills the file system holding `data` to its last byte.
fn fill(data: &Path) {
    let mut filler = std::fs::File::create(data.join("filler")).unwrap();
    for chunk in [1 << 20, 4096, 1] {
        let block = vec![0u8; chunk];
        while filler.write_all(&block).is_ok() {}
    }
    let _ = filler.sync_all();
}

async fn health(app: std::net::SocketAddr) -> (u16, serde_json::Value) {
    let (status, body) = http_get(app, "/healthz").await;
    (status, serde_json::from_str(&body).unwrap_or_default())
}

/// Waits (at most `within`) until `probe` holds.
async fn until<F, Fut>(within: Duration, what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !probe().await {
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `order.executed` events per order id.
async fn executed(fleet: &TestFleet) -> HashMap<OrderId, usize> {
    let mut counts = HashMap::new();
    for event in events(fleet).await.into_iter().filter(|e| e.kind.as_ref() == "order.executed") {
        if let Some(id) = event.order_id {
            *counts.entry(id).or_default() += 1;
        }
    }
    counts
}

/// Breaks storage under a running shop for [`OUTAGE`] while [`ORDERS`] orders arrive, repairs
/// it, and checks what the shop said and did. Returns the time from repair to the last order
/// executed.
async fn outage(fault: &str, break_it: impl FnOnce(&Path), repair: impl FnOnce(&Path)) -> Duration {
    if std::env::var_os("TEST_LOG").is_some() {
        maxis::telemetry::init("maxis=debug,info");
    }
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let _tmpfs = Tmpfs::mount(&data, 64);
    let members = Arc::new(RecordingMembers::default());
    let app = spawn_with_members(settings(&fleet, "shop1", &data.join("shop1.db")), members.clone()).await;
    assert_eq!(health(app.http).await.0, 200);

    break_it(&data);
    let broken = Instant::now();
    until(Duration::from_secs(10), "/healthz says 503", || async { health(app.http).await.0 == 503 }).await;
    let (_, body) = health(app.http).await;
    assert_eq!((body["database"].as_bool(), body["storage_fault"].as_str()), (Some(false), Some(fault)), "{body}");
    let mut sent = Vec::new();
    for i in 0..ORDERS {
        let value = Some(format!("Shop {i}"));
        let order = Order::new(Command::Config(ConfigParams { key: "shop.name".into(), value }), "shellia:admin");
        publish_signed(&fleet, "maxis.shop1.control.config", order.to_json()).await;
        sent.push(order.id);
        tokio::time::sleep(OUTAGE.saturating_sub(broken.elapsed()) / 2 / u32::try_from(ORDERS).unwrap()).await;
    }
    tokio::time::sleep(OUTAGE.saturating_sub(broken.elapsed())).await;
    let during = executed(&fleet).await;
    assert!(sent.iter().all(|id| !during.contains_key(id)), "no order ran while the database could not commit");
    assert_eq!(health(app.http).await.0, 503, "still unhealthy after {OUTAGE:?}");
    let notes = members.admin_notes.lock().unwrap().clone();
    assert!(notes.iter().any(|n| n.contains("cannot write its database")), "admins told: {notes:?}");
    let (_, metrics) = http_get(app.http, "/metrics").await;
    assert!(metrics.contains("maxis_storage_degraded 1"), "{metrics}");
    let degraded = wait_for_event(&fleet, |e| e.kind.as_ref() == "shop.degraded").await;
    assert_eq!(degraded.data["fault"], fault);

    repair(&data);
    let repaired = Instant::now();
    let deadline = repaired + Duration::from_secs(60);
    let counts = loop {
        let counts = executed(&fleet).await;
        if sent.iter().all(|id| counts.contains_key(id)) {
            break counts;
        }
        assert!(Instant::now() < deadline, "every held order executed within 60 s of recovery");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let recovery = repaired.elapsed();

    assert!(sent.iter().all(|id| counts[id] == 1), "each order executed exactly once");
    let recovered = wait_for_event(&fleet, |e| e.kind.as_ref() == "shop.recovered").await;
    assert_eq!(recovered.data["fault"], fault);
    assert!(recovered.data["held_orders"].as_u64() >= Some(u64::try_from(ORDERS).unwrap()), "{:?}", recovered.data);
    until(Duration::from_secs(10), "/healthz says 200 again", || async { health(app.http).await.0 == 200 }).await;
    let notes = members.admin_notes.lock().unwrap().clone();
    assert!(notes.iter().any(|n| n.contains("writes its database again")), "admins told: {notes:?}");
    assert!(http_get(app.http, "/metrics").await.1.contains("maxis_storage_degraded 0"));
    app.stop().await;
    eprintln!("{fault}: {ORDERS} held orders all executed {recovery:?} after storage came back");
    recovery
}

#[tokio::test]
async fn a_database_read_only_for_20_s_holds_50_orders_and_runs_each_once_when_writable_again() {
    outage("read_only", |data| chattr("+i", data), |data| chattr("-i", data)).await;
}

#[tokio::test]
async fn a_full_disk_for_20_s_holds_50_orders_and_runs_each_once_when_space_is_back() {
    outage("full", fill, |data| std::fs::remove_file(data.join("filler")).unwrap()).await;
}
