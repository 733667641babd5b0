//! Wiring: settings → database, broker, consumer, discovery, HTTP, clock → the order loop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use async_nats::jetstream::{self, consumer::PullConsumer};
use secrecy::ExposeSecret;
use serde_json::json;
use subjects::subject::{self, CONTROL_STREAM};
use subjects::{EventKind, Name, Target};
use tokio::sync::watch;

use crate::bus::{discovery, OrderHandler, Publisher, Redelivery, Signals, Stopped};
use crate::commerce::{CheckoutSettings, Commerce};
use crate::configuration::Settings;
use crate::discord::members::DiscordMembers;
use crate::discord::DiscordConfig;
use crate::domain::catalog::CatalogFile;
use crate::domain::Uptime;
use crate::execute::{self, ShopContext};
use crate::http::{self, HttpState};
use crate::members::{Headless, Members};
use crate::metrics::Metrics;
use crate::payments::stripe::StripePayments;
use crate::payments::Payments;
use crate::storage::Storage;
use crate::store::catalog;
use crate::store::Store;
use crate::timers;

/// Why the shop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Asked to stop (signal, shutdown).
    Stopped,
    /// A `restart` order: the supervisor starts the shop again.
    Restart,
}

impl Exit {
    /// Process exit code: 0, or 75 (EX_TEMPFAIL) for a restart, which `deploy/up` and the
    /// systemd unit (`RestartForceExitStatus=75`) restart.
    pub fn code(self) -> i32 {
        match self {
            Self::Stopped => 0,
            Self::Restart => 75,
        }
    }
}

/// A built shop, ready to run.
pub struct Application {
    handler: OrderHandler,
    commerce: Commerce,
    client: async_nats::Client,
    consumer: PullConsumer,
    batch: usize,
    listen: String,
    discord: Option<(DiscordConfig, DiscordMembers)>,
    proof: discovery::Proof,
}

