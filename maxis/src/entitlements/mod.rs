//! Roles follow the money, per member.
//!
//! The **ledger** ([`ledger`]) says why a member should hold a managed role: one *source* per
//! reason (a paid purchase, a live subscription, a released preorder, a manual grant by an
//! admin). A member should hold a role while at least one of its sources is active, so revoking
//! one source (a refund of one of two purchases) never takes away what another still grants.
//! Every change of a source is an audit row and, when it starts or stops granting, an event
//! (`entitlement.granted` / `entitlement.revoked`, with the source).
//!
//! The **reconciler** ([`reconcile`]) makes Discord match the ledger, per member: it reads the
//! member's roles from Discord, applies only the difference (retrying with backoff), and runs on
//! every ledger change, when a member joins or their roles change, and as a periodic drift check
//! that repairs roles changed by hand. It only ever touches a role for a member the ledger has a
//! source for (active or not): roles the shop does not sell, and members it never sold to, are
//! left alone.
//!
//! [`why`] explains, for one member, each managed role: held or not, and every source behind it.

pub mod ledger;
pub mod reconcile;
mod triggers;
pub mod why;

pub use ledger::{SourceKind, SourceSpec};
pub use reconcile::{ReconcilePass, ReconcileSettings};
