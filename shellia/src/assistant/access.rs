//! Who may command, and how fast. Decided here, in code, before the brain reads anything.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Requester;
use crate::configuration::AdminSettings;

/// The admin policy: configured role ids and user ids; the transport's admin permission and the
/// local console also pass.
#[derive(Debug, Clone)]
pub struct Policy {
    roles: Vec<u64>,
    users: Vec<u64>,
}

impl Policy {
    /// From the settings.
    pub fn new(settings: &AdminSettings) -> Self {
        Self { roles: settings.roles.clone(), users: settings.users.clone() }
    }

    /// Whether `who` may command.
    pub fn is_admin(&self, who: &Requester) -> bool {
        let user = who.id.strip_prefix("discord:").and_then(|id| id.parse::<u64>().ok());
        who.console
            || who.admin_permission
            || user.is_some_and(|u| self.users.contains(&u))
            || who.roles.iter().any(|r| self.roles.contains(r))
    }
}

/// A token bucket per requester: `per_minute` tokens, refilled continuously. A std `Mutex`:
/// held only for arithmetic, never across an await.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_minute` requests a minute, in bursts of up to as many.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute: f64::from(per_minute.max(1)), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `who`, or says how long to wait for the next one.
    pub fn take(&self, who: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, at) = buckets.entry(who.to_owned()).or_insert((self.per_minute, now));
        let refill = now.duration_since(*at).as_secs_f64() * self.per_minute / 60.0;
        *tokens = (*tokens + refill).min(self.per_minute);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) * 60.0 / self.per_minute))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requester(id: &str, roles: Vec<u64>) -> Requester {
        Requester { id: id.to_owned(), name: "x".to_owned(), roles, admin_permission: false, console: false }
    }

    #[test]
    fn admins_are_configured_roles_users_the_permission_or_the_console() {
        let policy = Policy::new(&AdminSettings { roles: vec![7], users: vec![42], orders_per_minute: 20 });
        assert!(policy.is_admin(&requester("discord:1", vec![7])));
        assert!(policy.is_admin(&requester("discord:42", vec![])));
        assert!(!policy.is_admin(&requester("discord:1", vec![8])));
        assert!(policy.is_admin(&Requester { admin_permission: true, ..requester("discord:1", vec![]) }));
        assert!(policy.is_admin(&Requester { console: true, ..requester("console:me", vec![]) }));
    }

    #[test]
    fn the_bucket_allows_a_burst_then_says_how_long_to_wait() {
        let limiter = RateLimiter::new(2);
        assert!(limiter.take("a").is_ok());
        assert!(limiter.take("a").is_ok());
        let wait = limiter.take("a").unwrap_err();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30), "{wait:?}");
        assert!(limiter.take("b").is_ok(), "each admin has their own bucket");
    }
}
