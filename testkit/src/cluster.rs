//! A three-node JetStream cluster on loopback, loading the fleet's generated per-node configs.
//!
//! Client ports are dynamic (`-p -1`, read back from `--ports_file_dir`, as for one server).
//! Route and monitoring ports are written into the configs, so they are chosen before the
//! start: free ports are found by binding `127.0.0.1:0` and releasing them, and when another
//! process takes one in between (the node then fails with "address already in use") the whole
//! cluster is started again on new ports.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use anyhow::{bail, Context};
use async_nats::jetstream;
use async_nats::Client;
use broker::cluster::{ClusterSpec, NodeSpec};
use broker::fleet::{Fleet, Identity, ShopSpec, StreamSettings};

use crate::fleet::name;
use crate::server::NatsServer;

/// One node: its spec (name, route and monitoring ports) and its process.
struct Node {
    spec: NodeSpec,
    server: NatsServer,
}

/// A provisioned fleet on a three-node JetStream cluster with R3 streams and consumers.
pub struct NatsCluster {
    /// The fleet directory and manifest (`[cluster]` filled in, `streams.replicas = 3`).
    pub fleet: Fleet,
    nodes: Vec<Node>,
    _dir: tempfile::TempDir,
}

const ATTEMPTS: usize = 5;

impl NatsCluster {
    /// Starts three nodes with the given shops (`"shop1:eu"`), Shellia `admin` and ops `ops`,
    /// then provisions the streams and consumers with three replicas (retried until the
    /// cluster has elected its meta leader).
    pub async fn start(shops: &[&str]) -> anyhow::Result<Self> {
        Self::start_with(shops, StreamSettings { replicas: 3, ..StreamSettings::default() }).await
    }

