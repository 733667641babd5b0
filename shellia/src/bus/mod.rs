//! The fleet client: publishes orders to the control stream and gathers the shops' replies.

mod fleet;

pub use fleet::{Delivery, Dispatch, FleetClient, Member, SendError};
