//! Service discovery: every Maxis registers the `maxis` NATS service, so `$SRV.PING.maxis` and
//! `$SRV.INFO.maxis` list the live shops with their id and groups.
//!
//! Any identity allowed to answer requests could answer in a shop's name, so the metadata
//! carries the shop's public nkey and its signature of what it claims
//! ([`subjects::signature::discovery_claim`]); readers check it against the key the provisioner
//! wrote in that shop's consumer.

use std::collections::HashMap;

use anyhow::Context;
use async_nats::service::{Service, ServiceExt};
use subjects::signature::{self, DISCOVERY_KEY, DISCOVERY_SIGNATURE};
use subjects::subject::SERVICE_NAME;

use crate::execute::ShopContext;

/// The shop's signed discovery metadata.
#[derive(Debug, Clone)]
pub struct Proof {
    metadata: HashMap<String, String>,
}

impl Proof {
    /// Signs the shop's claim (id, groups, contract, version) with its nkey `seed`.
    pub fn sign(seed: &str, ctx: &ShopContext) -> anyhow::Result<Self> {
        let groups: Vec<String> = ctx.groups.iter().map(ToString::to_string).collect();
        let (instance, groups) = (ctx.id.to_string(), groups.join(","));
        let contract = subjects::ContractVersion::CURRENT.to_string();
        let claim = signature::discovery_claim(&instance, &groups, &contract, crate::VERSION);
        let (key, signed) = signature::sign_claim(seed, &claim).context("Failed to sign the discovery metadata")?;
        let metadata = HashMap::from([
            ("instance".to_owned(), instance),
            ("groups".to_owned(), groups),
            ("contract".to_owned(), contract),
            (DISCOVERY_KEY.to_owned(), key),
            (DISCOVERY_SIGNATURE.to_owned(), signed),
        ]);
        Ok(Self { metadata })
    }
}

/// Registers the shop; the returned service answers until dropped or stopped.
pub async fn register(client: &async_nats::Client, ctx: &ShopContext, proof: &Proof) -> anyhow::Result<Service> {
    client
        .service_builder()
        .description(format!("Maxis shop {}", ctx.id))
        .metadata(proof.metadata.clone())
        .start(SERVICE_NAME, crate::VERSION)
        .await
        .map_err(|e| anyhow::anyhow!(e))
        .context("Failed to register the maxis service")
}
