//! Contract tests: names, subjects, payload round-trips and committed schemas.
mod names;
