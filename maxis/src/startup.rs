//! Wiring: settings → database, broker, consumer, discovery → the order loop.

use std::future::Future;

use anyhow::Context;
use async_nats::jetstream::{self, consumer::PullConsumer};
use futures::StreamExt;
use secrecy::ExposeSecret;
use serde_json::json;
use subjects::subject::{self, CONTROL_STREAM};
use subjects::{EventKind, Name, Target};

use crate::bus::{discovery, OrderHandler, Outcome, Publisher};
use crate::configuration::Settings;
use crate::domain::Uptime;
use crate::execute::{self, ShopContext};
use crate::store::Store;

/// A built shop, ready to run.
pub struct Application {
    handler: OrderHandler,
    client: async_nats::Client,
    consumer: PullConsumer,
    batch: usize,
}

impl Application {
    /// Opens the database, connects to the broker as the shop and binds its durable consumer.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let id = settings.shop_id()?;
        let seed = settings.nats_seed()?;
        let store = Store::open(&settings.database_path()?).await?;
        let client =
            broker::connect::options(seed.expose_secret(), &subject::shop_inbox(&id), &format!("maxis-{id}"), None)
                .connect(settings.nats.url.as_str())
                .await
                .with_context(|| format!("Failed to connect to NATS at {} as shop {id}", settings.nats.url))?;
        let js = jetstream::new(client.clone());
        let mut consumer: PullConsumer =
            js.get_consumer_from_stream(subject::shop_consumer(&id), CONTROL_STREAM).await.with_context(|| {
                format!("no consumer for shop {id}: add it with `broker add-shop {id}` (or `broker provision`)")
            })?;
        let info = consumer.info().await.context("Failed to read the consumer")?;
        let groups = groups_from_filters(&id, &info.config.filter_subjects);
        let ctx = ShopContext { id, groups, uptime: Uptime::now() };
        let handler = OrderHandler { ctx, store, publisher: Publisher::new(client.clone()) };
        Ok(Self { handler, client, consumer, batch: settings.nats.batch.max(1) })
    }

    /// The order handler (the single step of the loop), for tests.
    pub fn handler(&self) -> &OrderHandler {
        &self.handler
    }

    /// Runs until `shutdown` completes: announces the start, consumes orders, then says goodbye.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let Self { handler, client, consumer, batch } = self;
        let ctx = handler.ctx.clone();
        let service = discovery::register(&client, &ctx).await?;
        lifecycle(&handler, EventKind::SHOP_STARTED).await?;
        tracing::info!(shop = %ctx.id, groups = ?ctx.groups, "Maxis is running");

        let mut messages = consumer
            .stream()
            .max_messages_per_batch(batch)
            .messages()
            .await
            .context("Failed to start pulling orders")?;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                next = messages.next() => match next {
                    Some(Ok(message)) => {
                        if let Outcome::Retry(_) = handler.handle(&message).await {
                            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        }
                    }
                    Some(Err(e)) => tracing::warn!(error.message = %e, "order stream error"),
                    None => break,
                },
            }
        }
        tracing::info!(shop = %ctx.id, "Maxis is stopping");
        drop(messages);
        if let Err(e) = lifecycle(&handler, EventKind::SHOP_STOPPING).await {
            tracing::warn!(error.message = %e, "Failed to announce the stop");
        }
        let _ = service.stop().await;
        client.drain().await.context("Failed to drain the NATS connection")?;
        Ok(())
    }
}

async fn lifecycle(handler: &OrderHandler, kind: &'static str) -> anyhow::Result<()> {
    let ctx = &handler.ctx;
    let data = json!(subjects::event::ShopLifecycle {
        version: crate::VERSION.to_owned(),
        groups: ctx.groups.iter().map(ToString::to_string).collect(),
    });
    let mut tx = handler.store.begin().await?;
    execute::enqueue(&mut tx, ctx, None, kind, data).await?;
    tx.commit().await?;
    handler.publisher.flush_outbox(&handler.store).await?;
    Ok(())
}

/// The groups of a shop, read from its consumer's filter subjects.
fn groups_from_filters(id: &Name, filters: &[String]) -> Vec<Name> {
    filters
        .iter()
        .filter_map(|f| subject::parse_control_filter(f))
        .filter_map(|t| match t {
            Target::Named(name) if &name != id => Some(name),
            _ => None,
        })
        .collect()
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
