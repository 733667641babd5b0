//! When a campaign runs: `fri 18:00`, `friday 18:00`, `vendredi 18h`, `daily 09:00`, `mon 9:00`.
//! Times are UTC. A slot is one scheduled instant; the scheduler runs the latest slot not yet run.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

/// A weekly or daily time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The day, or every day.
    pub day: Option<Weekday>,
    /// The time of day (UTC).
    pub time: NaiveTime,
}

/// Why a schedule does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule {0:?}: write a day and a time in UTC, e.g. `fri 18:00`, `monday 9:00`, `daily 09:30`")]
pub struct ScheduleError(pub String);

const DAYS: &[(&[&str], Weekday)] = &[
    (&["mon", "monday", "lun", "lundi", "mondays"], Weekday::Mon),
    (&["tue", "tuesday", "mar", "mardi", "tuesdays"], Weekday::Tue),
    (&["wed", "wednesday", "mer", "mercredi", "wednesdays"], Weekday::Wed),
    (&["thu", "thursday", "jeu", "jeudi", "thursdays"], Weekday::Thu),
    (&["fri", "friday", "ven", "vendredi", "fridays"], Weekday::Fri),
    (&["sat", "saturday", "sam", "samedi", "saturdays"], Weekday::Sat),
    (&["sun", "sunday", "dim", "dimanche", "sundays"], Weekday::Sun),
];

impl Schedule {
    /// Reads `<day|daily> <HH:MM|HHh|HHhMM>`.
    pub fn parse(day: &str, time: &str) -> Result<Self, ScheduleError> {
        let bad = || ScheduleError(format!("{day} {time}"));
        let d = day.to_lowercase();
        let day = match d.as_str() {
            "daily" | "everyday" | "quotidien" | "jour" | "day" => None,
            other => Some(DAYS.iter().find(|(names, _)| names.contains(&other)).map(|(_, w)| *w).ok_or_else(bad)?),
        };
        let t = time.to_lowercase().replace('h', ":");
        let (h, m) = t.split_once(':').unwrap_or((&t, ""));
        let m = if m.is_empty() { "0" } else { m };
        let time =
            NaiveTime::from_hms_opt(h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, 0).ok_or_else(bad)?;
        Ok(Self { day, time })
    }

    /// Reads the stored form (`fri 18:00`).
    pub fn from_stored(text: &str) -> Result<Self, ScheduleError> {
        let (day, time) = text.split_once(' ').ok_or_else(|| ScheduleError(text.to_owned()))?;
        Self::parse(day, time)
    }

    /// The latest slot at or before `now`.
    pub fn latest_slot(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = Utc.from_utc_datetime(&now.date_naive().and_time(self.time));
        let mut slot = if today <= now { today } else { today - Duration::days(1) };
        if let Some(day) = self.day {
            while slot.weekday() != day {
                slot -= Duration::days(1);
            }
        }
        slot
    }

    /// The next slot after `now`.
    pub fn next_slot(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let step = if self.day.is_some() { Duration::days(7) } else { Duration::days(1) };
        self.latest_slot(now) + step
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = self.day.map_or("daily".to_owned(), |d| d.to_string().to_lowercase());
        write!(f, "{day} {}", self.time.format("%H:%M"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_latest_friday_slot_is_found_from_any_day() {
        let friday = Schedule::parse("vendredi", "18h").unwrap();
        // 2025-06-06 is a Friday.
        assert_eq!(friday.latest_slot(at("2025-06-06T18:00:00Z")), at("2025-06-06T18:00:00Z"));
        assert_eq!(friday.latest_slot(at("2025-06-06T17:59:00Z")), at("2025-05-30T18:00:00Z"));
        assert_eq!(friday.latest_slot(at("2025-06-09T09:00:00Z")), at("2025-06-06T18:00:00Z"));
        assert_eq!(friday.next_slot(at("2025-06-09T09:00:00Z")), at("2025-06-13T18:00:00Z"));
        assert_eq!(friday.to_string(), "fri 18:00");
        assert_eq!(Schedule::from_stored("fri 18:00").unwrap(), friday);
    }

    #[test]
    fn daily_slots_and_bad_schedules() {
        let daily = Schedule::parse("daily", "09:30").unwrap();
        assert_eq!(daily.latest_slot(at("2025-06-06T09:00:00Z")), at("2025-06-05T09:30:00Z"));
        assert!(Schedule::parse("someday", "09:00").is_err());
        assert!(Schedule::parse("mon", "25:00").is_err());
    }
}
