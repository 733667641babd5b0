//! Shellia refuses, before sending, an order the contract does not allow.

use subjects::params::StopParams;
use subjects::{Command, Order};
use testkit::TestFleet;

use crate::helpers::shellia;

#[tokio::test]
async fn shellia_refuses_to_send_an_order_over_the_contracts_bound_and_the_broker_refuses_2_mb() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let shellia = shellia(&fleet).await;
    let client = fleet.connect(&fleet.shellia()).await.unwrap();
    for size in [100_000, 2_000_000] {
        let order = Order::new(Command::Stop(StopParams { reason: Some("x".repeat(size)) }), "shellia:admin");
        let sent = shellia.send(&"shop1".parse().unwrap(), order, std::time::Duration::from_secs(1)).await;
        assert!(matches!(sent, Err(shellia::bus::SendError::TooLarge(..))), "{size}: {sent:?}");
    }
    let payload = vec![b'x'; 2_000_000];
    let refused = async_nats::jetstream::new(client).publish("maxis.shop1.control.stop", payload.into()).await;
    assert!(refused.is_err(), "the client refuses a payload over the broker's max_payload before sending");
}
