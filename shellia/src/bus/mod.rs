//! The fleet client: publishes orders to the control stream and gathers the shops' replies.

mod attribution;
mod directory;
mod events;
mod fleet;
mod guard;
mod replies;

pub use attribution::Forgeries;
pub use events::EventFilter;
pub use fleet::{Delivery, Dispatch, FleetClient, Member, SendError};
