//! Maxis memory: a separately spawned `maxis` binary (release), its resident set read from
//! `/proc/<pid>/status` (VmRSS) when idle and after a load of orders.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use subjects::Target;
use testkit::TestFleet;

use crate::control::{send_ok, shellia};
use crate::{stats, Figure};

/// The `maxis` binary next to this one, built (or found up to date) by cargo first.
fn maxis_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("no directory for the bench binary")?;
    let release = dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build.args(["build", "-q", "-p", "bench", "-p", "maxis", "--bins"]);
    if release {
        build.arg("--release");
    }
    let status = build.status().context("Failed to run cargo to build maxis")?;
    anyhow::ensure!(status.success(), "cargo could not build maxis");
    Ok(dir.join("maxis"))
}

/// VmRSS of `pid`, in MB.
fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .context("no VmRSS")?
        .parse()?;
    Ok(kb / 1024.0)
}

/// Kills the shop process on drop.
struct Shop(Child);

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Idle RSS, then RSS after `orders` config writes with 64 in flight and 20 `status` to `all`.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let orders = if quick { 2_000 } else { 10_000 };
    let binary = maxis_binary()?;
    let fleet = TestFleet::start(&["m1"]).await?;
    let dir = tempfile::tempdir()?;
    let shop = Shop(
        Command::new(&binary)
            .env_clear()
            .env("MAXIS_SHOP__ID", "m1")
            .env("MAXIS_NATS__URL", fleet.url())
            .env("MAXIS_NATS__SEED", fleet.fleet.seed(&fleet.shop("m1"))?)
            .env("MAXIS_DATABASE__PATH", dir.path().join("m1.db"))
            .env("MAXIS_SECURITY__SHELLIA_KEYS", fleet.fleet.public_key(&fleet.shellia())?)
            .env("MAXIS_HTTP__LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("Failed to start {}", binary.display()))?,
    );
    let pid = shop.0.id();
    let shellia = shellia(&fleet).await?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = ["status".to_owned()];
    while send_ok(&shellia, "m1", &status, 1).await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "the maxis process did not answer within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = rss_mb(pid)?;

    let rate = stats::in_flight(0..orders, 64, |i| {
        let shellia = shellia.clone();
        async move {
            let words = ["config".to_owned(), "shop.name".to_owned(), format!("Shop {i}")];
            send_ok(&shellia, "m1", &words, 1).await
        }
    })
    .await?;
    for _ in 0..20 {
        send_ok(&shellia, &Target::All.to_string(), &status, 1).await?;
    }
    let loaded = rss_mb(pid)?;
    drop(shop);
    Ok(vec![
        Figure::new("maxis RSS", "idle (separate `maxis` process, VmRSS)", idle, "MB").target("<= 30 MB", idle <= 30.0),
        Figure::new("maxis RSS", format!("after {orders} orders, 64 in flight"), loaded, "MB"),
        Figure::new("maxis RSS", "that load through the process", rate, "/s"),
    ])
}
