//! Who may enter a giveaway, and with how many entries.

use chrono::{DateTime, Duration, TimeZone, Utc};
use subjects::params::{BonusEntries, Requirements};

/// What the shop knows of a member when they enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    /// Discord user id (a snowflake: it carries the account's creation time).
    pub id: String,
    /// Role ids held.
    pub roles: Vec<String>,
    /// When they joined the server.
    pub joined_at: Option<DateTime<Utc>>,
}

/// Discord's epoch, in Unix milliseconds.
const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;

/// When a Discord account was created, read from its id.
pub fn account_created(id: &str) -> Option<DateTime<Utc>> {
    let snowflake: u64 = id.parse().ok()?;
    let ms = i64::try_from(snowflake >> 22).ok()? + DISCORD_EPOCH_MS;
    Utc.timestamp_millis_opt(ms).single()
}

/// Checks the requirements; the error says what is missing.
pub fn eligible(req: &Requirements, member: &MemberInfo, now: DateTime<Utc>) -> Result<(), String> {
    if let Some(role) = &req.role {
        if !member.roles.contains(role) {
            return Err(format!("you need the role <@&{role}> to enter"));
        }
    }
    if let Some(days) = req.account_age_days {
        let created = account_created(&member.id).ok_or("your account age cannot be read")?;
        if now - created < Duration::days(i64::from(days)) {
            return Err(format!("your Discord account must be at least {days} days old"));
        }
    }
    if let Some(days) = req.member_days {
        let joined = member.joined_at.ok_or("your join date is unknown")?;
        if now - joined < Duration::days(i64::from(days)) {
            return Err(format!("you must have been in the server for at least {days} days"));
        }
    }
    Ok(())
}

/// Entries of a member: 1, plus every bonus whose role they hold.
pub fn weight(bonus: &[BonusEntries], member: &MemberInfo) -> u32 {
    1 + bonus.iter().filter(|b| member.roles.contains(&b.role)).map(|b| b.entries).sum::<u32>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(roles: &[&str], joined_days_ago: i64) -> MemberInfo {
        // 175928847299117063 was created on 2016-04-30 (Discord's documentation example).
        MemberInfo {
            id: "175928847299117063".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            joined_at: Some(Utc::now() - Duration::days(joined_days_ago)),
        }
    }

    #[test]
    fn the_account_creation_time_comes_from_the_snowflake() {
        assert_eq!(account_created("175928847299117063").unwrap().to_rfc3339(), "2016-04-30T11:18:25.796+00:00");
    }

    #[test]
    fn requirements_refuse_with_a_reason_and_bonuses_add_up() {
        let req = Requirements { role: Some("111".into()), account_age_days: Some(30), member_days: Some(7) };
        let now = Utc::now();
        assert!(eligible(&req, &member(&["111"], 10), now).is_ok());
        assert!(eligible(&req, &member(&[], 10), now).unwrap_err().contains("role"));
        assert!(eligible(&req, &member(&["111"], 2), now).unwrap_err().contains("7 days"));
        let bonus = [BonusEntries { role: "b1".into(), entries: 2 }, BonusEntries { role: "b2".into(), entries: 3 }];
        assert_eq!(weight(&bonus, &member(&["b1", "b2"], 1)), 6);
        assert_eq!(weight(&bonus, &member(&[], 1)), 1);
    }
}