    /// [`Self::start`] with the given stream and consumer settings (e.g. a short backoff);
    /// `replicas` is what the streams get.
    pub async fn start_with(shops: &[&str], streams: StreamSettings) -> anyhow::Result<Self> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            match Self::try_start(shops, &streams) {
                Ok(cluster) => {
                    cluster.provision().await?;
                    return Ok(cluster);
                }
                Err(e) if format!("{e:#}").contains("address already in use") => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last
            .unwrap_or_else(|| anyhow::anyhow!("no attempt made"))
            .context(format!("the cluster's ports were taken {ATTEMPTS} times in a row")))
    }

    fn try_start(shops: &[&str], streams: &StreamSettings) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("cluster-test-").tempdir()?;
        let shops = shops.iter().map(|s| ShopSpec::parse(s)).collect::<anyhow::Result<Vec<_>>>()?;
        let mut fleet = Fleet::init(dir.path(), None, &shops, &[name("admin")], &[name("ops")])?;
        let ports = free_ports(9)?;
        let nodes = (0..3)
            .map(|i| NodeSpec {
                name: format!("n{}", i + 1),
                // Overridden by `-p -1`; unique so that the manifest validates.
                listen: format!("127.0.0.1:{}", ports[i]),
                route: format!("127.0.0.1:{}", ports[3 + i]),
                monitor: Some(format!("127.0.0.1:{}", ports[6 + i])),
            })
            .collect();
        fleet.manifest.cluster = Some(ClusterSpec { name: "maxis-test".to_owned(), nodes });
        fleet.manifest.streams = streams.clone();
        fleet.save()?;
        let specs = fleet.manifest.cluster.as_ref().map(|c| c.nodes.clone()).unwrap_or_default();
        let mut nodes = Vec::new();
        for spec in specs {
            let server = NatsServer::start(&fleet.node_config_path(&spec))
                .with_context(|| format!("cannot start cluster node {}", spec.name))?;
            nodes.push(Node { spec, server });
        }
        Ok(Self { fleet, nodes, _dir: dir })
    }

    async fn provision(&self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        // `/healthz` answers 200 once the node's JetStream is up and follows a meta leader: asking
        // before that costs a JetStream API timeout per attempt.
        for node in &self.nodes {
            while self.health(&node.spec).await != 200 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        loop {
            let attempt = async {
                let js = jetstream::new(self.connect(&Identity::Provisioner).await?);
                broker::provision::provision(&js, &self.fleet).await
            };
            match attempt.await {
                Ok(_) => return Ok(()),
                Err(e) if tokio::time::Instant::now() > deadline => {
                    return Err(e.context(format!("the cluster never accepted the streams; logs:\n{}", self.logs())))
                }
                // "JetStream system temporarily unavailable" until the meta leader is elected.
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    /// Every node's client URL, comma-separated: the `nats.url` setting of Maxis and Shellia.
    pub fn urls(&self) -> String {
        self.nodes.iter().map(|n| n.server.url().to_owned()).collect::<Vec<_>>().join(",")
    }

    /// The client URL of node `name` alone.
    pub fn node_url(&self, name: &str) -> anyhow::Result<String> {
        let node = self.nodes.iter().find(|n| n.spec.name == name).with_context(|| format!("no node {name}"))?;
        Ok(node.server.url().to_owned())
    }

    /// Connects as `identity` to any node (every node's URL is given).
    pub async fn connect(&self, identity: &Identity) -> anyhow::Result<Client> {
        broker::connect::connect_identity(&self.fleet, identity, &self.urls(), &identity.key_name()).await
    }

    /// Settings of shop `id` with its database in `dir`, loaded as the `maxis` binary loads them
    /// (its base settings, then a settings file) with every node's URL in `nats.url`.
    pub fn shop_settings(&self, id: &str, dir: &std::path::Path) -> anyhow::Result<maxis::configuration::Settings> {
        let shop = self.fleet.shop(&name(id)).cloned().with_context(|| format!("no shop {id} in the fleet"))?;
        let file = dir.join(format!("{id}.toml"));
        let text = format!(
            "[shop]\nid = {id:?}\n[nats]\nurl = {urls:?}\nseed_file = {seed:?}\n[database]\npath = {db:?}\n\
             [security]\nshellia_keys = [{key:?}]\n[http]\nlisten = \"127.0.0.1:0\"\n",
            urls = self.urls(),
            seed = self.fleet.key_path(&Identity::Shop(shop)).display().to_string(),
            db = dir.join(format!("{id}.db")).display().to_string(),
            key = self.fleet.public_key(&Identity::Shellia(name("admin")))?,
        );
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
        maxis::configuration::Settings::load(Some(&file))
    }

    /// The names of the nodes, `n1`, `n2`, `n3`.
    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.spec.name.clone()).collect()
    }

    /// The node currently leading `stream` (its raft group), as the stream info reports it.
    pub async fn stream_leader(&self, stream: &str) -> anyhow::Result<String> {
        let js = jetstream::new(self.connect(&Identity::Provisioner).await?);
        let mut stream = js.get_stream(stream).await.context("cannot open the stream")?;
        let info = stream.info().await.context("cannot read the stream info")?;
        info.cluster.as_ref().and_then(|c| c.leader.clone()).context("the stream has no leader right now")
    }

    /// The node currently leading `consumer` of `stream`.
    pub async fn consumer_leader(&self, stream: &str, consumer: &str) -> anyhow::Result<String> {
        let js = jetstream::new(self.connect(&Identity::Provisioner).await?);
        let mut consumer: jetstream::consumer::PullConsumer =
            js.get_consumer_from_stream(consumer, stream).await.context("cannot open the consumer")?;
        let info = consumer.info().await.context("cannot read the consumer info")?;
        info.cluster.as_ref().and_then(|c| c.leader.clone()).context("the consumer has no leader right now")
    }

    /// Kills node `name` (SIGKILL: no clean shutdown); it stays down until [`Self::restart`].
    pub fn kill(&mut self, name: &str) -> anyhow::Result<()> {
        let node = self.node_mut(name)?;
        let status = std::process::Command::new("kill").args(["-KILL", &node.server.pid().to_string()]).status()?;
        anyhow::ensure!(status.success(), "kill -KILL {} failed", node.server.pid());
        Ok(())
    }

    /// Starts node `name` again on its client port with its store as the kill left it.
    pub fn restart(&mut self, name: &str) -> anyhow::Result<()> {
        let node = self.node_mut(name)?;
        node.server.restart()?;
        Ok(())
    }

    /// The last sequence of `stream` in node `name`'s own replica, read from its monitoring
    /// endpoint (`/jsz`): each node reports its local store, not the leader's view. `None`
    /// while the node does not hold the stream yet.
    pub async fn node_last_seq(&self, name: &str, stream: &str) -> anyhow::Result<Option<u64>> {
        let node = self.nodes.iter().find(|n| n.spec.name == name).with_context(|| format!("no node {name}"))?;
        let monitor: SocketAddr = node
            .spec
            .monitor
            .as_deref()
            .context("the node has no monitoring port")?
            .parse()
            .context("bad monitoring address")?;
        let (status, body) = crate::shop::http_get(monitor, "/jsz?accounts=true&streams=true").await;
        anyhow::ensure!(status == 200, "/jsz answered {status}: {body}");
        let jsz: serde_json::Value = serde_json::from_str(&body).context("unreadable /jsz")?;
        let streams = jsz["account_details"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| a["stream_detail"].as_array().cloned().unwrap_or_default());
        Ok(streams.into_iter().find(|s| s["name"] == stream).and_then(|s| s["state"]["last_seq"].as_u64()))
    }

    /// The status of a node's `/healthz` (0 when it does not answer).
    async fn health(&self, node: &NodeSpec) -> u16 {
        let Some(Ok(addr)) = node.monitor.as_deref().map(str::parse::<SocketAddr>) else { return 0 };
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return 0;
        }
        crate::shop::http_get(addr, "/healthz").await.0
    }

    /// Every node's log, for failure messages.
    pub fn logs(&self) -> String {
        self.nodes.iter().map(|n| format!("---- {} ----\n{}", n.spec.name, n.server.log())).collect()
    }

    fn node_mut(&mut self, name: &str) -> anyhow::Result<&mut Node> {
        match self.nodes.iter_mut().find(|n| n.spec.name == name) {
            Some(node) => Ok(node),
            None => bail!("no node {name} in the cluster"),
        }
    }
}

/// `n` distinct free loopback ports: all bound at once (so they differ), then released.
fn free_ports(n: usize) -> anyhow::Result<Vec<u16>> {
    let listeners =
        (0..n).map(|_| TcpListener::bind("127.0.0.1:0")).collect::<Result<Vec<_>, _>>().context("no free port")?;
    listeners.iter().map(|l| Ok(l.local_addr()?.port())).collect()
}
