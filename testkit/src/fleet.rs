//! A whole fleet for a test: manifest and keys in a temp dir, a broker loading the generated
//! config, streams and consumers provisioned by the provisioning identity.

use std::time::Duration;

use anyhow::Context;
use async_nats::Client;
use broker::fleet::{Fleet, Identity, ShopSpec, StreamSettings};
use subjects::Name;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use crate::server::NatsServer;

/// A provisioned fleet on its own throwaway broker.
pub struct TestFleet {
    /// The fleet directory and manifest.
    pub fleet: Fleet,
    /// The broker.
    pub server: NatsServer,
    _dir: tempfile::TempDir,
}

impl TestFleet {
    /// A fleet with the given shops (`"shop1:eu"`), Shellia identity `admin` and ops identity `ops`.
    pub async fn start(shops: &[&str]) -> anyhow::Result<Self> {
        Self::start_with(shops, StreamSettings::default()).await
    }

    /// A fleet with the given stream and consumer settings (e.g. a short backoff).
    pub async fn start_with(shops: &[&str], streams: StreamSettings) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("fleet-test-").tempdir()?;
        let shops = shops.iter().map(|s| ShopSpec::parse(s)).collect::<anyhow::Result<Vec<_>>>()?;
        let mut fleet = Fleet::init(dir.path(), None, &shops, &[name("admin")], &[name("ops")])?;
        fleet.manifest.streams = streams;
        fleet.save()?;
        let server = NatsServer::start(&fleet.server_config_path())?;
        let this = Self { fleet, server, _dir: dir };
        let js = async_nats::jetstream::new(this.connect(&Identity::Provisioner).await?);
        broker::provision::provision(&js, &this.fleet).await?;
        Ok(this)
    }

    /// Waits (up to 2 s) until `MAXIS_EVENTS` has sourced every event the shops' intakes took:
    /// an order's events are stored in its shop's intake before the reply, and in `MAXIS_EVENTS`
    /// a few milliseconds later.
    pub async fn events_sourced(&self) {
        let Ok(client) = self.connect(&Identity::Provisioner).await else { return };
        let js = async_nats::jetstream::new(client);
        for _ in 0..200 {
            let mut taken = 0;
            for shop in &self.fleet.manifest.shops {
                if let Ok(mut intake) = js.get_stream(subjects::subject::events_intake(&shop.id)).await {
                    taken += intake.info().await.map(|i| i.state.last_sequence).unwrap_or(0);
                }
            }
            let sourced = match js.get_stream(subjects::subject::EVENTS_STREAM).await {
                Ok(mut events) => events.info().await.map(|i| i.state.last_sequence).unwrap_or(0),
                Err(_) => 0,
            };
            if sourced >= taken {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The broker URL.
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// Connects as `identity` with its own key and inbox prefix.
    pub async fn connect(&self, identity: &Identity) -> anyhow::Result<Client> {
        Ok(self.connect_watching(identity).await?.0)
    }

    /// Connects as `identity`, also returning the server errors reported on the connection.
    pub async fn connect_watching(&self, identity: &Identity) -> anyhow::Result<(Client, UnboundedReceiver<String>)> {
        let (tx, rx) = unbounded_channel();
        let seed = self.fleet.seed(identity)?;
        let client = broker::connect::options(&seed, &identity.inbox_prefix(), &identity.key_name(), Some(tx))
            .connect(self.url())
            .await
            .with_context(|| format!("cannot connect as {}", identity.key_name()))?;
        Ok((client, rx))
    }

    /// The identity of a shop of this fleet.
    pub fn shop(&self, id: &str) -> Identity {
        let spec = self.fleet.shop(&name(id)).cloned().unwrap_or_else(|| panic!("no shop {id} in the test fleet"));
        Identity::Shop(spec)
    }

    /// The Shellia identity `admin`.
    pub fn shellia(&self) -> Identity {
        Identity::Shellia(name("admin"))
    }

    /// The ops identity `ops`.
    pub fn ops(&self) -> Identity {
        Identity::Ops(name("ops"))
    }

    /// Adds a shop to the running fleet exactly as `broker add-shop` does: manifest and keys,
    /// config reload, then the consumer.
    pub async fn add_shop(&mut self, spec: &str) -> anyhow::Result<Identity> {
        let spec = ShopSpec::parse(spec)?;
        let url = self.url().to_owned();
        broker::reload::add_shop(&mut self.fleet, spec.clone(), &url).await?;
        Ok(Identity::Shop(spec))
    }
}

/// A name, for tests.
pub fn name(s: &str) -> Name {
    Name::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// The provisioning identity.
pub fn provisioner() -> Identity {
    Identity::Provisioner
}
