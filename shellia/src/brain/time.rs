//! Durations (`48h`, `2 jours`, `deux jours`, `une semaine`, `a week`), the weekend (`ce week-end`,
//! `this weekend`: until Sunday 23:59 UTC), starts (`demain`, `tomorrow`) and reporting periods
//! (`aujourd'hui`, `cette semaine`, `last month`, `hier`…), all computed from a given `now`.

use chrono::{DateTime, Datelike, Days, Duration, NaiveTime, Utc, Weekday};
use subjects::params::Period;

use super::clock::{days_until, weekday, weekday_words};
use super::numbers::{number_at, split_unit};
use super::text::{word_in, Request};

const HOUR: u64 = 3600;
pub(crate) const DAY: u64 = 24 * HOUR;

/// How long something runs, as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Span {
    /// For this many seconds.
    For(u64),
    /// Until this instant.
    Until(DateTime<Utc>),
}

impl Span {
    /// The length in seconds from `now` (0 when already past).
    pub(crate) fn secs(self, now: DateTime<Utc>) -> u64 {
        match self {
            Self::For(secs) => secs,
            Self::Until(end) => u64::try_from((end - now).num_seconds()).unwrap_or(0),
        }
    }
}

/// Seconds in one unit word (`h`, `heures`, `jours`, `days`, `semaine`, `weeks`, `mois`, `min`…).
pub(crate) fn unit_secs(unit: &str) -> Option<u64> {
    let table: &[(&[&str], u64)] = &[
        (&["min", "mins", "mn", "minute", "minutes"], 60),
        (&["h", "hr", "hrs", "heure", "heures", "hour", "hours"], HOUR),
        (&["j", "jr", "jrs", "jour", "jours", "journee", "journees", "d", "day", "days"], DAY),
        (&["sem", "semaine", "semaines", "w", "wk", "week", "weeks"], 7 * DAY),
        (&["mois", "month", "months"], 30 * DAY),
    ];
    table.iter().find(|(words, _)| words.contains(&unit)).map(|&(_, secs)| secs)
}

/// A duration at token `i` (`48h`, `48 h`, `2 jours`, `deux jours`, `a week`): seconds and the
/// index after it.
pub(crate) fn duration_at(req: &Request, i: usize) -> Option<(u64, usize)> {
    if req.is_used(i) {
        return None;
    }
    // "1.5 days", "2,5h": a fraction of a unit counts when it makes whole seconds.
    let times = |n: &super::numbers::Number, unit: u64| match n.whole {
        Some(w) => w.checked_mul(unit),
        None => {
            let secs = n.text.parse::<f64>().ok()? * unit as f64;
            (secs.fract() == 0.0 && secs > 0.0 && secs < 1e15).then_some(secs as u64)
        }
    };
    if let Some((n, unit)) = split_unit(req.norm(i)) {
        return Some((times(&n, unit_secs(unit)?)?, i + 1));
    }
    let (n, j) = number_at(req, i)?;
    let secs = unit_secs(req.norm(j)).filter(|_| !req.is_used(j))?;
    Some((times(&n, secs)?, j + 1))
}

/// The end of this weekend: the coming Sunday at 23:59 UTC (today when it is Sunday before then).
pub(crate) fn weekend_end(now: DateTime<Utc>) -> DateTime<Utc> {
    let to_sunday = 6 - u64::from(now.weekday().num_days_from_monday());
    let at = |days: u64| {
        let date = now.date_naive().checked_add_days(Days::new(days)).unwrap_or(now.date_naive());
        date.and_time(NaiveTime::from_hms_opt(23, 59, 0).unwrap_or_default()).and_utc()
    };
    let end = at(to_sunday);
    if end > now {
        end
    } else {
        at(to_sunday + 7)
    }
}

/// Midnight UTC starting the day of `now`.
pub(crate) fn midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_time(NaiveTime::MIN).and_utc()
}

