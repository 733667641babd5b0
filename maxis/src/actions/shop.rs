//! status, config, start, stop, restart.

use chrono::Utc;
use serde_json::json;
use subjects::event::EventKind;
use subjects::params::{ConfigParams, StopParams};
use subjects::reply::{StatusCounts, StatusReport};
use subjects::results::{ConfigResult, OpenResult, RestartResult};
use subjects::{ContractVersion, ErrorCode};

use super::{event, rejected, Applied};
use crate::domain::config::{ConfigError, ConfigKey};
use crate::domain::shop::Transition;
use crate::engagement::giveaways::store as giveaways;
use crate::execute::{ExecuteError, ShopContext};
use crate::marketing::store::promos;
use crate::store::{catalog, sales, settings, Tx};

/// The `status` report.
pub async fn status(tx: &mut Tx, ctx: &ShopContext) -> anyhow::Result<StatusReport> {
    let state = settings::shop_state(tx).await?;
    let counts = StatusCounts {
        products: sales::product_count(tx).await?,
        open_orders: sales::open_checkouts(tx).await?,
        active_promos: promos::active_count(tx).await?,
        active_giveaways: giveaways::active_count(tx).await?,
    };
    Ok(StatusReport {
        version: crate::VERSION.to_owned(),
        contract: ContractVersion::CURRENT,
        online: true,
        open: state.open,
        closed_reason: state.closed_reason,
        started_at: ctx.uptime.started_at,
        uptime_secs: ctx.uptime.seconds(Utc::now()),
        groups: ctx.groups.iter().map(ToString::to_string).collect(),
        counts,
    })
}

/// Reads a setting, or writes it when a value is given.
pub async fn config(tx: &mut Tx, p: &ConfigParams) -> Result<Applied, ExecuteError> {
    let key = ConfigKey::parse(&p.key).map_err(|e| rejected(ErrorCode::NotFound, e.to_string()))?;
    match (&key, &p.value) {
        (ConfigKey::Price(plan), Some(_)) => super::known::price_plan(tx, plan).await?,
        (ConfigKey::Trial(plan), Some(_)) => super::known::trial_plan(tx, plan).await?,
        _ => {}
    }
    let name = key.to_string();
    let stored = settings::get(tx, &name).await?;
    let current = stored.clone().or_else(|| key.default_value().map(str::to_owned));
    let Some(raw) = &p.value else {
        return Ok(Applied::new(ConfigResult { key: name, value: current, previous: None, changed: false }, vec![]));
    };
    let value = key.normalize(raw).map_err(|e: ConfigError| rejected(ErrorCode::InvalidParams, e.to_string()))?;
    let changed = current.as_deref() != Some(value.as_str());
    let before = match &key {
        ConfigKey::Price(product) => catalog::get(tx, product).await?,
        _ => None,
    };
    if changed {
        settings::set(tx, &name, &value).await?;
    }
    let result = ConfigResult { key: name, value: Some(value), previous: current, changed };
    let mut events = if changed { vec![event(EventKind::CONFIG_CHANGED, &result)] } else { vec![] };
    // `/shop` and checkout read the price in effect from the same setting (store::catalog).
    if let (true, Some(before)) = (changed, before) {
        if let Some(after) = catalog::get(tx, &before.id).await? {
            let data = json!({"product": after.id, "price": after.price, "previous": before.price, "currency": after.currency});
            events.push(event("product.price_changed", data));
        }
    }
    Ok(Applied::new(result, events))
}

/// Opens the shop.
pub async fn open(tx: &mut Tx) -> Result<Applied, ExecuteError> {
    let mut state = settings::shop_state(tx).await?;
    let changed = state.open() == Transition::Changed;
    settings::save_shop_state(tx, &state).await?;
    let result = OpenResult { open: true, reason: None, changed };
    let events = if changed { vec![event(EventKind::SHOP_OPENED, &result)] } else { vec![] };
    Ok(Applied::new(result, events))
}

/// Closes the shop; buyers see the reason (or `shop.closed_message`).
pub async fn close(tx: &mut Tx, p: &StopParams) -> Result<Applied, ExecuteError> {
    let mut state = settings::shop_state(tx).await?;
    let changed = state.close(p.reason.clone()) == Transition::Changed;
    settings::save_shop_state(tx, &state).await?;
    let result = OpenResult { open: false, reason: p.reason.clone(), changed };
    let events = if changed { vec![event(EventKind::SHOP_CLOSED, &result)] } else { vec![] };
    Ok(Applied::new(result, events))
}

/// Acknowledges a restart; the consumer stops the process once the order is acked.
pub fn restart() -> Result<Applied, ExecuteError> {
    let result = RestartResult { restarting: true };
    Ok(Applied::new(&result, vec![event(EventKind::SHOP_RESTARTING, &result)]))
}
