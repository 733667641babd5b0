//! Stripe webhooks, parsed into typed events by async-stripe (`Webhook::construct_event`: the
//! `Stripe-Signature` is checked over the raw body, with Stripe's 300 s tolerance, before anything
//! is parsed). Each event id is handled once; events may arrive in any order. Unknown event types
//! get 200 and change nothing.
//!
//! Every event maps to its entitlement sources: a checkout names its buyer in
//! `client_reference_id`; a subscription's invoices name their subscription under
//! `parent.subscription_details`; a refund or dispute names only its payment intent, which is
//! the checkout's (one-off) or one of a subscription's invoice payments (learnt from
//! `GET /v1/invoice_payments` when the invoice is paid).

use chrono::Utc;
use serde_json::json;
use stripe_shared::{CheckoutSession, CheckoutSessionPaymentStatus, Invoice, Subscription};
use stripe_webhook::{Event, EventObject, Webhook};

use super::Commerce;
use crate::entitlements::ledger::{self, SourceKind, SourceSpec};
use crate::execute;
use crate::memberships::grace::Standing;
use crate::payments::InvoicePayment;
use crate::store::checkouts::{self, Checkout, SoldLine};
use crate::store::{catalog, payments as pay, sales, settings, Tx};

/// Stripe's tolerance for the signature timestamp, in seconds.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook was refused (HTTP 400) or failed (HTTP 500, Stripe retries).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Missing, malformed, wrong or stale signature.
    #[error("bad signature: {0}")]
    Signature(&'static str),
    /// Not a Stripe event of the API version this shop speaks.
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

fn signature_error(e: stripe_webhook::WebhookError) -> WebhookError {
    use stripe_webhook::WebhookError as E;
    match e {
        E::BadParse(why) => WebhookError::Malformed(why),
        E::BadTimestamp(_) => WebhookError::Signature("timestamp outside the 300 s tolerance"),
        E::BadHeader(_) => WebhookError::Signature("unreadable timestamp"),
        E::BadKey => WebhookError::Signature("bad secret"),
        E::BadSignature => WebhookError::Signature("no matching v1 signature"),
    }
}

/// A message for the admins, sent once the event's transaction committed.
pub(super) type Notices = Vec<String>;

impl Commerce {
    /// Verifies and applies one webhook delivery.
    #[tracing::instrument(skip_all)]
    pub async fn webhook(&self, payload: &[u8], signature: Option<&str>) -> Result<Handled, WebhookError> {
        let secret = self.settings.webhook_secret.as_deref().ok_or(WebhookError::NotConfigured)?;
        let header = signature.ok_or(WebhookError::Signature("no Stripe-Signature header"))?;
        let text = std::str::from_utf8(payload).map_err(|_| WebhookError::Malformed("not UTF-8".into()))?;
        let event = Webhook::construct_event(text, header, secret).map_err(signature_error)?;
        self.apply_event(event).await
    }

    /// Applies one Stripe event, verified (a webhook) or fetched from Stripe's API (catching up):
    /// once per event id, whichever way it came first.
    pub(crate) async fn apply_event(&self, event: Event) -> Result<Handled, WebhookError> {
        let (id, kind, created) = (event.id.to_string(), event.type_.as_str().to_owned(), event.created);
        // Network first, outside the transaction: an invoice's payments link its charge (and so
        // a later refund or dispute) to the subscription.
        let invoice_payments = match &event.data.object {
            EventObject::InvoicePaid(invoice) => self.payments_of(invoice).await?,
            _ => Vec::new(),
        };
        let mut tx = self.store.begin().await?;
        if !pay::first_delivery(&mut tx, &id, &kind).await? {
            return Ok(Handled::Duplicate);
        }
        let mut notices = Notices::new();
        let handled = match &event.data.object {
            EventObject::CheckoutSessionCompleted(s) => {
                let paid = matches!(
                    s.payment_status,
                    CheckoutSessionPaymentStatus::Paid | CheckoutSessionPaymentStatus::NoPaymentRequired
                );
                self.session_completed(&mut tx, s, paid).await?
            }
            EventObject::CheckoutSessionAsyncPaymentSucceeded(s) => self.session_completed(&mut tx, s, true).await?,
            EventObject::CheckoutSessionAsyncPaymentFailed(s) => {
                self.session_ended(&mut tx, s, "failed", &["processing", "open"]).await?
            }
            EventObject::CheckoutSessionExpired(s) => {
                self.session_ended(&mut tx, s, "expired", &["creating", "open", "processing"]).await?
            }
            EventObject::ChargeRefunded(charge) => {
                let Some(pi) = charge.payment_intent.as_ref().map(|p| p.id().to_string()) else {
                    return Ok(Handled::Ignored);
                };
                self.refunded(&mut tx, &pi, charge.amount_refunded, charge.refunded, &mut notices).await?
            }
            EventObject::ChargeDisputeCreated(dispute) => {
                let Some(pi) = dispute.payment_intent.as_ref().map(|p| p.id().to_string()) else {
                    return Ok(Handled::Ignored);
                };
                self.disputed(&mut tx, &pi, dispute.amount, &dispute.reason, &mut notices).await?
            }
            EventObject::InvoicePaid(invoice) => {
                self.invoice(&mut tx, invoice, &invoice_payments, created, true).await?
            }
            EventObject::InvoicePaymentFailed(invoice) => {
                let sub = subscription_of(invoice);
                let id = invoice.id.as_ref().map(|i| i.to_string()).unwrap_or_default();
                let url = invoice.hosted_invoice_url.as_deref();
                let renewal = invoice.billing_reason.as_ref().is_some_and(|r| r.as_str() != "subscription_create");
                if let (Some(sub), true) = (&sub, renewal) {
                    notices.extend(self.renewal_failed(&mut tx, sub, &id, url).await?);
                }
                self.invoice(&mut tx, invoice, &[], created, false).await?
            }
            EventObject::CustomerSubscriptionUpdated(sub) => {
                self.subscription_event(&mut tx, sub, false, created).await?
            }
            EventObject::CustomerSubscriptionTrialWillEnd(sub) => {
                self.trial_will_end(&mut tx, sub.id.as_str(), sub.trial_end).await?;
                Handled::Applied
            }
            EventObject::CustomerSubscriptionDeleted(sub) => {
                self.subscription_event(&mut tx, sub, true, created).await?
            }
            _ => Handled::Ignored,
        };
        tx.commit().await.map_err(anyhow::Error::from)?;
        for text in notices {
            if let Err(e) = self.members.tell_admins(&text).await {
                tracing::warn!(error.message = %e, "Failed to tell the admins about a payment event");
            }
        }
        // The events reach the stream now; marking them published is left to the next flush
        // (the worker's, woken below): a restart before it publishes them again under the same
        // ids, which the stream drops. One write fewer per webhook.
        if let Err(e) = self.publisher.publish_outbox(&self.store).await {
            tracing::warn!(error.message = %e, "Failed to publish events; they stay in the outbox");
        }
        self.deliveries.notify_one();
        Ok(handled)
    }

    /// The payments of a subscription invoice, from Stripe (the webhook fails, and Stripe
    /// retries it, when Stripe cannot answer).
    async fn payments_of(&self, invoice: &Invoice) -> Result<Vec<InvoicePayment>, WebhookError> {
        let (Some(id), Some(_)) = (invoice.id.as_ref(), subscription_of(invoice)) else { return Ok(Vec::new()) };
        let Some(payments) = &self.payments else { return Ok(Vec::new()) };
        payments
            .invoice_payments(id.to_string())
            .await
            .map_err(|e| WebhookError::Unexpected(anyhow::anyhow!("Failed to list the payments of invoice {id}: {e}")))
    }

    async fn checkout_of(&self, tx: &mut Tx, session: &CheckoutSession) -> anyhow::Result<Option<Checkout>> {
        match session.client_reference_id.as_deref() {
            Some(id) => checkouts::get(tx, id).await,
            None => Ok(None),
        }
    }

    async fn session_completed(&self, tx: &mut Tx, session: &CheckoutSession, paid: bool) -> anyhow::Result<Handled> {
        let Some(c) = self.checkout_of(tx, session).await? else { return Ok(Handled::Ignored) };
        let pi = session.payment_intent.as_ref().map(|p| p.id().to_string());
        let sub = session.subscription.as_ref().map(|s| s.id().to_string());
        if let Some(customer) = &session.customer {
            pay::link_customer(tx, &c.buyer, customer.id().as_str()).await?;
        }
        // `c` was read inside this write transaction: its status is current.
        let payable = ["creating", "open", "processing", "expired", "failed"].contains(&c.status.as_str());
        if !paid || !payable {
            checkouts::set_payment(tx, &c.id, pi.as_deref(), sub.as_deref()).await?;
            if !paid {
                checkouts::transition(tx, &c.id, &["creating", "open"], "processing").await?;
            }
            return Ok(Handled::Applied);
        }
        let was_released = !c.reserved;
        // Payment references, `paid`, and the reservation kept for good: one statement.
        checkouts::paid(tx, &c.id, pi.as_deref(), sub.as_deref()).await?;
        self.metrics.checkout_paid(&c.buyer);
        if c.kind == "gift" {
            crate::gifts::lifecycle::paid(tx, &self.ctx, &c, pi.as_deref()).await?;
            return Ok(Handled::Applied);
        }
        let sold = checkouts::sold_lines(tx, &c.id).await?;
        let lines: Vec<&checkouts::CheckoutLine> = sold.iter().map(|s| &s.line).collect();
        if was_released {
            // Paid after the hold lapsed: take the stock again; if it is gone, an admin must act.
            for l in &lines {
                if !catalog::take_stock(tx, &l.product_id, l.quantity).await? {
                    let data = json!({"checkout_id": c.id, "product_id": l.product_id});
                    execute::enqueue(tx, &self.ctx, None, "checkout.oversold", data).await?;
                }
            }
        }
        let trial = self.trial_started(tx, &c).await?;
        let reversal = match (&pi, &sub) {
            (Some(pi), _) => pay::reversal(tx, pi).await?,
            (None, Some(sub)) => self.subscription_reversal(tx, sub).await?,
            (None, None) => pay::Reversal::default(),
        };
        let sub_status = match &sub {
            Some(sub) => pay::subscription(tx, sub).await?,
            None => None,
        };
        let now = Utc::now();
        let mut receipt = Vec::new();
        for SoldLine { line: l, name, role_id } in &sold {
            let sale_id = format!("{}:{}", c.id, l.product_id);
            let amount = l.unit_amount * l.quantity;
            let sale = sales::NewSale {
                id: &sale_id,
                checkout_id: Some(&c.id),
                product_id: &l.product_id,
                buyer: &c.buyer,
                amount,
                currency: &l.currency,
                at: now,
            };
            // A trial is not a sale: its first paid invoice is.
            if trial.is_none() {
                sales::record_sale(tx, &sale).await?;
            }
            if reversal.revokes() {
                sales::refund(tx, &sale_id, now).await?;
            }
            let name = name.as_deref().unwrap_or(&l.product_id);
            receipt.push(format!("{} × {} — {}", l.quantity, name, money(amount, &l.currency)));
            if let Some(role) = role_id.as_ref().filter(|_| c.kind == "cart") {
                let kind = if sub.is_some() { SourceKind::Subscription } else { SourceKind::Purchase };
                let spec = SourceSpec {
                    kind,
                    member: &c.buyer,
                    role_id: role,
                    product_id: Some(&l.product_id),
                    checkout_id: Some(&c.id),
                    subscription_id: sub.as_deref(),
                    amount,
                    currency: &l.currency,
                };
                let status = sub_status.as_deref().unwrap_or(if trial.is_some() { "trialing" } else { "active" });
                let (active, state, note) = if reversal.disputed {
                    (false, "disputed", "the payment was disputed")
                } else if reversal.full {
                    (false, "refunded", "fully refunded")
                } else if sub.is_some() && !pay::subscription_keeps_role(status) {
                    (false, status, "the subscription is not live")
                } else if trial.is_some() {
                    (true, status, "free trial started at checkout")
                } else if sub.is_some() {
                    (true, status, "subscribed at checkout")
                } else {
                    (true, "paid", "paid at checkout")
                };
                ledger::set(tx, &self.ctx, &spec, active, state, note).await?;
            }
        }
        if reversal.refunded > 0 {
            sales::record_refunded(tx, &c.id, reversal.refunded).await?;
        }
        if !reversal.revokes() && trial.is_none() {
            let shop = settings::get(tx, "shop.name").await?.unwrap_or_else(|| "Maxis shop".to_owned());
            let text = format!(
                "Thank you for your purchase at {shop}!\n{}\nTotal: {}\nOrder {}",
                receipt.join("\n"),
                money(c.amount_total, &c.currency),
                c.id
            );
            pay::queue_receipt(tx, &c.id, &c.buyer, &text).await?;
        }
        let data = json!({
            "checkout_id": c.id, "buyer": c.buyer, "amount_total": c.amount_total, "currency": c.currency,
            "promo_id": c.promo_id, "payment_intent": pi, "subscription": sub,
            "lines": lines.iter().map(|l| json!({"product_id": l.product_id, "quantity": l.quantity, "unit_amount": l.unit_amount})).collect::<Vec<_>>(),
        });
        execute::enqueue(tx, &self.ctx, None, "sale.completed", data).await?;
        self.record_shipping(tx, &c, session).await?;
        if c.kind != "cart" {
            crate::engagement::preorders::paid(tx, &self.ctx, &c).await?;
        }
        Ok(Handled::Applied)
    }

    async fn session_ended(
        &self,
        tx: &mut Tx,
        session: &CheckoutSession,
        to: &str,
        from: &[&str],
    ) -> anyhow::Result<Handled> {
        let Some(c) = self.checkout_of(tx, session).await? else { return Ok(Handled::Ignored) };
        if checkouts::transition(tx, &c.id, from, to).await? {
            checkouts::release(tx, &c.id).await?;
            let data = json!({"checkout_id": c.id, "buyer": c.buyer});
            execute::enqueue(tx, &self.ctx, None, &format!("checkout.{to}"), data).await?;
        }
        Ok(Handled::Applied)
    }

    async fn invoice(
        &self,
        tx: &mut Tx,
        invoice: &Invoice,
        payments: &[InvoicePayment],
        created: i64,
        paid: bool,
    ) -> anyhow::Result<Handled> {
        let Some(sub) = subscription_of(invoice) else { return Ok(Handled::Ignored) };
        let invoice_id = invoice.id.as_ref().map(|i| i.to_string()).unwrap_or_default();
        if !paid {
            self.subscription_status(tx, &sub, "past_due", created).await?;
            let data = json!({"subscription": sub, "invoice": invoice_id});
            execute::enqueue(tx, &self.ctx, None, "subscription.payment_failed", data).await?;
            return Ok(Handled::Applied);
        }
        for p in payments {
            pay::link_invoice_payment(tx, &p.payment_intent, &invoice_id, &sub, p.amount).await?;
        }
        self.renewal_paid(tx, &sub).await?;
        let trialing = self.trial_invoice_paid(tx, &sub, invoice.amount_paid).await?;
        self.subscription_status(tx, &sub, if trialing { "trialing" } else { "active" }, created).await?;
        // Renewals are sales too (the first invoice is the checkout's own sale).
        let renewal = invoice.billing_reason.as_ref().is_some_and(|r| r.as_str() == "subscription_cycle");
        // A proration charged at once (a plan switch) is a sale of the new plan too.
        let renewal = renewal
            || (invoice.amount_paid > 0
                && invoice.billing_reason.as_ref().is_some_and(|r| r.as_str() == "subscription_update"));
        if let (true, Some(c)) = (renewal, checkouts::by_subscription(tx, &sub).await?.into_iter().next()) {
            if let Some(product) = crate::memberships::switch_store::current_plan(tx, &sub).await? {
                let sale = sales::NewSale {
                    id: &invoice_id,
                    checkout_id: Some(&c.id),
                    product_id: &product,
                    buyer: &c.buyer,
                    amount: invoice.amount_paid,
                    currency: &c.currency,
                    at: Utc::now(),
                };
                sales::record_sale(tx, &sale).await?;
            }
        }
        Ok(Handled::Applied)
    }

    async fn subscription_event(
        &self,
        tx: &mut Tx,
        sub: &Subscription,
        deleted: bool,
        created: i64,
    ) -> anyhow::Result<Handled> {
        let status = if deleted { "canceled" } else { sub.status.as_str() };
        if let (false, Some(item)) = (deleted, sub.items.data.first()) {
            self.plan_seen(tx, sub.id.as_str(), item.price.id.as_str(), created).await?;
        }
        if !deleted {
            let feedback = sub.cancellation_details.as_ref().and_then(|d| d.feedback.as_ref()).map(|f| f.as_str());
            self.cancellation_seen(tx, sub.id.as_str(), sub.cancel_at_period_end, feedback).await?;
        }
        if matches!(status, "unpaid" | "canceled" | "incomplete_expired") {
            self.subscription_lost(tx, sub.id.as_str()).await?;
        }
        self.subscription_status(tx, sub.id.as_str(), status, created).await?;
        Ok(Handled::Applied)
    }

    /// Records a subscription's status (the newest event wins) and sets its sources: live and
    /// not reversed (its latest paid invoice neither fully refunded nor disputed) grants.
    pub(super) async fn subscription_status(
        &self,
        tx: &mut Tx,
        sub: &str,
        status: &str,
        created: i64,
    ) -> anyhow::Result<()> {
        let now_status = pay::set_subscription(tx, sub, status, created).await?;
        let reversal = self.subscription_reversal(tx, sub).await?;
        let reversed = |state: &str, note: &str| Standing { active: false, state: state.into(), note: note.into() };
        let s = if reversal.disputed {
            reversed("disputed", "a payment of the subscription was disputed")
        } else if reversal.full {
            reversed("refunded", "the latest payment of the subscription was fully refunded")
        } else {
            self.standing(tx, sub, &now_status, pay::subscription_keeps_role(&now_status)).await?
        };
        ledger::set_for_subscription(tx, &self.ctx, sub, s.active, &s.state, &s.note).await?;
        for c in checkouts::by_subscription(tx, sub).await?.into_iter().filter(|c| c.status == "paid") {
            let kind = if now_status == "canceled" { "subscription.canceled" } else { "subscription.updated" };
            let data = json!({"subscription": sub, "status": now_status, "checkout_id": c.id, "buyer": c.buyer});
            execute::enqueue(tx, &self.ctx, None, kind, data).await?;
        }
        Ok(())
    }
}

/// The subscription an invoice belongs to (API 2025+: `parent.subscription_details.subscription`).
fn subscription_of(invoice: &Invoice) -> Option<String> {
    let details = invoice.parent.as_ref()?.subscription_details.as_ref()?;
    Some(details.subscription.id().to_string())
}

/// `2399 eur` → `23.99 EUR`.
pub fn money(amount: i64, currency: &str) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let amount = amount.abs();
    format!("{sign}{}.{:02} {}", amount / 100, amount % 100, currency.to_ascii_uppercase())
}
