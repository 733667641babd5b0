//! Defense in depth: a promotion, a giveaway whose prize is a plan, or a price setting must
//! name a plan or product this shop has. Shellia checks its plans against the catalog too, but a
//! shop never trusts that: it refuses with `not_found` and names what it has. A shop whose
//! catalog is empty has nothing to check against (its plans live only in `price.<plan>`
//! settings, as in the seed), and keeps accepting.

use subjects::params::PromoTarget;
use subjects::ErrorCode;

use super::rejected;
use crate::domain::catalog::{Product, ProductKind};
use crate::execute::ExecuteError;
use crate::store::{catalog, Tx};

/// Words that, next to a name in a prize, make it a plan (`the Gold plan`, `abonnement Pro`).
const PLAN_WORDS: &[&str] = &["plan", "abonnement", "subscription", "tier", "formule", "offre"];
/// Words next to a plan word that are not its name.
const NOT_NAMES: &[&str] = &[
    "a", "an", "the", "of", "for", "de", "du", "d", "un", "une", "le", "la", "l", "au", "month", "months", "year",
    "years", "mois", "an", "ans", "annee", "free", "gratuit", "gratuite", "1", "2", "3", "6", "12", "your", "votre",
];

fn names(products: &[Product], plans: bool) -> Vec<String> {
    products.iter().filter(|p| (p.kind == ProductKind::Plan) == plans).map(|p| p.id.clone()).collect()
}

fn missing(what: &str, id: &str, products: &[Product]) -> ExecuteError {
    let (plans, others) = (names(products, true), names(products, false));
    rejected(
        ErrorCode::NotFound,
        format!(
            "this shop has no {what} {id:?}; its plans: {}; its products: {}",
            if plans.is_empty() { "none".to_owned() } else { plans.join(", ") },
            if others.is_empty() { "none".to_owned() } else { others.join(", ") },
        ),
    )
}

/// Refuses a promotion on a plan or product the shop does not have.
pub async fn promo_target(tx: &mut Tx, target: &PromoTarget) -> Result<(), ExecuteError> {
    let (id, plan) = match target {
        PromoTarget::All => return Ok(()),
        PromoTarget::Plan(id) => (id, true),
        PromoTarget::Product(id) => (id, false),
    };
    let products = catalog::all(tx).await?;
    if products.is_empty() || names(&products, plan).contains(id) {
        return Ok(());
    }
    Err(missing(if plan { "plan" } else { "product" }, id, &products))
}

/// Refuses `price.<id>` for a plan or product the shop does not have (a plan's or a one-off
/// product's price may be set).
pub async fn price_plan(tx: &mut Tx, id: &str) -> Result<(), ExecuteError> {
    let products = catalog::all(tx).await?;
    if products.is_empty() || products.iter().any(|p| p.id == id) {
        return Ok(());
    }
    Err(missing("plan or product", id, &products))
}

/// Refuses `trial.<id>` for anything but a plan the shop has.
pub async fn trial_plan(tx: &mut Tx, id: &str) -> Result<(), ExecuteError> {
    let products = catalog::all(tx).await?;
    if products.iter().any(|p| p.id == id && p.kind == ProductKind::Plan) {
        return Ok(());
    }
    Err(missing("plan", id, &products))
}

/// The plan a prize names (`Premium plan`, `1 month of the Gold plan`, `abonnement Pro`).
fn prize_plan(prize: &str) -> Option<String> {
    let words: Vec<String> =
        prize.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    let at = words.iter().position(|w| PLAN_WORDS.contains(&w.as_str()))?;
    let next = words.get(at + 1).filter(|w| !NOT_NAMES.contains(&w.as_str()));
    let before = at.checked_sub(1).and_then(|b| words.get(b)).filter(|w| !NOT_NAMES.contains(&w.as_str()));
    before.or(next).cloned()
}

/// Refuses a giveaway whose prize is a plan the shop does not have.
pub async fn prize(tx: &mut Tx, prize: &str) -> Result<(), ExecuteError> {
    let Some(plan) = prize_plan(prize) else { return Ok(()) };
    let products = catalog::all(tx).await?;
    if products.is_empty() || names(&products, true).contains(&plan) {
        return Ok(());
    }
    Err(missing("plan", &plan, &products))
}

#[cfg(test)]
mod tests {
    use super::prize_plan;

    #[test]
    fn a_prize_names_a_plan_before_or_after_the_plan_word() {
        assert_eq!(prize_plan("the Gold plan").as_deref(), Some("gold"));
        assert_eq!(prize_plan("1 month of the Premium plan").as_deref(), Some("premium"));
        assert_eq!(prize_plan("abonnement Pro 1 mois").as_deref(), Some("pro"));
        assert_eq!(prize_plan("Nitro"), None);
        assert_eq!(prize_plan("a plan of your choice"), None);
    }
}
