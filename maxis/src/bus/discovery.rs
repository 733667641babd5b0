//! Service discovery: every Maxis registers the `maxis` NATS service, so `$SRV.PING.maxis` and
//! `$SRV.INFO.maxis` list the live shops with their id and groups.

use std::collections::HashMap;

use anyhow::Context;
use async_nats::service::{Service, ServiceExt};
use subjects::subject::SERVICE_NAME;

use crate::execute::ShopContext;

/// Registers the shop; the returned service answers until dropped or stopped.
pub async fn register(client: &async_nats::Client, ctx: &ShopContext) -> anyhow::Result<Service> {
    let groups: Vec<String> = ctx.groups.iter().map(ToString::to_string).collect();
    let metadata = HashMap::from([
        ("instance".to_owned(), ctx.id.to_string()),
        ("groups".to_owned(), groups.join(",")),
        ("contract".to_owned(), subjects::ContractVersion::CURRENT.to_string()),
    ]);
    client
        .service_builder()
        .description(format!("Maxis shop {}", ctx.id))
        .metadata(metadata)
        .start(SERVICE_NAME, crate::VERSION)
        .await
        .map_err(|e| anyhow::anyhow!(e))
        .context("Failed to register the maxis service")
}
