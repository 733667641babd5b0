//! Checkout reservations: many buyers race for little stock through the real checkout path
//! (SQLite reservation, Stripe session through async-stripe against the stand-in, events).

use std::sync::Arc;
use std::time::Instant;

use secrecy::SecretString;
use testkit::shop::{spawn_with_members, RecordingMembers};
use testkit::stripe::StripeStandIn;
use testkit::TestFleet;

use crate::Figure;

/// 1,000 concurrent buyers (200 with `--quick`) on 100 units: exactly 100 sold.
pub async fn run(quick: bool) -> anyhow::Result<Vec<Figure>> {
    let buyers = if quick { 200 } else { 1_000 };
    let stock = 100;
    let fleet = TestFleet::start(&["shop1"]).await?;
    let stripe = StripeStandIn::start("sk_test_bench").await?;
    let dir = tempfile::tempdir()?;
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(
        &catalog,
        format!("currency = \"eur\"\n[[product]]\nid = \"drop\"\nname = \"Limited drop\"\nkind = \"physical\"\nprice = \"20.00\"\nstock = {stock}\n"),
    )?;
    let mut settings = testkit::shop::settings(&fleet, "shop1", &dir.path().join("shop1.db"));
    settings.stripe.secret_key = Some(SecretString::from("sk_test_bench"));
    settings.stripe.api_base = stripe.base_url();
    settings.catalog.path = catalog.display().to_string();
    let app = spawn_with_members(settings, Arc::new(RecordingMembers::default())).await;
    let commerce = app.commerce.clone();
    for b in 0..buyers {
        commerce.set_cart(&format!("buyer{b}"), "drop", 1).await?;
    }

    let started = Instant::now();
    let attempts = futures::future::join_all((0..buyers).map(|b| {
        let commerce = commerce.clone();
        async move { commerce.checkout(&format!("buyer{b}"), None).await }
    }))
    .await;
    let elapsed = started.elapsed().as_secs_f64();

    let sold = attempts.iter().filter(|r| r.is_ok()).count();
    let sold_out = attempts.iter().filter(|r| matches!(r, Err(maxis::commerce::CommerceError::OutOfStock(_)))).count();
    anyhow::ensure!(sold == stock, "oversold or undersold: {sold} reservations for {stock} units");
    anyhow::ensure!(sold + sold_out == buyers, "unexpected failures: {} of {buyers}", buyers - sold - sold_out);
    let rate = buyers as f64 / elapsed;
    Ok(vec![
        Figure::new("checkout", format!("{buyers} concurrent buyers on {stock} stock: sold"), sold as f64, "units")
            .target(&format!("= {stock}"), sold == stock),
        Figure::new("checkout", "checkouts decided per second", rate, "/s").target(">= 2000/s", rate >= 2000.0),
        Figure::new("checkout", "reservations (with Stripe session) per second", sold as f64 / elapsed, "/s"),
        Figure::new("checkout", "wall time", elapsed * 1000.0, "ms"),
    ])
}
