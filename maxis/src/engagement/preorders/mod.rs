//! Preorders: a member pays a deposit (or the full price) now; at release the balance is asked
//! through a payment link, roles are granted and buyers are told. Cancelled before release, the
//! deposit is refunded.

pub mod orders;
pub mod store;

use chrono::{DateTime, Utc};
use serde_json::json;

use self::store::{self as preorders, PreorderOrder};
use crate::commerce::{CheckoutView, Commerce, CommerceError};
use crate::entitlements::ledger::{self, SourceKind, SourceSpec};
use crate::execute::{self, ShopContext};
use crate::payments::{Line, Mode, RefundRequest, SessionRequest};
use crate::store::checkouts::{self, Checkout, CheckoutLine};
use crate::store::{catalog, payments as pay, sales, Tx};

impl Commerce {
    /// Preorders `product` for `buyer`: takes a slot under the cap and opens a checkout for the
    /// deposit (the full price when the deposit is 100 %).
    pub async fn preorder(&self, buyer: &str, product: &str) -> Result<CheckoutView, CommerceError> {
        let now = Utc::now();
        let id = subjects::OrderId::generate().to_string();
        let expires_at = crate::commerce::expiry(now, self.settings.hold);
        let (checkout, name) = {
            let mut tx = self.store.begin().await?;
            let p = catalog::get(&mut tx, product)
                .await?
                .ok_or_else(|| CommerceError::UnknownProduct(product.to_owned()))?;
            let pre = preorders::get(&mut tx, product).await?.filter(|p| p.status == "open" && p.release_at > now);
            let Some(pre) = pre else {
                return Err(CommerceError::BadCart(format!("`{product}` is not open for preorders")));
            };
            if preorders::order_of(&mut tx, buyer, product).await?.is_some() {
                return Err(CommerceError::LimitReached { product: product.to_owned(), limit: 1 });
            }
            if !preorders::take(&mut tx, product).await? {
                return Err(CommerceError::OutOfStock(product.to_owned()));
            }
            let deposit = (p.price * i64::from(pre.deposit_percent) + 50) / 100;
            let checkout = new_checkout(&id, buyer, "preorder", deposit, &p.currency, expires_at);
            let line = CheckoutLine {
                product_id: p.id.clone(),
                quantity: 1,
                unit_amount: deposit,
                list_amount: p.price,
                currency: p.currency.clone(),
            };
            checkouts::insert(&mut tx, &checkout, &[line]).await?;
            let order = PreorderOrder {
                checkout_id: id.clone(),
                buyer: buyer.to_owned(),
                product_id: p.id.clone(),
                deposit,
                balance: p.price - deposit,
                currency: p.currency.clone(),
                status: "pending".into(),
                balance_checkout_id: None,
            };
            preorders::add_order(&mut tx, &order).await?;
            tx.commit().await?;
            (checkout, format!("{} (preorder{})", p.name, if pre.deposit_percent < 100 { " deposit" } else { "" }))
        };
        self.open_session(checkout, name).await
    }

    /// Opens the Stripe session of a single-line checkout created in `creating`.
    async fn open_session(&self, c: Checkout, name: String) -> Result<CheckoutView, CommerceError> {
        let payments = self.payments.clone().ok_or(CommerceError::NoPayments)?;
        let customer = self.customer_for(payments.as_ref(), &c.buyer).await?;
        // Never below Stripe's minimum and its margin at the moment the session is asked for.
        let floor = crate::commerce::expiry(Utc::now(), std::time::Duration::ZERO);
        let expires_at = c.expires_at.map_or(floor, |e| e.max(floor));
        let request = SessionRequest {
            idempotency_key: c.id.clone(),
            mode: Mode::Payment,
            lines: vec![Line {
                name,
                unit_amount: c.amount_total,
                currency: c.currency.clone(),
                quantity: 1,
                interval: None,
            }],
            client_reference_id: c.id.clone(),
            success_url: self.settings.success_url.clone(),
            cancel_url: self.settings.cancel_url.clone(),
            expires_at: expires_at.timestamp(),
            metadata: vec![
                ("shop".into(), self.ctx.id.to_string()),
                ("member".into(), c.buyer.clone()),
                ("checkout".into(), c.id.clone()),
            ],
            customer: Some(customer),
            shipping_countries: vec![],
            trial_days: None,
        };
        match payments.create_session(request).await {
            Ok(session) => {
                let mut tx = self.store.begin().await?;
                checkouts::opened(&mut tx, &c.id, &session.id, &session.url, expires_at).await?;
                tx.commit().await?;
                Ok(CheckoutView {
                    id: c.id,
                    url: session.url,
                    amount_total: c.amount_total,
                    currency: c.currency,
                    expires_at,
                })
            }
            Err(e) => {
                let mut tx = self.store.begin().await?;
                if checkouts::transition(&mut tx, &c.id, &["creating"], "failed").await? {
                    checkouts::release(&mut tx, &c.id).await?;
                }
                tx.commit().await?;
                Err(e.into())
            }
        }
    }

