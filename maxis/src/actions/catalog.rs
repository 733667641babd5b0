//! catalog: list, upsert, hide, restock.

use serde_json::json;
use subjects::params::CatalogParams;
use subjects::results::{CatalogResult, ProductInfo};
use subjects::ErrorCode;

use super::{event, rejected, Applied};
use crate::domain::catalog::CatalogFile;
use crate::execute::ExecuteError;
use crate::store::{catalog, settings, Tx};

/// Applies a `catalog` order.
pub async fn apply(tx: &mut Tx, p: &CatalogParams) -> Result<Applied, ExecuteError> {
    let changed = match p {
        CatalogParams::List => None,
        CatalogParams::Upsert { product } => {
            let currency = settings::get(tx, "shop.currency").await?.unwrap_or_else(|| "eur".to_owned());
            let entry = serde_json::to_value(product).map_err(anyhow::Error::from)?;
            let file: CatalogFile = serde_json::from_value(json!({"currency": currency, "product": [entry]}))
                .map_err(|e| rejected(ErrorCode::InvalidParams, format!("invalid product: {e}")))?;
            let products = file.products().map_err(|e| rejected(ErrorCode::InvalidParams, e.to_string()))?;
            for product in &products {
                catalog::upsert(tx, product).await?;
                // A price given here is the admin's latest word: it replaces a `config price.<id>`.
                settings::unset(tx, &catalog::price_key(&product.id)).await?;
                if product.trial_days.is_some() || entry.get("trial_days").is_some() {
                    settings::unset(tx, &catalog::trial_key(&product.id)).await?;
                }
            }
            Some(product.id.clone())
        }
        CatalogParams::Hide { id } => {
            if !catalog::hide(tx, id).await? {
                return Err(rejected(ErrorCode::NotFound, format!("there is no product `{id}`")));
            }
            Some(id.clone())
        }
        CatalogParams::Stock { id, stock } => {
            if !catalog::set_stock(tx, id, *stock).await? {
                return Err(rejected(ErrorCode::NotFound, format!("there is no product `{id}`")));
            }
            Some(id.clone())
        }
    };
    let products = catalog::all(tx)
        .await?
        .into_iter()
        .map(|p| ProductInfo {
            id: p.id,
            name: p.name,
            kind: p.kind.as_str().to_owned(),
            price: p.price,
            currency: p.currency,
            stock: p.stock,
            role: p.role_id,
            visible: p.visible,
        })
        .collect();
    let events = match &changed {
        Some(id) => vec![event("catalog.updated", json!({"product": id, "op": op_name(p)}))],
        None => vec![],
    };
    Ok(Applied::new(CatalogResult { changed, products }, events))
}

fn op_name(p: &CatalogParams) -> &'static str {
    match p {
        CatalogParams::List => "list",
        CatalogParams::Upsert { .. } => "upsert",
        CatalogParams::Hide { .. } => "hide",
        CatalogParams::Stock { .. } => "stock",
    }
}
