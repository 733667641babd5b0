//! Contract tests: names, subjects, payload round-trips, typed errors and committed schemas.
mod names;
mod payloads;
mod schemas;
mod signatures;
