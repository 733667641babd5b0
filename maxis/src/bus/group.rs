//! Group commit: the orders of a batch execute in delivery order in one SQLite transaction, each
//! in a savepoint of its own, and commit together.
//!
//! One commit (and one trip through the writer) for the whole batch instead of one per order;
//! every order keeps its own all-or-nothing: a refused order is undone and its refusal recorded,
//! a failing one is undone and redelivered alone, and the others commit. When the transaction
//! itself fails (its commit, or a savepoint SQLite lost by rolling everything back), nothing of
//! it is committed and each order of the batch runs again in a transaction of its own.

use async_nats::jetstream;
use serde_json::json;
use subjects::event::OrderRejected;
use subjects::signature::{self, SIGNATURE_HEADER, SIGNER_HEADER};
use subjects::{subject, Action, ErrorBody, ErrorCode, EventKind, Order, OrderId};

use crate::bus::consumer::{read_id, Step};
use crate::bus::OrderHandler;
use crate::execute::{self, ExecuteError};
use crate::store::Tx;

/// What a delivered message asks, once authenticated and read (no database involved yet).
pub(crate) enum Plan {
    /// Not signed by a trusted key: report it, never record it.
    Refuse { id: Option<OrderId>, error: ErrorBody },
    /// Unreadable without an order id: report it.
    Drop(String),
    /// Refused before execution (unreadable params, wrong subject): record the refusal.
    Reject { id: OrderId, action: Option<String>, by: Option<String>, error: ErrorBody },
    /// A valid order: execute it.
    Execute(Box<Order>),
}

impl OrderHandler {
    /// Authenticates and reads one message.
    pub(crate) fn plan(&self, message: &jetstream::Message) -> (Option<Action>, Plan) {
        let header = |name: &str| message.headers.as_ref().and_then(|h| h.get(name)).map(|v| v.as_str());
        let signed = signature::verify(
            &self.trusted,
            header(SIGNER_HEADER),
            header(SIGNATURE_HEADER),
            &message.subject,
            &message.payload,
        );
        if let Err(e) = signed {
            let error = ErrorBody::new(ErrorCode::Unauthorized, e.to_string());
            return (None, Plan::Refuse { id: read_id(&message.payload), error });
        }
        let order = match Order::from_json(&message.payload) {
            Ok(order) => order,
            Err(e) => {
                let action = e.action.as_deref().and_then(|a| a.parse().ok());
                let error = ErrorBody::from(&e);
                return match e.order_id {
                    Some(id) => (action, Plan::Reject { id, action: e.action, by: None, error }),
                    None => (action, Plan::Drop(e.message)),
                };
            }
        };
        let action = order.action();
        if subject::parse_control(&message.subject).map(|s| s.action).as_deref() != Some(action.as_str()) {
            let error = ErrorBody::new(
                ErrorCode::ActionMismatch,
                format!("the subject {} does not carry a `{action}` order", message.subject),
            );
            let (id, by) = (order.id, Some(order.issued_by));
            return (Some(action), Plan::Reject { id, action: Some(action.as_str().to_owned()), by, error });
        }
        (Some(action), Plan::Execute(Box::new(order)))
    }

    /// Executes `plans` in one transaction; when that transaction fails as a whole, each plan
    /// again in a transaction of its own.
    pub(crate) async fn execute_plans(&self, plans: &[(Option<Action>, Plan)]) -> Vec<Step> {
        match self.execute_group(plans).await {
            Ok(steps) => steps,
            Err(e) if plans.len() == 1 => vec![Step::failed(&e)],
            Err(e) => {
                tracing::warn!(error.message = %e, orders = plans.len(), "A group commit failed; executing its orders one by one");
                let mut steps = Vec::with_capacity(plans.len());
                for plan in plans {
                    let alone = self.execute_group(std::slice::from_ref(plan)).await;
                    steps.push(match alone.map(|mut s| s.pop()) {
                        Ok(Some(step)) => step,
                        Ok(None) => Step::Retry("no step for an order".to_owned()),
                        Err(e) => Step::failed(&e),
                    });
                }
                steps
            }
        }
    }

    /// One transaction for `plans`, each in its savepoint. `Err`: nothing was committed.
    async fn execute_group(&self, plans: &[(Option<Action>, Plan)]) -> anyhow::Result<Vec<Step>> {
        let mut tx = self.store.begin().await?;
        let mut steps = Vec::with_capacity(plans.len());
        for (_, plan) in plans {
            let step = match plan {
                Plan::Execute(order) => match execute::execute_in(&mut tx, &self.ctx, order).await? {
                    Ok(reply) => Step::Send(reply),
                    Err(ExecuteError::Rejected(error)) => {
                        let (action, by) = (Some(order.action().as_str()), Some(order.issued_by.as_str()));
                        self.reject_in(&mut tx, &order.id, action, by, error).await?
                    }
                    Err(ExecuteError::Unexpected(e)) => Step::failed(&e),
                },
                Plan::Reject { id, action, by, error } => {
                    self.reject_in(&mut tx, id, action.as_deref(), by.as_deref(), error.clone()).await?
                }
                Plan::Refuse { id, error } => {
                    let data = json!(OrderRejected { action: None, error: error.clone() });
                    match execute::emit_in(&mut tx, &self.ctx, id.as_ref(), EventKind::ORDER_REJECTED, data).await? {
                        Ok(()) => Step::Refuse { id: id.clone(), error: error.clone() },
                        Err(e) => Step::failed(&e),
                    }
                }
                Plan::Drop(reason) => {
                    let error = ErrorBody::new(ErrorCode::Malformed, reason.clone());
                    let data = json!(OrderRejected { action: None, error });
                    match execute::emit_in(&mut tx, &self.ctx, None, EventKind::ORDER_REJECTED, data).await? {
                        Ok(()) => Step::Drop(reason.clone()),
                        Err(e) => Step::failed(&e),
                    }
                }
            };
            steps.push(step);
        }
        tx.commit().await?;
        Ok(steps)
    }

    async fn reject_in(
        &self,
        tx: &mut Tx,
        id: &OrderId,
        action: Option<&str>,
        by: Option<&str>,
        error: ErrorBody,
    ) -> anyhow::Result<Step> {
        Ok(match execute::record_rejection(tx, &self.ctx, id, action, by, error).await? {
            Ok(reply) => Step::Send(reply),
            Err(e) => Step::failed(&e),
        })
    }
}
