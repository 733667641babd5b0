//! Marketing's queries: promotions and codes ([`promos`]), announcements and their deliveries
//! ([`announcements`]).

pub mod announcements;
pub mod promos;
