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
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The cause chain on one line, without a backtrace: these errors are for people.
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> anyhow::Result<()> {
    maxis::telemetry::init("maxis=info,warn");
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    let app = Application::build(settings).await?;
    let exit = app.run_until_stopped(shutdown_signal()).await?;
    std::process::exit(exit.code())
}
