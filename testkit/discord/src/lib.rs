//! A stand-in for Discord (gateway and REST), for tests.
