//! Stripe webhooks: the signature is checked over the raw body before anything is parsed;
//! each event id is handled once; events may arrive in any order.

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::Commerce;
use crate::execute;
use crate::store::checkouts::{self, Checkout};
use crate::store::{catalog, payments as pay, sales, settings, Tx};

/// Stripe's tolerance for the signature timestamp, in seconds.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook was refused (HTTP 400) or failed (HTTP 500, Stripe retries).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Missing, malformed, wrong or stale signature.
    #[error("bad signature: {0}")]
    Signature(&'static str),
    /// Not a Stripe event.
    #[error("malformed event: {0}")]
    Malformed(String),
    /// Webhooks are not configured in this shop.
    #[error("webhooks are not set up (MAXIS_STRIPE__WEBHOOK_SECRET)")]
    NotConfigured,
    /// The shop failed; Stripe will deliver it again.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Applied now.
    Applied,
    /// Seen before: nothing changed.
    Duplicate,
    /// A type this shop does not act on.
    Ignored,
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) over `payload` at `now`.
pub fn verify(payload: &[u8], header: Option<&str>, secret: &str, now: i64) -> Result<(), WebhookError> {
    let header = header.ok_or(WebhookError::Signature("no Stripe-Signature header"))?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => candidates.push(sig),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::Signature("no timestamp"))?;
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(WebhookError::Signature("timestamp outside the 300 s tolerance"));
    }
    for candidate in candidates {
        let Ok(expected) = hex::decode(candidate) else { continue };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| WebhookError::Signature("bad secret"))?;
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        // Constant-time comparison.
        if mac.verify_slice(&expected).is_ok() {
            return Ok(());
        }
    }
    Err(WebhookError::Signature("no matching v1 signature"))
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

impl Commerce {
    /// Verifies and applies one webhook delivery.
    #[tracing::instrument(skip_all)]
    pub async fn webhook(&self, payload: &[u8], signature: Option<&str>) -> Result<Handled, WebhookError> {
        let secret = self.settings.webhook_secret.as_deref().ok_or(WebhookError::NotConfigured)?;
        verify(payload, signature, secret, Utc::now().timestamp())?;
        let event: Value = serde_json::from_slice(payload).map_err(|e| WebhookError::Malformed(e.to_string()))?;
        let (Some(id), Some(kind), Some(object)) =
            (text(&event, "id"), text(&event, "type"), event.pointer("/data/object"))
        else {
            return Err(WebhookError::Malformed("an event has id, type and data.object".into()));
        };
        let created = event.get("created").and_then(Value::as_i64).unwrap_or_else(|| Utc::now().timestamp());
        let mut tx = self.store.begin().await?;
        if !pay::first_delivery(&mut tx, id, kind).await? {
            return Ok(Handled::Duplicate);
        }
        let handled = match kind {
            "checkout.session.completed" => {
                let paid = matches!(text(object, "payment_status"), Some("paid" | "no_payment_required"));
                self.session_completed(&mut tx, object, paid).await?
            }
            "checkout.session.async_payment_succeeded" => self.session_completed(&mut tx, object, true).await?,
            "checkout.session.async_payment_failed" => {
                self.session_ended(&mut tx, object, "failed", &["processing", "open"]).await?
            }
            "checkout.session.expired" => {
                self.session_ended(&mut tx, object, "expired", &["creating", "open", "processing"]).await?
            }
            "charge.refunded" => self.refunded(&mut tx, object).await?,
            "charge.dispute.created" => self.disputed(&mut tx, object).await?,
            "invoice.paid" => self.invoice(&mut tx, object, created, true).await?,
            "invoice.payment_failed" => self.invoice(&mut tx, object, created, false).await?,
            "customer.subscription.updated" | "customer.subscription.deleted" => {
                let status =
                    if kind.ends_with("deleted") { "canceled" } else { text(object, "status").unwrap_or("active") };
                let sub =
                    text(object, "id").ok_or_else(|| WebhookError::Malformed("subscription without id".into()))?;
                self.subscription_status(&mut tx, sub, status, created).await?;
                Handled::Applied
            }
            _ => Handled::Ignored,
        };
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.flush().await;
        self.deliveries.notify_one();
        Ok(handled)
    }

    async fn checkout_of(&self, tx: &mut Tx, session: &Value) -> anyhow::Result<Option<Checkout>> {
        match text(session, "client_reference_id") {
            Some(id) => checkouts::get(tx, id).await,
            None => Ok(None),
        }
    }

