//! What a plan will do, before the admin confirms it: the shops it reaches and its orders.

use crate::brain::{Lang, Plan};
use crate::bus::{FleetClient, SendError};

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
pub async fn preview(fleet: &FleetClient, plan: &Plan) -> Result<String, PreviewError> {
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
    }
    text.push_str(confirm);
    text.push('\n');
    Ok(text)
}