impl Application {
    /// Opens the database, connects to the broker as the shop and binds its durable consumer.
    /// With a Discord token, roles and messages go through Discord; without one, role
    /// deliveries and receipts wait ([`Headless`]).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        match DiscordConfig::from_settings(&settings.discord)? {
            Some(config) => {
                let port = DiscordMembers::new(config.guild, config.admin_channel);
                let mut app = Self::build_with(settings, Arc::new(port.clone())).await?;
                app.discord = Some((config, port));
                Ok(app)
            }
            None => {
                tracing::warn!("no Discord token (MAXIS_DISCORD__TOKEN): running headless");
                Self::build_with(settings, Arc::new(Headless)).await
            }
        }
    }

    /// [`Self::build`] with the member port to use (the Discord adapter, or a test double).
    pub async fn build_with(settings: Settings, members: Arc<dyn Members>) -> anyhow::Result<Self> {
        let id = settings.shop_id()?;
        let trusted = settings.trusted_keys()?;
        let seed = settings.nats_seed()?;
        let store = Store::open(&settings.database_path()?).await?;
        if !settings.catalog.path.is_empty() {
            let n = load_catalog(&store, &settings.catalog.path).await?;
            tracing::info!(path = %settings.catalog.path, products = n, "catalog loaded");
        }
        let client =
            broker::connect::options(seed.expose_secret(), &subject::shop_inbox(&id), &format!("maxis-{id}"), None)
                .connect(broker::connect::server_addrs(&settings.nats.url)?)
                .await
                .with_context(|| format!("Failed to connect to NATS at {} as shop {id}", settings.nats.url))?;
        let js = jetstream::new(client.clone());
        let mut consumer: PullConsumer =
            js.get_consumer_from_stream(subject::shop_consumer(&id), CONTROL_STREAM).await.with_context(|| {
                format!("no consumer for shop {id}: add it with `broker add-shop {id}` (or `broker provision`)")
            })?;
        let info = consumer.info().await.context("Failed to read the consumer")?;
        let groups = groups_from_filters(&id, &info.config.filter_subjects);
        let redelivery = Redelivery { max_deliver: info.config.max_deliver, backoff: info.config.backoff.clone() };
        let ctx = ShopContext { id, groups, uptime: Uptime::now() };
        let proof = discovery::Proof::sign(seed.expose_secret(), &ctx)?;
        let metrics = Arc::new(Metrics::default());
        let publisher = Publisher::new(client.clone())
            .counting_dead(metrics.outbox_dead())
            .counting_throttled(metrics.events_throttled());
        let storage =
            Storage::new(store.clone(), ctx.clone(), publisher.clone(), members.clone(), metrics.storage_degraded());
        let handler = OrderHandler {
            ctx,
            store,
            publisher,
            storage,
            trusted: trusted.into(),
            redelivery,
            signals: Signals::default(),
            metrics,
        };
        let payments: Option<Arc<dyn Payments>> = match &settings.stripe.secret_key {
            Some(key) if !key.expose_secret().is_empty() => {
                let base = Some(settings.stripe.api_base.as_str()).filter(|b| !b.is_empty());
                Some(Arc::new(StripePayments::new(key.expose_secret(), base)?))
            }
            _ => {
                tracing::warn!("no Stripe key (MAXIS_STRIPE__SECRET_KEY): checkouts are refused until one is set");
                None
            }
        };
        let commerce = Commerce {
            ctx: handler.ctx.clone(),
            store: handler.store.clone(),
            publisher: handler.publisher.clone(),
            payments,
            members,
            settings: CheckoutSettings {
                hold: std::time::Duration::from_secs(settings.checkout.hold_minutes.clamp(30, 24 * 60) * 60),
                success_url: settings.checkout.success_url.clone(),
                cancel_url: settings.checkout.cancel_url.clone(),
                webhook_secret: settings
                    .stripe
                    .webhook_secret
                    .as_ref()
                    .map(|s| s.expose_secret().to_owned())
                    .filter(|s| !s.is_empty()),
                admin_channel: Some(settings.discord.admin_channel.trim().to_owned()).filter(|c| !c.is_empty()),
            },
            reconcile: crate::entitlements::ReconcileSettings {
                drift_every: std::time::Duration::from_secs(settings.roles.drift_check_secs.max(1)),
            },
            deliveries: Arc::new(tokio::sync::Notify::new()),
            entries: crate::engagement::EntryQueue::start(handler.store.clone(), handler.ctx.clone()),
            metrics: handler.metrics.clone(),
            memberships: crate::memberships::MembershipPolicy {
                catch_up_every: std::time::Duration::from_secs(settings.memberships.catch_up_secs.max(1)),
                grace: chrono::Duration::days(i64::from(settings.memberships.grace_days)),
                reminder: chrono::Duration::days(i64::from(settings.memberships.reminder_days)),
            },
        };
        Ok(Self {
            handler,
            commerce,
            client,
            consumer,
            batch: settings.nats.batch.max(1),
            listen: settings.http.listen,
            discord: None,
            proof,
        })
    }

    /// The order handler (the single step of the loop), for tests.
    pub fn handler(&self) -> &OrderHandler {
        &self.handler
    }

    /// The shop's commerce (cart, checkout, webhooks, fulfilment).
    pub fn commerce(&self) -> &Commerce {
        &self.commerce
    }

    /// Runs until `shutdown` completes or a `restart` order arrives: catches up with the clock
    /// (promotions that ended while the shop was down), announces the start, serves HTTP,
    /// consumes orders, then says goodbye. `on_http` receives the bound HTTP address.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<Exit> {
        self.run_with(shutdown, |_| {}).await
    }

    /// [`Self::run_until_stopped`], telling `on_http` the HTTP address once bound.
    pub async fn run_with(
        self,
        shutdown: impl Future<Output = ()>,
        on_http: impl FnOnce(SocketAddr),
    ) -> anyhow::Result<Exit> {
        let Self { handler, commerce, client, consumer, batch, listen, discord, proof } = self;
        let ctx = handler.ctx.clone();
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };

        timers::run_due(&handler, chrono::Utc::now()).await.context("Failed to catch up with the promotion clock")?;
        let state = HttpState {
            shop: ctx.id.to_string(),
            metrics: handler.metrics.clone(),
            store: handler.store.clone(),
            client: client.clone(),
            consumer: consumer.clone(),
            commerce: commerce.clone(),
            storage: handler.storage.clone(),
        };
        let (addr, server) = http::serve(&listen, state, stopped()).await?;
        tracing::info!(shop = %ctx.id, http = %addr, "HTTP server listening (/healthz, /metrics)");
        on_http(addr);
        let server = tokio::spawn(server);
        let clock = tokio::spawn(timers::run(
            handler.store.clone(),
            ctx.clone(),
            Some(handler.publisher.clone()),
            handler.signals.timers.clone(),
            stopped(),
        ));
        let worker = tokio::spawn(commerce.clone().run_worker(stopped()));
        let storage = tokio::spawn(crate::storage::run(handler.storage.clone(), stopped()));
        let watch =
            tokio::spawn(crate::bus::watch::run(handler.clone(), client.clone(), handler.metrics.foreign_events()));
        let discord = discord.map(|(config, port)| {
            let data = crate::discord::Data { commerce: commerce.clone(), signals: handler.signals.clone(), config: config.clone() };
            let run = crate::discord::run(config, data, port, stopped());
            tokio::spawn(async move {
                if let Err(e) = run.await {
                    tracing::error!(error.cause_chain = ?e, error.message = %e, "Discord stopped; the shop goes on headless");
                }
            })
        });
        let service = discovery::register(&client, &ctx, &proof).await?;
        lifecycle(&handler, EventKind::SHOP_STARTED).await?;
        tracing::info!(shop = %ctx.id, groups = ?ctx.groups, "Maxis is running");

        let mut messages = consumer
            .stream()
            .max_messages_per_batch(batch)
            .messages()
            .await
            .context("Failed to start pulling orders")?;
        let exit = match handler.consume(&mut messages, shutdown).await {
            Stopped::Restart => Exit::Restart,
            Stopped::Shutdown => Exit::Stopped,
        };
        tracing::info!(shop = %ctx.id, ?exit, "Maxis is stopping");
        drop(messages);
        let _ = stop_tx.send(true);
        let _ = clock.await;
        let _ = worker.await;
        let _ = storage.await;
        if let Some(discord) = discord {
            let _ = discord.await;
        }
        let _ = server.await;
        if let Err(e) = lifecycle(&handler, EventKind::SHOP_STOPPING).await {
            tracing::warn!(error.message = %e, "Failed to announce the stop");
        }
        let _ = service.stop().await;
        watch.abort();
        client.drain().await.context("Failed to drain the NATS connection")?;
        Ok(exit)
    }
}

async fn lifecycle(handler: &OrderHandler, kind: &'static str) -> anyhow::Result<()> {
    let ctx = &handler.ctx;
    let data = json!(subjects::event::ShopLifecycle {
        version: crate::VERSION.to_owned(),
        groups: ctx.groups.iter().map(ToString::to_string).collect(),
    });
    execute::emit(&handler.store, ctx, None, kind, data).await?;
    handler.publisher.flush_outbox(&handler.store).await?;
    Ok(())
}

/// Loads the catalog file into the products table, in one transaction.
pub async fn load_catalog(store: &Store, path: &str) -> anyhow::Result<usize> {
    let file: CatalogFile = config::Config::builder()
        .add_source(config::File::new(path, config::FileFormat::Toml))
        .build()
        .and_then(config::Config::try_deserialize)
        .with_context(|| format!("Failed to read the catalog {path}"))?;
    let products = file.products().with_context(|| format!("Invalid catalog {path}"))?;
    let mut tx = store.begin().await?;
    for p in &products {
        catalog::upsert(&mut tx, p).await?;
    }
    tx.commit().await?;
    Ok(products.len())
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
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
