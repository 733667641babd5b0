//! Progress of a long read from the event stream (`events replay`, `orders history`), drawn by
//! indicatif on stderr, only when a person watches a terminal and the lines themselves go to a
//! file or a pipe (a bar would tear lines printed to the same terminal).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar, or nothing when no one watches.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar titled `what` on stderr when stderr is a terminal and `output_elsewhere` (stdout
    /// is not the terminal); otherwise a progress that draws nothing.
    pub fn on_terminal(what: &str, output_elsewhere: bool) -> Self {
        let shown = output_elsewhere && std::io::stderr().is_terminal();
        Self::new(what, shown.then(ProgressDrawTarget::stderr))
    }

    /// A bar drawn to `target` (`None`: drawn nowhere).
    pub fn new(what: &str, target: Option<ProgressDrawTarget>) -> Self {
        let bar = target.map(|target| {
            let bar = ProgressBar::with_draw_target(Some(0), target);
            let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} events · {per_sec} · {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(what.to_owned());
            bar
        });
        Self { bar }
    }

    /// `done` events read, `pending` still to read.
    pub fn tell(&self, done: u64, pending: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(done + pending);
            bar.set_position(done);
        }
    }

    /// Clears the bar (the lines read stay where they went).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Where the bar stands: (done, total), for tests.
    pub fn position(&self) -> Option<(u64, u64)> {
        self.bar.as_ref().map(|b| (b.position(), b.length().unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_follows_the_events_read_and_those_still_pending() {
        let progress = Progress::new("replaying", Some(ProgressDrawTarget::hidden()));
        progress.tell(1_000, 4_000);
        assert_eq!(progress.position(), Some((1_000, 5_000)));
        progress.tell(5_000, 0);
        assert_eq!(progress.position(), Some((5_000, 5_000)));
        progress.finish();
    }

    #[test]
    fn nothing_is_drawn_when_no_one_watches() {
        let progress = Progress::new("replaying", None);
        progress.tell(10, 10);
        assert_eq!(progress.position(), None);
    }
}
