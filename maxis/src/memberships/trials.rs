//! Trials: a plan with `trial_days` is offered free for that many days at checkout, once per
//! member and never to a member who already paid for it. The role is held while the trial runs;
//! the member is told when it starts and when Stripe announces the conversion
//! (`customer.subscription.trial_will_end`, three days before); the first paid invoice converts
//! it, and conversions are counted.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{store, trial_store};
use crate::commerce::webhook::money;
use crate::commerce::Commerce;
use crate::execute;
use crate::store::checkouts::Checkout;
use crate::store::{catalog, Tx};

impl Commerce {
    /// The trial days to offer `buyer` on checkout `checkout_id` of `products` (recorded as
    /// offered), or `None` when no plan there has a trial or the member may not have one.
    pub(crate) async fn offer_trial(
        &self,
        checkout_id: &str,
        buyer: &str,
        products: &[String],
    ) -> anyhow::Result<Option<u32>> {
        let mut tx = self.store.begin().await?;
        for id in products {
            let Some(product) = catalog::get(&mut tx, id).await? else { continue };
            let Some(days) = product.trial_days else { continue };
            if !trial_store::eligible(&mut tx, buyer, id).await? {
                tracing::info!(%buyer, product = %id, "no trial: the member had one or paid for the plan");
                return Ok(None);
            }
            trial_store::offer(&mut tx, checkout_id, buyer, id, days).await?;
            tx.commit().await?;
            return Ok(Some(days));
        }
        Ok(None)
    }

    /// Checkout `c` completed: starts its trial, if it offered one, and queues the member's DM.
    /// Returns when the trial ends.
    pub(crate) async fn trial_started(&self, tx: &mut Tx, c: &Checkout) -> anyhow::Result<Option<DateTime<Utc>>> {
        let Some(trial) = trial_store::start(tx, &c.id, Utc::now()).await? else { return Ok(None) };
        let Some(ends) = trial.ends_at else { return Ok(None) };
        let product = catalog::get(tx, &trial.product_id).await?;
        let (plan, price) = product
            .map_or((trial.product_id.clone(), String::new()), |p| (p.name.clone(), money(p.price, &p.currency)));
        let text = format!(
            "Your {}-day free trial of {plan} has started: the role is yours. It becomes a paid membership \
             ({price}) on {} unless you cancel before.",
            trial.days,
            ends.format("%Y-%m-%d")
        );
        store::queue_message(tx, &format!("trial:{}:started", c.id), &c.buyer, &text).await?;
        let data = json!({"checkout_id": c.id, "buyer": c.buyer, "product_id": trial.product_id, "ends_at": ends});
        execute::enqueue(tx, &self.ctx, None, "trial.started", data).await?;
        Ok(Some(ends))
    }

    /// An invoice of `sub` was paid: `true` while its trial still runs (a free invoice), and the
    /// first paid one converts the trial.
    pub(crate) async fn trial_invoice_paid(&self, tx: &mut Tx, sub: &str, amount_paid: i64) -> anyhow::Result<bool> {
        let Some(trial) = trial_store::of_subscription(tx, sub).await? else { return Ok(false) };
        if trial.converted_at.is_some() {
            return Ok(false);
        }
        if amount_paid == 0 {
            return Ok(true);
        }
        if trial_store::convert(tx, &trial.checkout_id, Utc::now()).await? {
            let data = json!({"subscription": sub, "buyer": trial.member, "product_id": trial.product_id, "amount": amount_paid});
            execute::enqueue(tx, &self.ctx, None, "trial.converted", data).await?;
        }
        Ok(false)
    }

    /// `customer.subscription.trial_will_end`: tells the member when the trial converts.
    pub(crate) async fn trial_will_end(&self, tx: &mut Tx, sub: &str, trial_end: Option<i64>) -> anyhow::Result<()> {
        let Some(trial) = trial_store::of_subscription(tx, sub).await? else { return Ok(()) };
        if !trial_store::warn(tx, &trial.checkout_id, Utc::now()).await? {
            return Ok(());
        }
        let ends = trial_end.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)).or(trial.ends_at);
        let product = catalog::get(tx, &trial.product_id).await?;
        let (plan, price) = product
            .map_or((trial.product_id.clone(), String::new()), |p| (p.name.clone(), money(p.price, &p.currency)));
        let when = ends.map_or_else(|| "in 3 days".to_owned(), |e| format!("on {}", e.format("%Y-%m-%d")));
        let text = format!(
            "Your free trial of {plan} ends {when}: your membership then continues at {price}. Nothing to do to \
             keep it; cancel before then if you do not want it."
        );
        store::queue_message(tx, &format!("trial:{}:ending", trial.checkout_id), &trial.member, &text).await?;
        let data = json!({"subscription": sub, "buyer": trial.member, "product_id": trial.product_id});
        execute::enqueue(tx, &self.ctx, None, "trial.will_end", data).await
    }
}
