//! Marketing orders: `promo` (promotions and codes) and `announce`.

use chrono::Utc;
use subjects::event::{AnnouncementCreated, EventKind};
use subjects::params::{AnnounceParams, PromoParams, PromoTarget};
use subjects::results::{AnnounceResult, PromoStatus};
use subjects::ErrorCode;

use super::store::{announcements, promos};
use crate::actions::{event, rejected, Applied};
use crate::domain::config::{parse_price, ConfigKey};
use crate::domain::promo::{self, PromoError};
use crate::execute::ExecuteError;
use crate::store::{settings, Tx};

async fn setting(tx: &mut Tx, key: ConfigKey) -> anyhow::Result<Option<String>> {
    let stored = settings::get(tx, &key.to_string()).await?;
    Ok(stored.or_else(|| key.default_value().map(str::to_owned)))
}

/// Starts (or schedules) a promotion.
pub async fn start(tx: &mut Tx, id: &str, p: &PromoParams) -> Result<Applied, ExecuteError> {
    let state = settings::shop_state(tx).await?;
    if !state.open {
        return Err(rejected(
            ErrorCode::ShopClosed,
            "the shop is closed: open it (`start`) before running a promotion",
        ));
    }
    crate::actions::known::promo_target(tx, &p.target).await?;
    let cap = setting(tx, ConfigKey::PromoMaxDiscount).await?.and_then(|v| v.parse().ok()).unwrap_or(50);
    let plan_price = match &p.target {
        PromoTarget::Plan(plan) => setting(tx, ConfigKey::Price(plan.clone())).await?.as_deref().and_then(parse_price),
        _ => None,
    };
    let live = promos::live(tx).await?;
    if let Some(code) = &p.code {
        if let Some(other) = live.iter().find(|l| l.code.as_deref() == Some(code)).filter(|_| !p.replace) {
            return Err(rejected(
                ErrorCode::Conflict,
                format!("code {code} is already used by promotion {}", other.id),
            ));
        }
    }
    let plan = promo::plan(id, p, Utc::now(), cap, plan_price, &live).map_err(|e| {
        let code = match e {
            PromoError::Clash { .. } => ErrorCode::Conflict,
            _ => ErrorCode::InvalidParams,
        };
        rejected(code, e.to_string())
    })?;
    let mut events = Vec::new();
    for old in
        live.iter().filter(|l| plan.replaces.contains(&l.id) || (p.replace && p.code.is_some() && l.code == p.code))
    {
        if promos::transition(tx, &old.id, old.status, PromoStatus::Replaced).await? {
            let mut ended = old.clone();
            ended.status = PromoStatus::Replaced;
            events.push(event(EventKind::PROMO_ENDED, &ended));
        }
    }
    promos::insert(tx, &plan.promo).await?;
    let kind =
        if plan.promo.status == PromoStatus::Active { EventKind::PROMO_STARTED } else { EventKind::PROMO_SCHEDULED };
    events.push(event(kind, &plan.promo));
    if plan.promo.status == PromoStatus::Active {
        crate::marketing::announce_promo(tx, &plan.promo).await?;
    }
    Ok(Applied::new(&plan.promo, events))
}

/// Stores an announcement for delivery to the channel.
pub async fn announce(tx: &mut Tx, id: &str, p: &AnnounceParams) -> Result<Applied, ExecuteError> {
    let channel = match &p.channel {
        Some(c) => {
            ConfigKey::AnnounceChannel.normalize(c).map_err(|e| rejected(ErrorCode::InvalidParams, e.to_string()))?
        }
        None => setting(tx, ConfigKey::AnnounceChannel).await?.ok_or_else(|| {
            rejected(
                ErrorCode::InvalidParams,
                "no announcement channel: set `announce.channel` with `config` or pass channel=<id>",
            )
        })?,
    };
    announcements::insert(tx, id, &p.message, &channel, &p.audience).await?;
    let created = AnnouncementCreated {
        id: id.to_owned(),
        message: p.message.clone(),
        channel: channel.clone(),
        audience: p.audience.clone(),
    };
    let result =
        AnnounceResult { id: id.to_owned(), channel, audience: p.audience.clone(), status: "queued".to_owned() };
    Ok(Applied::new(result, vec![event(EventKind::ANNOUNCEMENT_CREATED, &created)]))
}
