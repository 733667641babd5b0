//! One order, one transaction: the effect, its idempotency record and its events commit together.

use chrono::Utc;
use serde_json::{json, Value};
use subjects::event::{OrderExecuted, OrderRejected};
use subjects::reply::StatusReport;
use subjects::{
    subject, Command, ContractVersion, ErrorBody, ErrorCode, Event, EventKind, Name, Order, OrderId, Reply, ShopId,
};

use crate::domain::shop::Transition;
use crate::domain::Uptime;
use crate::store::{orders, settings, Store, Tx};

/// What a shop knows about itself while executing orders.
#[derive(Debug, Clone)]
pub struct ShopContext {
    /// Its id.
    pub id: ShopId,
    /// Its groups (from its consumer's filters).
    pub groups: Vec<Name>,
    /// When the process started.
    pub uptime: Uptime,
}

/// Why an order did not execute.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The order is refused for good (bad params, conflict…): answered, recorded, acked.
    #[error("{}", .0.message)]
    Rejected(ErrorBody),
    /// The shop failed (database…): nothing was applied; the order will be redelivered.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ExecuteError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

/// A domain event to publish with the order's outcome.
pub struct DomainEvent {
    /// Kind, e.g. `shop.closed`.
    pub kind: &'static str,
    /// Data.
    pub data: Value,
}

/// Executes `order` and commits its effect with its reply and events. Returns the reply.
#[tracing::instrument(skip_all, fields(order_id = %order.id, action = %order.action()))]
pub async fn execute(store: &Store, ctx: &ShopContext, order: &Order) -> Result<Reply, ExecuteError> {
    let mut tx = store.begin().await?;
    if let Some(reply) = orders::stored_reply(&mut tx, &order.id).await? {
        return Ok(Reply { replayed: true, ..reply });
    }
    if order.is_expired(Utc::now()) {
        let error = ErrorBody::new(ErrorCode::Expired, format!("order expired at {}", fmt_opt(order.expires_at)));
        drop(tx);
        return Err(ExecuteError::Rejected(error));
    }
    let (result, events) = apply(&mut tx, ctx, order).await?;
    let reply = Reply::ok(order.id.clone(), ctx.id.clone(), result.clone());
    orders::record(&mut tx, &reply, Some(order.action().as_str()), Some(&order.issued_by)).await?;
    let executed = OrderExecuted { action: order.action().to_string(), issued_by: order.issued_by.clone(), result };
    enqueue(&mut tx, ctx, Some(&order.id), EventKind::ORDER_EXECUTED, json!(executed)).await?;
    for event in events {
        enqueue(&mut tx, ctx, Some(&order.id), event.kind, event.data).await?;
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(reply)
}

/// Records a refusal (so a redelivery gets the same answer) and queues `order.rejected`.
pub async fn record_rejection(
    store: &Store,
    ctx: &ShopContext,
    order_id: &OrderId,
    action: Option<&str>,
    issued_by: Option<&str>,
    error: ErrorBody,
) -> anyhow::Result<Reply> {
    let mut tx = store.begin().await?;
    if let Some(reply) = orders::stored_reply(&mut tx, order_id).await? {
        return Ok(Reply { replayed: true, ..reply });
    }
    let reply = Reply::err(order_id.clone(), ctx.id.clone(), error.clone());
    orders::record(&mut tx, &reply, action, issued_by).await?;
    let rejected = OrderRejected { action: action.map(str::to_owned), error };
    enqueue(&mut tx, ctx, Some(order_id), EventKind::ORDER_REJECTED, json!(rejected)).await?;
    tx.commit().await?;
    Ok(reply)
}

/// Queues an event in the outbox of the current transaction.
pub async fn enqueue(
    tx: &mut Tx,
    ctx: &ShopContext,
    order: Option<&OrderId>,
    kind: &str,
    data: Value,
) -> anyhow::Result<()> {
    let kind = EventKind::parse(kind)?;
    let event = Event::new(ctx.id.clone(), kind.clone(), order.cloned(), data);
    orders::enqueue(tx, &subject::event(&ctx.id, &kind), &event).await
}

async fn apply(tx: &mut Tx, ctx: &ShopContext, order: &Order) -> Result<(Value, Vec<DomainEvent>), ExecuteError> {
    match &order.command {
        Command::Status(_) => Ok((json!(status(tx, ctx).await?), vec![])),
        Command::Start(_) => {
            let mut state = settings::shop_state(tx).await?;
            let transition = state.open();
            settings::save_shop_state(tx, &state).await?;
            Ok(state_change(transition, "shop.opened", json!({ "open": true })))
        }
        Command::Stop(p) => {
            let mut state = settings::shop_state(tx).await?;
            let transition = state.close(p.reason.clone());
            settings::save_shop_state(tx, &state).await?;
            Ok(state_change(transition, "shop.closed", json!({ "open": false, "reason": p.reason })))
        }
        other => Err(ExecuteError::Rejected(ErrorBody::new(
            ErrorCode::NotSupported,
            format!("this Maxis ({}) does not carry out `{}` orders", crate::VERSION, other.action()),
        ))),
    }
}

fn state_change(transition: Transition, kind: &'static str, data: Value) -> (Value, Vec<DomainEvent>) {
    let changed = transition == Transition::Changed;
    let mut result = data.clone();
    result["changed"] = json!(changed);
    let events = if changed { vec![DomainEvent { kind, data }] } else { vec![] };
    (result, events)
}

/// The `status` report.
pub async fn status(tx: &mut Tx, ctx: &ShopContext) -> anyhow::Result<StatusReport> {
    let state = settings::shop_state(tx).await?;
    Ok(StatusReport {
        version: crate::VERSION.to_owned(),
        contract: ContractVersion::CURRENT,
        online: true,
        open: state.open,
        closed_reason: state.closed_reason,
        started_at: ctx.uptime.started_at,
        uptime_secs: ctx.uptime.seconds(Utc::now()),
        groups: ctx.groups.iter().map(ToString::to_string).collect(),
    })
}

fn fmt_opt(at: Option<chrono::DateTime<Utc>>) -> String {
    at.map_or_else(|| "?".to_owned(), |a| a.to_rfc3339())
}
