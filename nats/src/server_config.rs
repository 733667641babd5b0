//! The nats-server configuration of a fleet: the committed base (`nats/broker.conf`) with the
//! fleet's paths, an optional `cluster {}` and `tls {}` block, followed by the generated
//! `authorization` block.

use std::fmt::Write;
use std::path::Path;

use anyhow::{ensure, Context};
use serde::{Deserialize, Serialize};

use crate::cluster::NodeSpec;
use crate::fleet::Fleet;
use crate::permissions;

/// The committed base configuration, with `{{server_name}}`, `{{listen}}`, `{{pid_file}}`,
/// `{{store_dir}}`, `{{sync_interval}}`, `{{cluster}}` and `{{tls}}`.
pub const BASE: &str = include_str!("../broker.conf");

/// TLS for client connections (`[tls]` in `fleet.toml`). Clients still authenticate with their
/// nkey; TLS keeps orders, replies and events private on the wire and proves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSpec {
    /// The server's certificate chain (PEM).
    pub cert_file: String,
    /// The server's private key (PEM).
    pub key_file: String,
    /// The CA that signed the certificate, for clients that do not trust it system-wide
    /// (the `broker` tool uses it; Maxis and Shellia take `SSL_CERT_FILE`). Not sent to the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
}

impl TlsSpec {
    /// The `tls {}` block of the server config.
    pub fn render_block(&self) -> String {
        format!(
            "tls {{\n  cert_file: {}\n  key_file: {}\n  # TLS handshake time limit, in seconds.\n  timeout: 2\n}}\n",
            quote(&self.cert_file),
            quote(&self.key_file)
        )
    }
}

/// Checks a `sync_interval` value: `always`, or a whole number with `ms`, `s`, `m` or `h`.
pub fn check_sync_interval(value: &str) -> anyhow::Result<()> {
    let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &value[digits.len()..];
    ensure!(
        value == "always"
            || (!digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && ["ms", "s", "m", "h"].contains(&unit)),
        "sync_interval = {value:?}: write `always` (fsync every message) or a duration such as `10s` or `2m`"
    );
    Ok(())
}

/// The parts that differ between a single server and each node of a cluster.
struct ServerPart<'a> {
    name: &'a str,
    listen: &'a str,
    pid_file: &'a Path,
    store_dir: &'a Path,
    cluster: String,
}

/// Renders the configuration of the fleet's single server (`nats.conf`).
pub fn render(fleet: &Fleet) -> anyhow::Result<String> {
    let dir = resolved_dir(fleet)?;
    render_part(
        fleet,
        ServerPart {
            name: "maxis-broker",
            listen: &fleet.manifest.listen,
            pid_file: &dir.join("nats.pid"),
            store_dir: &dir.join("jetstream"),
            cluster: String::new(),
        },
    )
}

/// Renders the configuration of one node of the fleet's cluster (`nats-<node>.conf`): its own
/// name, addresses, pid file and store, the routes to the other nodes, and the same
/// authorization as every other node.
pub fn render_node(fleet: &Fleet, node: &NodeSpec) -> anyhow::Result<String> {
    let cluster =
        fleet.manifest.cluster.as_ref().context("the fleet has no [cluster]: run `broker init --cluster 3`")?;
    let dir = resolved_dir(fleet)?;
    render_part(
        fleet,
        ServerPart {
            name: &node.name,
            listen: &node.listen,
            pid_file: &dir.join(format!("nats-{}.pid", node.name)),
            store_dir: &dir.join(format!("jetstream-{}", node.name)),
            cluster: cluster.render_block(node, &fleet.route_password()?),
        },
    )
}

fn resolved_dir(fleet: &Fleet) -> anyhow::Result<std::path::PathBuf> {
    fleet.dir.canonicalize().with_context(|| format!("cannot resolve {}", fleet.dir.display()))
}

fn render_part(fleet: &Fleet, part: ServerPart<'_>) -> anyhow::Result<String> {
    let sync = match &fleet.manifest.sync_interval {
        Some(interval) => format!("  sync_interval: {interval}\n"),
        None => String::new(),
    };
    let tls = fleet.manifest.tls.as_ref().map(TlsSpec::render_block).unwrap_or_default();
    let mut out = BASE
        .replace("{{server_name}}", part.name)
        .replace("{{listen}}", part.listen)
        .replace("{{pid_file}}", &quote(&part.pid_file.to_string_lossy()))
        .replace("{{store_dir}}", &quote(&part.store_dir.to_string_lossy()))
        .replace("{{sync_interval}}", &sync)
        .replace("{{cluster}}", &part.cluster)
        .replace("{{tls}}", &tls);
    out.push_str(
        "\n# Generated from fleet.toml by `broker`: edit the manifest, not this block.\nauthorization {\n  users = [\n",
    );
    for identity in fleet.identities() {
        let key = fleet.public_key(&identity)?;
        let p = permissions::of(&identity);
        writeln!(out, "    # {}", identity.key_name())?;
        writeln!(out, "    {{")?;
        writeln!(out, "      nkey: {}", quote(&key))?;
        writeln!(out, "      permissions: {{")?;
        writeln!(out, "        publish: {{ allow: {} }}", list(&p.publish))?;
        writeln!(out, "        subscribe: {{ allow: {} }}", list(&p.subscribe))?;
        if p.allow_responses {
            writeln!(out, "        allow_responses: true")?;
        }
        writeln!(out, "      }}")?;
        writeln!(out, "    }}")?;
    }
    out.push_str("  ]\n}\n");
    Ok(out)
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::check_sync_interval;

    #[test]
    fn sync_interval_takes_always_or_a_duration() {
        for ok in ["always", "10s", "2m", "500ms", "1h"] {
            assert!(check_sync_interval(ok).is_ok(), "{ok}");
        }
        for bad in ["", "sometimes", "10", "s", "1.5s", "10 s", "5d"] {
            assert!(check_sync_interval(bad).is_err(), "{bad}");
        }
    }
}
