//! promo, giveaway, announce.

use chrono::{Duration, Utc};
use subjects::event::{AnnouncementCreated, EventKind};
use subjects::params::{AnnounceParams, GiveawayParams, GiveawayTrigger, PromoParams, PromoTarget};
use subjects::results::{AnnounceResult, GiveawayInfo, GiveawayStatus, PromoStatus};
use subjects::ErrorCode;

use super::{event, rejected, Applied};
use crate::domain::config::{parse_price, ConfigKey};
use crate::domain::draw::{self, Seed};
use crate::domain::promo::{self, PromoError};
use crate::execute::ExecuteError;
use crate::store::giveaways::Giveaway;
use crate::store::{announcements, giveaways, promos, settings, Tx};

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
    super::known::promo_target(tx, &p.target).await?;
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

/// Creates a giveaway: open now, or waiting for a member count.
pub async fn giveaway(tx: &mut Tx, id: &str, p: &GiveawayParams) -> Result<Applied, ExecuteError> {
    super::known::prize(tx, &p.prize).await?;
    let channel = match &p.channel {
        Some(c) => Some(
            ConfigKey::GiveawayChannel.normalize(c).map_err(|e| rejected(ErrorCode::InvalidParams, e.to_string()))?,
        ),
        None => setting(tx, ConfigKey::GiveawayChannel).await?,
    };
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
        channel,
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
