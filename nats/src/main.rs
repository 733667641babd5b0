//! `broker`: generate the fleet's nkeys and server config, provision streams and consumers, add
//! a shop to a running fleet.

use std::path::PathBuf;

use anyhow::{bail, Context};
use broker::cluster::ClusterSpec;
use broker::fleet::{Fleet, Identity, ShopSpec};
use broker::provision;
use broker::server_config::TlsSpec;
use clap::{Parser, Subcommand};
use subjects::Name;

#[derive(Parser)]
#[command(name = "broker", about = "Credentials, permissions, streams and consumers of the Maxis fleet")]
struct Cli {
    /// Fleet directory (git-ignored): fleet.toml, keys/, nats.conf.
    #[arg(long, global = true, default_value = ".local/fleet", env = "FLEET_DIR")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or extend a fleet: nkeys for every identity and the nats-server config. Idempotent.
    Init {
        /// Address the broker listens on.
        #[arg(long)]
        listen: Option<String>,
        /// A shop and its groups, e.g. `shop1:eu` (repeatable).
        #[arg(long = "shop")]
        shops: Vec<String>,
        /// A Shellia identity (repeatable).
        #[arg(long = "shellia")]
        shellia: Vec<String>,
        /// A read-only ops identity (repeatable).
        #[arg(long = "ops")]
        ops: Vec<String>,
        /// Make the fleet a JetStream cluster of this many nodes (at least 3) on the `--listen`
        /// host, client ports from the `--listen` port upwards; streams get 3 replicas. Writes
        /// one config per node, `nats-n1.conf` …
        #[arg(long, value_name = "NODES")]
        cluster: Option<usize>,
        /// First route port of the cluster's nodes (with `--cluster`).
        #[arg(long, default_value_t = 6222)]
        route_port: u16,
        /// TLS for client connections: the server's certificate (PEM), with `--tls-key`.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS for client connections: the server's private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// The CA of the server's certificate, trusted by this tool when it connects.
        #[arg(long, requires = "tls_cert")]
        tls_ca: Option<PathBuf>,
        /// JetStream's sync_interval: `always` (fsync every message) or a duration (`10s`);
        /// unset keeps the server default (see docs/deployment.md).
        #[arg(long)]
        sync_interval: Option<String>,
    },
    /// Create or update the streams and every shop's consumer (as the provisioning identity).
    Provision {
        /// Broker URL; defaults to the manifest's listen address.
        #[arg(long)]
        url: Option<String>,
    },
    /// Add a shop to a running fleet: credentials, permissions (config reload), consumer.
    AddShop {
        /// The shop and its groups, e.g. `shop3:eu`.
        shop: String,
        /// Broker URL; defaults to the manifest's listen address.
        #[arg(long)]
        url: Option<String>,
    },
    /// Ask the running broker to reload its config (SIGHUP to the pid in nats.pid, or to every
    /// node of a cluster).
    Reload,
    /// Print the URL setting of the fleet's clients (`nats.url`): every node, comma-separated.
    Urls,
    /// Print an identity's public nkey (e.g. `shellia-admin`, for MAXIS_SECURITY__SHELLIA_KEYS).
    PublicKey {
        /// The identity's key name; `shellia` prints every Shellia key, comma-separated.
        name: String,
    },
    /// Print the path of an identity's seed file (`shellia-admin`, `shop-shop1`, `ops-ops`, `provisioner`).
    KeyPath {
        /// The identity's key name.
        name: String,
    },
}

