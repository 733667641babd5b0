//! The fleet manifest and the identities' nkeys.
//!
//! A fleet lives in one directory (git-ignored; `.local/fleet` for `deploy/up`):
//! `fleet.toml` (the manifest), `keys/<identity>.nk` (nkey seeds, mode 0600), `nats.conf`
//! (the generated server config) and `jetstream/` (the broker's store).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use subjects::{Name, ShopId};

/// One shop and the groups it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopSpec {
    /// The shop id, e.g. `shop1`.
    pub id: ShopId,
    /// Groups, e.g. `["eu"]`.
    #[serde(default)]
    pub groups: Vec<Name>,
}

impl ShopSpec {
    /// Parses `shop1` or `shop1:eu,vip` (the CLI form).
    pub fn parse(input: &str) -> anyhow::Result<Self> {
        let (id, groups) = input.split_once(':').unwrap_or((input, ""));
        let id = Name::parse(id).with_context(|| format!("bad shop in {input:?}"))?;
        let groups = groups
            .split(',')
            .filter(|g| !g.is_empty())
            .map(|g| Name::parse(g).with_context(|| format!("bad group in {input:?}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { id, groups })
    }
}

/// Retention and redelivery settings of the streams and consumers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamSettings {
    /// How long orders are kept for audit, in seconds (default 30 days).
    pub control_max_age_secs: u64,
    /// De-duplication window of orders, in seconds: longer than any retry (default 1 day).
    pub control_dedupe_secs: u64,
    /// How long events are kept, in seconds (default 90 days).
    pub events_max_age_secs: u64,
    /// De-duplication window of events, in seconds (default 1 hour).
    pub events_dedupe_secs: u64,
    /// Most bytes the orders stream keeps (default 1 GiB); full, a new order is refused (never
    /// an old one dropped).
    pub control_max_bytes: i64,
    /// Most bytes of one stored order, headers included (default 128 KiB; an order's payload is
    /// at most 64 KiB).
    pub control_max_msg_size: i32,
    /// Most bytes the events stream keeps (default 2 GiB); full, the oldest events go first.
    /// Both streams together stay under the server's `max_file_store` (4 GB).
    pub events_max_bytes: i64,
    /// Most bytes of one stored event, headers included (default 132 KiB: the contract's 128 KiB
    /// event and room for headers). Larger messages are refused without being stored, so junk
    /// sent with a leaked credential costs the store nothing.
    pub events_max_msg_size: i32,
    /// Most bytes of events one shop may have stored within `shop_events_window_secs` (default
    /// 8 MiB, about 6,000 events: a drop sale of 1,000 purchases fits): its intake stream
    /// refuses more until the oldest are older than the window, so a leaked shop credential adds
    /// at most this much junk per window to `MAXIS_EVENTS`. The server reserves it from
    /// `max_file_store` for each shop: 128 shops fit beside the two streams' defaults; for a
    /// larger fleet lower it or raise `max_file_store` (docs/deployment.md).
    pub shop_events_max_bytes: i64,
    /// Most events one shop may have stored within `shop_events_window_secs` (default 20,000):
    /// a flood of tiny events is capped by count as well as by bytes.
    pub shop_events_max_msgs: i64,
    /// The window of a shop's events quota, in seconds (default 60). An event stays that long in
    /// the shop's intake stream; `MAXIS_EVENTS` sources it within milliseconds, and the window
    /// covers a leader election or a restart of the events stream's server.
    pub shop_events_window_secs: u64,
    /// Replicas of each stream: 1 for one server, 3 for a cluster.
    pub replicas: usize,
    /// Deliveries of one order before the broker gives up on it.
    pub max_deliver: i64,
    /// Waits between redeliveries of an unacknowledged order, in seconds. The first one is the
    /// time a shop has to ack (or send in-progress) before the order is redelivered.
    pub backoff_secs: Vec<u64>,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            control_max_age_secs: 30 * 86_400,
            control_dedupe_secs: 86_400,
            events_max_age_secs: 90 * 86_400,
            events_dedupe_secs: 3_600,
            control_max_bytes: 1 << 30,
            control_max_msg_size: 128 * 1024,
            events_max_bytes: 2 << 30,
            events_max_msg_size: (subjects::limits::MAX_EVENT_BYTES + subjects::limits::EVENT_HEADER_ROOM) as i32,
            shop_events_max_bytes: 8 << 20,
            shop_events_max_msgs: 20_000,
            shop_events_window_secs: 60,
            replicas: 1,
            max_deliver: 8,
            backoff_secs: vec![30, 60, 300, 900, 1_800, 3_600, 7_200],
        }
    }
}

