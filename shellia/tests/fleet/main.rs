//! Shellia → broker → Maxis, end to end, with the generated config and real shops.
mod ask;
mod assistant;
mod bounds;
mod console;
mod discord;
mod eval;
mod events;
mod forgeries;
mod guard;
mod helpers;
mod llm;
mod ops;
mod python;
mod send;
mod strategies;