    async fn session_completed(&self, tx: &mut Tx, session: &Value, paid: bool) -> anyhow::Result<Handled> {
        let Some(c) = self.checkout_of(tx, session).await? else { return Ok(Handled::Ignored) };
        let pi = text(session, "payment_intent");
        let sub = text(session, "subscription");
        checkouts::set_payment(tx, &c.id, pi, sub).await?;
        if !paid {
            checkouts::transition(tx, &c.id, &["creating", "open"], "processing").await?;
            return Ok(Handled::Applied);
        }
        let was_released = !c.reserved;
        if !checkouts::transition(tx, &c.id, &["creating", "open", "processing", "expired", "failed"], "paid").await? {
            return Ok(Handled::Applied);
        }
        self.metrics.checkout_paid(&c.id);
        let lines = checkouts::lines(tx, &c.id).await?;
        if was_released {
            // Paid after the hold lapsed: take the stock again; if it is gone, an admin must act.
            for l in &lines {
                if !catalog::take_stock(tx, &l.product_id, l.quantity).await? {
                    let data = json!({"checkout_id": c.id, "product_id": l.product_id});
                    execute::enqueue(tx, &self.ctx, None, "checkout.oversold", data).await?;
                }
            }
        }
        sqlx::query("UPDATE checkouts SET reserved = 0 WHERE id = ?").bind(&c.id).execute(&mut **tx).await?;
        let reversal = match pi {
            Some(pi) => pay::reversal(tx, pi).await?,
            None => pay::Reversal::default(),
        };
        let sub_status = match sub {
            Some(sub) => pay::subscription(tx, sub).await?,
            None => None,
        };
        let now = Utc::now();
        let mut receipt = Vec::new();
        for l in &lines {
            let sale_id = format!("{}:{}", c.id, l.product_id);
            let sale = sales::NewSale {
                id: &sale_id,
                checkout_id: Some(&c.id),
                product_id: &l.product_id,
                buyer: &c.buyer,
                amount: l.unit_amount * l.quantity,
                currency: &l.currency,
                at: now,
            };
            sales::record_sale(tx, &sale).await?;
            if reversal.revokes() {
                sales::refund(tx, &sale_id, now).await?;
            }
            let product = catalog::get(tx, &l.product_id).await?;
            let name = product.as_ref().map_or(l.product_id.clone(), |p| p.name.clone());
            receipt.push(format!("{} × {} — {}", l.quantity, name, money(l.unit_amount * l.quantity, &l.currency)));
            if let Some(role) = product.and_then(|p| p.role_id).filter(|_| c.kind == "cart") {
                let keeps = sub_status.as_deref().is_none_or(pay::subscription_keeps_role);
                pay::want_role(tx, &c.id, &c.buyer, &l.product_id, &role, keeps && !reversal.revokes()).await?;
            }
        }
        let shop = settings::get(tx, "shop.name").await?.unwrap_or_else(|| "Maxis shop".to_owned());
        let text = format!(
            "Thank you for your purchase at {shop}!\n{}\nTotal: {}\nOrder {}",
            receipt.join("\n"),
            money(c.amount_total, &c.currency),
            c.id
        );
        pay::queue_receipt(tx, &c.id, &c.buyer, &text).await?;
        let data = json!({
            "checkout_id": c.id, "buyer": c.buyer, "amount_total": c.amount_total, "currency": c.currency,
            "promo_id": c.promo_id, "payment_intent": pi, "subscription": sub,
            "lines": lines.iter().map(|l| json!({"product_id": l.product_id, "quantity": l.quantity, "unit_amount": l.unit_amount})).collect::<Vec<_>>(),
        });
        execute::enqueue(tx, &self.ctx, None, "sale.completed", data).await?;
        if c.kind != "cart" {
            super::preorder::paid(tx, &self.ctx, &c).await?;
        }
        Ok(Handled::Applied)
    }

    async fn session_ended(&self, tx: &mut Tx, session: &Value, to: &str, from: &[&str]) -> anyhow::Result<Handled> {
        let Some(c) = self.checkout_of(tx, session).await? else { return Ok(Handled::Ignored) };
        if checkouts::transition(tx, &c.id, from, to).await? {
            checkouts::release(tx, &c.id).await?;
            execute::enqueue(
                tx,
                &self.ctx,
                None,
                &format!("checkout.{to}"),
                json!({"checkout_id": c.id, "buyer": c.buyer}),
            )
            .await?;
        }
        Ok(Handled::Applied)
    }

