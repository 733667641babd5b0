//! The terminal console: the same commands as the CLI, one per line, for use without Discord.
//!
//! Lines: `send <target> <action> [key=value…]`, or the short form `[@target] <action> [key=value…]`
//! (default target from the settings), `shops`, `help`, `quit`.

use std::time::Duration;

use subjects::Target;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};

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
    while let Some(line) = lines.next_line().await? {
        let text = match handle_line(fleet, default_target, wait, &line).await {
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

/// One line: `Ok(None)` to quit, else the text to print.
pub async fn handle_line(
    fleet: &FleetClient,
    default_target: &Target,
    wait: Duration,
    line: &str,
) -> anyhow::Result<Option<String>> {
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
        t if t.starts_with('@') => match words.get(1) {
            Some(action) => (t.to_owned(), action.as_str(), &words[2..]),
            None => anyhow::bail!("usage: @<target> <action> [key=value ...]"),
        },
        action => (default_target.to_string(), action, &words[1..]),
    };
    let (target, order) = build_order(&target, action, params, &fleet.issuer())?;
    let dispatch = fleet.send(&target, order, wait).await?;
    Ok(Some(render::table(&dispatch)))
}
