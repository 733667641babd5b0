//! `broker`: generate the fleet's nkeys and server config, provision streams and consumers, add
//! a shop to a running fleet.

use std::path::PathBuf;

use anyhow::{bail, Context};
use broker::fleet::{Fleet, Identity, ShopSpec};
use broker::provision;
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
    /// Ask the running broker to reload its config (SIGHUP to the pid in nats.pid).
    Reload,
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
        Command::Init { listen, shops, shellia, ops } => {
            let shops = shops.iter().map(|s| ShopSpec::parse(s)).collect::<anyhow::Result<Vec<_>>>()?;
            let shellia = names(&shellia)?;
            let ops = names(&ops)?;
            let fleet = Fleet::init(&cli.dir, listen.as_deref(), &shops, &shellia, &ops)?;
            println!(
                "fleet in {}: {} shop(s), config {}",
                fleet.dir.display(),
                fleet.manifest.shops.len(),
                fleet.server_config_path().display()
            );
        }
        Command::Provision { url } => {
            let fleet = Fleet::load(&cli.dir)?;
            let js = provisioner(&fleet, url).await?;
            for step in provision::provision(&js, &fleet.manifest).await? {
                println!("{step}");
            }
        }
        Command::AddShop { shop, url } => {
            let spec = ShopSpec::parse(&shop)?;
            let mut fleet = Fleet::load(&cli.dir)?;
            let url = url.unwrap_or_else(|| format!("nats://{}", fleet.manifest.listen));
            let step = broker::reload::add_shop(&mut fleet, spec.clone(), &url).await?;
            println!(
                "shop {} added: credentials {}, {step}",
                spec.id,
                fleet.key_path(&Identity::Shop(spec.clone())).display()
            );
        }
        Command::Reload => {
            let fleet = Fleet::load(&cli.dir)?;
            broker::reload::signal(&fleet.pid_path())?;
            println!("reload signalled");
        }
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
    let url = url.unwrap_or_else(|| format!("nats://{}", fleet.manifest.listen));
    let identity = Identity::Provisioner;
    let client = broker::connect::options(&fleet.seed(&identity)?, &identity.inbox_prefix(), "provisioner", None)
        .connect(&url)
        .await
        .with_context(|| format!("cannot connect to the broker at {url} as the provisioner"))?;
    Ok(async_nats::jetstream::new(client))
}
