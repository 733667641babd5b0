//! One reply subscription per connection, shared by every send: each reply is routed to the send
//! waiting for its order by the last token of its subject (`maxis.<shop>.reply.<order-id>`).
//!
//! Subscribing once instead of per order saves a SUB and an UNSUB per send; the subscription is
//! made before the first publish on the same connection, so no reply can be missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use async_nats::Message;
use futures::StreamExt;
use subjects::{subject, OrderId};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

/// Sends waiting for replies, by order id. A std `Mutex`: held for a map lookup only, never
/// across an await.
type Waiting = Arc<Mutex<HashMap<String, UnboundedSender<Message>>>>;

/// The routing task and the sends waiting for replies; the task stops when this is dropped.
pub(super) struct Replies {
    waiting: Waiting,
    task: JoinHandle<()>,
}

impl Drop for Replies {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Replies {
    /// Subscribes to every shop's replies on `client` and starts routing them.
    pub(super) async fn start(client: &async_nats::Client) -> anyhow::Result<Self> {
        let mut replies =
            client.subscribe(subject::replies_all()).await.context("Failed to subscribe to the replies")?;
        let waiting: Waiting = Arc::default();
        let routes = waiting.clone();
        let task = tokio::spawn(async move {
            while let Some(message) = replies.next().await {
                let id = message.subject.rsplit('.').next().unwrap_or_default();
                let route = routes.lock().ok().and_then(|w| w.get(id).cloned());
                if let Some(route) = route {
                    let _ = route.send(message);
                }
            }
        });
        Ok(Self { waiting, task })
    }

    /// Starts collecting the replies to `order` until the returned guard is dropped.
    pub(super) fn expect(&self, order: &OrderId) -> Expected {
        let (tx, rx) = unbounded_channel();
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.insert(order.to_string(), tx);
        }
        Expected { id: order.to_string(), rx, waiting: self.waiting.clone() }
    }
}

/// The replies to one order, as they arrive.
pub(super) struct Expected {
    id: String,
    rx: UnboundedReceiver<Message>,
    waiting: Waiting,
}

impl Expected {
    /// The next reply.
    pub(super) async fn next(&mut self) -> Option<Message> {
        self.rx.recv().await
    }
}

impl Drop for Expected {
    fn drop(&mut self) {
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.remove(&self.id);
        }
    }
}
