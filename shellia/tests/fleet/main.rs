//! Shellia → broker → Maxis, end to end, with the generated config and real shops.
mod ask;
mod assistant;
mod console;
mod discord;
mod eval;
mod events;
mod helpers;
mod llm;
mod ops;
mod send;
mod strategies;
