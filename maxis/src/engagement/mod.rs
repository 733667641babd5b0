//! Engagement: what brings members back besides buying. Each capability holds its service
//! (`mod.rs`), its store queries (`store.rs`) and its order handlers (`orders.rs`):
//!
//! - [`giveaways`]: one entry per member, committed seeds, draws anyone can recompute, milestone
//!   giveaways that open when the server reaches a member count;
//! - [`preorders`]: deposits now, the balance and the role at release, refunds when cancelled.

pub mod giveaways;
pub mod preorders;

pub use giveaways::{EnterError, Entered, EntryQueue};
