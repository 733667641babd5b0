//! Maxis memory: a shop in its own process (the `maxis` main linked into the bench binary, see
//! [`crate::process`]), its resident set read from `/proc/<pid>/status` (VmRSS) when idle and
//! after a load of orders.

use std::time::{Duration, Instant};

use subjects::Target;
use testkit::TestFleet;

use crate::control::{send_ok, shellia};
use crate::process::{shop_env, ShopProcess};
use crate::{stats, Figure};

/// Idle RSS, then RSS after `orders` config writes with 64 in flight and 20 `status` to `all`.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let orders = if quick { 2_000 } else { 10_000 };
    let fleet = TestFleet::start(&["m1"]).await?;
    let dir = tempfile::tempdir()?;
    let shop = ShopProcess::start(shop_env(&fleet, "m1", dir.path())?).await?;
    let shellia = shellia(&fleet).await?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = ["status".to_owned()];
    while send_ok(&shellia, "m1", &status, 1).await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "the maxis process did not answer within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = shop.rss_mb()?;

    let cpu = shop.cpu_seconds()?;
    let rate = stats::in_flight(0..orders, 64, |i| {
        let shellia = shellia.clone();
        async move {
            let words = ["config".to_owned(), "shop.name".to_owned(), format!("Shop {i}")];
            send_ok(&shellia, "m1", &words, 1).await
        }
    })
    .await?;
    let cpu_per_order = (shop.cpu_seconds()? - cpu) / orders as f64 * 1e6;
    for _ in 0..20 {
        send_ok(&shellia, &Target::All.to_string(), &status, 1).await?;
    }
    let loaded = shop.rss_mb()?;
    drop(shop);
    Ok(vec![
        Figure::new("maxis RSS", "idle (separate shop process, VmRSS)", idle, "MB").target("<= 30 MB", idle <= 30.0),
        Figure::new("maxis RSS", format!("after {orders} orders, 64 in flight"), loaded, "MB"),
        Figure::new("maxis RSS", "that load through the process", rate, "/s"),
        Figure::new("maxis RSS", "shop CPU per signed config order (64 in flight)", cpu_per_order, "µs"),
    ])
}
