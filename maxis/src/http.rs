//! The HTTP server: `/healthz` and Prometheus `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use async_nats::jetstream::consumer::PullConsumer;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::commerce::webhook::WebhookError;
use crate::commerce::Commerce;
use crate::metrics::Metrics;
use crate::storage::{Condition, Storage};
use crate::store::Store;

/// What the handlers read.
#[derive(Clone)]
pub struct HttpState {
    /// Shop id.
    pub shop: String,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Database, checked by `/healthz`.
    pub store: Store,
    /// Broker connection, checked by `/healthz`.
    pub client: async_nats::Client,
    /// The consumer, read for the lag.
    pub consumer: PullConsumer,
    /// Commerce, for Stripe webhooks.
    pub commerce: Commerce,
    /// Storage: degraded while the database cannot commit.
    pub storage: Storage,
}

/// Binds `listen` and returns the bound address and the server future.
pub async fn serve(
    listen: &str,
    state: HttpState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, impl std::future::Future<Output = std::io::Result<()>>)> {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/stripe/webhook", post(stripe_webhook))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("Failed to bind the HTTP server to {listen}"))?;
    let addr = listener.local_addr()?;
    Ok((addr, async move { axum::serve(listener, app).with_graceful_shutdown(shutdown).await }))
}

async fn healthz(State(s): State<HttpState>) -> impl IntoResponse {
    let nats = s.client.connection_state() == async_nats::connection::State::Connected;
    // The database must commit, not only answer a read: a read-only file or a full disk reads.
    // A degraded shop holds its orders even when a write passes now (until the watchdog agrees).
    let committed = match s.storage.condition() {
        Condition::Degraded { fault, reason, .. } => Err((Some(fault), reason)),
        Condition::Healthy => crate::store::health::can_commit(&s.store)
            .await
            .map_err(|e| (crate::storage::fault::classify(&e), subjects::limits::clip(&format!("{e:#}"), 200))),
    };
    let db = committed.is_ok();
    let status = if nats && db { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut body = json!({ "shop": s.shop, "nats": nats, "database": db, "version": crate::VERSION });
    if let Err((fault, reason)) = committed {
        body["database_error"] = json!(reason);
        body["storage_fault"] = json!(fault);
    }
    (status, Json(body))
}

async fn metrics(State(s): State<HttpState>) -> impl IntoResponse {
    if let Ok(info) = s.consumer.get_info().await {
        s.metrics.set_consumer(info.num_pending, info.num_ack_pending);
    }
    match crate::store::deliveries::health(s.store.pool(), chrono::Utc::now()).await {
        Ok(deliveries) => s.metrics.set_deliveries(deliveries),
        Err(e) => tracing::warn!(error.message = %e, "Failed to read the role deliveries for /metrics"),
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], s.metrics.render())
}

/// Stripe webhooks: 200 when applied or already seen, 400 for a bad signature or payload (no
/// effect), 500 when the shop failed (Stripe delivers it again).
async fn stripe_webhook(State(s): State<HttpState>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    match s.commerce.webhook(&body, signature).await {
        Ok(handled) => {
            (StatusCode::OK, Json(json!({ "received": true, "handled": format!("{handled:?}").to_lowercase() })))
        }
        Err(e @ WebhookError::Unexpected(_)) => {
            tracing::error!(error.cause_chain = ?e, error.message = %e, "Failed to handle a Stripe webhook");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "internal error; Stripe will retry" })))
        }
        Err(e) => {
            tracing::warn!(error.message = %e, "Stripe webhook refused");
            (StatusCode::BAD_REQUEST, Json(json!({ "error": e.to_string() })))
        }
    }
}
