//! The fake Discord against real serenity 0.12.5 and poise 0.7.1 clients: what they send, what they parse.

mod buttons;
mod dms;
mod gateway;
mod helpers;
mod interactions;
mod members;
mod messages;
mod reads;
mod roles;
