//! How every program of the fleet connects: its nkey, its own inbox prefix, and server errors
//! (permission violations arrive asynchronously, not as a failed `publish`) logged and forwarded.

use async_nats::{ConnectOptions, Event, ServerError};
use tokio::sync::mpsc::UnboundedSender;

/// Connection options for an identity.
///
/// `errors`, when given, receives every error the server reports on this connection, such as
/// `Permissions Violation for Publish to "..."`.
pub fn options(seed: &str, inbox_prefix: &str, name: &str, errors: Option<UnboundedSender<String>>) -> ConnectOptions {
    let conn_name = name.to_owned();
    ConnectOptions::with_nkey(seed.to_owned()).custom_inbox_prefix(inbox_prefix).name(name).event_callback(
        move |event| {
            let errors = errors.clone();
            let conn_name = conn_name.clone();
            async move {
                match event {
                    Event::ServerError(e) => {
                        let text = match e {
                            ServerError::AuthorizationViolation => "Authorization Violation".to_owned(),
                            ServerError::SlowConsumer(sid) => format!("Slow Consumer (subscription {sid})"),
                            ServerError::Other(text) => text,
                        };
                        tracing::warn!(connection = %conn_name, error = %text, "NATS server reported an error");
                        if let Some(tx) = errors {
                            let _ = tx.send(text);
                        }
                    }
                    Event::Disconnected => tracing::warn!(connection = %conn_name, "disconnected from NATS"),
                    Event::Connected => tracing::info!(connection = %conn_name, "connected to NATS"),
                    other => tracing::debug!(connection = %conn_name, event = %other, "NATS event"),
                }
            }
        },
    )
}

/// An identity's nkey seed: given directly (from the environment), else read from `seed_file`.
/// `missing` is the message when neither is set (it names the settings to use).
pub fn load_seed(
    seed: Option<&secrecy::SecretString>,
    seed_file: &str,
    missing: &str,
) -> anyhow::Result<secrecy::SecretString> {
    use anyhow::Context;
    use secrecy::ExposeSecret;
    if let Some(seed) = seed.filter(|s| !s.expose_secret().is_empty()) {
        return Ok(seed.clone());
    }
    anyhow::ensure!(!seed_file.is_empty(), "{missing}");
    let text = std::fs::read_to_string(seed_file).with_context(|| format!("cannot read the seed file {seed_file}"))?;
    Ok(secrecy::SecretString::from(text.trim().to_owned()))
}

/// Runs a command-line program's async body on a tokio runtime and turns its error into exit
/// code 2 with the cause chain on one line (no backtrace: these errors are for people).
pub fn run_main<F: std::future::Future<Output = anyhow::Result<()>>>(body: F) -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(body) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Reads a program's settings in layers: the compiled-in `base` TOML, then `file` when given,
/// then environment variables (`env`, e.g. `MAXIS_` with `__` between levels).
pub fn layered_settings<T: serde::de::DeserializeOwned>(
    base: &str,
    file: Option<&std::path::Path>,
    env: config::Environment,
) -> anyhow::Result<T> {
    use anyhow::Context;
    let mut builder = config::Config::builder().add_source(config::File::from_str(base, config::FileFormat::Toml));
    if let Some(file) = file {
        builder = builder.add_source(config::File::from(file).required(true));
    }
    builder
        .add_source(env)
        .build()
        .context("Failed to read the settings")?
        .try_deserialize()
        .context("Invalid settings")
}
