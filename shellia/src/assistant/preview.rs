//! What a plan will do, before the admin confirms it: the shops it reaches, its orders, and for a
//! promotion its impact in each shop (members reached, estimated discount cost from the last 7
//! days of sales on its target, clashes with running promotions), asked of the shops with the
//! read-only `estimate` action. An estimate waits for no offline shop: it expires with the
//! reply window, so it never runs late.

use std::time::Duration;

use subjects::params::EstimateParams;
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

/// The preview text, ending with the confirmation question.
pub async fn preview(fleet: &FleetClient, plan: &Plan, wait: Duration) -> Result<String, PreviewError> {
    let shops = fleet.addressed_shops(&plan.target).await?;
    if shops.is_empty() {
        let known = fleet.shops().await?.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        return Err(PreviewError::UnknownTarget(SendError::UnknownTarget(plan.target.clone(), known)));
    }
    let names: Vec<String> = shops.keys().map(ToString::to_string).collect();
    let (reach, confirm) = match plan.lang {
        Lang::Fr => ("boutique(s)", "Confirmer ? (oui/non)"),
        Lang::En => ("shop(s)", "Confirm? (yes/no)"),
    };
    let mut text = format!("{}\n  → {} {reach}: {}\n", plan.summary, names.len(), names.join(", "));
    for c in &plan.commands {
        text.push_str(&format!("  · {} {}\n", c.action(), c.params_json()));
        if let Command::Promo(promo) = c {
            text.push_str(&impact(fleet, plan, promo.clone(), wait).await?);
        }
    }
    text.push_str(confirm);
    text.push('\n');
    Ok(text)
}

/// Each shop's estimate of a promotion, a line per shop.
async fn impact(
    fleet: &FleetClient,
    plan: &Plan,
    promo: subjects::params::PromoParams,
    wait: Duration,
) -> Result<String, PreviewError> {
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
    let title = plan.lang.pick("    impact (7 derniers jours de ventes) :\n", "    impact (last 7 days of sales):\n");
    let mut text = title.to_owned();
    for (shop, delivery) in &dispatch.shops {
        let line = match delivery {
            Delivery::Replied(r) if r.ok => r
                .result
                .clone()
                .and_then(|v| serde_json::from_value::<EstimateResult>(v).ok())
                .map_or_else(|| "no estimate".to_owned(), |e| estimate_line(&e)),
            Delivery::Replied(r) => {
                format!("no estimate: {}", r.error.as_ref().map_or("refused", |e| e.message.as_str()))
            }
            Delivery::Queued => plan
                .lang
                .pick("hors ligne : la commande attendra son retour", "offline: the order will wait for it")
                .to_owned(),
            Delivery::NoReply => plan.lang.pick("pas de réponse à temps", "no answer in time").to_owned(),
        };
        text.push_str(&format!("    {shop}: {line}\n"));
    }
    Ok(text)
}
