//! A JetStream cluster of nats-servers carrying one fleet (`[cluster]` in `fleet.toml`).
//!
//! Every node loads the same authorization block (the fleet's nkeys) and its own small part:
//! its `server_name`, client address, route address, store directory and the routes to the
//! other nodes. Routes authenticate with a generated password (`keys/cluster-route.secret`,
//! mode 0600), so nothing but the fleet's own nodes can join the cluster. Streams and shop
//! consumers are then created with three replicas (`streams.replicas = 3`): an acknowledged
//! order is held by a majority of the nodes before the publisher gets its ack.

use anyhow::{bail, ensure};
use serde::{Deserialize, Serialize};

/// The cluster's nodes and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// The cluster name, the same on every node (e.g. `maxis`).
    pub name: String,
    /// The nodes, each with its own addresses.
    pub nodes: Vec<NodeSpec>,
}

/// One node of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSpec {
    /// Its `server_name`, unique in the cluster (e.g. `n1`); also names its config
    /// (`nats-n1.conf`), pid file and store directory (`jetstream/n1`).
    pub name: String,
    /// Where clients connect, `host:port` (e.g. `127.0.0.1:4222`).
    pub listen: String,
    /// Where the other nodes connect (the cluster route), `host:port` (e.g. `127.0.0.1:6222`).
    pub route: String,
    /// The monitoring endpoint (`/healthz`, `/jsz`), `host:port`; keep it off public interfaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<String>,
}

/// The route user every node presents to the others.
pub const ROUTE_USER: &str = "maxis-route";

impl ClusterSpec {
    /// `size` nodes `n1`, `n2`, … on `host`, with client ports from `client_port` and route
    /// ports from `route_port` upwards, monitoring on `127.0.0.1` from port 8222 (one machine;
    /// for several machines edit `fleet.toml`).
    pub fn local(size: usize, host: &str, client_port: u16, route_port: u16) -> anyhow::Result<Self> {
        ensure!(size >= 3, "a JetStream cluster needs at least 3 nodes to survive losing one (asked for {size})");
        let port = |base: u16, i: usize| -> anyhow::Result<u16> {
            u16::try_from(usize::from(base) + i).map_err(|_| anyhow::anyhow!("port {base} + {i} is past 65535"))
        };
        let nodes = (0..size)
            .map(|i| {
                Ok(NodeSpec {
                    name: format!("n{}", i + 1),
                    listen: format!("{host}:{}", port(client_port, i)?),
                    route: format!("{host}:{}", port(route_port, i)?),
                    monitor: Some(format!("127.0.0.1:{}", port(8222, i)?)),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { name: "maxis".to_owned(), nodes })
    }

    /// Node names and addresses must be unique, and a cluster has at least 3 nodes.
    pub fn validate(&self) -> anyhow::Result<()> {
        ensure!(
            self.nodes.len() >= 3,
            "[cluster] has {} node(s): JetStream needs at least 3 to keep a majority when one is down",
            self.nodes.len()
        );
        ensure!(is_token(&self.name), "cluster name {:?} must be letters, digits, `-` or `_`", self.name);
        let mut seen = std::collections::BTreeSet::new();
        for node in &self.nodes {
            ensure!(is_token(&node.name), "node name {:?} must be letters, digits, `-` or `_`", node.name);
            for value in
                [Some(&node.name), Some(&node.listen), Some(&node.route), node.monitor.as_ref()].into_iter().flatten()
            {
                if !seen.insert(value.as_str()) {
                    bail!("{value:?} appears twice in [cluster]: every node needs its own name and addresses");
                }
            }
        }
        Ok(())
    }

    /// The node named `name`.
    pub fn node(&self, name: &str) -> Option<&NodeSpec> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Every node's client URL, comma-separated: the `nats.url` setting of Maxis and Shellia.
    pub fn client_urls(&self, scheme: &str) -> String {
        self.nodes.iter().map(|n| format!("{scheme}://{}", n.listen)).collect::<Vec<_>>().join(",")
    }

    /// The `cluster {}` block of node `me`: its route address, the route credentials and the
    /// routes to every other node.
    pub fn render_block(&self, me: &NodeSpec, route_password: &str) -> String {
        let routes: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.name != me.name)
            .map(|n| format!("    \"nats-route://{ROUTE_USER}:{route_password}@{}\"", n.route))
            .collect();
        let monitor = match &me.monitor {
            Some(addr) => {
                format!("# Monitoring (/healthz, /jsz): keep it on loopback or a private network.\nhttp: {addr}\n")
            }
            None => String::new(),
        };
        format!(
            "{monitor}cluster {{\n  name: {name}\n  listen: {listen}\n  authorization {{\n    user: {ROUTE_USER}\n    \
             password: \"{route_password}\"\n    timeout: 2\n  }}\n  routes: [\n{routes}\n  ]\n}}\n",
            name = self.name,
            listen = me.route,
            routes = routes.join("\n"),
        )
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A new route password: 32 random hex digits.
pub fn new_route_password() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_cluster_has_consecutive_ports_and_routes_to_the_other_nodes() {
        let cluster = ClusterSpec::local(3, "127.0.0.1", 4222, 6222).unwrap();
        assert_eq!(cluster.client_urls("nats"), "nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224");
        let block = cluster.render_block(&cluster.nodes[1], "pw");
        assert!(block.contains("listen: 127.0.0.1:6223"), "{block}");
        assert!(block.contains("nats-route://maxis-route:pw@127.0.0.1:6222"), "{block}");
        assert!(block.contains("nats-route://maxis-route:pw@127.0.0.1:6224"), "{block}");
        assert!(!block.contains("@127.0.0.1:6223"), "a node routes to itself: {block}");
    }

    #[test]
    fn a_cluster_of_two_or_with_a_shared_address_is_refused() {
        assert!(ClusterSpec::local(2, "127.0.0.1", 4222, 6222).is_err());
        let mut cluster = ClusterSpec::local(3, "127.0.0.1", 4222, 6222).unwrap();
        cluster.nodes[2].route = cluster.nodes[0].route.clone();
        assert!(cluster.validate().unwrap_err().to_string().contains("appears twice"));
    }
}
