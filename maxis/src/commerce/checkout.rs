//! Cart and checkout.

use chrono::{DateTime, Utc};
use serde_json::json;
use subjects::results::PromoStatus;

use super::Commerce;
use crate::domain::catalog::{discounted, promo_applies, Interval, Product, ProductKind};
use crate::execute;
use crate::marketing::store::promos;
use crate::payments::{self, Line, Mode, PaymentError, SessionRequest};
use crate::store::checkouts::{self, Checkout, CheckoutLine, Redeem};
use crate::store::{catalog, settings, Tx};

/// Why a buyer cannot do it; every message is a plain sentence that says what to do. Provider
/// and shop failures show no internals (they are logged where they happen, see
/// [`CommerceError::is_internal`]).
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    /// The shop is closed.
    #[error("the shop is closed: {0}")]
    ShopClosed(String),
    /// No such product, or hidden.
    #[error("there is no product `{0}` in this shop: `/shop` lists what is for sale")]
    UnknownProduct(String),
    /// Not enough stock (taken out of the member's cart by a checkout, see [`Commerce::checkout`]).
    #[error("`{0}` is sold out: choose something else, or come back after a restock")]
    OutOfStock(String),
    /// Over the per-member limit.
    #[error("you can hold at most {limit} of `{product}`")]
    LimitReached {
        /// Product.
        product: String,
        /// Limit.
        limit: i64,
    },
    /// Nothing to pay for.
    #[error("your cart is empty: add something first")]
    EmptyCart,
    /// A cart that cannot be one payment.
    #[error("{0}")]
    BadCart(String),
    /// The code cannot be used.
    #[error("promo code {code}: {reason}")]
    PromoCode {
        /// The code.
        code: String,
        /// Why.
        reason: &'static str,
    },
    /// No payment provider configured.
    #[error("payments are not set up in this shop yet: please tell the shop's staff")]
    NoPayments,
    /// The provider failed (the details are in the shop's log).
    #[error("the payment page could not be opened: please try again in a minute, and tell the shop's staff if it keeps failing")]
    Payment(#[from] PaymentError),
    /// The shop failed (the details are in the shop's log).
    #[error("something went wrong on the shop's side: please try again in a minute")]
    Unexpected(#[from] anyhow::Error),
}

impl CommerceError {
    /// True for failures of the provider or the shop, whose details belong in the log, not in
    /// front of the buyer.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Payment(_) | Self::Unexpected(_) | Self::NoPayments)
    }

    /// Logs the details of an internal failure (see [`Self::is_internal`]).
    pub fn log(&self, what: &str) {
        match self {
            Self::Payment(e) => tracing::warn!(what, error.message = %e, "payment provider failure shown to a buyer"),
            Self::Unexpected(e) => tracing::error!(what, error.cause_chain = ?e, "shop failure shown to a buyer"),
            Self::NoPayments => tracing::warn!(what, "no Stripe key (MAXIS_STRIPE__SECRET_KEY): checkout refused"),
            _ => {}
        }
    }
}

impl From<sqlx::Error> for CommerceError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

/// A checkout as shown to the buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutView {
    /// Our id.
    pub id: String,
    /// Where to pay.
    pub url: String,
    /// Total in minor units.
    pub amount_total: i64,
    /// Currency.
    pub currency: String,
    /// Until when the stock is held.
    pub expires_at: DateTime<Utc>,
}

/// A reserved checkout: the checkout, its lines, each line's (name, billing period), and the
/// countries to ask a shipping address in (empty when nothing is physical).
type Reserved = (Checkout, Vec<CheckoutLine>, Vec<(String, Option<Interval>)>, Vec<String>);

/// Stripe's shortest Checkout Session: `expires_at` at least 30 min after the session's creation.
const STRIPE_MIN_EXPIRY: chrono::Duration = chrono::Duration::minutes(30);
/// What `expires_at` keeps above Stripe's minimum. Stripe measures from the moment it receives
/// the request; a request slower than the adapter's 30 s timeout is abandoned, so five minutes
/// cover any latency a session can be created with.
const EXPIRY_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

/// When a checkout opened at `now` with a hold of `hold` expires: the hold, but never less than
/// Stripe's minimum plus [`EXPIRY_MARGIN`].
pub(crate) fn expiry(now: DateTime<Utc>, hold: std::time::Duration) -> DateTime<Utc> {
    let hold = chrono::Duration::from_std(hold).unwrap_or(STRIPE_MIN_EXPIRY);
    now + hold.max(STRIPE_MIN_EXPIRY + EXPIRY_MARGIN)
}