fn main() -> std::process::ExitCode {
    broker::connect::run_main(run())
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Init {
            listen,
            shops,
            shellia,
            ops,
            cluster,
            route_port,
            tls_cert,
            tls_key,
            tls_ca,
            sync_interval,
        } => {
            let shops = shops.iter().map(|s| ShopSpec::parse(s)).collect::<anyhow::Result<Vec<_>>>()?;
            let shellia = names(&shellia)?;
            let ops = names(&ops)?;
            let mut fleet = Fleet::init(&cli.dir, listen.as_deref(), &shops, &shellia, &ops)?;
            if let Some(size) = cluster {
                let (host, port) =
                    fleet.manifest.listen.rsplit_once(':').with_context(|| {
                        format!("listen = {:?} has no port: write host:port", fleet.manifest.listen)
                    })?;
                let port: u16 = port.parse().with_context(|| format!("bad port in {:?}", fleet.manifest.listen))?;
                fleet.manifest.cluster = Some(ClusterSpec::local(size, host, port, route_port)?);
                fleet.manifest.streams.replicas = 3;
            }
            if let (Some(cert), Some(key)) = (tls_cert, tls_key) {
                fleet.manifest.tls = Some(TlsSpec {
                    cert_file: absolute(&cert)?,
                    key_file: absolute(&key)?,
                    ca_file: tls_ca.map(|ca| absolute(&ca)).transpose()?,
                });
            }
            if sync_interval.is_some() {
                fleet.manifest.sync_interval = sync_interval;
            }
            fleet.save()?;
            match &fleet.manifest.cluster {
                Some(c) => {
                    let configs: Vec<String> =
                        c.nodes.iter().map(|n| fleet.node_config_path(n).display().to_string()).collect();
                    println!(
                        "fleet in {}: {} shop(s), cluster {} of {} nodes, configs {}",
                        fleet.dir.display(),
                        fleet.manifest.shops.len(),
                        c.name,
                        c.nodes.len(),
                        configs.join(" ")
                    );
                }
                None => println!(
                    "fleet in {}: {} shop(s), config {}",
                    fleet.dir.display(),
                    fleet.manifest.shops.len(),
                    fleet.server_config_path().display()
                ),
            }
            println!("clients connect to {}", fleet.client_urls());
        }
        Command::Provision { url } => {
            let fleet = Fleet::load(&cli.dir)?;
            let js = provisioner(&fleet, url).await?;
            for step in provision::provision(&js, &fleet).await? {
                println!("{step}");
            }
        }
        Command::AddShop { shop, url } => {
            let spec = ShopSpec::parse(&shop)?;
            let mut fleet = Fleet::load(&cli.dir)?;
            let url = url.unwrap_or_else(|| fleet.client_urls());
            let steps = broker::reload::add_shop(&mut fleet, spec.clone(), &url).await?;
            println!("shop {} added: credentials {}", spec.id, fleet.key_path(&Identity::Shop(spec.clone())).display());
            for step in steps {
                println!("{step}");
            }
        }
        Command::Reload => {
            let fleet = Fleet::load(&cli.dir)?;
            let servers = broker::reload::signal_all(&fleet)?;
            println!("reload signalled to {servers} server(s)");
        }
        Command::Urls => println!("{}", Fleet::load(&cli.dir)?.client_urls()),
        Command::PublicKey { name } => {
            let fleet = Fleet::load(&cli.dir)?;
            let identities: Vec<Identity> = if name == "shellia" {
                fleet.identities().into_iter().filter(|i| matches!(i, Identity::Shellia(_))).collect()
            } else {
                vec![find(&fleet, &name)?]
            };
            let keys = identities.iter().map(|i| fleet.public_key(i)).collect::<anyhow::Result<Vec<_>>>()?;
            println!("{}", keys.join(","));
        }
        Command::KeyPath { name } => {
            let fleet = Fleet::load(&cli.dir)?;
            println!("{}", fleet.key_path(&find(&fleet, &name)?).display());
        }
    }
    Ok(())
}

fn find(fleet: &Fleet, name: &str) -> anyhow::Result<Identity> {
    match fleet.identities().into_iter().find(|i| i.key_name() == name) {
        Some(identity) => Ok(identity),
        None => {
            let known: Vec<String> = fleet.identities().iter().map(Identity::key_name).collect();
            bail!("no identity {name:?}; known: {}", known.join(", "))
        }
    }
}

fn names(raw: &[String]) -> anyhow::Result<Vec<Name>> {
    raw.iter().map(|n| Name::parse(n.as_str()).map_err(Into::into)).collect()
}

async fn provisioner(fleet: &Fleet, url: Option<String>) -> anyhow::Result<async_nats::jetstream::Context> {
    let url = url.unwrap_or_else(|| fleet.client_urls());
    let client = broker::connect::connect_identity(fleet, &Identity::Provisioner, &url, "provisioner").await?;
    Ok(async_nats::jetstream::new(client))
}

/// Paths written into the config are absolute: nats-server resolves relative ones from its
/// working directory, not from the config's.
fn absolute(path: &std::path::Path) -> anyhow::Result<String> {
    let path = std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    Ok(path.display().to_string())
}
