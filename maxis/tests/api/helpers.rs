pub use testkit::shop::{events, publish_signed, request, request_with, send, spawn_app, spawn_with, wait_for_event};
