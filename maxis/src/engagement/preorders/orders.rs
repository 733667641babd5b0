//! Preorder orders: list, open, close, release.

use subjects::params::PreorderParams;
use subjects::results::PreorderResult;
use subjects::ErrorCode;

use super::store as preorders;
use crate::actions::{event, rejected, Applied};
use crate::engagement::preorders as preorder;
use crate::execute::{ExecuteError, ShopContext};
use crate::store::{catalog, Tx};

/// Applies a `preorder` order.
pub async fn apply(tx: &mut Tx, ctx: &ShopContext, p: &PreorderParams) -> Result<Applied, ExecuteError> {
    let mut events = vec![];
    let product = match p {
        PreorderParams::List => None,
        PreorderParams::Open { product, release_at, cap, deposit_percent } => {
            if catalog::get(tx, product).await?.is_none() {
                return Err(rejected(
                    ErrorCode::NotFound,
                    format!("there is no product `{product}` (add it with `catalog`)"),
                ));
            }
            if *release_at <= chrono::Utc::now() {
                return Err(rejected(ErrorCode::InvalidParams, "`release_at` must be in the future"));
            }
            if preorders::get(tx, product).await?.is_some_and(|p| p.status == "released") {
                return Err(rejected(ErrorCode::Conflict, format!("`{product}` was already released")));
            }
            preorders::open(tx, product, *release_at, *cap, *deposit_percent).await?;
            events.push(event("preorder.opened", serde_json::json!({"product": product, "release_at": release_at, "cap": cap, "deposit_percent": deposit_percent})));
            Some(product.clone())
        }
        PreorderParams::Close { product } => {
            if !preorders::set_status(tx, product, &["open"], "closed").await? {
                return Err(rejected(ErrorCode::Conflict, format!("no open preorder of `{product}`")));
            }
            events.push(event("preorder.closed", serde_json::json!({"product": product})));
            Some(product.clone())
        }
        PreorderParams::Release { product } => {
            if !preorder::release(tx, ctx, product).await? {
                return Err(rejected(ErrorCode::Conflict, format!("no unreleased preorder of `{product}`")));
            }
            Some(product.clone())
        }
    };
    let preorders = match product {
        Some(product) => preorders::get(tx, &product).await?.into_iter().collect(),
        None => preorders::list(tx).await?,
    };
    Ok(Applied::new(PreorderResult { preorders }, events))
}