/// Finds and claims how long something runs: the weekend, or a duration.
pub(crate) fn take_span(req: &mut Request, now: DateTime<Utc>, prizes: bool) -> Option<Span> {
    let weekend = [
        "tout|all le|the|~ week-end|weekend",
        "pour|for|over|pendant|durant|during|~ ce|cette|this|le|the|tout|~ whole|entire|~ week-end|weekend|week-ends",
    ];
    if weekend.iter().any(|p| req.take_pattern(p).is_some()) {
        return Some(Span::Until(weekend_end(now)));
    }
    if let Some(end) = super::clock::take_until_instant(req, now).or_else(|| take_until_day(req, now)) {
        return Some(Span::Until(end));
    }
    let month = "pour|for|pendant|during|~ tout|toute|all|the ~ le|la|the|~ whole|entire|~ mois|month";
    if req.find_pattern(month).is_some_and(|r| r.end - r.start >= 3) {
        req.take_pattern(month);
        return Some(Span::For(30 * DAY));
    }
    if req.take_pattern("pour|for|pendant|during|~ cette|this|toute|all la|the|~ semaine|week").is_some() {
        return Some(Span::For(7 * DAY));
    }
    let today = ["jusqu a|~ ce soir", "until|till tonight|midnight", "aujourd hui", "aujourdhui|today|tonight"];
    if today.iter().any(|p| req.take_pattern(p).is_some()) {
        req.take_pattern("seulement|only|uniquement");
        return Some(Span::Until(midnight(now) + Duration::days(1) - Duration::minutes(1)));
    }
    // "un mois de Premium", "a month of Nitro": a prize, not a duration.
    // "1 mois premium", "Premium (1 mois)": in a giveaway (`prizes`), months of a plan are a prize.
    let name = |k: usize| super::lexicon::is_name_like(req.norm(k)) && !super::lexicon::is_known_word(req.norm(k));
    let prize = |i: usize, end: usize| {
        let long = end > 0 && req.is(end - 1, &["mois", "month", "months", "an", "ans", "year", "years"]);
        let named = prizes && long && (name(end) || (i > 0 && !req.is_used(i - 1) && name(i - 1)));
        (req.is(end, &["de", "d", "of"]) && !req.is(end + 1, &["plus", "more"])) || named
    };
    let (i, (secs, end)) =
        (0..req.len()).find_map(|i| duration_at(req, i).filter(|&(_, end)| !prize(i, end)).map(|d| (i, d)))?;
    let lead = i.checked_sub(1).filter(|&p| req.is(p, &["pendant", "durant", "for", "during", "sur", "over"]));
    req.take(lead.unwrap_or(i)..end);
    Some(Span::For(secs))
}

/// Finds and claims a later start: `demain` / `tomorrow` (next midnight UTC).
pub(crate) fn take_start(req: &mut Request, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = format!("a|des|from|starting|on|~ partir|~ de|d|~ ce|this|le|~ {}", weekday_words());
    if let Some(range) = req.find_pattern(&start) {
        let day = weekday(req.norm(range.end - 1))?;
        req.take(range);
        return Some(midnight(now) + Duration::days(days_until(now, day)));
    }
    req.take_pattern("a|des|from|starting|~ partir|~ de|d|~ demain|tomorrow")?;
    Some(midnight(now) + Duration::days(1))
}

fn take_until_day(req: &mut Request, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let until = format!(
        "until|till|til|through|thru|jusqu|jusque|to|a|ends|expires|expire|finit|termine a|au|on|le|~ ce|this|le|~ {}",
        weekday_words()
    );
    let range = req.find_pattern(&until)?;
    let day = weekday(req.norm(range.end - 1))?;
    req.take(range.clone());
    let date = midnight(now) + Duration::days(days_until(now, day));
    // "to friday 6pm": the day's hour when it is said, else its last minute.
    if let Some((time, end)) = super::clock::time_at(req, range.end) {
        req.take(range.end..end);
        return Some(date.date_naive().and_time(time).and_utc());
    }
    Some(date + Duration::days(1) - Duration::minutes(1))
}

/// A reporting period as asked: a named one, or a custom range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Window {
    /// A period the shop knows.
    Named(Period),
    /// From an instant, to another or to now.
    Range(DateTime<Utc>, Option<DateTime<Utc>>),
}

