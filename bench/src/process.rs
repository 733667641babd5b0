//! A shop in its own process, so its memory and CPU time are its own: the bench binary runs
//! itself with [`SHOP_ARG`], which starts Maxis exactly as the `maxis` binary does (settings from
//! `MAXIS_*` variables, the same `Application`). Built with the bench, nothing is compiled during
//! a run.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use maxis::configuration::Settings;
use maxis::startup::{shutdown_signal, Application};
use testkit::TestFleet;

/// The first argument that makes the bench binary a shop.
pub const SHOP_ARG: &str = "--as-maxis-shop";

/// The child's entry point: the `maxis` binary's `main`, linked into the bench.
pub fn shop_main() -> std::process::ExitCode {
    broker::connect::run_main(run_shop())
}

async fn run_shop() -> anyhow::Result<()> {
    maxis::telemetry::init("maxis=warn,warn");
    let settings = Settings::load(None)?;
    let app = Application::build(settings).await?;
    let exit = app.run_until_stopped(shutdown_signal()).await?;
    std::process::exit(exit.code())
}

/// A running shop process, killed on drop.
pub struct ShopProcess {
    child: Child,
    /// Its HTTP address (`/metrics`, `/stripe/webhook`).
    pub http: SocketAddr,
}

impl Drop for ShopProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment of shop `id` of `fleet`, with its database in `dir`; callers add more.
pub fn shop_env(fleet: &TestFleet, id: &str, dir: &std::path::Path) -> anyhow::Result<BTreeMap<String, String>> {
    let pairs = [
        ("MAXIS_SHOP__ID", id.to_owned()),
        ("MAXIS_NATS__URL", fleet.url().to_owned()),
        ("MAXIS_NATS__SEED", fleet.fleet.seed(&fleet.shop(id))?),
        ("MAXIS_DATABASE__PATH", dir.join(format!("{id}.db")).display().to_string()),
        ("MAXIS_SECURITY__SHELLIA_KEYS", fleet.fleet.public_key(&fleet.shellia())?),
    ];
    Ok(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

impl ShopProcess {
    /// Starts a shop with `env` (and a free HTTP port) and waits until its `/healthz` answers.
    pub async fn start(mut env: BTreeMap<String, String>) -> anyhow::Result<Self> {
        let http = free_port()?;
        env.insert("MAXIS_HTTP__LISTEN".into(), http.to_string());
        // A run may try the shop with another log filter or number of runtime threads.
        for key in ["RUST_LOG", "TOKIO_WORKER_THREADS"] {
            if let Ok(value) = std::env::var(key) {
                env.insert(key.into(), value);
            }
        }
        let child = Command::new(std::env::current_exe()?)
            .arg(SHOP_ARG)
            .env_clear()
            .envs(&env)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("Failed to start the shop process")?;
        let shop = Self { child, http };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(http).await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "the shop process did not serve HTTP within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(shop)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time (user + system) the process has used so far, in seconds.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        cpu_seconds(self.pid())
    }

    /// Its resident set (VmRSS), in MB.
    pub fn rss_mb(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .context("no VmRSS")?
            .parse()?;
        Ok(kb / 1024.0)
    }
}

/// CPU time (utime + stime of `/proc/<pid>/stat`, every thread, exited ones included) in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = stat.rsplit_once(')').context("bad /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        fields.get(11).context("no utime")?.parse::<f64>()? + fields.get(12).context("no stime")?.parse::<f64>()?;
    Ok(ticks / clock_ticks())
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// A free local port (bound, read, released).
fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}
