//! The terminal console: the same commands as the CLI, one per line, for use without Discord.
//!
//! Lines: `send <target> <action> [key=value…]`, or the short form `[@target] <action> [key=value…]`
//! (default target from the settings), `shops`, `help`, `quit`.

use std::time::Duration;

use subjects::Target;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use crate::ask;
use crate::brain::{understand, Lang, Plan, Strategy, Understood};
use crate::bus::FleetClient;
use crate::command::{build_order, split_words};
use crate::render;

/// Help text of the console.
pub const HELP: &str = "\
commands (the seed's short forms, or key=value):
  [@target] <action> [args ...]          e.g. `status`, `@shop1 status`, `promo 20% pro 48h`,
                                         `giveaway 100members`, `config price_pro 29.99`,
                                         `execute !announce Promo`, `@eu stop inventaire`
  send <target> <action> [key=value ...] the same, target first (shop id, group, or all)
  shops                                  list the shops of the fleet
  help                                   this text
  quit                                   leave the console
actions: status config start stop restart promo giveaway analytics report execute announce
";

/// Runs the console on `input` until `quit` or end of input, writing to `out`.
pub async fn run<R, W>(
    fleet: &FleetClient,
    default_target: &Target,
    wait: Duration,
    input: R,
    mut out: W,
) -> anyhow::Result<()>
where
    R: tokio::io::AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    out.write_all(b"Shellia console. Type `help` for the commands.\n> ").await?;
    out.flush().await?;
    let mut lines = BufReader::new(input).lines();
    let mut pending: Option<Plan> = None;
    while let Some(line) = lines.next_line().await? {
        let text = match handle_line(fleet, default_target, wait, &line, &mut pending).await {
            Ok(Some(text)) => text,
            Ok(None) => break,
            Err(e) => format!("error: {e}\n"),
        };
        out.write_all(text.as_bytes()).await?;
        out.write_all(b"> ").await?;
        out.flush().await?;
    }
    out.write_all(b"\nbye\n").await?;
    out.flush().await?;
    Ok(())
}

/// One line: `Ok(None)` to quit, else the text to print. A plan waiting for confirmation is
/// sent on `oui`/`yes` and dropped on anything else.
pub async fn handle_line(
    fleet: &FleetClient,
    default_target: &Target,
    wait: Duration,
    line: &str,
    pending: &mut Option<Plan>,
) -> anyhow::Result<Option<String>> {
    if let Some(plan) = pending.take() {
        if ask::is_yes(line) {
            let dispatches = ask::execute(fleet, &plan, "console", wait).await?;
            return Ok(Some(ask::answer(&plan, &dispatches)));
        }
        if matches!(line.trim().to_lowercase().as_str(), "non" | "no" | "n" | "annuler" | "cancel") {
            return Ok(Some(if plan.lang == Lang::Fr { "Annulé.\n".to_owned() } else { "Cancelled.\n".to_owned() }));
        }
    }
    let words = split_words(line).map_err(anyhow::Error::msg)?;
    let Some(first) = words.first() else { return Ok(Some(String::new())) };
    let (target, action, params): (String, &str, &[String]) = match first.as_str() {
        "quit" | "exit" => return Ok(None),
        "help" | "?" => return Ok(Some(HELP.to_owned())),
        "shops" => {
            let shops = fleet.shops().await?;
            let list: Vec<String> = shops.iter().map(ToString::to_string).collect();
            return Ok(Some(format!("{} shop(s): {}\n", list.len(), list.join(", "))));
        }
        "send" => match words.get(1..3) {
            Some([target, action]) => (target.clone(), action.as_str(), &words[3..]),
            _ => anyhow::bail!("usage: send <target> <action> [key=value ...]"),
        },
        // `@shop1 status` is a command; `@Shellia lance une promo…` is a request.
        t if t.starts_with('@') && words.get(1).is_some_and(|a| a.parse::<subjects::Action>().is_ok()) => {
            (t.to_owned(), words[1].as_str(), &words[2..])
        }
        action if action.parse::<subjects::Action>().is_ok() => (default_target.to_string(), action, &words[1..]),
        _ => {
            let strategy = Strategy {
                default_target: default_target.clone(),
                known_targets: fleet.known_targets().await?,
                ..Default::default()
            };
            return Ok(Some(match understand(line, &strategy, chrono::Utc::now()) {
                Understood::Plan(plan) => {
                    let text = ask::preview(fleet, &plan).await?;
                    *pending = Some(plan);
                    text
                }
                Understood::Ask { question, .. } => format!("{question}\n"),
                Understood::Refuse { reason, .. } => format!("{reason}\n"),
            }));
        }
    };
    let (target, order) = build_order(&target, action, params, &fleet.issuer())?;
    let dispatch = fleet.send(&target, order, wait).await?;
    Ok(Some(render::table(&dispatch)))
}
