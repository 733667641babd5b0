//! Group commit: the orders of a batch share one transaction, each in its own savepoint.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer};
use broker::fleet::StreamSettings;
use futures::StreamExt;
use maxis::bus::{OrderHandler, Outcome};
use maxis::startup::Application;
use maxis::store::Store;
use subjects::params::ConfigParams;
use subjects::{Command, Order, OrderId, Reply};
use testkit::TestFleet;

use crate::helpers::{events, publish_signed};

fn rename(name: &str) -> Order {
    Order::new(Command::Config(ConfigParams { key: "shop.name".into(), value: Some(name.into()) }), "shellia:admin")
}

/// A shop whose consumer nobody runs: the test hands it batches itself.
struct Shop {
    _fleet_dir: tempfile::TempDir,
    handler: OrderHandler,
    store: Store,
    consumer: PullConsumer,
}

impl Shop {
    async fn build(fleet: &TestFleet) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("shop1.db");
        let app = Application::build(testkit::shop::settings(fleet, "shop1", &db)).await.unwrap();
        let js = jetstream::new(fleet.connect(&fleet.shop("shop1")).await.unwrap());
        let consumer = js.get_consumer_from_stream("shop1", "MAXIS_CONTROL").await.unwrap();
        Self { handler: app.handler().clone(), store: Store::open(&db).await.unwrap(), consumer, _fleet_dir: dir }
    }

    /// The next `n` delivered orders, as one batch.
    async fn fetch(&self, n: usize) -> Vec<jetstream::Message> {
        let mut batch = Vec::new();
        while batch.len() < n {
            let mut more = self
                .consumer
                .fetch()
                .max_messages(n - batch.len())
                .expires(Duration::from_secs(5))
                .messages()
                .await
                .unwrap();
            while let Some(message) = more.next().await {
                batch.push(message.unwrap());
            }
        }
        batch
    }

    async fn handled(&self, order: &Order) -> bool {
        let found: Option<String> = sqlx::query_scalar("SELECT order_id FROM handled_orders WHERE order_id = ?")
            .bind(order.id.as_ref())
            .fetch_optional(self.store.pool())
            .await
            .unwrap();
        found.is_some()
    }

    async fn name(&self) -> String {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'shop.name'")
            .fetch_one(self.store.pool())
            .await
            .unwrap()
    }
}

/// Three renames in one batch, the second failing in the database with `raise` (a trigger's
/// `RAISE` clause) when its events are queued, after its effect and its idempotency record were
/// written; then the failed one again, alone, once the fault is gone.
async fn batch_with_a_failing_order(raise: &str) {
    let fleet = TestFleet::start_with(&["shop1"], StreamSettings { backoff_secs: vec![1], ..Default::default() })
        .await
        .unwrap();
    let shop = Shop::build(&fleet).await;
    let trigger = format!(
        "CREATE TRIGGER fault BEFORE INSERT ON outbox WHEN NEW.payload LIKE '%Boom%' BEGIN SELECT {raise}; END"
    );
    sqlx::query(sqlx::AssertSqlSafe(trigger)).execute(shop.store.writer()).await.unwrap();
    let orders = [rename("One"), rename("Boom"), rename("Three")];
    let watcher = fleet.connect(&fleet.shellia()).await.unwrap();
    let mut replies = watcher.subscribe("maxis.shop1.reply.>").await.unwrap();
    for order in &orders {
        publish_signed(&fleet, "maxis.shop1.control.config", order.to_json()).await;
    }

    let outcomes = shop.handler.handle(&shop.fetch(3).await).await;

    assert!(matches!(&outcomes[0], Outcome::Executed(r) if r.order_id == orders[0].id), "{outcomes:?}");
    assert!(matches!(&outcomes[1], Outcome::Retry(e) if e.contains("disk on fire")), "{outcomes:?}");
    assert!(matches!(&outcomes[2], Outcome::Executed(r) if r.order_id == orders[2].id), "{outcomes:?}");
    assert!(shop.handled(&orders[0]).await && shop.handled(&orders[2]).await);
    assert!(!shop.handled(&orders[1]).await, "its idempotency record is undone with it");
    assert_eq!(shop.name().await, "Three");
    let mut answered = Vec::new();
    for _ in 0..2 {
        let message = tokio::time::timeout(Duration::from_secs(5), replies.next()).await.unwrap().unwrap();
        answered.push(serde_json::from_slice::<Reply>(&message.payload).unwrap().order_id);
    }
    assert_eq!(answered, [orders[0].id.clone(), orders[2].id.clone()]);

    sqlx::query("DROP TRIGGER fault").execute(shop.store.writer()).await.unwrap();
    let again = shop.fetch(1).await;
    let outcome = shop.handler.handle(&again).await;

    assert_eq!(again[0].info().unwrap().delivered, 2, "the failed order was nak'd and redelivered");
    assert!(matches!(&outcome[0], Outcome::Executed(r) if r.order_id == orders[1].id), "{outcome:?}");
    assert_eq!(shop.name().await, "Boom");
    let executed = executed_ids(&fleet).await;
    assert_eq!(executed, [orders[0].id.clone(), orders[2].id.clone(), orders[1].id.clone()]);
}

/// The order ids of every `order.executed` event, in stream order.
pub async fn executed_ids(fleet: &TestFleet) -> Vec<OrderId> {
    let executed = events(fleet).await.into_iter().filter(|e| e.kind.as_ref() == "order.executed");
    executed.filter_map(|e| e.order_id).collect()
}

#[tokio::test]
async fn a_failing_order_in_a_batch_is_undone_alone_the_others_commit_and_it_is_retried_alone() {
    batch_with_a_failing_order("RAISE(ABORT, 'disk on fire')").await;
}

#[tokio::test]
async fn a_batch_whose_transaction_sqlite_rolled_back_runs_again_one_order_at_a_time() {
    // `ROLLBACK` ends the whole transaction, savepoints included: the batch cannot commit, so
    // each order runs in a transaction of its own, and the writer connection is replaced.
    batch_with_a_failing_order("RAISE(ROLLBACK, 'disk on fire')").await;
}

#[tokio::test]
async fn a_refused_order_in_a_batch_is_recorded_and_answered_and_the_others_commit() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let shop = Shop::build(&fleet).await;
    let bad_price = Order::new(
        Command::Config(ConfigParams { key: "price.pro".into(), value: Some("free".into()) }),
        "shellia:admin",
    );
    let orders = [rename("One"), bad_price, rename("Three")];
    for order in &orders {
        publish_signed(&fleet, "maxis.shop1.control.config", order.to_json()).await;
    }

    let outcomes = shop.handler.handle(&shop.fetch(3).await).await;

    assert!(matches!(&outcomes[0], Outcome::Executed(_)), "{outcomes:?}");
    assert!(matches!(&outcomes[1], Outcome::Rejected(r) if r.order_id == orders[1].id), "{outcomes:?}");
    assert!(matches!(&outcomes[2], Outcome::Executed(_)), "{outcomes:?}");
    assert!(shop.handled(&orders[1]).await, "the refusal is recorded");
    assert_eq!(shop.name().await, "Three");
    let kinds: Vec<String> = events(&fleet).await.into_iter().map(|e| e.kind.as_ref().to_owned()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "order.rejected").count(), 1);
}
