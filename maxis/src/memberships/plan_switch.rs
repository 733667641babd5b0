//! The plan-switch policy: which switches are allowed, which way they go, and what the member
//! is told. Pure: no Discord, NATS or SQL.
//!
//! A switch goes between two plans (recurring products) of the shop billed in the same currency
//! and period. To a plan with a higher list price it is an *upgrade*: it takes effect at once,
//! Stripe charging the prorated difference for the rest of the period. To a lower (or equal)
//! one it is a *downgrade*: it takes effect at the end of the paid period, so the member keeps
//! what they paid for until then.

use chrono::{DateTime, Utc};

use crate::commerce::webhook::money;
use crate::domain::catalog::{Product, ProductKind};

/// Which way a switch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// To a dearer plan: at once, prorated.
    Upgrade,
    /// To a cheaper (or equally priced) plan: at the end of the period.
    Downgrade,
    /// Back to the plan the member is on while a downgrade is scheduled: the downgrade is dropped.
    Stay,
}

impl Direction {
    /// `upgrade` or `downgrade`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upgrade => "upgrade",
            Self::Downgrade => "downgrade",
            Self::Stay => "stay",
        }
    }

    /// Reads [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "upgrade" => Some(Self::Upgrade),
            "downgrade" => Some(Self::Downgrade),
            "stay" => Some(Self::Stay),
            _ => None,
        }
    }
}

/// Why a switch is refused, in words a member reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwitchRefusal {
    /// The member has no live subscription.
    #[error("you have no membership in this shop: `/shop` lists the plans")]
    NoSubscription,
    /// The target is not one of the shop's plans.
    #[error("`{asked}` is not a plan of this shop; its plans: {plans}")]
    NotAPlan {
        /// What was asked.
        asked: String,
        /// The shop's plans.
        plans: String,
    },
    /// The member is on that plan already.
    #[error("you are on {0} already")]
    SamePlan(String),
    /// Another currency or billing period.
    #[error("{0} is billed in another currency or period than your plan: cancel yours and subscribe to it instead")]
    Incompatible(String),
    /// A renewal is unpaid.
    #[error("your last payment did not go through: fix it with `/subscription manage` first, then switch")]
    PastDue,
    /// Set to end at the period's end.
    #[error("your membership ends at the end of this period: `/subscription resume` first, then switch")]
    Canceling,
    /// A free trial runs.
    #[error("you can switch plans once your free trial has become a paid membership")]
    Trialing,
    /// Not live (canceled, unpaid, incomplete).
    #[error("your membership is {0}: there is nothing to switch")]
    NotLive(String),
    /// That very switch is already scheduled.
    #[error("your switch to {plan} is already scheduled for {date}")]
    AlreadyScheduled {
        /// The plan.
        plan: String,
        /// When, `YYYY-MM-DD`.
        date: String,
    },
}

impl SwitchRefusal {
    /// The refusal as an admin reads it about `member` (Discord user id).
    pub fn for_admin(&self, member: &str) -> String {
        let who = format!("<@{member}>");
        match self {
            Self::NoSubscription => format!("{who} has no live membership in this shop"),
            Self::NotAPlan { .. } | Self::Incompatible(_) => self.to_string(),
            Self::SamePlan(plan) => format!("{who} is on {plan} already"),
            Self::PastDue => format!("{who}'s last payment did not go through: it must be paid before a switch"),
            Self::Canceling => format!("{who}'s membership ends at the end of this period: it must be resumed first"),
            Self::Trialing => format!("{who} is on a free trial: a switch waits until it becomes a paid membership"),
            Self::NotLive(status) => format!("{who}'s membership is {status}: there is nothing to switch"),
            Self::AlreadyScheduled { plan, date } => {
                format!("{who}'s switch to {plan} is already scheduled for {date}")
            }
        }
    }
}

/// The plan `asked` (an id, or a name in any case) among `products`.
pub fn find_plan<'a>(products: &'a [Product], asked: &str) -> Result<&'a Product, SwitchRefusal> {
    let asked = asked.trim();
    let plans: Vec<&Product> = products.iter().filter(|p| p.kind == ProductKind::Plan && p.visible).collect();
    plans.iter().copied().find(|p| p.id == asked || p.name.eq_ignore_ascii_case(asked)).ok_or_else(|| {
        SwitchRefusal::NotAPlan {
            asked: asked.to_owned(),
            plans: plans.iter().map(|p| format!("{} (`{}`)", p.name, p.id)).collect::<Vec<_>>().join(", "),
        }
    })
}

