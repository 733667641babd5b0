//! Preorders and members' preorders.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use subjects::results::PreorderInfo;

fn info(r: &sqlx::sqlite::SqliteRow) -> anyhow::Result<PreorderInfo> {
    Ok(PreorderInfo {
        product: r.try_get("product_id")?,
        release_at: r.try_get("release_at")?,
        cap: r.try_get::<i64, _>("cap")? as u32,
        taken: r.try_get::<i64, _>("taken")? as u32,
        deposit_percent: r.try_get::<i64, _>("deposit_percent")? as u8,
        status: r.try_get("status")?,
    })
}

/// Opens (or reopens with new terms) preorders of a product.
pub async fn open(
    conn: &mut SqliteConnection,
    product: &str,
    release_at: DateTime<Utc>,
    cap: u32,
    deposit_percent: u8,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO preorders (product_id, release_at, cap, deposit_percent, status, created_at) VALUES (?, ?, ?, ?, 'open', ?)
         ON CONFLICT (product_id) DO UPDATE SET release_at = excluded.release_at, cap = excluded.cap,
           deposit_percent = excluded.deposit_percent, status = 'open' WHERE preorders.status != 'released'",
    )
    .bind(product)
    .bind(release_at)
    .bind(i64::from(cap))
    .bind(i64::from(deposit_percent))
    .bind(Utc::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// One preorder.
pub async fn get(conn: &mut SqliteConnection, product: &str) -> anyhow::Result<Option<PreorderInfo>> {
    sqlx::query("SELECT * FROM preorders WHERE product_id = ?")
        .bind(product)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(info)
        .transpose()
}

/// Every preorder.
pub async fn list(conn: &mut SqliteConnection) -> anyhow::Result<Vec<PreorderInfo>> {
    sqlx::query("SELECT * FROM preorders ORDER BY release_at").fetch_all(conn).await?.iter().map(info).collect()
}

/// Preorders whose release time has passed and that are not released yet.
pub async fn due(conn: &mut SqliteConnection, now: DateTime<Utc>) -> anyhow::Result<Vec<PreorderInfo>> {
    sqlx::query("SELECT * FROM preorders WHERE status != 'released' AND release_at <= ?")
        .bind(now)
        .fetch_all(conn)
        .await?
        .iter()
        .map(info)
        .collect()
}

/// The next release time.
pub async fn next_release(conn: &mut SqliteConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar("SELECT MIN(release_at) FROM preorders WHERE status != 'released'").fetch_one(conn).await?)
}

/// Sets the status; true when this call changed it from one of `from`.
pub async fn set_status(conn: &mut SqliteConnection, product: &str, from: &[&str], to: &str) -> anyhow::Result<bool> {
    let Some(p) = get(&mut *conn, product).await? else { return Ok(false) };
    if !from.contains(&p.status.as_str()) {
        return Ok(false);
    }
    sqlx::query("UPDATE preorders SET status = ? WHERE product_id = ? AND status = ?")
        .bind(to)
        .bind(product)
        .bind(&p.status)
        .execute(conn)
        .await?;
    Ok(true)
}

/// Takes one preorder slot if the preorder is open and below its cap.
pub async fn take(conn: &mut SqliteConnection, product: &str) -> anyhow::Result<bool> {
    let done =
        sqlx::query("UPDATE preorders SET taken = taken + 1 WHERE product_id = ? AND status = 'open' AND taken < cap")
            .bind(product)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a slot back.
pub async fn give_back(conn: &mut SqliteConnection, product: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE preorders SET taken = taken - 1 WHERE product_id = ? AND taken > 0")
        .bind(product)
        .execute(conn)
        .await?;
    Ok(())
}

/// A member's preorder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreorderOrder {
    /// The deposit checkout.
    pub checkout_id: String,
    /// Member.
    pub buyer: String,
    /// Product.
    pub product_id: String,
    /// Paid at order, minor units.
    pub deposit: i64,
    /// Due at release.
    pub balance: i64,
    /// Currency.
    pub currency: String,
    /// pending | paid | balance_due | complete | cancelled.
    pub status: String,
    /// The balance checkout, once created.
    pub balance_checkout_id: Option<String>,
}

fn order(r: &sqlx::sqlite::SqliteRow) -> anyhow::Result<PreorderOrder> {
    Ok(PreorderOrder {
        checkout_id: r.try_get("checkout_id")?,
        buyer: r.try_get("buyer")?,
        product_id: r.try_get("product_id")?,
        deposit: r.try_get("deposit")?,
        balance: r.try_get("balance")?,
        currency: r.try_get("currency")?,
        status: r.try_get("status")?,
        balance_checkout_id: r.try_get("balance_checkout_id")?,
    })
}

/// Records a member's preorder (pending payment); false when they already have one.
pub async fn add_order(conn: &mut SqliteConnection, o: &PreorderOrder) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO preorder_orders (checkout_id, buyer, product_id, deposit, balance, currency, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
    )
    .bind(&o.checkout_id)
    .bind(&o.buyer)
    .bind(&o.product_id)
    .bind(o.deposit)
    .bind(o.balance)
    .bind(&o.currency)
    .bind(Utc::now())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The preorder paid by a deposit or balance checkout.
pub async fn order_of_checkout(conn: &mut SqliteConnection, checkout: &str) -> anyhow::Result<Option<PreorderOrder>> {
    sqlx::query("SELECT * FROM preorder_orders WHERE checkout_id = ? OR balance_checkout_id = ?")
        .bind(checkout)
        .bind(checkout)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(order)
        .transpose()
}

/// A member's live preorder of a product.
pub async fn order_of(
    conn: &mut SqliteConnection,
    buyer: &str,
    product: &str,
) -> anyhow::Result<Option<PreorderOrder>> {
    sqlx::query("SELECT * FROM preorder_orders WHERE buyer = ? AND product_id = ? AND status != 'cancelled'")
        .bind(buyer)
        .bind(product)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(order)
        .transpose()
}

/// Preorders of a product in a status.
pub async fn orders_in(
    conn: &mut SqliteConnection,
    product: Option<&str>,
    status: &str,
) -> anyhow::Result<Vec<PreorderOrder>> {
    sqlx::query("SELECT * FROM preorder_orders WHERE status = ? AND (? IS NULL OR product_id = ?) ORDER BY created_at")
        .bind(status)
        .bind(product)
        .bind(product)
        .fetch_all(conn)
        .await?
        .iter()
        .map(order)
        .collect()
}

/// Moves a member's preorder between states; true when this call changed it.
pub async fn set_order_status(
    conn: &mut SqliteConnection,
    checkout: &str,
    from: &str,
    to: &str,
) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE preorder_orders SET status = ? WHERE checkout_id = ? AND status = ?")
        .bind(to)
        .bind(checkout)
        .bind(from)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the balance checkout of a preorder.
pub async fn set_balance_checkout(
    conn: &mut SqliteConnection,
    checkout: &str,
    balance_checkout: &str,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE preorder_orders SET balance_checkout_id = ? WHERE checkout_id = ?")
        .bind(balance_checkout)
        .bind(checkout)
        .execute(conn)
        .await?;
    Ok(())
}
