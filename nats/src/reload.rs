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

/// Waits until the broker accepts `identity`'s credentials (the reload is asynchronous).
pub async fn wait_until_accepted(
    fleet: &Fleet,
    identity: &Identity,
    url: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    let seed = fleet.seed(identity)?;
    let deadline = Instant::now() + timeout;
    loop {
        let attempt = crate::connect::options(&seed, &identity.inbox_prefix(), "reload-check", None).connect(url).await;
        match attempt {
            Ok(client) => {
                drop(client);
                return Ok(());
            }
            Err(e) if Instant::now() > deadline => {
                bail!("the broker at {url} still refuses {}: {e}", identity.key_name())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
