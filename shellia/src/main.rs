//! `shellia`: send orders to the Maxis fleet from the command line or a console.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use shellia::assistant::{Assistant, Outcome, Requester};
use shellia::brain::Understood;
use shellia::bus::FleetClient;
use shellia::command::build_order;
use shellia::configuration::Settings;
use shellia::{console, render};

#[derive(Parser)]
#[command(name = "shellia", version, about = "Shellia, the admin assistant of the Maxis fleet")]
struct Cli {
    /// Configuration file layered over the defaults (then SHELLIA_* environment variables).
    #[arg(long, global = true, env = "SHELLIA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Send one order and print each shop's answer.
    ///
    /// Example: `shellia send all status`, `shellia send eu stop reason="inventory"`.
    Send {
        /// A shop id, a group, or `all`.
        target: String,
        /// status, config, start, stop, restart, promo, giveaway, analytics, report, execute, announce.
        action: String,
        /// Parameters as key=value (dotted keys nest: discount.percent=20).
        params: Vec<String>,
        /// Print one JSON object per shop and line instead of a table.
        #[arg(long)]
        json: bool,
        /// Seconds to wait for the replies (default from the settings).
        #[arg(long)]
        timeout: Option<f64>,
        /// With `report`: draw the chart and write it to this PNG file (`<name>-<shop>.png` for
        /// several shops).
        #[arg(long)]
        chart: Option<PathBuf>,
    },
    /// A request in plain language (French or English): shows the plan, asks for confirmation,
    /// then sends it. Example: `shellia ask "Lance une promotion de 20% sur les plans Pro"`.
    Ask {
        /// The request.
        request: String,
        /// Send without asking for confirmation.
        #[arg(long)]
        yes: bool,
        /// Print the plan and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: the plan as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Interactive console with the same commands (reads standard input).
    Console,
    /// Serve the admins in Discord (`!maxis …`, `/maxis …`, mentions) and run the campaigns,
    /// until Ctrl-C. Needs SHELLIA_DISCORD__TOKEN and SHELLIA_DISCORD__GUILD_ID.
    Discord,
    /// List the shops of the fleet.
    Shops,
    /// The shops' events: `tail` (live) or `replay --since 24h` (from the stream).
    Events {
        #[command(subcommand)]
        what: EventsCmd,
    },
    /// The orders the shops handled (from their events): who asked, what, the outcome.
    Orders {
        #[command(subcommand)]
        what: OrdersCmd,
    },
    /// Scores the brain on a JSONL corpus (by category: exact plans, rightful questions and
    /// refusals), against a fixed fleet. Needs no broker. Exits 1 below the thresholds.
    Eval {
        /// The corpus, e.g. `shellia/eval/dev.jsonl`.
        corpus: PathBuf,
        /// The fleet file (shops, catalog, settings, clock).
        #[arg(long, default_value = "shellia/eval/fleet.toml")]
        fleet: PathBuf,
        /// Also print each failed request (for the dev corpus only: never tune on the held-out one).
        #[arg(long)]
        failures: bool,
        /// The least share of exact plans, in percent.
        #[arg(long, default_value_t = 95.0)]
        min_plans: f64,
        /// The least share of rightful questions and refusals, in percent.
        #[arg(long, default_value_t = 100.0)]
        min_guarded: f64,
    },
    /// The fleet: every shop, its groups, its queue, and whether it is online.
    Fleet {
        /// One JSON object per shop and line.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum EventsCmd {
    /// Print new events as they happen (Ctrl-C stops).
    Tail {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Print every stored event of a period in stream order (the order the broker stored them: an
    /// event published late from a shop's outbox can carry an earlier `at` than the one before it).
    Replay {
        /// How far back: `30m`, `24h`, `7d`.
        #[arg(long, default_value = "24h")]
        since: String,
        #[command(flatten)]
        filter: FilterArgs,
    },
}

#[derive(Subcommand)]
enum OrdersCmd {
    /// Every order executed or refused in a period, oldest first.
    History {
        /// How far back: `30m`, `24h`, `7d`.
        #[arg(long, default_value = "7d")]
        since: String,
        /// Only this shop.
        #[arg(long)]
        shop: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct FilterArgs {
    /// Only this shop.
    #[arg(long)]
    shop: Option<String>,
    /// Only this kind or kind prefix (`promo`, `order.executed`).
    #[arg(long)]
    kind: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

impl FilterArgs {
    fn filter(&self) -> anyhow::Result<shellia::bus::EventFilter> {
        Ok(shellia::bus::EventFilter {
            shop: self.shop.as_deref().map(subjects::Name::parse).transpose()?,
            kind: self.kind.as_deref().map(subjects::EventKind::parse).transpose()?,
        })
    }
}

/// Prints one line; false when the reader went away (`| head`), which is not an error.
fn emit(line: &str) -> anyhow::Result<bool> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{line}") {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The local operator's name, for `console:<user>`.
fn console_user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "operator".to_owned())
}

fn main() -> std::process::ExitCode {
    broker::connect::run_main(run())
}

async fn run() -> anyhow::Result<()> {
    shellia::telemetry::init("warn");
    let cli = Cli::parse();
    if let Cmd::Eval { corpus, fleet, failures, min_plans, min_guarded } = &cli.command {
        let report = shellia::eval::run(corpus, fleet)?;
        print!("{}", report.render(*failures));
        if report.total.plan_pct() < *min_plans || report.total.guarded_pct() < *min_guarded {
            std::process::exit(1);
        }
        return Ok(());
    }
    let settings = Settings::load(cli.config.as_deref())?;
    let seed = settings.nats_seed()?;
    let fleet =
        FleetClient::connect(&settings.nats.url, settings.identity()?, seed).await?.with_ttl(settings.order_ttl());
    if matches!(cli.command, Cmd::Console | Cmd::Discord) {
        fleet.guard_event_consumers().await?;
    }
    match cli.command {
        Cmd::Send { target, action, mut params, json, timeout, chart } => {
            if chart.is_some() {
                anyhow::ensure!(action == "report", "--chart goes with the `report` action");
                params.push("chart=true".to_owned());
            }
            let (target, order) = build_order(&target, &action, &params, &fleet.issuer())?;
            let wait = timeout.map_or_else(|| settings.reply_timeout(), Duration::from_secs_f64);
            let dispatch = fleet.send(&target, order, wait).await?;
            print!("{}", if json { render::json_lines(&dispatch) } else { render::table(&dispatch) });
            if let Some(path) = chart {
                for written in render::save_charts(&dispatch, &path)? {
                    eprintln!("chart written to {}", written.display());
                }
            }
            if dispatch.any_rejected() {
                std::process::exit(1);
            }
        }
        Cmd::Ask { request, yes, dry_run, json } => {
            let assistant = Assistant::build(fleet, &settings).await?;
            if dry_run {
                let plan = match assistant.understand(&request).await? {
                    Understood::Plan(plan) => plan,
                    Understood::Ask { question, .. } => anyhow::bail!("{question}"),
                    Understood::Refuse { reason, .. } => anyhow::bail!("{reason}"),
                };
                if json {
                    let shops = assistant.addressed(&plan.target).await?;
                    println!("{}", shellia::ask::plan_json(&plan, &shops));
                } else {
                    print!("{}", assistant.preview(&plan).await?);
                }
                return Ok(());
            }
            let who = Requester::console(&console_user());
            let answer = assistant.handle(&who, &request).await;
            print!("{}", answer.text);
            let answer = match answer.pending {
                Some(plan) => {
                    let mut reply = String::new();
                    if !yes {
                        std::io::stdin().read_line(&mut reply)?;
                    }
                    let answer = if yes || shellia::ask::is_yes(&reply) {
                        assistant.confirm(&who, &plan.id).await
                    } else {
                        assistant.cancel(&who, &plan.id).await
                    };
                    print!("{}", answer.text);
                    answer
                }
                None => answer,
            };
            if !matches!(answer.outcome, Outcome::Done | Outcome::Cancelled | Outcome::Info) {
                std::process::exit(1);
            }
        }
        Cmd::Console => {
            if !std::io::stdin().is_terminal() {
                tracing::info!("standard input is not a terminal: reading commands from it");
            }
            let assistant = Assistant::build(fleet, &settings).await?;
            let _scheduler = assistant.spawn_scheduler();
            let who = Requester::console(&console_user());
            console::run(&assistant, &who, Some(std::path::Path::new(".")), tokio::io::stdin(), tokio::io::stdout())
                .await?;
        }
        Cmd::Discord => {
            let config = shellia::discord::DiscordConfig::from_settings(&settings.discord)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "no Discord token: set SHELLIA_DISCORD__TOKEN and SHELLIA_DISCORD__GUILD_ID, or use `shellia console`"
                )
            })?;
            let assistant = Assistant::build(fleet, &settings).await?;
            let _scheduler = assistant.spawn_scheduler();
            let stop = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            shellia::discord::run(config, assistant, stop).await?;
        }
        Cmd::Events { what: EventsCmd::Tail { filter } } => {
            let mut events = std::pin::pin!(fleet.tail(&filter.filter()?).await?);
            while let Some(event) = futures::StreamExt::next(&mut events).await {
                if !emit(&render::event_line(&event, filter.json))? {
                    break;
                }
            }
        }
        Cmd::Events { what: EventsCmd::Replay { since, filter } } => {
            let secs = shellia::syntax::duration_secs(&since)
                .ok_or_else(|| anyhow::anyhow!("--since {since:?}: use a duration like 30m, 24h or 7d"))?;
            let from = chrono::Utc::now() - chrono::Duration::seconds(secs as i64);
            // Events are printed as they are read; the progress bar shows when they go to a file
            // or a pipe and a person watches the terminal.
            let show_progress = std::io::stderr().is_terminal() && !std::io::stdout().is_terminal();
            let mut failed = None;
            fleet
                .replay_each(
                    from,
                    &filter.filter()?,
                    |done, pending| {
                        if show_progress {
                            eprint!("\rreplaying: {done} read, {pending} to go   ");
                        }
                    },
                    |event| match emit(&render::event_line(&event, filter.json)) {
                        Ok(more) => more,
                        Err(e) => {
                            failed = Some(e);
                            false
                        }
                    },
                )
                .await?;
            if show_progress {
                eprintln!();
            }
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Cmd::Orders { what: OrdersCmd::History { since, shop, json } } => {
            let secs = shellia::syntax::duration_secs(&since)
                .ok_or_else(|| anyhow::anyhow!("--since {since:?}: use a duration like 30m, 24h or 7d"))?;
            let filter = shellia::bus::EventFilter {
                shop: shop.as_deref().map(subjects::Name::parse).transpose()?,
                kind: Some(subjects::EventKind::parse("order")?),
            };
            let from = chrono::Utc::now() - chrono::Duration::seconds(secs as i64);
            let mut failed = None;
            fleet
                .replay_each(
                    from,
                    &filter,
                    |_, _| {},
                    |event| {
                        let line = if json { render::event_line(&event, true) } else { render::order_line(&event) };
                        emit(&line).unwrap_or_else(|e| {
                            failed = Some(e);
                            false
                        })
                    },
                )
                .await?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Cmd::Fleet { json } => {
            let members = fleet.fleet(Duration::from_millis(500)).await?;
            print!("{}", if json { render::fleet_json(&members) } else { render::fleet_table(&members) });
        }
        Cmd::Eval { .. } => unreachable!("handled before connecting"),
        Cmd::Shops => {
            for shop in fleet.shops().await? {
                println!("{shop}");
            }
        }
    }
    Ok(())
}
