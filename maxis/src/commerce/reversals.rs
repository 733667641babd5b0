//! Refunds and disputes. Both name only a payment intent: the checkout's own (a one-off payment)
//! or one of a subscription's invoice payments. A reversal that arrives before the payment it
//! reverses is known (refund before completion, before `invoice.paid`) is kept and applied then.
//! A full refund or a dispute revokes what was paid for; a partial refund keeps the role and
//! lowers revenue. A dispute is told to the admins.

use chrono::Utc;
use serde_json::json;

use super::webhook::{money, Handled, Notices};
use super::Commerce;
use crate::entitlements::ledger;
use crate::execute;
use crate::store::checkouts::{self, Checkout};
use crate::store::{payments as pay, sales, Tx};

/// What a payment intent paid for.
enum Paid {
    /// A checkout (one-off payment).
    Checkout(Box<Checkout>),
    /// An invoice of a subscription.
    Subscription(String),
    /// Not known yet.
    Unknown,
}

impl Commerce {
    async fn paid_by(&self, tx: &mut Tx, pi: &str) -> anyhow::Result<Paid> {
        if let Some(c) = checkouts::by_payment_intent(tx, pi).await?.filter(|c| c.status == "paid") {
            return Ok(Paid::Checkout(Box::new(c)));
        }
        Ok(match pay::subscription_of_payment(tx, pi).await? {
            Some(sub) => Paid::Subscription(sub),
            None => Paid::Unknown,
        })
    }

    /// The reversal of a subscription's latest linked invoice payment.
    pub(super) async fn subscription_reversal(&self, tx: &mut Tx, sub: &str) -> anyhow::Result<pay::Reversal> {
        let mut latest = pay::Reversal::default();
        for pi in pay::payments_of_subscription(tx, sub).await? {
            latest = pay::reversal(tx, &pi).await?;
        }
        Ok(latest)
    }

    /// `charge.refunded`: `refunded` (cumulative) of the charge of `pi`; `full` once all of it.
    pub(super) async fn refunded(
        &self,
        tx: &mut Tx,
        pi: &str,
        refunded: i64,
        full: bool,
        _notices: &mut Notices,
    ) -> anyhow::Result<Handled> {
        pay::record_reversal(tx, pi, refunded, full, false).await?;
        let kind = if full { "refund.full" } else { "refund.partial" };
        match self.paid_by(tx, pi).await? {
            Paid::Checkout(c) => {
                sales::record_refunded(tx, &c.id, refunded).await?;
                if full {
                    self.revoke_checkout(tx, &c, "refunded", "fully refunded").await?;
                }
                let data =
                    json!({"checkout_id": c.id, "buyer": c.buyer, "amount_refunded": refunded, "currency": c.currency});
                execute::enqueue(tx, &self.ctx, None, kind, data).await?;
            }
            Paid::Subscription(sub) => {
                let at = Utc::now().timestamp();
                let status = pay::subscription(tx, &sub).await?.unwrap_or_else(|| "active".to_owned());
                self.subscription_status(tx, &sub, &status, at).await?;
                let checkout = checkouts::by_subscription(tx, &sub).await?.into_iter().next();
                // A renewal is a sale of its own (its id is the invoice's); the first invoice is
                // the checkout's sale.
                let invoice = pay::invoice_of_payment(tx, pi).await?.unwrap_or_default();
                let renewal = sqlx::query_scalar!("SELECT COUNT(*) FROM sales WHERE id = ?", invoice)
                    .fetch_one(&mut **tx)
                    .await?;
                match &checkout {
                    _ if renewal > 0 => {
                        sales::record_refunded_sale(tx, &invoice, refunded).await?;
                    }
                    Some(c) => {
                        sales::record_refunded(tx, &c.id, refunded).await?;
                    }
                    None => {}
                }
                let buyer = checkout.map(|c| c.buyer);
                let data =
                    json!({"subscription": sub, "buyer": buyer, "amount_refunded": refunded, "payment_intent": pi});
                execute::enqueue(tx, &self.ctx, None, kind, data).await?;
            }
            // Before the completion or the invoice: applied when the payment is known.
            Paid::Unknown => {}
        }
        Ok(Handled::Applied)
    }

    /// `charge.dispute.created` on the charge of `pi`: revokes, and tells the admins.
    pub(super) async fn disputed(
        &self,
        tx: &mut Tx,
        pi: &str,
        amount: i64,
        reason: &str,
        notices: &mut Notices,
    ) -> anyhow::Result<Handled> {
        pay::record_reversal(tx, pi, 0, false, true).await?;
        let (buyer, what, data) = match self.paid_by(tx, pi).await? {
            Paid::Checkout(c) => {
                self.revoke_checkout(tx, &c, "disputed", "the payment was disputed").await?;
                let data = json!({"checkout_id": c.id, "buyer": c.buyer, "reason": reason, "amount": amount});
                (c.buyer.clone(), format!("checkout {} ({})", c.id, money(amount, &c.currency)), data)
            }
            Paid::Subscription(sub) => {
                let at = Utc::now().timestamp();
                let status = pay::subscription(tx, &sub).await?.unwrap_or_else(|| "active".to_owned());
                self.subscription_status(tx, &sub, &status, at).await?;
                let c = checkouts::by_subscription(tx, &sub).await?.into_iter().next();
                let buyer = c.as_ref().map(|c| c.buyer.clone()).unwrap_or_default();
                let currency = c.as_ref().map_or("eur", |c| c.currency.as_str()).to_owned();
                let data = json!({"subscription": sub, "buyer": buyer, "reason": reason, "amount": amount, "payment_intent": pi});
                (buyer, format!("subscription {sub} ({})", money(amount, &currency)), data)
            }
            Paid::Unknown => return Ok(Handled::Applied),
        };
        execute::enqueue(tx, &self.ctx, None, "dispute.created", data).await?;
        notices.push(format!(
            "⚠️ <@{buyer}> disputed the payment of {what} (reason: {reason}). The role it paid for was taken \
             back; answer the dispute in the Stripe Dashboard. `/admin why` shows the member's purchases."
        ));
        Ok(Handled::Applied)
    }

    /// A fully refunded or disputed checkout: its sales refunded, its sources revoked, its
    /// receipt (if not sent yet) never sent.
    async fn revoke_checkout(&self, tx: &mut Tx, c: &Checkout, state: &str, note: &str) -> anyhow::Result<()> {
        let now = Utc::now();
        for l in checkouts::lines(tx, &c.id).await? {
            sales::refund(tx, &format!("{}:{}", c.id, l.product_id), now).await?;
        }
        ledger::set_for_checkout(tx, &self.ctx, &c.id, false, state, note).await?;
        pay::receipt_failed(tx, &c.id, &format!("{note} before it was sent")).await?;
        crate::gifts::lifecycle::ended(tx, &self.ctx, &c.id, state).await?;
        Ok(())
    }
}
