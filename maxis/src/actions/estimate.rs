//! estimate: what a promotion would do, read-only. It reads the members, the sales and the live
//! promotions and changes nothing. Like `status` and `analytics`, its reply is still recorded
//! under the order id by `execute`, so a redelivered estimate answers the figures computed the
//! first time (idempotent like every order) and leaves the shop as it was.

use chrono::{Duration, Utc};
use subjects::params::{Discount, EstimateParams, PromoTarget};
use subjects::results::EstimateResult;

use super::Applied;
use crate::domain::config::ConfigKey;
use crate::domain::promo::target_key;
use crate::execute::ExecuteError;
use crate::marketing::store::promos;
use crate::store::{members, settings, Tx};

async fn setting(tx: &mut Tx, key: ConfigKey) -> anyhow::Result<Option<String>> {
    let stored = settings::get(tx, &key.to_string()).await?;
    Ok(stored.or_else(|| key.default_value().map(str::to_owned)))
}

/// Estimates the promotion of `p` in this shop.
pub async fn estimate(tx: &mut Tx, p: &EstimateParams) -> Result<Applied, ExecuteError> {
    let now = Utc::now();
    let promo = &p.promo;
    let reached = members::resolve(tx, &promo.audience, now).await?;
    let from = now - Duration::days(i64::from(p.days));
    let product = match &promo.target {
        PromoTarget::All => None,
        PromoTarget::Plan(id) | PromoTarget::Product(id) => Some(id.as_str()),
    };
    let (sales, revenue): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM sales
         WHERE status = 'paid' AND created_at >= ? AND created_at < ? AND (? IS NULL OR product_id = ?)",
    )
    .bind(from)
    .bind(now)
    .bind(product)
    .bind(product)
    .fetch_one(&mut **tx)
    .await?;
    let estimated_cost = match &promo.discount {
        Discount::Percent(pct) => revenue * i64::from(*pct) / 100,
        Discount::Fixed(m) => (i64::try_from(m.amount).unwrap_or(i64::MAX)).saturating_mul(sales).min(revenue),
    };
    let starts = promo.starts_at.unwrap_or(now).max(now);
    let ends =
        starts + Duration::seconds(i64::try_from(promo.duration_secs).unwrap_or(i64::MAX).min(10 * 365 * 86_400));
    let key = target_key(&promo.target);
    let clashes = promos::live(tx)
        .await?
        .into_iter()
        .filter(|l| target_key(&l.target) == key && l.starts_at < ends && starts < l.ends_at)
        .collect();
    let cap: u8 = setting(tx, ConfigKey::PromoMaxDiscount).await?.and_then(|v| v.parse().ok()).unwrap_or(50);
    let above_cap = match promo.discount {
        Discount::Percent(pct) if pct > cap => Some(cap),
        _ => None,
    };
    let result = EstimateResult {
        members_reached: reached.len() as u64,
        opted_out: reached.iter().filter(|(_, out)| *out).count() as u64,
        days: p.days,
        sales: sales.max(0) as u64,
        revenue,
        estimated_cost,
        currency: setting(tx, ConfigKey::Currency).await?.unwrap_or_else(|| "eur".to_owned()),
        clashes,
        above_cap,
        open: settings::shop_state(tx).await?.open,
    };
    Ok(Applied::new(result, vec![]))
}
