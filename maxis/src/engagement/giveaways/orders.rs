//! Giveaway orders: `giveaway` (create) and `giveaways` (list, end, reroll, cancel, verify).

use chrono::{Duration, Utc};
use serde_json::json;
use subjects::event::EventKind;
use subjects::params::GiveawaysParams;
use subjects::params::{GiveawayParams, GiveawayTrigger};
use subjects::results::GiveawayInfo;
use subjects::results::{GiveawayStatus, GiveawaysResult};
use subjects::ErrorCode;

use super::store::{self as giveaways, Giveaway};
use crate::actions::{event, rejected, Applied};
use crate::domain::config::ConfigKey;
use crate::domain::draw::{self, Seed};
use crate::engagement::giveaways as engagement;
use crate::execute::{ExecuteError, ShopContext};
use crate::store::settings;
use crate::store::Tx;

/// Where the giveaway is posted with its Enter button: the order's channel, else
/// `giveaway.channel`, else `announce.channel`. Without any, members could not enter (a milestone
/// giveaway would open silently), so the order is refused with the setting to set.
async fn channel(tx: &mut Tx, given: Option<&str>) -> Result<String, ExecuteError> {
    if let Some(c) = given {
        return ConfigKey::GiveawayChannel.normalize(c).map_err(|e| rejected(ErrorCode::InvalidParams, e.to_string()));
    }
    for key in [ConfigKey::GiveawayChannel, ConfigKey::AnnounceChannel] {
        if let Some(c) = settings::get(tx, &key.to_string()).await?.filter(|c| !c.trim().is_empty()) {
            return Ok(c);
        }
    }
    Err(rejected(
        ErrorCode::InvalidParams,
        "no channel to post the giveaway in, so members could not enter: set `giveaway.channel` \
         (or `announce.channel`) with `config`, or pass channel=<id>",
    ))
}

/// Creates a giveaway: open now, or waiting for a member count.
pub async fn create(tx: &mut Tx, id: &str, p: &GiveawayParams) -> Result<Applied, ExecuteError> {
    crate::actions::known::prize(tx, &p.prize).await?;
    let channel = channel(tx, p.channel.as_deref()).await?;
    let now = Utc::now();
    let (status, starts_at, ends_at) = match p.trigger {
        GiveawayTrigger::Now => {
            let secs = i64::try_from(p.duration_secs).unwrap_or(i64::MAX).min(365 * 86_400);
            (GiveawayStatus::Open, Some(now), Some(now + Duration::seconds(secs)))
        }
        GiveawayTrigger::Members(_) => (GiveawayStatus::Waiting, None, None),
    };
    let seed = Seed::generate().map_err(anyhow::Error::from)?;
    let info = GiveawayInfo {
        id: id.to_owned(),
        prize: p.prize.trim().to_owned(),
        winners: p.winners,
        duration_secs: p.duration_secs,
        trigger: p.trigger.clone(),
        channel: Some(channel),
        status,
        starts_at,
        ends_at,
        commitment: Some(draw::commitment(&seed)),
        entrants: 0,
        winners_drawn: vec![],
    };
    let giveaway = Giveaway {
        info: info.clone(),
        seed: seed.to_hex(),
        requirements: p.requirements.clone(),
        bonus: p.bonus.clone(),
    };
    giveaways::insert(tx, &giveaway).await?;
    if info.status == GiveawayStatus::Open {
        crate::marketing::announce_giveaway(tx, &info).await?;
    }
    Ok(Applied::new(&info, vec![event(EventKind::GIVEAWAY_CREATED, &info)]))
}

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
                vec![crate::actions::event("giveaway.cancelled", json!({"giveaway": id}))],
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
