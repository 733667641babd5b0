//! Instants written in a request, in UTC: a date (`2027-01-15`, `24 décembre`, `dec 24`,
//! `1er novembre`), a time of day (`18h`, `20h30`, `9pm`, `21:00`) with the day said before it
//! (`demain 18h`, `friday at 9pm`, `ce soir à 20h`, `le 24 décembre à 20h`), and a start counted
//! from now (`dans 2 heures`, `in 2 hours`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};

use super::text::Request;
use super::time::duration_at;

const MONTHS: &[(&[&str], u32)] = &[
    (&["janvier", "january", "jan"], 1),
    (&["fevrier", "february", "feb"], 2),
    (&["mars", "march", "mar"], 3),
    (&["avril", "april", "apr"], 4),
    (&["mai", "may"], 5),
    (&["juin", "june", "jun"], 6),
    (&["juillet", "july", "jul"], 7),
    (&["aout", "august", "aug"], 8),
    (&["septembre", "september", "sept", "sep"], 9),
    (&["octobre", "october", "oct"], 10),
    (&["novembre", "november", "nov"], 11),
    (&["decembre", "december", "dec"], 12),
];

const WEEKDAYS: &[(&[&str], Weekday)] = &[
    (&["lundi", "monday", "mon"], Weekday::Mon),
    (&["mardi", "tuesday", "tue"], Weekday::Tue),
    (&["mercredi", "wednesday", "wed"], Weekday::Wed),
    (&["jeudi", "thursday", "thu"], Weekday::Thu),
    (&["vendredi", "friday", "fri"], Weekday::Fri),
    (&["samedi", "saturday", "sat"], Weekday::Sat),
    (&["dimanche", "sunday", "sun"], Weekday::Sun),
];

/// Words that put a start before an instant (`à partir de`, `dès`, `starting`, `le`, `on`…).
const LEAD: &str = "a|des|from|starting|beginning|on|le|du|this|ce|next|~ partir|~ de|du|d|~ le|the|~";
/// Words that make the instant after them an end (`until 8pm`, `jusqu'à 23h`, `expires sunday`).
const UNTIL: &[&str] = &[
    "until", "till", "til", "jusqu", "jusque", "jusquau", "au", "to", "through", "thru", "ends", "end", "ending",
    "expires", "expire", "expiring", "finit", "termine", "fin", "valid", "valable",
];

/// Whether the instant starting at token `at` is an end: an end word before it, maybe with
/// `le`, `on`, `the`, `a` between.
fn is_end(req: &Request, at: usize) -> bool {
    let mut k = at;
    while k > 0 && req.is(k - 1, &["le", "on", "the", "a", "at"]) {
        k -= 1;
    }
    k > 0 && req.is(k - 1, UNTIL)
}
/// Words between a day and its time (`demain à 18h`, `friday at 9pm`, `vers 20h`).
const AT: &[&str] = &["a", "at", "vers", "around", "des", "from", "starting", "sur", "le", "on"];

fn month(word: &str) -> Option<u32> {
    MONTHS.iter().find(|(words, _)| words.contains(&word)).map(|&(_, m)| m)
}

