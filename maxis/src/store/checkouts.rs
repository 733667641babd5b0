//! Checkouts, their lines, and promo code redemptions.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

/// A checkout as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// Our id (also Stripe's `client_reference_id`).
    pub id: String,
    /// Buyer (Discord user id).
    pub buyer: String,
    /// creating | open | processing | paid | expired | failed.
    pub status: String,
    /// payment | subscription.
    pub mode: String,
    /// Stripe session.
    pub session_id: Option<String>,
    /// Payment page.
    pub url: Option<String>,
    /// Stripe payment intent, once paid.
    pub payment_intent: Option<String>,
    /// Stripe subscription, for plans.
    pub subscription_id: Option<String>,
    /// Promotion applied.
    pub promo_id: Option<String>,
    /// Total in minor units.
    pub amount_total: i64,
    /// Currency.
    pub currency: String,
    /// When the reservation lapses.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether stock and code are still held.
    pub reserved: bool,
    /// cart | preorder (a deposit) | balance (a preorder's balance).
    pub kind: String,
}

/// One line of a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLine {
    /// Product.
    pub product_id: String,
    /// Quantity.
    pub quantity: i64,
    /// Unit price paid.
    pub unit_amount: i64,
    /// Unit price before discount.
    pub list_amount: i64,
    /// Currency.
    pub currency: String,
}

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, buyer, status, mode, session_id, url, payment_intent, subscription_id, promo_id, amount_total, currency, expires_at, reserved, kind ",
            $rest
        )
    };
}

fn from_row(r: &sqlx::sqlite::SqliteRow) -> anyhow::Result<Checkout> {
    Ok(Checkout {
        id: r.try_get("id")?,
        buyer: r.try_get("buyer")?,
        status: r.try_get("status")?,
        mode: r.try_get("mode")?,
        session_id: r.try_get("session_id")?,
        url: r.try_get("url")?,
        payment_intent: r.try_get("payment_intent")?,
        subscription_id: r.try_get("subscription_id")?,
        promo_id: r.try_get("promo_id")?,
        amount_total: r.try_get("amount_total")?,
        currency: r.try_get("currency")?,
        expires_at: r.try_get("expires_at")?,
        reserved: r.try_get("reserved")?,
        kind: r.try_get("kind")?,
    })
}

