//! `maxis`: run one shop.

use std::path::PathBuf;

use clap::Parser;
use maxis::configuration::Settings;
use maxis::startup::{shutdown_signal, Application};

#[derive(Parser)]
#[command(name = "maxis", version, about = "Maxis, the shop bot (one instance per shop)")]
struct Cli {
    /// Configuration file layered over the defaults (then MAXIS_* environment variables).
    #[arg(long, env = "MAXIS_CONFIG")]
    config: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    broker::connect::run_main(run())
}

async fn run() -> anyhow::Result<()> {
    maxis::telemetry::init("maxis=info,warn");
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    let app = Application::build(settings).await?;
    let exit = app.run_until_stopped(shutdown_signal()).await?;
    std::process::exit(exit.code())
}
