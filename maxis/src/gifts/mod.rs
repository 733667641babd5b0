//! Gifts: `/gift @member <product or plan> [months]`. The giver pays through a one-off Stripe
//! Checkout (mode `payment`, even for a plan: N months × the plan's monthly price); the
//! recipient gets a ledger source of kind `gift` when it is paid (see [`lifecycle`]): for a plan,
//! active for N months from the payment, then it ends on the shop's clock unless they subscribe;
//! for a role product, like a purchase. A full refund or a dispute of the gift revokes it. A
//! gift to a member who left waits in the ledger until they rejoin (the reconciler gives the
//! role then).

pub mod lifecycle;
pub mod store;

use chrono::Utc;
use serde_json::json;

use crate::commerce::{CheckoutView, Commerce, CommerceError};
use crate::domain::catalog::{Interval, ProductKind};
use crate::execute;
use crate::payments::{Line, Mode, SessionRequest};
use crate::store::checkouts::{self, Checkout, CheckoutLine};
use crate::store::{catalog, settings};

/// Most months one gift can give.
pub const MAX_MONTHS: u32 = 24;

/// Why a gift cannot be made; every message is a plain sentence that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum GiftError {
    /// The giver named themselves.
    #[error("you cannot give a gift to yourself: `/shop` to buy it for you")]
    ToSelf,
    /// The recipient is a bot.
    #[error("bots cannot receive gifts: choose a member")]
    ToBot,
    /// Not a product with a role.
    #[error("`{0}` cannot be given: only plans and role products can be gifts")]
    NotGiftable(String),
    /// Months out of range, or given for a product.
    #[error("{0}")]
    Months(String),
    /// The checkout failed (closed shop, unknown product, payments…).
    #[error(transparent)]
    Commerce(#[from] CommerceError),
}

impl From<sqlx::Error> for GiftError {
    fn from(e: sqlx::Error) -> Self {
        Self::Commerce(e.into())
    }
}

impl From<anyhow::Error> for GiftError {
    fn from(e: anyhow::Error) -> Self {
        Self::Commerce(e.into())
    }
}

impl Commerce {
    /// `giver` gives `product` (for a plan: `months` of it, 1 by default) to `recipient`: opens a
    /// one-off Checkout for the giver and returns where to pay.
    #[tracing::instrument(skip_all, fields(giver, recipient, product))]
    pub async fn gift(
        &self,
        giver: &str,
        recipient: &str,
        recipient_is_bot: bool,
        product: &str,
        months: Option<u32>,
    ) -> Result<CheckoutView, GiftError> {
        if giver == recipient {
            return Err(GiftError::ToSelf);
        }
        if recipient_is_bot {
            return Err(GiftError::ToBot);
        }
        let payments = self.payments.clone().ok_or(CommerceError::NoPayments)?;
        let (p, quantity, unit_amount, months) = {
            let mut conn = self.store.pool().acquire().await?;
            let state = settings::shop_state(&mut conn).await?;
            if !state.open {
                let reason = state.closed_reason.unwrap_or_else(|| "come back soon".to_owned());
                return Err(CommerceError::ShopClosed(reason).into());
            }
            let p = catalog::get(&mut conn, product).await?.filter(|p| p.visible);
            let p = p.ok_or_else(|| CommerceError::UnknownProduct(product.to_owned()))?;
            if p.role_id.is_none() || !matches!(p.kind, ProductKind::Plan | ProductKind::Role) {
                return Err(GiftError::NotGiftable(p.id));
            }
            match p.kind {
                ProductKind::Plan => {
                    let m = months.unwrap_or(1);
                    if !(1..=MAX_MONTHS).contains(&m) {
                        return Err(GiftError::Months(format!("a gift gives 1 to {MAX_MONTHS} months of a plan")));
                    }
                    let monthly = match p.interval {
                        Some(Interval::Year) => (p.price + 6) / 12,
                        _ => p.price,
                    };
                    (p, i64::from(m), monthly, Some(i64::from(m)))
                }
                _ if months.is_some_and(|m| m != 1) => {
                    return Err(GiftError::Months(format!(
                        "`{}` is held for good once given: months only apply to a plan",
                        p.id
                    )))
                }
                _ => {
                    let price = p.price;
                    (p, 1, price, None)
                }
            }
        };
        let customer = self.customer_for(payments.as_ref(), giver).await?;
        let id = subjects::OrderId::generate().to_string();
        let now = Utc::now();
        let expires_at = crate::commerce::expiry(now, self.settings.hold);
        let checkout = Checkout {
            id: id.clone(),
            buyer: giver.to_owned(),
            status: "creating".into(),
            mode: "payment".into(),
            session_id: None,
            url: None,
            payment_intent: None,
            subscription_id: None,
            promo_id: None,
            amount_total: unit_amount * quantity,
            currency: p.currency.clone(),
            expires_at: Some(expires_at),
            reserved: true,
            kind: "gift".into(),
        };
        let line = CheckoutLine {
            product_id: p.id.clone(),
            quantity,
            unit_amount,
            list_amount: unit_amount,
            currency: p.currency.clone(),
        };
        let gift = store::Gift {
            checkout_id: id.clone(),
            giver: giver.to_owned(),
            recipient: recipient.to_owned(),
            product_id: p.id.clone(),
            months,
            paid_at: None,
            ends_at: None,
            ended_at: None,
        };
        {
            let mut tx = self.store.begin().await?;
            checkouts::insert(&mut tx, &checkout, std::slice::from_ref(&line)).await?;
            store::insert(&mut tx, &gift, now).await?;
            let data = json!({"checkout_id": id, "buyer": giver, "amount_total": checkout.amount_total,
                              "currency": checkout.currency, "promo_id": null, "gift_for": recipient});
            execute::enqueue(&mut tx, &self.ctx, None, "checkout.started", data).await?;
            tx.commit().await?;
        }
        let name = match months {
            Some(1) => format!("Gift: {} (1 month)", p.name),
            Some(m) => format!("Gift: {} ({m} months)", p.name),
            None => format!("Gift: {}", p.name),
        };
        let request = SessionRequest {
            idempotency_key: id.clone(),
            mode: Mode::Payment,
            lines: vec![Line {
                name,
                unit_amount,
                currency: p.currency.clone(),
                quantity: u32::try_from(quantity).unwrap_or(1),
                interval: None,
            }],
            client_reference_id: id.clone(),
            success_url: self.settings.success_url.clone(),
            cancel_url: self.settings.cancel_url.clone(),
            expires_at: expires_at.timestamp(),
            metadata: vec![
                ("shop".into(), self.ctx.id.to_string()),
                ("member".into(), giver.to_owned()),
                ("checkout".into(), id.clone()),
                ("gift_giver".into(), giver.to_owned()),
                ("gift_recipient".into(), recipient.to_owned()),
                ("gift_months".into(), months.map_or_else(|| "0".to_owned(), |m| m.to_string())),
            ],
            customer: Some(customer),
            shipping_countries: Vec::new(),
            trial_days: None,
        };
        Ok(self
            .start_session(payments.as_ref(), request, &id, giver, checkout.amount_total, checkout.currency, expires_at)
            .await?)
    }
}

impl GiftError {
    /// True for failures whose details belong in the log (see [`CommerceError::is_internal`]).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Commerce(e) if e.is_internal())
    }
}
