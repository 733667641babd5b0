//! Shellia → broker → Maxis, end to end, with the generated config and real shops.
mod console;
mod helpers;
mod ops;
mod send;