    /// Cancels a member's paid preorder before release: the deposit is refunded through Stripe
    /// and the slot comes back.
    pub async fn cancel_preorder(&self, buyer: &str, product: &str) -> Result<(), CommerceError> {
        let payments = self.payments.clone().ok_or(CommerceError::NoPayments)?;
        let (order, pi) = {
            let mut conn = self.store.pool().acquire().await?;
            let order = preorders::order_of(&mut conn, buyer, product).await?.filter(|o| o.status == "paid");
            let Some(order) = order else {
                return Err(CommerceError::BadCart(format!("you have no paid preorder of `{product}` to cancel")));
            };
            let released = preorders::get(&mut conn, product).await?.is_some_and(|p| p.status == "released");
            if released {
                return Err(CommerceError::BadCart(format!(
                    "`{product}` is released: preorders can no longer be cancelled"
                )));
            }
            let pi = checkouts::get(&mut conn, &order.checkout_id).await?.and_then(|c| c.payment_intent);
            let Some(pi) = pi else {
                return Err(CommerceError::BadCart("the payment of this preorder is not settled yet".into()));
            };
            (order, pi)
        };
        let refund = RefundRequest {
            idempotency_key: format!("cancel-{}", order.checkout_id),
            payment_intent: pi.clone(),
            amount: None,
            reason: Some("requested_by_customer".into()),
        };
        payments.refund(refund).await?;
        let mut tx = self.store.begin().await?;
        if preorders::set_order_status(&mut tx, &order.checkout_id, "paid", "cancelled").await? {
            preorders::give_back(&mut tx, product).await?;
            sales::refund(&mut tx, &format!("{}:{}", order.checkout_id, product), Utc::now()).await?;
            pay::record_reversal(&mut tx, &pi, order.deposit, true, false).await?;
            let data = json!({"product": product, "buyer": buyer, "checkout_id": order.checkout_id, "refunded": order.deposit});
            execute::enqueue(&mut tx, &self.ctx, None, "preorder.cancelled", data).await?;
        }
        tx.commit().await?;
        self.flush().await;
        Ok(())
    }

    /// Opens the balance checkout of every released preorder that owes one, and sends the link.
    pub async fn open_balance_checkouts(&self) -> anyhow::Result<usize> {
        if self.payments.is_none() {
            return Ok(0);
        }
        let due = {
            let mut conn = self.store.pool().acquire().await?;
            preorders::orders_in(&mut conn, None, "balance_due").await?
        };
        let mut opened = 0;
        for o in due.into_iter().filter(|o| o.balance_checkout_id.is_none()) {
            let id = format!("{}-balance", o.checkout_id);
            let expires_at = Utc::now() + chrono::Duration::hours(23);
            let checkout = {
                let mut tx = self.store.begin().await?;
                if checkouts::get(&mut tx, &id).await?.is_none() {
                    let c = new_checkout(&id, &o.buyer, "balance", o.balance, &o.currency, expires_at);
                    let line = CheckoutLine {
                        product_id: o.product_id.clone(),
                        quantity: 1,
                        unit_amount: o.balance,
                        list_amount: o.balance,
                        currency: o.currency.clone(),
                    };
                    checkouts::insert(&mut tx, &c, &[line]).await?;
                }
                preorders::set_balance_checkout(&mut tx, &o.checkout_id, &id).await?;
                tx.commit().await?;
                checkouts::get(&mut *self.store.pool().acquire().await?, &id).await?
            };
            let Some(checkout) = checkout.filter(|c| c.status == "creating") else { continue };
            match self.open_session(checkout, format!("{} (preorder balance)", o.product_id)).await {
                Ok(view) => {
                    let mut tx = self.store.begin().await?;
                    let text = format!(
                        "Your preorder of {} is released! Pay the balance ({}) here: {}",
                        o.product_id,
                        crate::commerce::webhook::money(o.balance, &o.currency),
                        view.url
                    );
                    pay::queue_receipt(&mut tx, &format!("preorder:{id}"), &o.buyer, &text).await?;
                    execute::enqueue(
                        &mut tx,
                        &self.ctx,
                        None,
                        "preorder.balance_link",
                        json!({"checkout_id": id, "buyer": o.buyer, "url": view.url}),
                    )
                    .await?;
                    tx.commit().await?;
                    opened += 1;
                }
                Err(e) => {
                    tracing::warn!(checkout = %id, error.message = %e, "Failed to open a balance checkout; retrying later")
                }
            }
        }
        self.flush().await;
        Ok(opened)
    }
}