impl Commerce {
    /// The Buy button: checks out the member's cart with one `product` in it (one unit unless it
    /// is there already: a second click must not add a second one).
    pub async fn buy(&self, buyer: &str, product: &str) -> Result<CheckoutView, CommerceError> {
        if !self.cart(buyer).await?.iter().any(|(p, _)| p.id == product) {
            self.set_cart(buyer, product, 1).await?;
        }
        self.checkout(buyer, None).await
    }

    /// Sets the quantity of a product in a member's cart (0 removes it).
    pub async fn set_cart(&self, buyer: &str, product: &str, quantity: i64) -> Result<(), CommerceError> {
        let mut tx = self.store.begin().await?;
        let p = catalog::get(&mut tx, product).await?.filter(|p| p.visible);
        let Some(p) = p else { return Err(CommerceError::UnknownProduct(product.to_owned())) };
        if let Some(limit) = p.per_user_limit.filter(|l| quantity > *l) {
            return Err(CommerceError::LimitReached { product: p.id, limit });
        }
        catalog::set_cart(&mut tx, buyer, product, quantity.clamp(0, 100)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds `quantity` of a product to a member's cart; returns how many they now have.
    pub async fn add_to_cart(&self, buyer: &str, product: &str, quantity: i64) -> Result<i64, CommerceError> {
        let held = self.cart(buyer).await?.into_iter().find(|(p, _)| p.id == product).map_or(0, |(_, n)| n);
        let wanted = held + quantity.max(1);
        self.set_cart(buyer, product, wanted).await?;
        Ok(wanted)
    }

    /// The products on sale.
    pub async fn catalog(&self) -> Result<Vec<Product>, CommerceError> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(catalog::visible(&mut conn).await?)
    }

    /// A member's latest checkouts, newest first.
    pub async fn orders(&self, buyer: &str, limit: u32) -> Result<Vec<Checkout>, CommerceError> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(checkouts::by_buyer(&mut conn, buyer, limit).await?)
    }

    /// A member's latest checkouts with the fate of their receipt (`sent`, `pending`, or why
    /// it was not sent, e.g. closed DMs), newest first.
    pub async fn orders_with_receipts(
        &self,
        buyer: &str,
        limit: u32,
    ) -> Result<Vec<(Checkout, Option<String>)>, CommerceError> {
        let mut conn = self.store.pool().acquire().await?;
        let mut out = Vec::new();
        for c in checkouts::by_buyer(&mut conn, buyer, limit).await? {
            let receipt = crate::store::payments::receipt_status(&mut conn, &c.id).await?;
            out.push((c, receipt));
        }
        Ok(out)
    }

