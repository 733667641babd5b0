use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

/// Waits for the server to report a permission violation naming `subject`.
pub async fn expect_violation(errors: &mut UnboundedReceiver<String>, what: &str, subject: &str) {
    let wanted = format!("Permissions Violation for {what} to \"{subject}\"");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        match tokio::time::timeout_at(deadline, errors.recv()).await {
            Ok(Some(text)) if text.contains(&wanted) => return,
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => panic!("expected the server to report: {wanted}"),
        }
    }
}

/// Asserts that no error was reported within a short while.
pub async fn expect_no_error(errors: &mut UnboundedReceiver<String>) {
    if let Ok(Some(text)) = tokio::time::timeout(Duration::from_millis(300), errors.recv()).await {
        panic!("unexpected server error: {text}");
    }
}