/// Finds and claims a reporting period; `last_week_named` reads "last week" as the named week
/// (the report already holds the week before).
pub(crate) fn take_window(req: &mut Request, now: DateTime<Utc>, last_week_named: bool) -> Option<Window> {
    let today = midnight(now);
    if req.take_pattern("hier|yesterday").is_some() {
        return Some(Window::Range(today - Duration::days(1), Some(today)));
    }
    if let Some((from, to)) = super::clock::take_range(req, now, false) {
        return Some(Window::Range(from, Some(to)));
    }
    if let Some(from) = super::clock::take_since(req, now) {
        return Some(Window::Range(from, None));
    }
    if !last_week_named && req.take_pattern("la|the|~ semaine|week derniere|passee|last").is_some() {
        return Some(Window::Range(now - Duration::days(14), Some(now - Duration::days(7))));
    }
    if req.take_pattern("last|previous week").is_some() {
        if last_week_named {
            return Some(Window::Named(Period::Week));
        }
        return Some(Window::Range(now - Duration::days(14), Some(now - Duration::days(7))));
    }
    if let Some((i, secs, end)) = (0..req.len()).find_map(|i| last_duration_at(req, i).map(|(s, e)| (i, s, e))) {
        req.take(i..end);
        return Some(match secs {
            s if s == 7 * DAY => Window::Named(Period::Week),
            s if s == 30 * DAY => Window::Named(Period::Month),
            s => {
                let from =
                    i64::try_from(s).ok().and_then(Duration::try_seconds).and_then(|d| now.checked_sub_signed(d));
                from.map_or(Window::Named(Period::All), |from| Window::Range(from, None))
            }
        });
    }
    // "this year", "cette année", "year to date": since January 1st.
    let year = [
        "this|cette|current year|annee",
        "depuis|since janvier|january",
        "depuis|since le|the debut|start|beginning de|d|of l|the|~ annee|year",
        "ytd|year-to-date",
        "year to date",
    ];
    if year.iter().any(|p| req.take_pattern(p).is_some()) {
        let january = now.date_naive().with_ordinal(1).unwrap_or(now.date_naive());
        return Some(Window::Range(january.and_time(NaiveTime::MIN).and_utc(), None));
    }
    let named: &[(&str, Period)] = &[
        ("aujourd hui", Period::Today),
        ("aujourdhui|today|daily|quotidien|quotidienne", Period::Today),
        ("du|de|ce jour|journee", Period::Today),
        ("semaine|week|hebdo|hebdomadaire|weekly", Period::Week),
        ("mois|month|mensuel|mensuelle|monthly", Period::Month),
        ("depuis|since le|the|l|~ debut|toujours|ouverture|beginning|start|launch|opening", Period::All),
        ("all-time|ever|total|totales|totaux|lifetime", Period::All),
        ("all time", Period::All),
    ];
    named.iter().find_map(|(pattern, period)| req.take_pattern(pattern).map(|_| Window::Named(*period)))
}

/// A duration looking back: `7 jours`, `7 derniers jours`, `30 days`.
fn last_duration_at(req: &Request, i: usize) -> Option<(u64, usize)> {
    if let Some(found) = duration_at(req, i) {
        return Some(found);
    }
    let (n, j) = number_at(req, i)?;
    let unit = req.match_at(j, "derniers|dernieres|passes|passees|last|past")?;
    let secs = unit_secs(req.norm(unit)).filter(|_| !req.is_used(unit))?;
    Some((n.whole?.checked_mul(secs)?, unit + 1))
}

/// A duration as an admin says it: `48h`, `7 jours` / `7 days`, `30 min`.
pub(crate) fn show_secs(secs: u64, french: bool) -> String {
    if secs.is_multiple_of(DAY) && secs >= 3 * DAY {
        let days = secs / DAY;
        return if french { format!("{days} jours") } else { format!("{days} days") };
    }
    if secs.is_multiple_of(HOUR) {
        return format!("{}h", secs / HOUR);
    }
    if secs.is_multiple_of(60) {
        return format!("{} min", secs / 60);
    }
    format!("{secs} s")
}

/// An end as an admin says it: `jusqu'à dimanche 23:59 UTC` / `until Sunday 23:59 UTC`, tonight,
/// or a date.
pub(crate) fn show_until(end: DateTime<Utc>, now: DateTime<Utc>, french: bool) -> String {
    let time = end.format("%H:%M");
    match (end.date_naive() == now.date_naive(), end.weekday(), french) {
        (_, Weekday::Sun, true) => format!("jusqu'à dimanche {time} UTC"),
        (_, Weekday::Sun, false) => format!("until Sunday {time} UTC"),
        (true, _, true) => format!("jusqu'à ce soir {time} UTC"),
        (true, _, false) => format!("until tonight {time} UTC"),
        (false, _, true) => format!("jusqu'au {} UTC", end.format("%d/%m/%Y %H:%M")),
        (false, _, false) => format!("until {} UTC", end.format("%Y-%m-%d %H:%M")),
    }
}

/// Whether a word names a unit of time (so it is not a name).
pub(crate) fn is_unit(word: &str) -> bool {
    unit_secs(word).is_some() || word_in(word, &["week-end", "weekend", "demain", "tomorrow", "hier", "yesterday"])
}
