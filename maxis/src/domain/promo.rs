//! Promotions: the cap, clashes on a target, and the timeline (scheduled → active → ended).

use chrono::{DateTime, Duration, Utc};
use subjects::params::{Discount, PromoParams, PromoTarget};
use subjects::results::{PromoInfo, PromoStatus};

/// Why a promotion is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromoError {
    /// The percent is above `promo.max_discount`.
    #[error("{percent}% is above this shop's cap of {cap}% (setting promo.max_discount)")]
    AboveCap {
        /// Asked.
        percent: u8,
        /// Allowed.
        cap: u8,
    },
    /// A fixed discount that is not below the plan's price.
    #[error("a fixed discount of {amount} is not below the price of plan {plan} ({price})")]
    AbovePrice {
        /// Plan.
        plan: String,
        /// Discount in minor units.
        amount: u64,
        /// Price in minor units.
        price: i64,
    },
    /// Another promotion runs on the same target at the same time.
    #[error("promotion {other} already runs on {target} until {until}; send the order again with replace=true to replace it")]
    Clash {
        /// The running promotion.
        other: String,
        /// Its target.
        target: String,
        /// Its end.
        until: String,
    },
    /// It would end before now.
    #[error("the promotion would end at {0}, which has passed")]
    InThePast(String),
}

/// The key two promotions clash on: `all`, `plan:<id>` or `product:<id>`.
pub fn target_key(target: &PromoTarget) -> String {
    match target {
        PromoTarget::All => "all".to_owned(),
        PromoTarget::Plan(id) => format!("plan:{id}"),
        PromoTarget::Product(id) => format!("product:{id}"),
    }
}

/// A checked promotion and the live ones it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoPlan {
    /// The new promotion.
    pub promo: PromoInfo,
    /// Ids of the promotions to end as replaced.
    pub replaces: Vec<String>,
}

/// Checks a `promo` order against the cap, the plan's price and the live promotions.
pub fn plan(
    id: &str,
    params: &PromoParams,
    now: DateTime<Utc>,
    cap: u8,
    plan_price: Option<i64>,
    live: &[PromoInfo],
) -> Result<PromoPlan, PromoError> {
    match (&params.discount, &params.target) {
        (Discount::Percent(p), _) if *p > cap => return Err(PromoError::AboveCap { percent: *p, cap }),
        (Discount::Fixed(m), PromoTarget::Plan(plan)) => {
            if let Some(price) = plan_price.filter(|price| m.amount as i64 >= *price) {
                return Err(PromoError::AbovePrice { plan: plan.clone(), amount: m.amount, price });
            }
        }
        _ => {}
    }
    let starts_at = params.starts_at.unwrap_or(now).max(now);
    let seconds = i64::try_from(params.duration_secs).unwrap_or(i64::MAX).min(10 * 365 * 86_400);
    let ends_at = starts_at + Duration::seconds(seconds);
    if ends_at <= now {
        return Err(PromoError::InThePast(ends_at.to_rfc3339()));
    }
    let key = target_key(&params.target);
    let clashing: Vec<&PromoInfo> = live
        .iter()
        .filter(|p| matches!(p.status, PromoStatus::Scheduled | PromoStatus::Active))
        .filter(|p| target_key(&p.target) == key && p.starts_at < ends_at && starts_at < p.ends_at)
        .collect();
    if let (Some(first), false) = (clashing.first(), params.replace) {
        return Err(PromoError::Clash { other: first.id.clone(), target: key, until: first.ends_at.to_rfc3339() });
    }
    let promo = PromoInfo {
        id: id.to_owned(),
        discount: params.discount.clone(),
        target: params.target.clone(),
        audience: params.audience.clone(),
        code: params.code.clone(),
        max_redemptions: params.max_redemptions,
        redemptions: 0,
        starts_at,
        ends_at,
        status: if starts_at <= now { PromoStatus::Active } else { PromoStatus::Scheduled },
        replaced: clashing.first().map(|p| p.id.clone()),
    };
    Ok(PromoPlan { promo, replaces: clashing.iter().map(|p| p.id.clone()).collect() })
}

/// What a promotion's clock says at `now`: its next state, if it changes.
pub fn due(promo: &PromoInfo, now: DateTime<Utc>) -> Option<PromoStatus> {
    match promo.status {
        PromoStatus::Scheduled | PromoStatus::Active if promo.ends_at <= now => Some(PromoStatus::Ended),
        PromoStatus::Scheduled if promo.starts_at <= now => Some(PromoStatus::Active),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use subjects::params::Audience;

    fn params(percent: u8, target: PromoTarget, replace: bool) -> PromoParams {
        PromoParams {
            discount: Discount::Percent(percent),
            target,
            duration_secs: 3600,
            audience: Audience::Everyone,
            code: None,
            max_redemptions: None,
            starts_at: None,
            replace,
        }
    }

    #[test]
    fn a_discount_above_the_cap_is_refused() {
        let err = plan("a", &params(60, PromoTarget::All, false), Utc::now(), 50, None, &[]).unwrap_err();
        assert_eq!(err, PromoError::AboveCap { percent: 60, cap: 50 });
    }

    #[test]
    fn a_clash_is_refused_unless_replace() {
        let now = Utc::now();
        let pro = PromoTarget::Plan("pro".into());
        let first = plan("a", &params(20, pro.clone(), false), now, 50, None, &[]).unwrap().promo;
        let live = [first];
        assert!(matches!(
            plan("b", &params(10, pro.clone(), false), now, 50, None, &live),
            Err(PromoError::Clash { .. })
        ));
        assert!(plan("c", &params(10, PromoTarget::Plan("basic".into()), false), now, 50, None, &live).is_ok());
        let replaced = plan("d", &params(10, pro, true), now, 50, None, &live).unwrap();
        assert_eq!(replaced.replaces, vec!["a"]);
    }

    #[test]
    fn a_promotion_ends_when_its_end_passes() {
        let now = Utc::now();
        let promo = plan("a", &params(20, PromoTarget::All, false), now, 50, None, &[]).unwrap().promo;
        assert_eq!(promo.status, PromoStatus::Active);
        assert_eq!(due(&promo, now), None);
        assert_eq!(due(&promo, now + Duration::hours(2)), Some(PromoStatus::Ended));
    }
}
