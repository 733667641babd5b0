//! Memberships: recurring plans as the platforms Discord communities pay for run them. This
//! folder holds what the shop does over a subscription's life beyond one payment: catching up
//! with the Stripe events it missed while down ([`catch_up`]), and keeping a member's role
//! through a failed renewal while they fix their card ([`dunning`], with its policy in
//! [`grace`]), free trials of a plan ([`trials`]), members' self-service ([`self_service`]), and
//! plan switches ([`switching`], its policy in [`plan_switch`], its roles in [`switch_roles`]).
//! The policies know nothing of Discord, NATS or SQL; [`store`] and [`switch_store`] hold the
//! queries.

pub mod catch_up;
pub mod dunning;
pub mod figures;
pub mod grace;
pub mod orders;
pub mod plan_switch;
pub mod self_service;
pub mod store;
pub mod switch_roles;
pub mod switch_store;
pub mod switching;
pub mod trial_store;
pub mod trials;

pub use catch_up::CatchUp;
pub use dunning::DunningPass;
pub use self_service::{MembershipError, MembershipView};

use std::time::Duration;

/// How the shop runs memberships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipPolicy {
    /// How often missed Stripe events are listed (also at start).
    pub catch_up_every: Duration,
    /// How long a member keeps the role after a failed renewal.
    pub grace: chrono::Duration,
    /// How long before the grace ends the member is reminded.
    pub reminder: chrono::Duration,
}

impl Default for MembershipPolicy {
    fn default() -> Self {
        Self {
            catch_up_every: Duration::from_secs(300),
            grace: chrono::Duration::days(7),
            reminder: chrono::Duration::days(2),
        }
    }
}