impl StreamSettings {
    /// The backoff as durations.
    pub fn backoff(&self) -> Vec<Duration> {
        self.backoff_secs.iter().copied().map(Duration::from_secs).collect()
    }
}

/// The fleet manifest (`fleet.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Address the broker listens on, e.g. `127.0.0.1:4222`.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The shops.
    #[serde(default)]
    pub shops: Vec<ShopSpec>,
    /// Shellia identities (several Shellia may command one fleet).
    #[serde(default)]
    pub shellia: Vec<Name>,
    /// Read-only ops identities.
    #[serde(default)]
    pub ops: Vec<Name>,
    /// Streams and consumers.
    #[serde(default)]
    pub streams: StreamSettings,
    /// JetStream's `sync_interval`: unset keeps the server default (2 minutes: an ack is not an
    /// fsync), `always` fsyncs every message, or a duration such as `10s` (see docs/deployment.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_interval: Option<String>,
    /// TLS for client connections; unset, clients connect in plain text (loopback only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::server_config::TlsSpec>,
    /// A JetStream cluster instead of one server: one config per node (`nats-<node>.conf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<crate::cluster::ClusterSpec>,
}

fn default_listen() -> String {
    "127.0.0.1:4222".to_owned()
}

/// Who connects to the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Creates and updates streams and consumers; nothing else does.
    Provisioner,
    /// A Shellia instance: publishes orders to any target, reads replies and events.
    Shellia(Name),
    /// A Maxis instance: reads its own consumer, publishes its own replies and events.
    Shop(ShopSpec),
    /// Read-only: reads events.
    Ops(Name),
}

impl Identity {
    /// The key file stem, e.g. `shop-shop1`.
    pub fn key_name(&self) -> String {
        match self {
            Self::Provisioner => "provisioner".to_owned(),
            Self::Shellia(n) => format!("shellia-{n}"),
            Self::Shop(s) => format!("shop-{}", s.id),
            Self::Ops(n) => format!("ops-{n}"),
        }
    }

    /// The inbox prefix this identity must use (never `_INBOX`).
    pub fn inbox_prefix(&self) -> String {
        match self {
            Self::Provisioner => subjects::subject::provisioner_inbox(),
            Self::Shellia(n) => subjects::subject::shellia_inbox(n),
            Self::Shop(s) => subjects::subject::shop_inbox(&s.id),
            Self::Ops(n) => subjects::subject::ops_inbox(n),
        }
    }
}

/// A fleet directory: its manifest and its keys.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// The directory.
    pub dir: PathBuf,
    /// The manifest.
    pub manifest: Manifest,
}

