//! How every program of the fleet connects: its nkey, its own inbox prefix, and server errors
//! (permission violations arrive asynchronously, not as a failed `publish`) logged and forwarded.

use async_nats::{ConnectOptions, Event, ServerAddr, ServerError};
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

/// Why a broker URL setting was refused.
#[derive(Debug, thiserror::Error)]
pub enum ServerUrlError {
    /// The setting holds no URL at all.
    #[error("no broker URL given: set one (`nats://host:4222`), or every node of a cluster comma-separated")]
    Empty,
    /// One of the URLs is malformed.
    #[error("invalid broker URL {url:?} (expected e.g. `nats://host:4222` or `tls://host:4222`): {reason}")]
    Invalid {
        /// The URL as written.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Parses a broker URL setting: one URL, or several comma-separated (every node of a cluster, so
/// that the client reaches the fleet while any one node is down). async-nats takes a single
/// `&str` as one URL, so every program connects through this.
pub fn server_addrs(urls: &str) -> Result<Vec<ServerAddr>, ServerUrlError> {
    let addrs = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| {
            u.parse::<ServerAddr>().map_err(|e| ServerUrlError::Invalid { url: u.to_owned(), reason: e.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if addrs.is_empty() {
        return Err(ServerUrlError::Empty);
    }
    Ok(addrs)
}

/// Connects as one of `fleet`'s identities to `urls` (one URL or every node, comma-separated),
/// trusting the fleet's CA (`[tls] ca_file`) when it has one. Used by the `broker` tool itself.
pub async fn connect_identity(
    fleet: &crate::Fleet,
    identity: &crate::Identity,
    urls: &str,
    name: &str,
) -> anyhow::Result<async_nats::Client> {
    use anyhow::Context;
    let mut options = options(&fleet.seed(identity)?, &identity.inbox_prefix(), name, None);
    if let Some(ca) = fleet.manifest.tls.as_ref().and_then(|t| t.ca_file.as_ref()) {
        options = options.add_root_certificates(ca.into()).require_tls(true);
    }
    options
        .connect(server_addrs(urls)?)
        .await
        .with_context(|| format!("cannot connect to the broker at {urls} as {}", identity.key_name()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_comma_separated_urls_are_every_node_of_a_cluster() {
        let addrs = server_addrs("nats://127.0.0.1:4222, nats://127.0.0.1:4223,tls://n3.example:4222").unwrap();
        let ports: Vec<u16> = addrs.iter().map(ServerAddr::port).collect();
        assert_eq!(ports, [4222, 4223, 4222]);
        assert!(addrs[2].tls_required());
    }

    #[test]
    fn an_empty_or_malformed_url_is_refused_with_what_to_write() {
        assert!(matches!(server_addrs(" , "), Err(ServerUrlError::Empty)));
        assert!(
            matches!(server_addrs("nats://a:1,nats://b:notaport"), Err(ServerUrlError::Invalid { url, .. }) if url == "nats://b:notaport")
        );
    }
}