fn new_checkout(id: &str, buyer: &str, kind: &str, amount: i64, currency: &str, expires_at: DateTime<Utc>) -> Checkout {
    Checkout {
        id: id.to_owned(),
        buyer: buyer.to_owned(),
        status: "creating".into(),
        mode: "payment".into(),
        session_id: None,
        url: None,
        payment_intent: None,
        subscription_id: None,
        promo_id: None,
        amount_total: amount,
        currency: currency.to_owned(),
        expires_at: Some(expires_at),
        reserved: true,
        kind: kind.to_owned(),
    }
}

/// Releases a preorder once: paid preorders without balance are complete (role granted, buyer
/// told); the others owe their balance (the worker sends the link).
pub async fn release(tx: &mut Tx, ctx: &ShopContext, product: &str) -> anyhow::Result<bool> {
    if !preorders::set_status(tx, product, &["open", "closed"], "released").await? {
        return Ok(false);
    }
    let role = catalog::get(tx, product).await?.and_then(|p| p.role_id);
    let (mut complete, mut owing) = (0, 0);
    for o in preorders::orders_in(tx, Some(product), "paid").await? {
        if o.balance == 0 {
            preorders::set_order_status(tx, &o.checkout_id, "paid", "complete").await?;
            deliver(tx, ctx, &o, role.as_deref()).await?;
            complete += 1;
        } else {
            preorders::set_order_status(tx, &o.checkout_id, "paid", "balance_due").await?;
            owing += 1;
        }
    }
    let data = json!({"product": product, "complete": complete, "balance_due": owing});
    execute::enqueue(tx, ctx, None, "preorder.released", data).await?;
    Ok(true)
}

/// Grants the product's role (a `preorder` source in the ledger) and tells the buyer their
/// preorder is theirs.
async fn deliver(tx: &mut Tx, ctx: &ShopContext, o: &PreorderOrder, role: Option<&str>) -> anyhow::Result<()> {
    if let Some(role) = role {
        let spec = SourceSpec {
            kind: SourceKind::Preorder,
            member: &o.buyer,
            role_id: role,
            product_id: Some(&o.product_id),
            checkout_id: Some(&o.checkout_id),
            subscription_id: None,
            amount: o.deposit + o.balance,
            currency: &o.currency,
        };
        ledger::set(tx, ctx, &spec, true, "paid", "preorder released and paid in full").await?;
    }
    let text = format!("Your preorder of {} is released and fully paid: it is yours!", o.product_id);
    pay::queue_receipt(tx, &format!("preorder-done:{}", o.checkout_id), &o.buyer, &text).await
}

/// A preorder checkout was paid: the deposit (kind `preorder`) or the balance (`balance`).
pub async fn paid(tx: &mut Tx, ctx: &ShopContext, c: &Checkout) -> anyhow::Result<()> {
    let Some(o) = preorders::order_of_checkout(tx, &c.id).await? else { return Ok(()) };
    if c.kind == "preorder" {
        if preorders::set_order_status(tx, &o.checkout_id, "pending", "paid").await? {
            let released = preorders::get(tx, &o.product_id).await?.is_some_and(|p| p.status == "released");
            if released {
                // Paid after the release: owe the balance (or complete) right away.
                let role = catalog::get(tx, &o.product_id).await?.and_then(|p| p.role_id);
                if o.balance == 0 {
                    preorders::set_order_status(tx, &o.checkout_id, "paid", "complete").await?;
                    deliver(tx, ctx, &o, role.as_deref()).await?;
                } else {
                    preorders::set_order_status(tx, &o.checkout_id, "paid", "balance_due").await?;
                }
            }
            let data = json!({"product": o.product_id, "buyer": o.buyer, "checkout_id": o.checkout_id, "deposit": o.deposit, "balance": o.balance});
            execute::enqueue(tx, ctx, None, "preorder.paid", data).await?;
        }
    } else if preorders::set_order_status(tx, &o.checkout_id, "balance_due", "complete").await? {
        let role = catalog::get(tx, &o.product_id).await?.and_then(|p| p.role_id);
        deliver(tx, ctx, &o, role.as_deref()).await?;
        execute::enqueue(
            tx,
            ctx,
            None,
            "preorder.completed",
            json!({"product": o.product_id, "buyer": o.buyer, "checkout_id": o.checkout_id}),
        )
        .await?;
    }
    Ok(())
}