    async fn refunded(&self, tx: &mut Tx, charge: &Value) -> anyhow::Result<Handled> {
        let Some(pi) = text(charge, "payment_intent") else { return Ok(Handled::Ignored) };
        let refunded = charge.get("amount_refunded").and_then(Value::as_i64).unwrap_or(0);
        let full = charge.get("refunded").and_then(Value::as_bool).unwrap_or(false);
        pay::record_reversal(tx, pi, refunded, full, false).await?;
        let Some(c) = checkouts::by_payment_intent(tx, pi).await?.filter(|c| c.status == "paid") else {
            // Before the completion: the completion applies it.
            return Ok(Handled::Applied);
        };
        let kind = if full { "refund.full" } else { "refund.partial" };
        if full {
            self.revoke_checkout(tx, &c).await?;
        }
        execute::enqueue(
            tx,
            &self.ctx,
            None,
            kind,
            json!({"checkout_id": c.id, "buyer": c.buyer, "amount_refunded": refunded, "currency": c.currency}),
        )
        .await?;
        Ok(Handled::Applied)
    }

    async fn disputed(&self, tx: &mut Tx, dispute: &Value) -> anyhow::Result<Handled> {
        let Some(pi) = text(dispute, "payment_intent") else { return Ok(Handled::Ignored) };
        pay::record_reversal(tx, pi, 0, false, true).await?;
        if let Some(c) = checkouts::by_payment_intent(tx, pi).await?.filter(|c| c.status == "paid") {
            self.revoke_checkout(tx, &c).await?;
            execute::enqueue(
                tx,
                &self.ctx,
                None,
                "dispute.created",
                json!({"checkout_id": c.id, "buyer": c.buyer, "reason": text(dispute, "reason")}),
            )
            .await?;
        }
        Ok(Handled::Applied)
    }

    async fn revoke_checkout(&self, tx: &mut Tx, c: &Checkout) -> anyhow::Result<()> {
        let now = Utc::now();
        for l in checkouts::lines(tx, &c.id).await? {
            sales::refund(tx, &format!("{}:{}", c.id, l.product_id), now).await?;
        }
        for e in pay::of_checkout(tx, &c.id).await? {
            pay::want_role(tx, &c.id, &c.buyer, &e.product_id, &e.role_id, false).await?;
        }
        Ok(())
    }

    async fn invoice(&self, tx: &mut Tx, invoice: &Value, created: i64, paid: bool) -> anyhow::Result<Handled> {
        let sub = text(invoice, "subscription")
            .or_else(|| invoice.pointer("/parent/subscription_details/subscription").and_then(Value::as_str));
        let Some(sub) = sub else { return Ok(Handled::Ignored) };
        if !paid {
            self.subscription_status(tx, sub, "past_due", created).await?;
            execute::enqueue(tx, &self.ctx, None, "subscription.payment_failed", json!({"subscription": sub})).await?;
            return Ok(Handled::Applied);
        }
        self.subscription_status(tx, sub, "active", created).await?;
        // Renewals are sales too (the first invoice is the checkout's own sale).
        if text(invoice, "billing_reason") == Some("subscription_cycle") {
            if let (Some(c), Some(invoice_id)) =
                (checkouts::by_subscription(tx, sub).await?.into_iter().next(), text(invoice, "id"))
            {
                let amount = invoice.get("amount_paid").and_then(Value::as_i64).unwrap_or(c.amount_total);
                for l in checkouts::lines(tx, &c.id).await? {
                    let sale = sales::NewSale {
                        id: invoice_id,
                        checkout_id: Some(&c.id),
                        product_id: &l.product_id,
                        buyer: &c.buyer,
                        amount,
                        currency: &c.currency,
                        at: Utc::now(),
                    };
                    sales::record_sale(tx, &sale).await?;
                }
            }
        }
        Ok(Handled::Applied)
    }

    async fn subscription_status(&self, tx: &mut Tx, sub: &str, status: &str, created: i64) -> anyhow::Result<()> {
        let now_status = pay::set_subscription(tx, sub, status, created).await?;
        let keeps = pay::subscription_keeps_role(&now_status);
        for c in checkouts::by_subscription(tx, sub).await?.into_iter().filter(|c| c.status == "paid") {
            let revoked = match &c.payment_intent {
                Some(pi) => pay::reversal(tx, pi).await?.revokes(),
                None => false,
            };
            for e in pay::of_checkout(tx, &c.id).await? {
                pay::want_role(tx, &c.id, &c.buyer, &e.product_id, &e.role_id, keeps && !revoked).await?;
            }
            let kind = if now_status == "canceled" { "subscription.canceled" } else { "subscription.updated" };
            execute::enqueue(
                tx,
                &self.ctx,
                None,
                kind,
                json!({"subscription": sub, "status": now_status, "checkout_id": c.id, "buyer": c.buyer}),
            )
            .await?;
        }
        Ok(())
    }
}

/// `2399 eur` → `23.99 EUR`.
pub fn money(amount: i64, currency: &str) -> String {
    format!("{}.{:02} {}", amount / 100, amount % 100, currency.to_ascii_uppercase())
}
