//! Only orders signed by a trusted Shellia key run.

use async_nats::HeaderMap;
use maxis::store::Store;
use subjects::params::StopParams;
use subjects::signature::{sign, SIGNATURE_HEADER, SIGNER_HEADER};
use subjects::{Command, ErrorCode, Order};
use testkit::TestFleet;

use crate::helpers::{events, request_with, spawn_app};

async fn closed(dir: &std::path::Path) -> bool {
    let store = Store::open(&dir.join("shop1.db")).await.unwrap();
    let open: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'shop.open'")
        .fetch_optional(store.pool())
        .await
        .unwrap();
    open.as_deref() == Some("false")
}

fn headers(signer: &str, signature: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(SIGNER_HEADER, signer);
    h.insert(SIGNATURE_HEADER, signature);
    h
}

#[tokio::test]
async fn unsigned_forged_and_altered_orders_are_refused_without_effect() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let stop = || Order::new(Command::Stop(StopParams::default()), "mallory");
    let subject = "maxis.shop1.control.stop";

    let unsigned = stop();
    let r1 = request_with(
        &fleet,
        subject,
        unsigned.id.as_ref(),
        HeaderMap::new(),
        unsigned.to_json(),
        ("shop1", unsigned.id.as_ref()),
    )
    .await;

    let forged = stop();
    let stranger = nkeys::KeyPair::new_user().seed().unwrap();
    let (signer, signature) = sign(&stranger, subject, &forged.to_json()).unwrap();
    let r2 = request_with(
        &fleet,
        subject,
        forged.id.as_ref(),
        headers(&signer, &signature),
        forged.to_json(),
        ("shop1", forged.id.as_ref()),
    )
    .await;

    let altered = stop();
    let shellia_seed = fleet.fleet.seed(&fleet.shellia()).unwrap();
    let mut payload = altered.to_json();
    let (signer, signature) = sign(&shellia_seed, subject, &payload).unwrap();
    let at = payload.windows(7).position(|w| w == b"mallory").unwrap();
    payload[at + 6] = b'x';
    let r3 = request_with(
        &fleet,
        subject,
        altered.id.as_ref(),
        headers(&signer, &signature),
        payload,
        ("shop1", altered.id.as_ref()),
    )
    .await;

    for reply in [&r1, &r2, &r3] {
        assert_eq!(reply.error.as_ref().unwrap().code, ErrorCode::Unauthorized, "{reply:?}");
    }
    assert!(r1.error.unwrap().message.contains("not signed"));
    assert!(r2.error.unwrap().message.contains("does not trust"));
    assert!(r3.error.unwrap().message.contains("does not match"));
    assert!(!closed(dir.path()).await, "no refused order closed the shop");
    assert!(!events(&fleet).await.iter().any(|e| e.kind.as_ref() == "shop.closed"));
}

#[tokio::test]
async fn a_refused_forgery_does_not_block_the_genuine_order_with_the_same_id() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _app = spawn_app(&fleet, "shop1", dir.path()).await;
    let genuine = Order::new(Command::Stop(StopParams::default()), "shellia:admin");
    let subject = "maxis.shop1.control.stop";
    request_with(&fleet, subject, "forged-copy", HeaderMap::new(), genuine.to_json(), ("shop1", genuine.id.as_ref()))
        .await;

    let reply = crate::helpers::send(&fleet, "shop1", &genuine).await;

    assert!(reply.ok && !reply.replayed, "{reply:?}");
    assert!(closed(dir.path()).await);
}

#[tokio::test]
async fn a_shop_without_trusted_keys_refuses_to_start() {
    let fleet = TestFleet::start(&["shop1"]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = testkit::shop::settings(&fleet, "shop1", &dir.path().join("shop1.db"));
    settings.security.shellia_keys.clear();

    let err = maxis::startup::Application::build(settings).await.err().expect("refused");

    assert!(err.to_string().contains("MAXIS_SECURITY__SHELLIA_KEYS"), "{err}");
}
