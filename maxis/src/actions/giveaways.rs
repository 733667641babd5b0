//! giveaways: list, end, reroll, cancel, verify.

use serde_json::json;
use subjects::params::GiveawaysParams;
use subjects::results::{GiveawayStatus, GiveawaysResult};
use subjects::ErrorCode;

use super::{rejected, Applied};
use crate::engagement;
use crate::execute::{ExecuteError, ShopContext};
use crate::store::giveaways::{self, Giveaway};
use crate::store::Tx;

async fn find(tx: &mut Tx, id: &str) -> Result<Giveaway, ExecuteError> {
    giveaways::get(tx, id).await?.ok_or_else(|| rejected(ErrorCode::NotFound, format!("there is no giveaway `{id}`")))
}

/// Applies a `giveaways` order.
pub async fn apply(tx: &mut Tx, ctx: &ShopContext, p: &GiveawaysParams) -> Result<Applied, ExecuteError> {
    let result = match p {
        GiveawaysParams::List => {
            let list = giveaways::list(tx).await?.into_iter().map(|g| g.info).collect();
            GiveawaysResult { giveaways: list, proof: None, verified: None }
        }
        GiveawaysParams::End { id } => {
            let g = find(tx, id).await?;
            if g.info.status != GiveawayStatus::Open {
                return Err(rejected(
                    ErrorCode::Conflict,
                    format!("giveaway {id} is not open (it is {:?})", g.info.status),
                ));
            }
            let proof = engagement::end(tx, ctx, &g).await?;
            GiveawaysResult { giveaways: vec![find(tx, id).await?.info], proof, verified: None }
        }
        GiveawaysParams::Reroll { id, replace } => {
            let g = find(tx, id).await?;
            let proof = engagement::reroll(tx, ctx, &g, replace.as_deref())
                .await?
                .map_err(|m| rejected(ErrorCode::Conflict, m))?;
            GiveawaysResult { giveaways: vec![find(tx, id).await?.info], proof: Some(proof), verified: None }
        }
        GiveawaysParams::Cancel { id } => {
            let g = find(tx, id).await?;
            let from = g.info.status;
            if !matches!(from, GiveawayStatus::Open | GiveawayStatus::Waiting)
                || !giveaways::transition(tx, id, from, GiveawayStatus::Cancelled).await?
            {
                return Err(rejected(ErrorCode::Conflict, format!("giveaway {id} can no longer be cancelled")));
            }
            let info = find(tx, id).await?.info;
            return Ok(Applied::new(
                GiveawaysResult { giveaways: vec![info], proof: None, verified: None },
                vec![super::event("giveaway.cancelled", json!({"giveaway": id}))],
            ));
        }
        GiveawaysParams::Verify { id } => {
            let g = find(tx, id).await?;
            if g.info.status != GiveawayStatus::Ended {
                return Err(rejected(ErrorCode::Conflict, "the seed is published when the giveaway ends".to_owned()));
            }
            let (proof, verified) = engagement::proof(tx, &g).await?;
            GiveawaysResult { giveaways: vec![g.info], proof: Some(proof), verified: Some(verified) }
        }
    };
    Ok(Applied::new(result, vec![]))
}
