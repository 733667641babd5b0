pub use testkit::shop::{events, publish_signed, request, request_with, send, spawn_app, wait_for_event};
