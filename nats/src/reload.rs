//! Reloading a running broker after the fleet changed.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::fleet::{Fleet, Identity};

/// Sends SIGHUP to the nats-server whose pid is in `pid_file`: it re-reads its config (users and
/// permissions) without dropping any connection.
pub fn signal(pid_file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(pid_file)
        .with_context(|| format!("no running broker: cannot read {} (is `deploy/up` running?)", pid_file.display()))?;
    let pid: i32 = text.trim().parse().with_context(|| format!("{} holds no pid", pid_file.display()))?;
    kill(Pid::from_raw(pid), Signal::SIGHUP).with_context(|| format!("cannot signal the broker (pid {pid})"))?;
    Ok(())
}

/// Sends SIGHUP to every server of the fleet whose pid file is on this machine (each node of a
/// local cluster): all of them must know a new key before its owner connects to any of them.
/// Returns how many were signalled; nodes on other machines are reloaded there
/// (`systemctl reload nats-server`). Fails when none runs here.
pub fn signal_all(fleet: &Fleet) -> anyhow::Result<usize> {
    let local: Vec<_> = fleet.pid_paths().into_iter().filter(|p| p.exists()).collect();
    if local.is_empty() {
        // Reports the first expected pid file and what to do.
        signal(&fleet.pid_paths()[0])?;
    }
    for pid_file in &local {
        signal(pid_file)?;
    }
    Ok(local.len())
}

/// Waits until the broker accepts `identity`'s credentials (the reload is asynchronous).
pub async fn wait_until_accepted(
    fleet: &Fleet,
    identity: &Identity,
    url: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let attempt = crate::connect::connect_identity(fleet, identity, url, "reload-check").await;
        match attempt {
            Ok(client) => {
                drop(client);
                return Ok(());
            }
            Err(e) if Instant::now() > deadline => {
                bail!("the broker at {url} still refuses {}: {e:#}", identity.key_name())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Adds (or regroups) a shop in a running fleet: manifest, key and config, a config reload of
/// the running broker (no restart, no dropped connection), a check that the broker accepts the
/// new key, then the shop's events intake (sourced by the events stream) and its consumer,
/// created by the provisioning identity.
pub async fn add_shop(
    fleet: &mut Fleet,
    spec: crate::ShopSpec,
    url: &str,
) -> anyhow::Result<Vec<crate::provision::Step>> {
    fleet.upsert_shop(spec.clone());
    fleet.save()?;
    signal_all(fleet)?;
    let identity = Identity::Shop(spec.clone());
    wait_until_accepted(fleet, &identity, url, Duration::from_secs(10)).await?;
    let client = crate::connect::connect_identity(fleet, &Identity::Provisioner, url, "provisioner").await?;
    let js = async_nats::jetstream::new(client);
    crate::provision::ensure_shop(&js, fleet, &spec).await
}
