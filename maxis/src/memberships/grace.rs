//! The grace policy after a failed renewal, and what the member and the admins are told. Pure:
//! no Discord, NATS or SQL.

use chrono::{DateTime, Utc};

use super::MembershipPolicy;

/// A failed renewal as the shop tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dunning {
    /// The subscription.
    pub subscription_id: String,
    /// The invoice that failed.
    pub invoice_id: String,
    /// The member (Discord user id).
    pub member: String,
    /// The plan.
    pub product_id: String,
    /// Where the member pays (Stripe's hosted invoice page), if Stripe gave one.
    pub pay_url: Option<String>,
    /// When the payment failed.
    pub started_at: DateTime<Utc>,
    /// When the role goes if still unpaid.
    pub grace_until: DateTime<Utc>,
    /// When the member was reminded.
    pub reminded_at: Option<DateTime<Utc>>,
    /// `None` while open; `recovered` or `lost`.
    pub outcome: Option<String>,
}

/// What a subscription's role should be, given its Stripe status and its latest failed renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// Grants the role.
    pub active: bool,
    /// The ledger state (`active`, `grace`, `grace_ended`, `unpaid`…).
    pub state: String,
    /// In words.
    pub note: String,
}

/// The standing of a subscription in Stripe status `status` (which `keeps` the role or not), with
/// its latest failed renewal `dunning`, at `now`. A past-due subscription keeps the role while
/// its grace runs and loses it once the grace ended unpaid; any other status is Stripe's word.
pub fn standing(status: &str, keeps: bool, dunning: Option<&Dunning>, now: DateTime<Utc>) -> Standing {
    let day = |at: DateTime<Utc>| at.format("%Y-%m-%d").to_string();
    match (status, dunning) {
        ("past_due", Some(d)) if d.outcome.is_none() && d.grace_until > now => Standing {
            active: true,
            state: "grace".into(),
            note: format!("renewal failed; grace until {}", day(d.grace_until)),
        },
        ("past_due", Some(d)) if d.outcome.as_deref() != Some("recovered") => Standing {
            active: false,
            state: "grace_ended".into(),
            note: format!("renewal unpaid at the end of the grace ({})", day(d.grace_until)),
        },
        _ => Standing { active: keeps, state: status.into(), note: format!("subscription {status}") },
    }
}

/// When the grace of a renewal that failed at `at` ends.
pub fn grace_until(policy: &MembershipPolicy, at: DateTime<Utc>) -> DateTime<Utc> {
    at + policy.grace
}

/// Whether the member should be reminded of open `d` at `now`.
pub fn remind_due(policy: &MembershipPolicy, d: &Dunning, now: DateTime<Utc>) -> bool {
    d.outcome.is_none() && d.reminded_at.is_none() && now >= d.grace_until - policy.reminder && now < d.grace_until
}

/// The member's DM when a renewal fails.
pub fn failed_text(plan: &str, d: &Dunning) -> String {
    format!(
        "Your payment for the {plan} membership did not go through. You keep your role until {} while you fix \
         it.\n{}",
        d.grace_until.format("%Y-%m-%d %H:%M UTC"),
        pay_line(d)
    )
}

/// The member's reminder before the grace ends.
pub fn reminder_text(plan: &str, d: &Dunning) -> String {
    format!(
        "Reminder: the {plan} membership is still unpaid. Your role ends on {} unless the payment goes through.\n{}",
        d.grace_until.format("%Y-%m-%d %H:%M UTC"),
        pay_line(d)
    )
}

/// The member's DM when the role goes.
pub fn lost_text(plan: &str) -> String {
    format!(
        "Your {plan} membership has ended because its renewal was not paid, and its role was removed. \
         Subscribe again any time from the shop."
    )
}

/// The admins' note when a renewal fails.
pub fn admin_text(plan: &str, d: &Dunning) -> String {
    format!(
        "💳 <@{}>'s renewal of {plan} failed (invoice {}). They keep the role until {} (grace); they were sent \
         the payment link.",
        d.member,
        d.invoice_id,
        d.grace_until.format("%Y-%m-%d")
    )
}

fn pay_line(d: &Dunning) -> String {
    match &d.pay_url {
        Some(url) => format!("Pay or update your card here: {url}"),
        None => "Update your card from the shop's subscription page.".to_owned(),
    }
}
