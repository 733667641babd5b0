//! A gift's life after its checkout: paid (the recipient's ledger source, both members told by
//! DM, `gift.paid`), then ended once — by the shop's clock at the end of a plan's months, or at
//! once by a full refund or a dispute (`gift.ended`).

use chrono::{DateTime, Months, Utc};
use subjects::event::{GiftEnded, GiftPaid};
use subjects::EventKind;

use super::store::{self, Gift};
use crate::commerce::webhook::money;
use crate::entitlements::ledger::{self, SourceKind, SourceSpec};
use crate::execute::{self, ShopContext};
use crate::store::checkouts::Checkout;
use crate::store::{catalog, payments as pay, sales, settings, Tx};

/// What a paid gift grants: until when, in words.
fn months_text(months: Option<i64>, until: Option<DateTime<Utc>>) -> String {
    match (months, until) {
        (Some(1), Some(u)) => format!("1 month, until {}", u.format("%Y-%m-%d")),
        (Some(m), Some(u)) => format!("{m} months, until {}", u.format("%Y-%m-%d")),
        _ => "for good".to_owned(),
    }
}

/// Applies a paid gift checkout in the webhook's transaction: its sale, the recipient's source
/// (already revoked if a refund or dispute arrived first), the two DMs and `gift.paid`.
pub async fn paid(tx: &mut Tx, ctx: &ShopContext, c: &Checkout, pi: Option<&str>) -> anyhow::Result<()> {
    let Some(gift) = store::get(tx, &c.id).await? else {
        anyhow::bail!("checkout {} is a gift without a gift row", c.id)
    };
    let now = Utc::now();
    let ends_at = gift.months.map(|m| now + Months::new(u32::try_from(m).unwrap_or(1)));
    if !store::paid(tx, &c.id, now, ends_at).await? {
        return Ok(());
    }
    let reversal = match pi {
        Some(pi) => pay::reversal(tx, pi).await?,
        None => pay::Reversal::default(),
    };
    let product = catalog::get(tx, &gift.product_id).await?;
    let name = product.as_ref().map_or_else(|| gift.product_id.clone(), |p| p.name.clone());
    let Some(role) = product.and_then(|p| p.role_id) else {
        anyhow::bail!("the gifted product {} has no role", gift.product_id)
    };
    let sale_id = format!("{}:{}", c.id, gift.product_id);
    let sale = sales::NewSale {
        id: &sale_id,
        checkout_id: Some(&c.id),
        product_id: &gift.product_id,
        buyer: &c.buyer,
        amount: c.amount_total,
        currency: &c.currency,
        at: now,
    };
    sales::record_sale(tx, &sale).await?;
    let spec = spec(&gift, &role, c);
    let until = months_text(gift.months, ends_at);
    let note = format!("a gift from <@{}> ({until})", gift.giver);
    let data = GiftPaid {
        checkout_id: c.id.clone(),
        giver: gift.giver.clone(),
        recipient: gift.recipient.clone(),
        product_id: gift.product_id.clone(),
        months: gift.months.and_then(|m| u32::try_from(m).ok()),
        until: ends_at,
        amount: c.amount_total,
        currency: c.currency.clone(),
    };
    execute::enqueue(tx, ctx, None, EventKind::GIFT_PAID, serde_json::to_value(data)?).await?;
    if reversal.revokes() {
        sales::refund(tx, &sale_id, now).await?;
        let (state, why) =
            if reversal.disputed { ("disputed", "the payment was disputed") } else { ("refunded", "fully refunded") };
        ledger::set(tx, ctx, &spec, false, state, &format!("{note}: {why}")).await?;
        return ended(tx, ctx, &c.id, state).await;
    }
    ledger::set(tx, ctx, &spec, true, "paid", &note).await?;
    let shop = settings::get(tx, "shop.name").await?.unwrap_or_else(|| "Maxis shop".to_owned());
    let paid = money(c.amount_total, &c.currency);
    let to_giver = format!(
        "🎁 Thank you! Your gift of {name} ({until}) to <@{}> at {shop} is paid: {paid}. They have been told.\nOrder {}",
        gift.recipient, c.id
    );
    pay::queue_receipt(tx, &c.id, &c.buyer, &to_giver).await?;
    let after = if gift.months.is_some() { " When it ends, `/shop` to keep it by subscribing." } else { "" };
    let to_recipient = format!("🎁 <@{}> gave you {name} at {shop} ({until}): its role is yours.{after}", gift.giver);
    pay::queue_receipt(tx, &format!("{}:gift", c.id), &gift.recipient, &to_recipient).await?;
    Ok(())
}

/// Ends the gift paid by `checkout` once, for `reason` (`expired`, `refunded`, `disputed`), with
/// `gift.ended`; a checkout that is no gift, or a gift already ended, changes nothing.
pub async fn ended(tx: &mut Tx, ctx: &ShopContext, checkout: &str, reason: &str) -> anyhow::Result<()> {
    let Some(gift) = store::get(tx, checkout).await? else { return Ok(()) };
    if gift.paid_at.is_none() || !store::end(tx, checkout, Utc::now(), reason).await? {
        return Ok(());
    }
    pay::receipt_failed(tx, &format!("{checkout}:gift"), &format!("the gift was {reason} before it was sent")).await?;
    let data = GiftEnded {
        checkout_id: gift.checkout_id,
        giver: gift.giver,
        recipient: gift.recipient,
        product_id: gift.product_id,
        reason: reason.to_owned(),
    };
    execute::enqueue(tx, ctx, None, EventKind::GIFT_ENDED, serde_json::to_value(data)?).await
}

/// Ends the plans' gifts whose months ran out at `now` (the shop's clock): each once, its source
/// revoked, the recipient told by DM.
pub async fn end_due(tx: &mut Tx, ctx: &ShopContext, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut ended_now = 0;
    for gift in store::due(tx, now).await? {
        let id = gift.checkout_id.clone();
        let until = months_text(gift.months, gift.ends_at);
        let note = format!("a gift from <@{}> ({until}): its months ran out", gift.giver);
        ledger::set_for_checkout(tx, ctx, &id, false, "ended", &note).await?;
        ended(tx, ctx, &id, "expired").await?;
        let name = catalog::get(tx, &gift.product_id).await?.map_or(gift.product_id.clone(), |p| p.name);
        let text =
            format!("Your gift of {name} from <@{}> ended today. `/shop` to subscribe and keep its role.", gift.giver);
        pay::queue_receipt(tx, &format!("{id}:gift-ended"), &gift.recipient, &text).await?;
        ended_now += 1;
    }
    Ok(ended_now)
}

fn spec<'a>(gift: &'a Gift, role: &'a str, c: &'a Checkout) -> SourceSpec<'a> {
    SourceSpec {
        kind: SourceKind::Gift,
        member: &gift.recipient,
        role_id: role,
        product_id: Some(&gift.product_id),
        checkout_id: Some(&c.id),
        subscription_id: None,
        amount: c.amount_total,
        currency: &c.currency,
    }
}

/// A gift source in words, for `why`: "gift of Pro from <@giver> (1 month, until 2027-01-03)".
pub async fn describe(conn: &mut sqlx::SqliteConnection, checkout: &str, name: &str) -> anyhow::Result<String> {
    Ok(match store::get(conn, checkout).await? {
        Some(g) => format!("gift of {name} from <@{}> ({})", g.giver, months_text(g.months, g.ends_at)),
        None => format!("gift of {name}"),
    })
}
