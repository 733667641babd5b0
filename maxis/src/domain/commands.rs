//! The commands `execute` may run: Maxis's own admin commands, parsed from text against an
//! allow-list. Text is never handed to a shell or an interpreter.

use subjects::params::{AnalyticsParams, AnnounceParams, Audience, ConfigParams, Period, ReportParams, StopParams};
use subjects::Command;

/// The allow-list, for error messages.
pub const ALLOWED: &str =
    "!status, !open, !close [reason], !announce <message>, !config <key> [value], !analytics [today|week|month|all], !report";

/// Why a command line cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Not in the allow-list.
    #[error("`{0}` is not an allowed command; allowed: {ALLOWED}")]
    NotAllowed(String),
    /// In the allow-list, used wrongly.
    #[error("{0}")]
    Usage(String),
}

/// Parses one command line (`!announce Promo`) into the order it stands for.
pub fn parse(line: &str) -> Result<Command, CommandError> {
    let line = line.trim();
    let (head, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let name = head.strip_prefix('!').unwrap_or(head).to_ascii_lowercase();
    let none = |cmd: Command| {
        if rest.is_empty() {
            Ok(cmd)
        } else {
            Err(CommandError::Usage(format!("`!{name}` takes no argument")))
        }
    };
    match name.as_str() {
        "status" => none(Command::Status(Default::default())),
        "open" | "start" => none(Command::Start(Default::default())),
        "close" | "stop" => Ok(Command::Stop(StopParams { reason: (!rest.is_empty()).then(|| rest.to_owned()) })),
        "announce" if rest.is_empty() => Err(CommandError::Usage("usage: !announce <message>".to_owned())),
        "announce" => Ok(Command::Announce(AnnounceParams {
            message: rest.to_owned(),
            audience: Audience::Everyone,
            channel: None,
        })),
        "config" => {
            let (key, value) =
                rest.split_once(char::is_whitespace).map_or((rest, None), |(k, v)| (k, Some(v.trim().to_owned())));
            if key.is_empty() {
                return Err(CommandError::Usage("usage: !config <key> [value]".to_owned()));
            }
            Ok(Command::Config(ConfigParams { key: key.to_owned(), value }))
        }
        "analytics" => {
            let period = match rest {
                "" | "week" | "7d" => Period::Week,
                "today" | "day" => Period::Today,
                "month" | "30d" => Period::Month,
                "all" => Period::All,
                other => {
                    return Err(CommandError::Usage(format!("unknown period `{other}`: today, week, month or all")))
                }
            };
            Ok(Command::Analytics(AnalyticsParams { period, from: None, to: None }))
        }
        "report" => none(Command::Report(ReportParams::default())),
        _ => Err(CommandError::NotAllowed(head.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_announce_runs_as_an_announcement() {
        let Command::Announce(p) = parse("!announce Promo").unwrap() else { panic!() };
        assert_eq!(p.message, "Promo");
    }

    #[test]
    fn anything_outside_the_list_is_refused() {
        for line in ["!restart", "!execute !status", "rm -rf /", "!promo 20%", "$(reboot)", ""] {
            assert!(matches!(parse(line), Err(CommandError::NotAllowed(_))), "{line:?}");
        }
    }
}
