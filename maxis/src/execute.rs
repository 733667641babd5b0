//! One order, one transaction: the effect, its idempotency record and its events commit together.

use anyhow::Context;
use chrono::Utc;
use serde_json::{json, Value};
use subjects::event::{OrderExecuted, OrderRejected};
use subjects::{subject, ErrorBody, ErrorCode, Event, EventKind, Name, Order, OrderId, Reply, ShopId};

use crate::actions;
use crate::domain::Uptime;
use crate::store::{orders, Store, Tx};

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

/// Executes `order` and commits its effect with its reply and events. Returns the reply; an
/// order handled before returns its stored reply marked `replayed`, and changes nothing.
#[tracing::instrument(skip_all, fields(order_id = %order.id, action = %order.action()))]
pub async fn execute(store: &Store, ctx: &ShopContext, order: &Order) -> Result<Reply, ExecuteError> {
    let mut tx = store.begin().await?;
    let reply = apply_order(&mut tx, ctx, order).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(reply)
}

/// Executes `order` inside `tx`, which may hold other orders (group commit), in a savepoint of
/// its own: on `Ok(Err(_))` nothing of the order is left in `tx` and the others are untouched;
/// it commits with `tx`. `Err` means `tx` itself failed (a savepoint could not be rolled back,
/// e.g. SQLite rolled the whole transaction back): drop it, nothing of it may be committed.
#[tracing::instrument(skip_all, fields(order_id = %order.id, action = %order.action()))]
pub async fn execute_in(tx: &mut Tx, ctx: &ShopContext, order: &Order) -> anyhow::Result<Result<Reply, ExecuteError>> {
    savepoint(tx).await?;
    let result = apply_order(tx, ctx, order).await;
    release(tx, result.is_ok()).await?;
    Ok(result)
}

/// The effect, idempotency record and events of `order`, written in `tx` (or its stored reply).
async fn apply_order(tx: &mut Tx, ctx: &ShopContext, order: &Order) -> Result<Reply, ExecuteError> {
    if let Some(reply) = orders::stored_reply(tx, &order.id).await? {
        return Ok(Reply { replayed: true, ..reply });
    }
    if order.is_expired(Utc::now()) {
        let at = order.expires_at.map(|a| a.to_rfc3339()).unwrap_or_default();
        return Err(ExecuteError::Rejected(ErrorBody::new(ErrorCode::Expired, format!("the order expired at {at}"))));
    }
    let applied = actions::apply(tx, ctx, order.id.as_ref(), &order.command).await?;
    let reply = Reply::ok(order.id.clone(), ctx.id.clone(), applied.result.clone());
    orders::record(tx, &reply, Some(order.action().as_str()), Some(&order.issued_by)).await?;
    let executed = OrderExecuted {
        action: order.action().to_string(),
        issued_by: order.issued_by.clone(),
        result: applied.result,
    };
    enqueue(tx, ctx, Some(&order.id), EventKind::ORDER_EXECUTED, json!(executed)).await?;
    for event in applied.events {
        enqueue(tx, ctx, Some(&order.id), event.kind, event.data).await?;
    }
    Ok(reply)
}

/// Records a refusal (so a redelivery gets the same answer) and queues `order.rejected`, inside
/// `tx` in a savepoint of its own (as [`execute_in`]); a refusal already recorded is replayed.
pub async fn record_rejection(
    tx: &mut Tx,
    ctx: &ShopContext,
    order_id: &OrderId,
    action: Option<&str>,
    issued_by: Option<&str>,
    error: ErrorBody,
) -> anyhow::Result<anyhow::Result<Reply>> {
    savepoint(tx).await?;
    let result = async {
        if let Some(reply) = orders::stored_reply(tx, order_id).await? {
            return Ok(Reply { replayed: true, ..reply });
        }
        let reply = Reply::err(order_id.clone(), ctx.id.clone(), error.clone());
        orders::record(tx, &reply, action, issued_by).await?;
        let rejected = OrderRejected { action: action.map(str::to_owned), error };
        enqueue(tx, ctx, Some(order_id), EventKind::ORDER_REJECTED, json!(rejected)).await?;
        Ok(reply)
    }
    .await;
    release(tx, result.is_ok()).await?;
    Ok(result)
}

/// Opens the savepoint of one order inside a group's transaction.
async fn savepoint(tx: &mut Tx) -> anyhow::Result<()> {
    sqlx::query("SAVEPOINT one_order").execute(&mut **tx).await.context("Failed to open a savepoint")?;
    Ok(())
}

/// Keeps (`RELEASE`) or undoes (`ROLLBACK TO`, then `RELEASE`) what was written since the
/// savepoint. Rolling back fails when SQLite already rolled the whole transaction back (after
/// some I/O or memory errors): the savepoint no longer exists.
async fn release(tx: &mut Tx, keep: bool) -> anyhow::Result<()> {
    let sql = if keep { "RELEASE one_order" } else { "ROLLBACK TO one_order; RELEASE one_order" };
    sqlx::query(sql).execute(&mut **tx).await.context("Failed to close a savepoint")?;
    Ok(())
}

/// Queues one event on its own (no order record), e.g. a refusal that must not be recorded.
pub async fn emit(
    store: &Store,
    ctx: &ShopContext,
    order: Option<&OrderId>,
    kind: &str,
    data: Value,
) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    enqueue(&mut tx, ctx, order, kind, data).await?;
    tx.commit().await?;
    Ok(())
}

/// [`emit`] inside `tx`, in a savepoint of its own (as [`execute_in`]).
pub async fn emit_in(
    tx: &mut Tx,
    ctx: &ShopContext,
    order: Option<&OrderId>,
    kind: &str,
    data: Value,
) -> anyhow::Result<anyhow::Result<()>> {
    savepoint(tx).await?;
    let result = enqueue(tx, ctx, order, kind, data).await;
    release(tx, result.is_ok()).await?;
    Ok(result)
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