/// Which way a switch from `current` to `target` goes, or why it cannot.
pub fn direction(current: &Product, target: &Product) -> Result<Direction, SwitchRefusal> {
    if current.id == target.id {
        return Err(SwitchRefusal::SamePlan(current.name.clone()));
    }
    if target.kind != ProductKind::Plan
        || target.currency != current.currency
        || target.interval.is_none()
        || target.interval != current.interval
    {
        return Err(SwitchRefusal::Incompatible(target.name.clone()));
    }
    Ok(if target.price > current.price { Direction::Upgrade } else { Direction::Downgrade })
}

/// Whether a subscription in Stripe status `status` may switch now.
pub fn switchable(status: &str, cancel_at_period_end: bool) -> Result<(), SwitchRefusal> {
    match status {
        "active" if cancel_at_period_end => Err(SwitchRefusal::Canceling),
        "active" => Ok(()),
        "trialing" => Err(SwitchRefusal::Trialing),
        "past_due" => Err(SwitchRefusal::PastDue),
        other => Err(SwitchRefusal::NotLive(other.to_owned())),
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The member's DM when an upgrade took effect.
pub fn upgraded_text(from: &str, to: &str, prorated: i64, currency: &str) -> String {
    let charge = if prorated > 0 {
        format!("Stripe charged {} for the rest of this period (prorated).", money(prorated, currency))
    } else {
        "Nothing more is due for this period.".to_owned()
    };
    format!("You are now on {to} (was {from}): its role is yours from now on. {charge}")
}

/// The member's DM when a downgrade is scheduled.
pub fn scheduled_text(from: &str, to: &str, at: DateTime<Utc>) -> String {
    format!("Your switch from {from} to {to} is scheduled for {}: you keep {from} and its role until then.", day(at))
}

/// The member's DM when a scheduled downgrade (or a change made at Stripe) took effect.
pub fn downgraded_text(from: &str, to: &str) -> String {
    format!("Your membership is now {to} (was {from}): your roles were updated.")
}

/// The member's DM when a scheduled switch is dropped.
pub fn stay_text(plan: &str, dropped: &str) -> String {
    format!("Your switch to {dropped} is canceled: you stay on {plan}, which renews as usual.")
}

/// [`SwitchRefusal::AlreadyScheduled`] for `plan` at `at`.
pub fn already_scheduled(plan: &str, at: DateTime<Utc>) -> SwitchRefusal {
    SwitchRefusal::AlreadyScheduled { plan: plan.to_owned(), date: day(at) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Interval;

    fn plan(id: &str, price: i64) -> Product {
        Product {
            id: id.into(),
            name: id.to_uppercase(),
            description: String::new(),
            kind: ProductKind::Plan,
            price,
            currency: "eur".into(),
            role_id: Some("1".into()),
            stock: None,
            per_user_limit: None,
            interval: Some(Interval::Month),
            trial_days: None,
            visible: true,
        }
    }

    #[test]
    fn a_dearer_plan_is_an_upgrade_and_a_cheaper_or_equal_one_a_downgrade() {
        assert_eq!(direction(&plan("basic", 499), &plan("pro", 999)), Ok(Direction::Upgrade));
        assert_eq!(direction(&plan("pro", 999), &plan("basic", 499)), Ok(Direction::Downgrade));
        assert_eq!(direction(&plan("pro", 999), &plan("team", 999)), Ok(Direction::Downgrade));
    }

    #[test]
    fn the_same_plan_another_period_or_a_product_that_is_no_plan_is_refused() {
        assert_eq!(direction(&plan("pro", 999), &plan("pro", 999)), Err(SwitchRefusal::SamePlan("PRO".into())));
        let yearly = Product { interval: Some(Interval::Year), ..plan("year", 9999) };
        assert!(matches!(direction(&plan("pro", 999), &yearly), Err(SwitchRefusal::Incompatible(_))));
        let products = [plan("pro", 999), Product { kind: ProductKind::Role, interval: None, ..plan("vip", 4900) }];
        assert!(matches!(find_plan(&products, "vip"), Err(SwitchRefusal::NotAPlan { .. })));
        assert_eq!(find_plan(&products, "Pro").map(|p| p.id.as_str()), Ok("pro"));
    }

    #[test]
    fn only_an_active_subscription_not_set_to_end_may_switch() {
        assert_eq!(switchable("active", false), Ok(()));
        assert_eq!(switchable("active", true), Err(SwitchRefusal::Canceling));
        assert_eq!(switchable("past_due", false), Err(SwitchRefusal::PastDue));
        assert_eq!(switchable("trialing", false), Err(SwitchRefusal::Trialing));
        assert_eq!(switchable("canceled", false), Err(SwitchRefusal::NotLive("canceled".into())));
    }
}
