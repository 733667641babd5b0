//! Reporting periods as time ranges.

use chrono::{DateTime, Duration, Utc};
use subjects::params::Period;

/// `[from, to)` for `period` at `now`; `opened` bounds `Period::All`.
pub fn range(period: Period, now: DateTime<Utc>, opened: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = match period {
        Period::Today => now.date_naive().and_hms_opt(0, 0, 0).map_or(now, |d| d.and_utc()),
        Period::Week => now - Duration::days(7),
        Period::Month => now - Duration::days(30),
        Period::All => opened.min(now),
    };
    (from, now)
}

/// The range of the same length just before `[from, to)`.
pub fn previous(from: DateTime<Utc>, to: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (from - (to - from), from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn today_starts_at_midnight_utc_and_previous_has_the_same_length() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 15, 30, 0).unwrap();
        let (from, to) = range(Period::Today, now, now);
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap());
        assert_eq!(previous(from, to).0, Utc.with_ymd_and_hms(2026, 11, 23, 8, 30, 0).unwrap());
    }
}
