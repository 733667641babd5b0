//! What a plan will do, before the admin confirms it: the shops it reaches, its orders, and for a
//! promotion its impact in each shop (members reached, estimated discount cost from the last 7
//! days of sales on its target, clashes with running promotions), asked of the shops with the
//! read-only `estimate` action. An estimate waits for no offline shop: it expires with the
//! reply window, so it never runs late.

use std::time::Duration;

use subjects::params::{Audience, EstimateParams, PromoParams};
use subjects::results::EstimateResult;
use subjects::{Command, Order};

use crate::brain::{Lang, Plan};
use crate::bus::{Delivery, FleetClient, SendError};
use crate::render::estimate_line;

/// Why no preview could be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// No shop receives orders for the plan's target.
    #[error(transparent)]
    UnknownTarget(SendError),
    /// The broker failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The preview text, in the plan's language, ending with the confirmation question: what it will
/// do (a sentence), the shops it reaches, and for a promotion its impact in each shop; when its
/// audience reaches no member anywhere, it says so and names an audience that would.
pub async fn preview(fleet: &FleetClient, plan: &Plan, wait: Duration) -> Result<String, PreviewError> {
    let shops = fleet.addressed_shops(&plan.target).await?;
    if shops.is_empty() {
        let known = fleet.shops().await?.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        return Err(PreviewError::UnknownTarget(SendError::UnknownTarget(plan.target.clone(), known)));
    }
    let names: Vec<String> = shops.keys().map(ToString::to_string).collect();
    let lang = plan.lang;
    let mut text = format!("{}\n", plan.summary);
    text.push_str(&lang.pick(
        format!("Boutiques visées ({}) : {}.\n", names.len(), names.join(", ")),
        format!("Shops reached ({}): {}.\n", names.len(), names.join(", ")),
    ));
    for c in &plan.commands {
        if let Command::Promo(promo) = c {
            text.push_str(&impact(fleet, plan, promo.clone(), wait).await?);
        }
    }
    text.push_str(lang.pick("Confirmer ? (oui/non)", "Confirm? (yes/no)"));
    text.push('\n');
    Ok(text)
}

/// Each shop's estimate of `promo`: the replies by shop (`None`: no estimate).
async fn estimates(
    fleet: &FleetClient,
    plan: &Plan,
    promo: PromoParams,
    wait: Duration,
) -> Result<Vec<(String, Result<EstimateResult, String>)>, PreviewError> {
    // Shops that are online answer in milliseconds; a preview does not wait long for the others.
    let wait = wait.min(Duration::from_secs(2));
    let mut order = Order::new(Command::Estimate(EstimateParams { promo, days: 7 }), fleet.issuer());
    order.expires_at = chrono::Duration::from_std(wait).ok().map(|w| order.issued_at + w);
    let dispatch = match fleet.send(&plan.target, order, wait).await {
        Ok(dispatch) => dispatch,
        Err(SendError::UnknownTarget(t, known)) => {
            return Err(PreviewError::UnknownTarget(SendError::UnknownTarget(t, known)))
        }
        Err(e @ SendError::TooLarge(..)) => return Err(anyhow::Error::from(e).into()),
        Err(SendError::Unexpected(e)) => return Err(e.into()),
    };
    let lang = plan.lang;
    Ok(dispatch
        .shops
        .iter()
        .map(|(shop, delivery)| {
            let estimate = match delivery {
                Delivery::Replied(r) if r.ok => r
                    .result
                    .clone()
                    .and_then(|v| serde_json::from_value::<EstimateResult>(v).ok())
                    .ok_or_else(|| lang.pick("pas d'estimation", "no estimate").to_owned()),
                Delivery::Replied(r) => Err(format!(
                    "{} : {}",
                    lang.pick("pas d'estimation", "no estimate"),
                    r.error.as_ref().map_or("refused", |e| e.message.as_str())
                )),
                Delivery::Queued => Err(lang
                    .pick("hors ligne : la commande attendra son retour", "offline: the order will wait for it")
                    .to_owned()),
                Delivery::NoReply => Err(lang.pick("pas de réponse à temps", "no answer in time").to_owned()),
            };
            (shop.to_string(), estimate)
        })
        .collect())
}

/// A promotion's impact, a line per shop; a warning with a better audience when it reaches no one.
async fn impact(fleet: &FleetClient, plan: &Plan, promo: PromoParams, wait: Duration) -> Result<String, PreviewError> {
    let lang = plan.lang;
    let found = estimates(fleet, plan, promo.clone(), wait).await?;
    let mut text = lang.pick("Impact (7 derniers jours de ventes) :\n", "Impact (last 7 days of sales):\n").to_owned();
    for (shop, estimate) in &found {
        let line = match estimate {
            Ok(e) => estimate_sentence(e, lang),
            Err(why) => why.clone(),
        };
        text.push_str(&format!("• {shop}: {line}\n"));
    }
    let answered: Vec<&EstimateResult> = found.iter().filter_map(|(_, e)| e.as_ref().ok()).collect();
    if answered.is_empty() || answered.iter().any(|e| e.members_reached > 0) {
        return Ok(text);
    }
    let who = crate::brain::show_audience(&promo.audience, lang.is_fr());
    text.push_str(&lang.pick(
        format!("⚠ Cette annonce ne touchera aucun membre ({who}).\n"),
        format!("⚠ This announcement reaches no member ({who}).\n"),
    ));
    for audience in [Audience::PromoPing, Audience::Everyone].into_iter().filter(|a| *a != promo.audience) {
        let other = PromoParams { audience: audience.clone(), ..promo.clone() };
        let reached: u64 = estimates(fleet, plan, other, wait)
            .await?
            .iter()
            .filter_map(|(_, e)| e.as_ref().ok())
            .map(|e| e.members_reached)
            .sum();
        if reached > 0 {
            let instead = crate::brain::show_audience(&audience, lang.is_fr());
            text.push_str(&lang.pick(
                format!("💡 Annoncée {instead}, elle toucherait {reached} membre(s) : dis-le dans ta demande.\n"),
                format!("💡 Announced to {instead}, it would reach {reached} member(s): say so in your request.\n"),
            ));
            break;
        }
    }
    Ok(text)
}

/// One shop's estimate, in the plan's language.
fn estimate_sentence(e: &EstimateResult, lang: Lang) -> String {
    if lang == Lang::En {
        return estimate_line(e);
    }
    let money = |amount: i64| format!("{},{:02} {}", amount / 100, amount % 100, e.currency.to_ascii_uppercase());
    let mut line = format!(
        "{} membre(s) touché(s) ({} sans messages) · coût estimé {} sur {} de ventes en {} jours ({} vente(s))",
        e.members_reached,
        e.opted_out,
        money(e.estimated_cost),
        money(e.revenue),
        e.days,
        e.sales
    );
    for c in &e.clashes {
        line.push_str(&format!(
            " · ⚠ chevauche la promotion {} jusqu'au {} (refusée sauf en la remplaçant)",
            c.id,
            c.ends_at.format("%d/%m/%Y %H:%M UTC")
        ));
    }
    if let Some(cap) = e.above_cap {
        line.push_str(&format!(" · ⚠ au-dessus du plafond de la boutique ({cap}%) : elle serait refusée"));
    }
    if !e.open {
        line.push_str(" · ⚠ la boutique est fermée : elle refuserait la promotion");
    }
    line
}