impl Fleet {
    /// Creates or extends the fleet in `dir`: keeps what exists (keys are never replaced), adds
    /// the shops and identities given, then writes the manifest, the keys and the server config.
    /// Running it twice with the same arguments changes nothing.
    pub fn init(
        dir: &Path,
        listen: Option<&str>,
        shops: &[ShopSpec],
        shellia: &[Name],
        ops: &[Name],
    ) -> anyhow::Result<Self> {
        let mut fleet = match Self::load(dir) {
            Ok(f) => f,
            Err(_) if !dir.join("fleet.toml").exists() => Self {
                dir: dir.to_path_buf(),
                manifest: Manifest {
                    listen: default_listen(),
                    shops: Vec::new(),
                    shellia: Vec::new(),
                    ops: Vec::new(),
                    streams: StreamSettings::default(),
                    sync_interval: None,
                    tls: None,
                    cluster: None,
                },
            },
            Err(e) => return Err(e),
        };
        if let Some(listen) = listen {
            fleet.manifest.listen = listen.to_owned();
        }
        for shop in shops {
            fleet.upsert_shop(shop.clone());
        }
        for name in shellia {
            if !fleet.manifest.shellia.contains(name) {
                fleet.manifest.shellia.push(name.clone());
            }
        }
        for name in ops {
            if !fleet.manifest.ops.contains(name) {
                fleet.manifest.ops.push(name.clone());
            }
        }
        fleet.save()?;
        Ok(fleet)
    }

