//! The nats-server configuration of a fleet: the committed base (`nats/broker.conf`) with the
//! fleet's paths, followed by the generated `authorization` block.

use std::fmt::Write;

use anyhow::Context;

use crate::fleet::Fleet;
use crate::permissions;

/// The committed base configuration, with `{{listen}}`, `{{pid_file}}` and `{{store_dir}}`.
pub const BASE: &str = include_str!("../broker.conf");

/// Renders the full server configuration of `fleet`.
pub fn render(fleet: &Fleet) -> anyhow::Result<String> {
    let dir = fleet.dir.canonicalize().with_context(|| format!("cannot resolve {}", fleet.dir.display()))?;
    let mut out = BASE
        .replace("{{listen}}", &fleet.manifest.listen)
        .replace("{{pid_file}}", &quote(&dir.join("nats.pid").to_string_lossy()))
        .replace("{{store_dir}}", &quote(&dir.join("jetstream").to_string_lossy()));
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