fn day_of(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches("st").trim_end_matches("nd").trim_end_matches("rd").trim_end_matches("th");
    let digits = digits.trim_end_matches("er");
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

pub(crate) fn weekday(word: &str) -> Option<Weekday> {
    WEEKDAYS.iter().find(|(words, _)| words.contains(&word)).map(|&(_, day)| day)
}

pub(crate) fn weekday_words() -> String {
    WEEKDAYS.iter().flat_map(|(words, _)| words.iter()).copied().collect::<Vec<_>>().join("|")
}

/// Days from `now` to the next `day` (0 when it is today).
pub(crate) fn days_until(now: DateTime<Utc>, day: Weekday) -> i64 {
    i64::from((7 + day.num_days_from_monday() - now.weekday().num_days_from_monday()) % 7)
}

/// A date written around token `i` (an ISO date at `i`, or a month at `i` with its day before
/// or after and an optional year): the date and its first and last tokens. Without a year, the
/// date is this year's, or the next one's when `ahead` and it is past (a release), or the last
/// one's when not `ahead` and it is to come (a period "since").
pub(crate) fn date_at(req: &Request, i: usize, now: DateTime<Utc>, ahead: bool) -> Option<(NaiveDate, usize, usize)> {
    if req.is_used(i) {
        return None;
    }
    if let Ok(date) = NaiveDate::parse_from_str(req.norm(i), "%Y-%m-%d") {
        return Some((date, i, i));
    }
    let m = month(req.norm(i))?;
    let before = i.checked_sub(1).filter(|&p| !req.is_used(p)).and_then(|p| day_of(req.norm(p)).map(|d| (d, p)));
    let after = Some(i + 1).filter(|&n| !req.is_used(n)).and_then(|n| day_of(req.norm(n)).map(|d| (d, n)));
    let (day, first, last) = match (before, after) {
        (Some((d, p)), _) => (d, p, i),
        (None, Some((d, n))) => (d, i, n),
        _ => return None,
    };
    let year: Option<i32> = req.norm(last + 1).parse().ok().filter(|y| (2000..3000).contains(y));
    let last = if year.is_some() { last + 1 } else { last };
    let today = now.date_naive();
    let mut date = NaiveDate::from_ymd_opt(year.unwrap_or(now.year()), m, day)?;
    if year.is_none() && ahead && date < today {
        date = NaiveDate::from_ymd_opt(now.year() + 1, m, day)?;
    } else if year.is_none() && !ahead && date > today {
        date = NaiveDate::from_ymd_opt(now.year() - 1, m, day)?;
    }
    Some((date, first, last))
}

/// The first date of the request (see [`date_at`]), taken with the word before it (`le`, `on`…).
pub(crate) fn take_date(req: &mut Request, now: DateTime<Utc>, ahead: bool) -> Option<NaiveDate> {
    let (date, first, last) = (0..req.len()).find_map(|i| date_at(req, i, now, ahead))?;
    req.take(first..last + 1);
    let lead = first.checked_sub(1).filter(|&p| req.is(p, &["le", "on", "the", "for", "pour", "au", "du"]));
    if let Some(p) = lead {
        req.take(p..p + 1);
    }
    Some(date)
}

/// A time of day in one word: `18h`, `18h30`, `9pm`, `9am`, `21:00`, `9:30pm`; and whether it
/// can only be a time (am/pm or a colon), not a number of hours.
fn time_of_day(word: &str) -> Option<(NaiveTime, bool)> {
    match word {
        "midi" | "noon" => return Some((NaiveTime::from_hms_opt(12, 0, 0)?, true)),
        "minuit" | "midnight" => return Some((NaiveTime::MIN, true)),
        _ => {}
    }
    let (body, meridiem) = match (word.strip_suffix("pm"), word.strip_suffix("am")) {
        (Some(b), _) => (b, Some(12)),
        (_, Some(b)) => (b, Some(0)),
        _ => (word, None),
    };
    let (h, m, colon) = if let Some((h, m)) = body.split_once(':') {
        (h, m, true)
    } else if let Some((h, m)) = body.split_once('h') {
        (h, m, false)
    } else if meridiem.is_some() {
        (body, "", false)
    } else {
        return None;
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !(m.is_empty() || (digits(m) && m.len() == 2)) {
        return None;
    }
    let (mut h, m): (u32, u32) = (h.parse().ok()?, if m.is_empty() { 0 } else { m.parse().ok()? });
    if let Some(offset) = meridiem {
        if !(1..=12).contains(&h) {
            return None;
        }
        h = h % 12 + offset;
    }
    Some((NaiveTime::from_hms_opt(h, m, 0)?, colon || meridiem.is_some()))
}

/// A time of day at token `i` (`9 pm` in two words too): the time, whether it can only be a
/// time, and the index after it.
fn clock_at(req: &Request, i: usize) -> Option<(NaiveTime, bool, usize)> {
    if req.is_used(i) {
        return None;
    }
    if let Some((time, sure)) = time_of_day(req.norm(i)) {
        return Some((time, sure, i + 1));
    }
    let unit = req.norm(i + 1);
    if (unit == "pm" || unit == "am") && !req.is_used(i + 1) {
        let (time, _) = time_of_day(&format!("{}{unit}", req.norm(i)))?;
        return Some((time, true, i + 2));
    }
    None
}

/// A time of day at token `i` (`6pm`, `18h`, `at 9:30`), with the index after it.
pub(crate) fn time_at(req: &Request, i: usize) -> Option<(NaiveTime, usize)> {
    let at = if req.is(i, &["a", "at", "vers", "around"]) { i + 1 } else { i };
    clock_at(req, at).map(|(time, _, end)| (time, end))
}

/// The day said just before token `end` (exclusive): `demain`, `tomorrow`, `ce soir`, `today`,
/// a weekday or a date; with its first token.
fn day_before(req: &Request, end: usize, now: DateTime<Utc>) -> Option<(NaiveDate, usize)> {
    let k = end.checked_sub(1).filter(|&k| !req.is_used(k))?;
    let today = now.date_naive();
    let word = req.norm(k);
    if matches!(word, "demain" | "tomorrow") {
        return Some((today + Duration::days(1), k));
    }
    if matches!(word, "soir" | "tonight" | "today" | "aujourdhui" | "hui") {
        return Some((today, if word == "hui" { k.saturating_sub(1) } else { k }));
    }
    if let Some(day) = weekday(word) {
        return Some((today + Duration::days(days_until(now, day)), k));
    }
    // "le 24 à 18h", "on the 24th at 6pm": that day of this month, or of the next one.
    if let Some(d) = day_of(word).filter(|_| k > 0 && req.is(k - 1, &["le", "the", "on"])) {
        return Some((day_ahead(today, d)?, k - 1));
    }
    let month_at = [k, k.saturating_sub(1), k.saturating_sub(2)].into_iter().find(|&m| month(req.norm(m)).is_some())?;
    let (date, first, last) = date_at(req, month_at, now, true)?;
    (last == k).then_some((date, first))
}

/// When a request says a thing starts: a time of day with or without its day (`demain 18h`,
/// `friday at 9pm`, `à 20h`), a date (`le 24 décembre`, `starting dec 24`), or a delay (`dans
/// 2 heures`, `in 2 hours`). The words are taken; a day alone (`demain`, `vendredi`) is left to
/// [`super::time::take_start`].
pub(crate) fn take_start_instant(req: &mut Request, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let ends = ["expire*", "ends", "end", "finit", "termine", "fin", "closes", "close"];
    if let Some(r) = req.find_pattern("dans|in").filter(|r| !(r.start > 0 && req.is(r.start - 1, &ends))) {
        if let Some((secs, end)) = duration_at(req, r.end) {
            req.take(r.start..end);
            return Some(now + Duration::seconds(i64::try_from(secs).ok()?));
        }
    }
    for i in 0..req.len() {
        let Some((time, sure, end)) = clock_at(req, i) else { continue };
        let mut first = i;
        while first > 0 && req.is(first - 1, AT) {
            first -= 1;
        }
        let day = day_before(req, first, now);
        // "until 8pm", "jusqu'à demain 18h": an end, read with the span.
        let from = day.map_or(first, |(_, at)| at);
        if is_end(req, from) {
            continue;
        }
        if !(sure || first < i || day.is_some()) {
            continue;
        }
        let (date, start) = match day {
            Some((date, at)) => (date, at),
            None if now.time() < time => (now.date_naive(), first),
            None => (now.date_naive() + Duration::days(1), first),
        };
        req.take(start..end);
        take_lead(req, start);
        return Some(date.and_time(time).and_utc());
    }
    if let Some(start) = take_relative_start(req, now) {
        return Some(start);
    }
    let i = (0..req.len()).find(|&i| date_at(req, i, now, true).is_some_and(|(_, first, _)| !is_end(req, first)))?;
    let (date, first, last) = date_at(req, i, now, true)?;
    req.take(first..last + 1);
    take_lead(req, first);
    Some(date.and_time(NaiveTime::MIN).and_utc())
}

/// The day a relative start falls on, from today.
type NextDay = fn(NaiveDate) -> Option<NaiveDate>;

/// Day `d` of this month, or of the next one when it is past.
fn day_ahead(today: NaiveDate, d: u32) -> Option<NaiveDate> {
    let date = NaiveDate::from_ymd_opt(today.year(), today.month(), d)?;
    if date >= today {
        return Some(date);
    }
    let next = next_month(today)?;
    NaiveDate::from_ymd_opt(next.year(), next.month(), d)
}

/// The first day of the month after `d`'s.
fn next_month(d: NaiveDate) -> Option<NaiveDate> {
    if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    }
}

/// `next week`, `la semaine prochaine` (next Monday), `next month`, `le mois prochain` (its 1st),
/// `le 24`, `on the 24th` (that day of this month, or of the next one when it is past): midnight.
fn take_relative_start(req: &mut Request, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = now.date_naive();
    let at = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
    let patterns: [(&str, NextDay); 2] = [
        ("next|la|le week|semaine|~ prochaine|~", |d| {
            Some(d + Duration::days(7 - i64::from(d.weekday().num_days_from_monday())))
        }),
        ("next|le month|mois|~ prochain|~", next_month),
    ];
    for (pattern, day) in patterns {
        let Some(r) = req.find_pattern(pattern) else { continue };
        let said = (r.start..r.end).any(|k| req.is(k, &["next", "prochaine", "prochain"]));
        if said && r.end - r.start >= 2 && !is_end(req, r.start) {
            req.take(r.clone());
            take_lead(req, r.start);
            return day(today).map(at);
        }
    }
    let r = req.find_pattern("le|the|on ~ the|~")?;
    let n = req.norm(r.end).to_owned();
    let ordinal = ["st", "nd", "rd", "th", "er"].iter().any(|s| n.ends_with(s));
    let plain = n.bytes().all(|b| b.is_ascii_digit()) && r.start < r.end && req.is(r.start, &["le"]);
    let next = req.norm(r.end + 1);
    let alone = r.end + 1 >= req.len()
        || req.is(r.end + 1, &["a", "at", "pour", "pendant", "for", "et", "and"])
        || clock_at(req, r.end + 1).is_some();
    let d = day_of(&n).filter(|_| (ordinal || plain) && alone && month(next).is_none() && !is_end(req, r.start))?;
    let date = day_ahead(today, d)?;
    let time = time_at(req, r.end + 1);
    req.take(r.start..time.map_or(r.end + 1, |(_, e)| e));
    Some(date.and_time(time.map_or(NaiveTime::MIN, |(t, _)| t)).and_utc())
}

/// Takes the words that lead to an instant starting at token `at` (`à partir du`, `dès`, `le`).
fn take_lead(req: &mut Request, at: usize) {
    let lead = (at.saturating_sub(4)..at).find_map(|s| req.match_at(s, LEAD).filter(|&e| e == at).map(|_| s));
    if let Some(s) = lead {
        req.take(s..at);
    }
}

/// `until 8pm`, `jusqu'à demain 18h`, `till tonight 11pm`: the instant a span ends (the next
/// such time when no day is said).
pub(crate) fn take_until_instant(req: &mut Request, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // "until dec 31", "jusqu'au 25 décembre", "expire le 20 décembre": that day's last minute,
    // or its hour when one is said.
    let dated = (0..req.len()).find_map(|i| date_at(req, i, now, true).filter(|(_, f, _)| is_end(req, *f)));
    if let Some((date, first, last)) = dated {
        let mut start = first;
        while start > 0 && (req.is(start - 1, &["le", "on", "the", "a", "at"]) || req.is(start - 1, UNTIL)) {
            start -= 1;
        }
        let (time, end) = time_at(req, last + 1).unwrap_or((NaiveTime::from_hms_opt(23, 59, 0)?, last + 1));
        req.take(start..end);
        return Some(date.and_time(time).and_utc());
    }
    // "till the end of the month", "jusqu'à la fin du mois": the month's last minute.
    let month_end = ["end of the|this month", "fin du|de ce|~ mois"];
    if let Some(r) = month_end.iter().find_map(|p| req.find_pattern(p)) {
        let lead = (r.start.saturating_sub(3)..r.start)
            .find(|&s| (s..r.start).all(|k| req.is(k, UNTIL) || req.is(k, &["a", "la", "the", "by"])));
        req.take(lead.unwrap_or(r.start)..r.end);
        let next = next_month(now.date_naive())?;
        return Some(next.and_time(NaiveTime::MIN).and_utc() - Duration::minutes(1));
    }
    let r = req.find_pattern("until|till|til|jusqu|jusque a|~")?;
    let mut j = r.end;
    while req.is(j, &["ce", "this", "le", "the"]) {
        j += 1;
    }
    let (day, k) = match req.norm(j) {
        "demain" | "tomorrow" if !req.is_used(j) => (Some(now.date_naive() + Duration::days(1)), j + 1),
        "soir" | "tonight" | "today" | "aujourdhui" if !req.is_used(j) => (Some(now.date_naive()), j + 1),
        _ => (None, j),
    };
    let (time, end) = time_at(req, k)?;
    let date = day.unwrap_or(if now.time() < time { now.date_naive() } else { now.date_naive() + Duration::days(1) });
    req.take(r.start..end);
    Some(date.and_time(time).and_utc())
}

/// A range of whole days said in a request, `[from, to)` at midnight UTC: `du 1er au 15
/// novembre`, `between nov 1 and nov 15` (the last day included), a month alone (`en
/// novembre`, `in november`: its first day to the next month's).
pub(crate) fn take_range(req: &mut Request, now: DateTime<Utc>, ahead: bool) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let at = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
    // Two days: the first may leave its month to the second ("du 1er au 15 novembre").
    if let Some(r) = req.find_pattern("du|from|between|entre le|the|~") {
        let k = r.end;
        let sep = ["au", "to", "and", "et", "until", "till", "jusqu"];
        let first = [k, k + 1].into_iter().find_map(|m| date_at(req, m, now, ahead)).filter(|(_, f, _)| *f == k);
        let (d1, sep_at) = match first {
            Some((d, _, last)) => (Some(d), last + 1),
            None => (None, k + 1),
        };
        let day1 = day_of(req.norm(k)).filter(|_| d1.is_none());
        if req.is(sep_at, &sep) {
            let mut s = sep_at + 1;
            while req.is(s, &["le", "the", "a"]) {
                s += 1;
            }
            let second = [s, s + 1].into_iter().find_map(|m| date_at(req, m, now, ahead)).filter(|(_, f, _)| *f == s);
            if let Some((d2, _, last)) = second {
                let d1 = d1.or_else(|| NaiveDate::from_ymd_opt(d2.year(), d2.month(), day1?));
                if let Some(d1) = d1.filter(|d1| *d1 <= d2) {
                    req.take(r.start..last + 1);
                    return Some((at(d1), at(d2 + Duration::days(1))));
                }
            }
        }
    }
    // A month alone: "ventes de novembre", "sales in november", "en octobre".
    let lead = "en|in|de|du|d|of|for|during|pour|sur le|the|~ mois|month|~ de|d|of|~";
    for i in 0..req.len() {
        let Some(m) = month(req.norm(i)).filter(|_| !req.is_used(i)) else { continue };
        if day_of(req.norm(i + 1)).is_some() || (i > 0 && day_of(req.norm(i - 1)).is_some()) {
            continue;
        }
        let Some(start) = (i.saturating_sub(5)..i).find(|&s| req.match_at(s, lead) == Some(i)) else { continue };
        let year = match (ahead, m.cmp(&now.month())) {
            (false, std::cmp::Ordering::Greater) => now.year() - 1,
            (true, std::cmp::Ordering::Less) => now.year() + 1,
            _ => now.year(),
        };
        let from = NaiveDate::from_ymd_opt(year, m, 1)?;
        let to =
            if m == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1)? } else { NaiveDate::from_ymd_opt(year, m + 1, 1)? };
        req.take(start..i + 1);
        return Some((at(from), at(to)));
    }
    None
}