/// Inserts a new checkout in state `creating`, with its lines.
pub async fn insert(conn: &mut SqliteConnection, c: &Checkout, lines: &[CheckoutLine]) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO checkouts (id, buyer, status, created_at, mode, promo_id, amount_total, currency, expires_at, reserved, kind)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
    )
    .bind(&c.id)
    .bind(&c.buyer)
    .bind(&c.status)
    .bind(Utc::now())
    .bind(&c.mode)
    .bind(&c.promo_id)
    .bind(c.amount_total)
    .bind(&c.currency)
    .bind(c.expires_at)
    .bind(&c.kind)
    .execute(&mut *conn)
    .await?;
    for l in lines {
        sqlx::query(
            "INSERT INTO checkout_lines (checkout_id, product_id, quantity, unit_amount, list_amount, currency) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.id)
        .bind(&l.product_id)
        .bind(l.quantity)
        .bind(l.unit_amount)
        .bind(l.list_amount)
        .bind(&l.currency)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One checkout by our id.
pub async fn get(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Option<Checkout>> {
    sqlx::query(select!("FROM checkouts WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A buyer's checkouts, newest first (ids are time-ordered UUIDv7).
pub async fn by_buyer(conn: &mut SqliteConnection, buyer: &str, limit: u32) -> anyhow::Result<Vec<Checkout>> {
    sqlx::query(select!("FROM checkouts WHERE buyer = ? ORDER BY id DESC LIMIT ?"))
        .bind(buyer)
        .bind(limit)
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// One checkout by Stripe payment intent.
pub async fn by_payment_intent(conn: &mut SqliteConnection, pi: &str) -> anyhow::Result<Option<Checkout>> {
    sqlx::query(select!("FROM checkouts WHERE payment_intent = ?"))
        .bind(pi)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Checkouts of a Stripe subscription.
pub async fn by_subscription(conn: &mut SqliteConnection, sub: &str) -> anyhow::Result<Vec<Checkout>> {
    sqlx::query(select!("FROM checkouts WHERE subscription_id = ?"))
        .bind(sub)
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Open checkouts whose reservation lapsed before `now`.
pub async fn lapsed(conn: &mut SqliteConnection, now: DateTime<Utc>) -> anyhow::Result<Vec<Checkout>> {
    sqlx::query(select!("FROM checkouts WHERE status IN ('creating', 'open') AND expires_at < ?"))
        .bind(now)
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// The lines of a checkout.
pub async fn lines(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Vec<CheckoutLine>> {
    let rows = sqlx::query(
        "SELECT product_id, quantity, unit_amount, list_amount, currency FROM checkout_lines WHERE checkout_id = ?",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CheckoutLine {
                product_id: r.try_get(0)?,
                quantity: r.try_get(1)?,
                unit_amount: r.try_get(2)?,
                list_amount: r.try_get(3)?,
                currency: r.try_get(4)?,
            })
        })
        .collect()
}

/// Records the Stripe session of a checkout and opens it.
pub async fn opened(
    conn: &mut SqliteConnection,
    id: &str,
    session: &str,
    url: &str,
    expires_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE checkouts SET status = 'open', session_id = ?, url = ?, expires_at = ? WHERE id = ? AND status = 'creating'")
        .bind(session)
        .bind(url)
        .bind(expires_at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a checkout to `to` if it is in one of `from`; true when this call changed it.
pub async fn transition(conn: &mut SqliteConnection, id: &str, from: &[&str], to: &str) -> anyhow::Result<bool> {
    let current: Option<String> =
        sqlx::query_scalar("SELECT status FROM checkouts WHERE id = ?").bind(id).fetch_optional(&mut *conn).await?;
    if !current.is_some_and(|c| from.contains(&c.as_str())) {
        return Ok(false);
    }
    sqlx::query("UPDATE checkouts SET status = ? WHERE id = ?").bind(to).bind(id).execute(conn).await?;
    Ok(true)
}

/// A checkout paid: records Stripe's payment references, moves it to `paid` and keeps what it
/// reserved, in one statement. The caller checked, inside its write transaction, that the
/// checkout's status allows it.
pub async fn paid(conn: &mut SqliteConnection, id: &str, pi: Option<&str>, sub: Option<&str>) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE checkouts SET payment_intent = COALESCE(?, payment_intent), subscription_id = COALESCE(?, subscription_id),
           status = 'paid', reserved = 0 WHERE id = ?",
        pi,
        sub,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A line of a checkout with what the receipt and the ledger need of its product (`None` when
/// the product is gone from the catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldLine {
    /// The line.
    pub line: CheckoutLine,
    /// The product's name.
    pub name: Option<String>,
    /// The role it grants.
    pub role_id: Option<String>,
}

/// The lines of a checkout with their product's name and role, in one read.
pub async fn sold_lines(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Vec<SoldLine>> {
    let rows = sqlx::query!(
        r#"SELECT l.product_id, l.quantity, l.unit_amount, l.list_amount, l.currency,
                  p.name AS "name?", p.role_id AS "role_id?"
           FROM checkout_lines l LEFT JOIN products p ON p.id = l.product_id WHERE l.checkout_id = ?"#,
        id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SoldLine {
            line: CheckoutLine {
                product_id: r.product_id,
                quantity: r.quantity,
                unit_amount: r.unit_amount,
                list_amount: r.list_amount,
                currency: r.currency,
            },
            name: r.name,
            role_id: r.role_id,
        })
        .collect())
}

/// Records the payment references Stripe gave.
pub async fn set_payment(
    conn: &mut SqliteConnection,
    id: &str,
    pi: Option<&str>,
    sub: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE checkouts SET payment_intent = COALESCE(?, payment_intent), subscription_id = COALESCE(?, subscription_id) WHERE id = ?")
        .bind(pi)
        .bind(sub)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A paid checkout keeps what it reserved for good (stock and code are no longer released).
pub async fn keep(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<()> {
    sqlx::query!("UPDATE checkouts SET reserved = 0 WHERE id = ?", id).execute(conn).await?;
    Ok(())
}

/// Releases what a checkout holds (stock, promo code) once; true when this call released it.
pub async fn release(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE checkouts SET reserved = 0 WHERE id = ? AND reserved = 1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let kind: String =
        sqlx::query_scalar("SELECT kind FROM checkouts WHERE id = ?").bind(id).fetch_one(&mut *conn).await?;
    for line in lines(&mut *conn, id).await? {
        match kind.as_str() {
            // A preorder holds a slot of the preorder, not stock; a balance holds nothing.
            "preorder" => crate::engagement::preorders::store::give_back(&mut *conn, &line.product_id).await?,
            // A gift holds nothing: roles are not stock.
            "balance" | "gift" => {}
            _ => crate::store::catalog::give_back_stock(&mut *conn, &line.product_id, line.quantity).await?,
        }
    }
    let redeemed = sqlx::query("DELETE FROM promo_redemptions WHERE checkout_id = ? RETURNING promo_id")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    for row in redeemed {
        let promo: String = row.try_get(0)?;
        sqlx::query("UPDATE promos SET redemptions = redemptions - 1 WHERE id = ? AND redemptions > 0")
            .bind(promo)
            .execute(&mut *conn)
            .await?;
    }
    Ok(true)
}

/// Takes a promo code redemption for a member: false when the member already used it or the
/// promotion reached its maximum. Conditional updates: never exceeded under concurrency.
pub async fn redeem(conn: &mut SqliteConnection, promo: &str, buyer: &str, checkout: &str) -> anyhow::Result<Redeem> {
    let used = sqlx::query(
        "INSERT INTO promo_redemptions (promo_id, buyer, checkout_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(promo)
    .bind(buyer)
    .bind(checkout)
    .execute(&mut *conn)
    .await?;
    if used.rows_affected() == 0 {
        return Ok(Redeem::AlreadyUsed);
    }
    let counted = sqlx::query(
        "UPDATE promos SET redemptions = redemptions + 1 WHERE id = ? AND (max_redemptions IS NULL OR redemptions < max_redemptions)",
    )
    .bind(promo)
    .execute(&mut *conn)
    .await?;
    Ok(if counted.rows_affected() == 1 { Redeem::Taken } else { Redeem::SoldOut })
}

/// The outcome of [`redeem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeem {
    /// Counted.
    Taken,
    /// The member used this code before.
    AlreadyUsed,
    /// No redemption left.
    SoldOut,
}

/// A shipping address, as the buyer gave it on the payment page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShippingAddress {
    /// Recipient.
    pub name: String,
    /// Street line.
    pub line1: Option<String>,
    /// Apartment, building.
    pub line2: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Two-letter country code.
    pub country: String,
}

/// Stores where a checkout ships, `to_ship`; false when it was stored before (nothing changes).
pub async fn save_shipping(
    conn: &mut SqliteConnection,
    checkout_id: &str,
    buyer: &str,
    a: &ShippingAddress,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO shipments (checkout_id, buyer, name, line1, line2, postal_code, city, state, country, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (checkout_id) DO NOTHING",
    )
    .bind(checkout_id)
    .bind(buyer)
    .bind(&a.name)
    .bind(&a.line1)
    .bind(&a.line2)
    .bind(&a.postal_code)
    .bind(&a.city)
    .bind(&a.state)
    .bind(&a.country)
    .bind(Utc::now())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Where a checkout ships, if it does.
pub async fn shipping(conn: &mut SqliteConnection, checkout_id: &str) -> anyhow::Result<Option<ShippingAddress>> {
    let row: Option<ShippingRow> = sqlx::query_as(
        "SELECT name, line1, line2, postal_code, city, state, country FROM shipments WHERE checkout_id = ?",
    )
    .bind(checkout_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(name, line1, line2, postal_code, city, state, country)| ShippingAddress {
        name,
        line1,
        line2,
        postal_code,
        city,
        state,
        country,
    }))
}

type ShippingRow = (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, String);