    /// Loads an existing fleet directory.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("fleet.toml");
        let text = fs::read_to_string(&path).with_context(|| {
            format!("no fleet at {}: run `broker init --dir {}` first", path.display(), dir.display())
        })?;
        let manifest: Manifest = toml::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
        let fleet = Self { dir: dir.to_path_buf(), manifest };
        fleet.validate()?;
        Ok(fleet)
    }

    /// Adds a shop, or changes the groups of an existing one.
    pub fn upsert_shop(&mut self, shop: ShopSpec) {
        match self.manifest.shops.iter_mut().find(|s| s.id == shop.id) {
            Some(existing) => *existing = shop,
            None => self.manifest.shops.push(shop),
        }
    }

    /// The shop with this id.
    pub fn shop(&self, id: &ShopId) -> Option<&ShopSpec> {
        self.manifest.shops.iter().find(|s| &s.id == id)
    }

    /// A shop name and a group name share the target namespace, so they must never collide.
    pub fn validate(&self) -> anyhow::Result<()> {
        let shops: BTreeSet<&Name> = self.manifest.shops.iter().map(|s| &s.id).collect();
        if shops.len() != self.manifest.shops.len() {
            bail!("a shop id appears twice in fleet.toml");
        }
        for shop in &self.manifest.shops {
            if let Some(g) = shop.groups.iter().find(|g| shops.contains(g)) {
                bail!("group {g} of shop {} is also a shop id: targets would be ambiguous", shop.id);
            }
        }
        if self.manifest.streams.max_deliver <= self.manifest.streams.backoff_secs.len() as i64 {
            bail!("streams.max_deliver must be greater than the number of backoff_secs entries");
        }
        let replicas = self.manifest.streams.replicas;
        match &self.manifest.cluster {
            Some(cluster) => {
                cluster.validate()?;
                if replicas == 0 || replicas > cluster.nodes.len() {
                    bail!("streams.replicas = {replicas} but the cluster has {} nodes", cluster.nodes.len());
                }
            }
            None if replicas > 1 => {
                bail!("streams.replicas = {replicas} needs a [cluster]: one server keeps one replica (set it to 1)")
            }
            None => {}
        }
        if let Some(interval) = &self.manifest.sync_interval {
            crate::server_config::check_sync_interval(interval)?;
        }
        Ok(())
    }

    /// Every identity of the fleet, provisioner first.
    pub fn identities(&self) -> Vec<Identity> {
        let m = &self.manifest;
        let mut out = vec![Identity::Provisioner];
        out.extend(m.shellia.iter().cloned().map(Identity::Shellia));
        out.extend(m.shops.iter().cloned().map(Identity::Shop));
        out.extend(m.ops.iter().cloned().map(Identity::Ops));
        out
    }

    /// Path of an identity's seed file.
    pub fn key_path(&self, identity: &Identity) -> PathBuf {
        self.dir.join("keys").join(format!("{}.nk", identity.key_name()))
    }

    /// Path of the generated server config.
    pub fn server_config_path(&self) -> PathBuf {
        self.dir.join("nats.conf")
    }

    /// Path of the broker's pid file (written by nats-server).
    pub fn pid_path(&self) -> PathBuf {
        self.dir.join("nats.pid")
    }

    /// Path of a cluster node's generated config.
    pub fn node_config_path(&self, node: &crate::cluster::NodeSpec) -> PathBuf {
        self.dir.join(format!("nats-{}.conf", node.name))
    }

    /// Path of a cluster node's pid file.
    pub fn node_pid_path(&self, node: &crate::cluster::NodeSpec) -> PathBuf {
        self.dir.join(format!("nats-{}.pid", node.name))
    }

    /// The pid files of every server of the fleet: each node of the cluster, or the one broker.
    pub fn pid_paths(&self) -> Vec<PathBuf> {
        match &self.manifest.cluster {
            Some(cluster) => cluster.nodes.iter().map(|n| self.node_pid_path(n)).collect(),
            None => vec![self.pid_path()],
        }
    }

    /// The URL setting clients use (`nats.url`): every node, comma-separated, for a cluster;
    /// `tls://` when the fleet has TLS.
    pub fn client_urls(&self) -> String {
        let scheme = if self.manifest.tls.is_some() { "tls" } else { "nats" };
        match &self.manifest.cluster {
            Some(cluster) => cluster.client_urls(scheme),
            None => format!("{scheme}://{}", self.manifest.listen),
        }
    }

    /// Path of the cluster's route password (mode 0600).
    pub fn route_secret_path(&self) -> PathBuf {
        self.dir.join("keys").join("cluster-route.secret")
    }

    /// The cluster's route password.
    pub fn route_password(&self) -> anyhow::Result<String> {
        let path = self.route_secret_path();
        let text = fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(text.trim().to_owned())
    }

    /// The nkey seed of an identity.
    pub fn seed(&self, identity: &Identity) -> anyhow::Result<String> {
        let path = self.key_path(identity);
        let seed = fs::read_to_string(&path).with_context(|| format!("cannot read the seed {}", path.display()))?;
        Ok(seed.trim().to_owned())
    }

    /// The public key of an identity.
    pub fn public_key(&self, identity: &Identity) -> anyhow::Result<String> {
        let pair = nkeys::KeyPair::from_seed(&self.seed(identity)?).context("invalid nkey seed")?;
        Ok(pair.public_key())
    }

    /// Writes the manifest, any missing key and the server config.
    pub fn save(&self) -> anyhow::Result<()> {
        self.validate()?;
        fs::create_dir_all(self.dir.join("keys")).with_context(|| format!("cannot create {}", self.dir.display()))?;
        let text = toml::to_string_pretty(&self.manifest).context("cannot write the manifest")?;
        write_atomic(&self.dir.join("fleet.toml"), text.as_bytes(), 0o644)?;
        for identity in self.identities() {
            let path = self.key_path(&identity);
            if !path.exists() {
                let seed = nkeys::KeyPair::new_user().seed().context("cannot create an nkey")?;
                write_atomic(&path, format!("{seed}\n").as_bytes(), 0o600)?;
            }
        }
        let Some(cluster) = &self.manifest.cluster else {
            let config = crate::server_config::render(self)?;
            return write_atomic(&self.server_config_path(), config.as_bytes(), 0o644);
        };
        // A cluster's fleet has no single-server config: a stale one (from before `--cluster`)
        // would start a lone server that cannot hold the R3 streams.
        match fs::remove_file(self.server_config_path()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", self.server_config_path().display()))
            }
            _ => {}
        }
        {
            if !self.route_secret_path().exists() {
                let password = crate::cluster::new_route_password();
                write_atomic(&self.route_secret_path(), format!("{password}\n").as_bytes(), 0o600)?;
            }
            for node in &cluster.nodes {
                let config = crate::server_config::render_node(self, node)?;
                // The route password is in it: readable by the broker's user only.
                write_atomic(&self.node_config_path(node), config.as_bytes(), 0o600)?;
            }
        }
        Ok(())
    }
}

/// Writes a file through a temporary sibling and a rename, so readers never see half a file.
fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
