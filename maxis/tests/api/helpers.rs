pub use testkit::shop::{events, request, send, spawn_app, wait_for_event};