    /// A member's cart.
    pub async fn cart(&self, buyer: &str) -> Result<Vec<(Product, i64)>, CommerceError> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(catalog::cart(&mut conn, buyer).await?)
    }

    /// Checks out a member's cart: holds the stock and the promo code, then opens a Stripe
    /// Checkout Session (idempotent on the checkout id) and returns where to pay.
    #[tracing::instrument(skip_all, fields(buyer))]
    pub async fn checkout(&self, buyer: &str, code: Option<&str>) -> Result<CheckoutView, CommerceError> {
        let payments = self.payments.clone().ok_or(CommerceError::NoPayments)?;
        let customer = self.customer_for(payments.as_ref(), buyer).await?;
        let id = uuid_like();
        let now = Utc::now();
        let expires_at = expiry(now, self.settings.hold);
        let (checkout, lines, names, shipping_countries) = {
            let mut tx = self.store.begin().await?;
            match self.reserve(&mut tx, &id, buyer, code, expires_at).await {
                Ok(reserved) => {
                    tx.commit().await?;
                    reserved
                }
                Err(CommerceError::OutOfStock(product)) => {
                    tx.rollback().await?;
                    self.drop_sold_out(buyer, &product).await?;
                    return Err(CommerceError::OutOfStock(product));
                }
                Err(e) => return Err(e),
            }
        };
        let request = SessionRequest {
            idempotency_key: id.clone(),
            mode: if checkout.mode == "subscription" { Mode::Subscription } else { Mode::Payment },
            lines: lines
                .iter()
                .zip(&names)
                .map(|(l, (name, interval))| Line {
                    name: name.clone(),
                    unit_amount: l.unit_amount,
                    currency: l.currency.clone(),
                    quantity: u32::try_from(l.quantity).unwrap_or(1),
                    interval: interval.map(|i| match i {
                        Interval::Month => payments::Interval::Month,
                        Interval::Year => payments::Interval::Year,
                    }),
                })
                .collect(),
            client_reference_id: id.clone(),
            success_url: self.settings.success_url.clone(),
            cancel_url: self.settings.cancel_url.clone(),
            expires_at: expires_at.timestamp(),
            metadata: vec![
                ("shop".into(), self.ctx.id.to_string()),
                ("member".into(), buyer.to_owned()),
                ("checkout".into(), id.clone()),
            ],
            customer: Some(customer),
            shipping_countries,
            trial_days: None,
        };
        let mut request = request;
        if checkout.mode == "subscription" {
            let products: Vec<String> = lines.iter().map(|l| l.product_id.clone()).collect();
            request.trial_days = self.offer_trial(&id, buyer, &products).await?;
        }
        self.start_session(payments.as_ref(), request, &id, buyer, checkout.amount_total, checkout.currency, expires_at)
            .await
    }

    /// Opens the Stripe session of a checkout stored as `creating`. When Stripe refuses, the
    /// checkout fails, its holds are released and `checkout.failed` names the buyer.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn start_session(
        &self,
        payments: &dyn payments::Payments,
        request: SessionRequest,
        id: &str,
        buyer: &str,
        amount_total: i64,
        currency: String,
        expires_at: DateTime<Utc>,
    ) -> Result<CheckoutView, CommerceError> {
        match payments.create_session(request).await {
            Ok(session) => {
                let mut tx = self.store.begin().await?;
                checkouts::opened(&mut tx, id, &session.id, &session.url, expires_at).await?;
                tx.commit().await?;
                Ok(CheckoutView { id: id.to_owned(), url: session.url, amount_total, currency, expires_at })
            }
            Err(e) => {
                let mut tx = self.store.begin().await?;
                if checkouts::transition(&mut tx, id, &["creating"], "failed").await? {
                    checkouts::release(&mut tx, id).await?;
                    let data = json!({"checkout_id": id, "buyer": buyer, "reason": e.to_string()});
                    execute::enqueue(&mut tx, &self.ctx, None, "checkout.failed", data).await?;
                }
                tx.commit().await?;
                self.flush().await;
                Err(e.into())
            }
        }
    }

    /// The member's Stripe Customer: created once (idempotent on the shop and member), then
    /// reused, so that every payment of a member is under one customer in the Dashboard.
    pub(crate) async fn customer_for(
        &self,
        payments: &dyn payments::Payments,
        buyer: &str,
    ) -> Result<String, CommerceError> {
        {
            let mut conn = self.store.pool().acquire().await?;
            if let Some(customer) = crate::store::payments::customer_of(&mut conn, buyer).await? {
                return Ok(customer);
            }
        }
        let shop = self.ctx.id.to_string();
        let request = payments::CustomerRequest {
            idempotency_key: format!("customer-{shop}-{buyer}"),
            description: format!("Discord member {buyer} of shop {shop}"),
            metadata: vec![("shop".into(), shop), ("member".into(), buyer.to_owned())],
        };
        let customer = payments.create_customer(request).await?;
        let mut tx = self.store.begin().await?;
        let customer = crate::store::payments::set_customer(&mut tx, buyer, &customer).await?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Takes a sold-out product out of a member's cart, so that it does not block their next
    /// checkout (the failed one changed nothing else).
    async fn drop_sold_out(&self, buyer: &str, product: &str) -> Result<(), CommerceError> {
        let mut tx = self.store.begin().await?;
        catalog::set_cart(&mut tx, buyer, product, 0).await?;
        let data = json!({"buyer": buyer, "product_id": product});
        execute::enqueue(&mut tx, &self.ctx, None, "cart.sold_out_removed", data).await?;
        tx.commit().await?;
        self.flush().await;
        Ok(())
    }

    /// Everything that must hold for the checkout, in one transaction.
    async fn reserve(
        &self,
        tx: &mut Tx,
        id: &str,
        buyer: &str,
        code: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<Reserved, CommerceError> {
        let state = settings::shop_state(tx).await?;
        if !state.open {
            let message = match state.closed_reason {
                Some(r) => r,
                None => settings::get(tx, "shop.closed_message").await?.unwrap_or_else(|| "come back soon".to_owned()),
            };
            return Err(CommerceError::ShopClosed(message));
        }
        let cart = catalog::cart(tx, buyer).await?;
        if cart.is_empty() {
            return Err(CommerceError::EmptyCart);
        }
        let plans = cart.iter().filter(|(p, _)| p.kind == ProductKind::Plan).count();
        if plans > 1 || cart.iter().any(|(p, q)| p.kind == ProductKind::Plan && *q > 1) {
            return Err(CommerceError::BadCart("one plan at a time: remove the others from your cart".into()));
        }
        let currency = cart[0].0.currency.clone();
        if cart.iter().any(|(p, _)| p.currency != currency) {
            return Err(CommerceError::BadCart("products in different currencies cannot be paid together".into()));
        }
        let live: Vec<_> = promos::live(tx).await?.into_iter().filter(|p| p.status == PromoStatus::Active).collect();
        let chosen = match code {
            Some(code) => {
                let promo = live.iter().find(|p| p.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(code)));
                let promo = promo
                    .ok_or_else(|| CommerceError::PromoCode { code: code.to_owned(), reason: "unknown or expired" })?;
                match checkouts::redeem(tx, &promo.id, buyer, id).await? {
                    Redeem::Taken => vec![promo.clone()],
                    Redeem::AlreadyUsed => {
                        return Err(CommerceError::PromoCode { code: code.to_owned(), reason: "you already used it" })
                    }
                    Redeem::SoldOut => {
                        return Err(CommerceError::PromoCode { code: code.to_owned(), reason: "no redemption left" })
                    }
                }
            }
            None => live.into_iter().filter(|p| p.code.is_none()).collect(),
        };
        let mut lines = Vec::new();
        let mut names = Vec::new();
        let mut promo_id = None;
        for (product, quantity) in &cart {
            if let Some(limit) = product.per_user_limit {
                if catalog::held_by(tx, buyer, &product.id).await? + quantity > limit {
                    return Err(CommerceError::LimitReached { product: product.id.clone(), limit });
                }
            }
            if !catalog::take_stock(tx, &product.id, *quantity).await? {
                return Err(CommerceError::OutOfStock(product.id.clone()));
            }
            let best = chosen
                .iter()
                .filter(|p| promo_applies(&p.target, product))
                .map(|p| (discounted(product.price, &product.currency, &p.discount), p.id.clone()))
                .min();
            let unit_amount = best.as_ref().map_or(product.price, |(amount, _)| *amount);
            if let Some((_, id)) = best {
                promo_id = Some(id);
            }
            lines.push(CheckoutLine {
                product_id: product.id.clone(),
                quantity: *quantity,
                unit_amount,
                list_amount: product.price,
                currency: product.currency.clone(),
            });
            names.push((product.name.clone(), product.interval));
        }
        if let (Some(code), None) = (code, &promo_id) {
            return Err(CommerceError::PromoCode {
                code: code.to_owned(),
                reason: "does not apply to anything in your cart",
            });
        }
        let checkout = Checkout {
            id: id.to_owned(),
            buyer: buyer.to_owned(),
            status: "creating".into(),
            mode: if plans == 1 { "subscription" } else { "payment" }.into(),
            session_id: None,
            url: None,
            payment_intent: None,
            subscription_id: None,
            promo_id,
            amount_total: lines.iter().map(|l| l.unit_amount * l.quantity).sum(),
            currency,
            expires_at: Some(expires_at),
            reserved: true,
            kind: "cart".into(),
        };
        let shipping = if cart.iter().any(|(p, _)| p.kind == ProductKind::Physical) {
            super::shipping::countries(tx).await?
        } else {
            Vec::new()
        };
        checkouts::insert(tx, &checkout, &lines).await?;
        catalog::clear_cart(tx, buyer).await?;
        let data = json!({"checkout_id": id, "buyer": buyer, "amount_total": checkout.amount_total, "currency": checkout.currency, "promo_id": checkout.promo_id});
        execute::enqueue(tx, &self.ctx, None, "checkout.started", data).await?;
        Ok((checkout, lines, names, shipping))
    }

    /// Releases the stock of checkouts whose hold lapsed (also expiring their Stripe session).
    pub async fn expire_lapsed(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let lapsed = {
            let mut conn = self.store.pool().acquire().await?;
            checkouts::lapsed(&mut conn, now).await?
        };
        let mut released = 0;
        for c in lapsed {
            if let (Some(payments), Some(session)) = (&self.payments, &c.session_id) {
                if let Err(e) = payments.expire_session(session.clone()).await {
                    tracing::warn!(checkout = %c.id, error.message = %e, "Failed to expire a Stripe session; releasing anyway");
                }
            }
            let mut tx = self.store.begin().await?;
            if checkouts::transition(&mut tx, &c.id, &["creating", "open"], "expired").await? {
                checkouts::release(&mut tx, &c.id).await?;
                execute::enqueue(
                    &mut tx,
                    &self.ctx,
                    None,
                    "checkout.expired",
                    json!({"checkout_id": c.id, "buyer": c.buyer}),
                )
                .await?;
                released += 1;
            }
            tx.commit().await?;
        }
        self.flush().await;
        Ok(released)
    }

    /// Publishes pending events (best effort: the outbox keeps them otherwise).
    pub(crate) async fn flush(&self) {
        if let Err(e) = self.publisher.flush_outbox(&self.store).await {
            tracing::warn!(error.message = %e, "Failed to publish events; they stay in the outbox");
        }
    }
}

/// A fresh checkout id (UUIDv7, time-ordered).
fn uuid_like() -> String {
    subjects::OrderId::generate().to_string()
}
