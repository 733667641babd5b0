//! The terminal console: the same lines as Discord, answered by the same [`Assistant`], for use
//! without Discord. `quit` (or the end of input) leaves; report charts are written as PNG files
//! in the current directory.

use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use crate::assistant::{Assistant, Requester};

/// Help text of the console (the assistant's, plus `quit`).
pub fn help() -> String {
    format!("{}  quit                                   leave the console\n", crate::assistant::HELP)
}

/// Runs the console on `input` until `quit` or end of input, writing to `out`. Lines are the
/// `who`'s; charts are written to `chart_dir` when given.
pub async fn run<R, W>(
    assistant: &Assistant,
    who: &Requester,
    chart_dir: Option<&std::path::Path>,
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
        let word = line.trim();
        if matches!(word, "quit" | "exit") {
            break;
        }
        let mut text = if matches!(word, "help" | "?") {
            help()
        } else {
            let answer = assistant.handle(who, &line).await;
            let mut text = answer.text;
            if let Some(dir) = chart_dir {
                for (name, png) in &answer.attachments {
                    let path = dir.join(name);
                    std::fs::write(&path, png)?;
                    text.push_str(&format!("chart written to {}\n", path.display()));
                }
            }
            text
        };
        text.push_str("> ");
        out.write_all(text.as_bytes()).await?;
        out.flush().await?;
    }
    out.write_all(b"\nbye\n").await?;
    out.flush().await?;
    Ok(())
}
