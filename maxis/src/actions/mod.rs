//! What each action does inside the order's transaction. Handlers are thin: read what the rule
//! needs, call the domain, write the outcome, name the events.

mod catalog;
mod estimate;
mod insights;
pub(crate) mod known;
mod shop;

use serde_json::{json, Value};
use subjects::results::ExecuteResult;
use subjects::{Command, ErrorBody, ErrorCode};

use crate::domain::commands;
use crate::execute::{ExecuteError, ShopContext};
use crate::store::Tx;

/// A domain event to publish with the order's outcome.
pub struct DomainEvent {
    /// Kind, e.g. `promo.started`.
    pub kind: &'static str,
    /// Data.
    pub data: Value,
}

/// The result for the reply and the events to publish.
pub struct Applied {
    /// Result of the action.
    pub result: Value,
    /// Domain events.
    pub events: Vec<DomainEvent>,
}

impl Applied {
    pub(crate) fn new(result: impl serde::Serialize, events: Vec<DomainEvent>) -> Self {
        Self { result: json!(result), events }
    }
}

pub(crate) fn event(kind: &'static str, data: impl serde::Serialize) -> DomainEvent {
    DomainEvent { kind, data: json!(data) }
}

pub(crate) fn rejected(code: ErrorCode, message: impl Into<String>) -> ExecuteError {
    ExecuteError::Rejected(ErrorBody::new(code, message))
}

/// `grant`: a manual source in the ledger for a product's role (or its end).
async fn grant(tx: &mut Tx, ctx: &ShopContext, p: &subjects::params::GrantParams) -> Result<Applied, ExecuteError> {
    use crate::entitlements::ledger::{self, SourceKind, SourceSpec};
    let product = crate::store::catalog::get(tx, &p.product).await?;
    let Some(product) = product else {
        let known = crate::store::catalog::visible(tx).await?;
        let names: Vec<_> = known.iter().filter(|k| k.role_id.is_some()).map(|k| k.id.as_str()).collect();
        let message = format!("there is no product `{}`; products with a role: {}", p.product, names.join(", "));
        return Err(rejected(ErrorCode::InvalidParams, message));
    };
    let Some(role) = product.role_id.clone() else {
        return Err(rejected(ErrorCode::InvalidParams, format!("`{}` grants no role", product.id)));
    };
    let member = p.member_id();
    let spec = SourceSpec {
        kind: SourceKind::Manual,
        member,
        role_id: &role,
        product_id: Some(&product.id),
        checkout_id: None,
        subscription_id: None,
        amount: 0,
        currency: &product.currency,
    };
    let (state, note) =
        if p.revoke { ("revoked", "manual grant taken back") } else { ("granted", "given by an admin") };
    ledger::set(tx, ctx, &spec, !p.revoke, state, note).await?;
    let should_hold = ledger::of_member(tx, member).await?.iter().any(|s| s.role_id == role && s.active);
    let result = subjects::results::GrantResult {
        member: member.to_owned(),
        product: product.id.clone(),
        role_id: role,
        granted: !p.revoke,
        should_hold,
    };
    Ok(Applied::new(result, vec![]))
}

/// Applies `command` in `tx`.
pub async fn apply(tx: &mut Tx, ctx: &ShopContext, id: &str, command: &Command) -> Result<Applied, ExecuteError> {
    match command {
        Command::Execute(p) => {
            let inner = commands::parse(&p.command).map_err(|e| match e {
                commands::CommandError::NotAllowed(_) => rejected(ErrorCode::NotAllowed, e.to_string()),
                commands::CommandError::Usage(_) => rejected(ErrorCode::InvalidParams, e.to_string()),
            })?;
            // The inner command is checked exactly like an order of its own.
            let inner = Command::from_parts(inner.action().as_str(), inner.params_json())
                .map_err(|e| rejected(e.kind.code(), e.message))?;
            let applied = apply_one(tx, ctx, id, &inner).await?;
            let result = ExecuteResult { command: inner.action().to_string(), result: applied.result };
            Ok(Applied::new(result, applied.events))
        }
        other => apply_one(tx, ctx, id, other).await,
    }
}

async fn apply_one(tx: &mut Tx, ctx: &ShopContext, id: &str, command: &Command) -> Result<Applied, ExecuteError> {
    match command {
        Command::Status(_) => Ok(Applied::new(shop::status(tx, ctx).await?, vec![])),
        Command::Config(p) => shop::config(tx, p).await,
        Command::Start(_) => shop::open(tx).await,
        Command::Stop(p) => shop::close(tx, p).await,
        Command::Restart(_) => shop::restart(),
        Command::Promo(p) => crate::marketing::orders::start(tx, id, p).await,
        Command::Giveaway(p) => crate::engagement::giveaways::orders::create(tx, id, p).await,
        Command::Announce(p) => crate::marketing::orders::announce(tx, id, p).await,
        Command::Analytics(p) => insights::analytics(tx, p).await,
        Command::Report(p) => insights::report(tx, p).await,
        Command::Catalog(p) => catalog::apply(tx, p).await,
        Command::Giveaways(p) => crate::engagement::giveaways::orders::apply(tx, ctx, p).await,
        Command::Preorder(p) => crate::engagement::preorders::orders::apply(tx, ctx, p).await,
        Command::Estimate(p) => estimate::estimate(tx, p).await,
        Command::Resync(_) => {
            let now = chrono::Utc::now();
            let requeued = crate::entitlements::reconcile::queue_everyone(tx, now, "resync", true).await?;
            Ok(Applied::new(subjects::results::ResyncResult { requeued }, vec![]))
        }
        Command::Why(p) => Ok(Applied::new(crate::entitlements::why::explain(tx, p.member_id()).await?, vec![])),
        Command::Grant(p) => grant(tx, ctx, p).await,
        Command::Subscription(p) => crate::memberships::orders::subscription(tx, id, p).await,
        Command::Execute(_) => Err(rejected(ErrorCode::NotAllowed, "`execute` cannot run `execute`")),
    }
}