/// `depuis le 1er novembre`, `since nov 15`: the day a period starts, at midnight UTC.
pub(crate) fn take_since(req: &mut Request, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // "since monday", "depuis vendredi dernier": that day's midnight, this week or the last.
    let day = format!("depuis|since le|~ last|~ {} ~ dernier|last|~", weekday_words());
    if let Some(r) = req.find_pattern(&day) {
        let k = (r.start..r.end).find(|&k| weekday(req.norm(k)).is_some())?;
        let back = (7 + now.weekday().num_days_from_monday() - weekday(req.norm(k))?.num_days_from_monday()) % 7;
        let back = if back == 0 { 7 } else { back };
        req.take(r);
        return Some((now.date_naive() - Duration::days(i64::from(back))).and_time(NaiveTime::MIN).and_utc());
    }
    let r = req.find_pattern("depuis|since|from le|the|~")?;
    let (date, first, last) = [r.end, r.end + 1].into_iter().find_map(|m| date_at(req, m, now, false))?;
    if first != r.end {
        return None;
    }
    req.take(r.start..last + 1);
    Some(date.and_time(NaiveTime::MIN).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-02T10:00:00Z".parse().expect("an instant")
    }

    fn start(text: &str) -> Option<String> {
        let mut req = Request::new(text);
        take_start_instant(&mut req, now()).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    #[test]
    fn a_time_of_day_with_its_day_is_a_start_in_both_languages() {
        assert_eq!(start("moitie prix demain 18h pendant 3h").as_deref(), Some("2026-12-03T18:00:00Z"));
        assert_eq!(start("friday at 9pm for 3 hours").as_deref(), Some("2026-12-04T21:00:00Z"));
        assert_eq!(start("ce soir à 20h pour 4 heures").as_deref(), Some("2026-12-02T20:00:00Z"));
        assert_eq!(start("le 24 décembre à 20h, pour 6h").as_deref(), Some("2026-12-24T20:00:00Z"));
        assert_eq!(start("tomorrow at 6 pm").as_deref(), Some("2026-12-03T18:00:00Z"));
        assert_eq!(start("à 9h").as_deref(), Some("2026-12-03T09:00:00Z"));
    }

    #[test]
    fn a_delay_or_a_date_is_a_start_and_a_bare_number_of_hours_is_not() {
        assert_eq!(start("dans 2 heures, -25%").as_deref(), Some("2026-12-02T12:00:00Z"));
        assert_eq!(start("starting dec 24").as_deref(), Some("2026-12-24T00:00:00Z"));
        assert_eq!(start("pendant 18h"), None);
        assert_eq!(start("promo 48h"), None);
        assert_eq!(start("jusqu'au 24 décembre"), None);
    }

    #[test]
    fn a_period_since_a_date_starts_at_its_midnight_in_the_past() {
        let mut req = Request::new("ventes depuis le 1er novembre");
        assert_eq!(take_since(&mut req, now()), "2026-11-01T00:00:00Z".parse().ok());
        let mut req = Request::new("sales since dec 15");
        assert_eq!(take_since(&mut req, now()), "2025-12-15T00:00:00Z".parse().ok());
    }
}
