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
    let reply = execute_in(&mut tx, ctx, order).await??;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(reply)
}

/// Executes `order` inside `tx`, which may hold other orders (group commit), in a savepoint of
/// its own: on `Ok(Err(_))` nothing of the order is left in `tx` and the others are untouched;
/// on `Ok(Ok(_))` it commits with `tx`. `Err` means `tx` itself failed (its savepoint could not
/// be rolled back, e.g. SQLite rolled the whole transaction back): nothing of it may be committed.
///
/// Four round trips to the database for a `config` write: the savepoint with the idempotency
/// lookup, the action's own statements (two), and the record with the events; a savepoint that
/// is kept is never released (the commit releases them all).
#[tracing::instrument(skip_all, fields(order_id = %order.id, action = %order.action()))]
pub async fn execute_in(tx: &mut Tx, ctx: &ShopContext, order: &Order) -> anyhow::Result<Result<Reply, ExecuteError>> {
    let result = async {
        if let Some(reply) = orders::open_savepoint_and_stored_reply(tx, &order.id).await? {
            return Ok(Reply { replayed: true, ..reply });
        }
        if order.is_expired(Utc::now()) {
            let at = order.expires_at.map(|a| a.to_rfc3339()).unwrap_or_default();
            let error = ErrorBody::new(ErrorCode::Expired, format!("the order expired at {at}"));
            return Err(ExecuteError::Rejected(error));
        }
        let applied = actions::apply(tx, ctx, order.id.as_ref(), &order.command).await?;
        let reply = Reply::ok(order.id.clone(), ctx.id.clone(), applied.result.clone());
        let executed = OrderExecuted {
            action: order.action().to_string(),
            issued_by: order.issued_by.clone(),
            result: applied.result,
        };
        let mut events = vec![event(ctx, Some(&order.id), EventKind::ORDER_EXECUTED, json!(executed))?];
        for e in applied.events {
            events.push(event(ctx, Some(&order.id), e.kind, e.data)?);
        }
        publishable(&reply, &events)?;
        orders::record_with_events(tx, &reply, Some(order.action().as_str()), Some(&order.issued_by), &events).await?;
        Ok(reply)
    }
    .await;
    settle(tx, result.as_ref().err().map(ToString::to_string)).await?;
    Ok(result)
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
    let result = async {
        if let Some(reply) = orders::open_savepoint_and_stored_reply(tx, order_id).await? {
            return Ok(Reply { replayed: true, ..reply });
        }
        let reply = Reply::err(order_id.clone(), ctx.id.clone(), error.clone());
        let rejected = OrderRejected { action: action.map(str::to_owned), error };
        let events = [event(ctx, Some(order_id), EventKind::ORDER_REJECTED, json!(rejected))?];
        orders::record_with_events(tx, &reply, action, issued_by, &events).await?;
        Ok(reply)
    }
    .await;
    settle(tx, result.as_ref().err().map(ToString::to_string)).await?;
    Ok(result)
}

/// Refuses (as `malformed`, before anything commits) an order whose reply or one of whose events
/// the broker could not carry: nothing unpublishable enters the outbox from the order path.
fn publishable(reply: &Reply, events: &[(String, Event)]) -> Result<(), ExecuteError> {
    use subjects::limits::{MAX_EVENT_BYTES, MAX_MESSAGE_BYTES};
    let sizes = std::iter::once(("its reply", reply.to_json().len(), MAX_MESSAGE_BYTES))
        .chain(events.iter().map(|(_, e)| ("an event", e.to_json().len(), MAX_EVENT_BYTES)));
    for (what, bytes, max) in sizes {
        if bytes > max {
            let message = format!(
                "the order would produce {what} of {bytes} bytes, over the {max} it may have; nothing was applied"
            );
            return Err(ExecuteError::Rejected(ErrorBody::new(ErrorCode::Malformed, message)));
        }
    }
    Ok(())
}

/// Keeps the order's savepoint open (committed with the transaction), or undoes the order when
/// it failed with `failure` (named in the error when undoing fails too).
async fn settle(tx: &mut Tx, failure: Option<String>) -> anyhow::Result<()> {
    if let Some(failure) = failure {
        orders::undo_savepoint(tx).await.with_context(|| format!("Failed to undo an order that failed: {failure}"))?;
    }
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
    orders::open_savepoint(tx).await.context("Failed to open a savepoint")?;
    let result = enqueue(tx, ctx, order, kind, data).await;
    settle(tx, result.as_ref().err().map(ToString::to_string)).await?;
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
    let (subject, event) = event(ctx, order, kind, data)?;
    orders::enqueue(tx, &subject, &event).await
}

/// A new event of the shop, with its subject.
fn event(ctx: &ShopContext, order: Option<&OrderId>, kind: &str, data: Value) -> anyhow::Result<(String, Event)> {
    let kind = EventKind::parse(kind)?;
    let subject = subject::event(&ctx.id, &kind);
    Ok((subject, Event::new(ctx.id.clone(), kind, order.cloned(), data)))
}
