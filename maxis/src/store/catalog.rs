//! The `products` table and carts.

use chrono::Utc;
use sqlx::{Row, SqliteConnection};

use crate::domain::catalog::{Interval, Product, ProductKind};

fn interval_str(i: Option<Interval>) -> Option<&'static str> {
    i.map(|i| match i {
        Interval::Month => "month",
        Interval::Year => "year",
    })
}

fn from_row(r: &sqlx::sqlite::SqliteRow) -> anyhow::Result<Product> {
    let kind: String = r.try_get("kind")?;
    let interval: Option<String> = r.try_get("interval")?;
    Ok(Product {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        kind: ProductKind::parse(&kind).ok_or_else(|| anyhow::anyhow!("unknown product kind {kind:?}"))?,
        price: r.try_get("price")?,
        currency: r.try_get("currency")?,
        role_id: r.try_get("role_id")?,
        stock: r.try_get("stock")?,
        per_user_limit: r.try_get("per_user_limit")?,
        interval: match interval.as_deref() {
            Some("month") => Some(Interval::Month),
            Some("year") => Some(Interval::Year),
            _ => None,
        },
        trial_days: r.try_get::<Option<i64>, _>("trial_days")?.and_then(|d| u32::try_from(d).ok()),
        visible: r.try_get("visible")?,
    })
}

/// The products columns, with `price` the price in effect: the owner's `config price.<id>` when
/// set, else the catalog's; and `trial_days` likewise from `config trial.<id>` (0: no trial). `config` stores that setting in its canonical form, always two
/// decimals (`29.99`, `30.00`), so dropping the dot gives the minor units exactly.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, description, kind, ",
            "COALESCE((SELECT CAST(REPLACE(s.value, '.', '') AS INTEGER) FROM settings s ",
            "WHERE s.key = 'price.' || products.id), price) AS price, ",
            "currency, role_id, stock, per_user_limit, interval, ",
            "NULLIF(COALESCE((SELECT CAST(s.value AS INTEGER) FROM settings s ",
            "WHERE s.key = 'trial.' || products.id), trial_days), 0) AS trial_days, visible ",
            $rest
        )
    };
}

/// Inserts or updates a product from the catalog file. Stock is set only when the product is new
/// or the file's stock changed since the last load, so that reservations are not undone by a
/// restart.
pub async fn upsert(conn: &mut SqliteConnection, p: &Product) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO products (id, name, description, kind, price, currency, role_id, stock, per_user_limit, interval, visible, created_at, trial_days)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, kind = excluded.kind,
           price = excluded.price, currency = excluded.currency, role_id = excluded.role_id,
           per_user_limit = excluded.per_user_limit, interval = excluded.interval, visible = excluded.visible,
           trial_days = excluded.trial_days",
    )
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.kind.as_str())
    .bind(p.price)
    .bind(&p.currency)
    .bind(&p.role_id)
    .bind(p.stock)
    .bind(p.per_user_limit)
    .bind(interval_str(p.interval))
    .bind(p.visible)
    .bind(Utc::now())
    .bind(p.trial_days)
    .execute(&mut *conn)
    .await?;
    // The file's stock is applied once per value: `catalog.stock.<id>` remembers the last one.
    let key = format!("catalog.stock.{}", p.id);
    let last = crate::store::settings::get(&mut *conn, &key).await?;
    let file = p.stock.map_or("unlimited".to_owned(), |s| s.to_string());
    if last.as_deref() != Some(file.as_str()) {
        sqlx::query("UPDATE products SET stock = ? WHERE id = ?").bind(p.stock).bind(&p.id).execute(&mut *conn).await?;
        crate::store::settings::set(&mut *conn, &key, &file).await?;
    }
    Ok(())
}

/// The settings key of a plan's trial days set by `config` (`trial.<id>`).
pub fn trial_key(product: &str) -> String {
    format!("trial.{product}")
}

/// The settings key of a product's price set by `config` (`price.<id>`).
pub fn price_key(product: &str) -> String {
    format!("price.{product}")
}

/// One product.
pub async fn get(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<Option<Product>> {
    sqlx::query(select!("FROM products WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The visible products, by name.
pub async fn visible(conn: &mut SqliteConnection) -> anyhow::Result<Vec<Product>> {
    sqlx::query(select!("FROM products WHERE visible = 1 ORDER BY kind, name"))
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Sets a cart line (quantity 0 removes it).
pub async fn set_cart(conn: &mut SqliteConnection, buyer: &str, product: &str, quantity: i64) -> anyhow::Result<()> {
    if quantity <= 0 {
        sqlx::query("DELETE FROM cart_items WHERE buyer = ? AND product_id = ?")
            .bind(buyer)
            .bind(product)
            .execute(conn)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO cart_items (buyer, product_id, quantity) VALUES (?, ?, ?)
             ON CONFLICT (buyer, product_id) DO UPDATE SET quantity = excluded.quantity",
        )
        .bind(buyer)
        .bind(product)
        .bind(quantity)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// A member's cart: (product, quantity), by product id.
pub async fn cart(conn: &mut SqliteConnection, buyer: &str) -> anyhow::Result<Vec<(Product, i64)>> {
    let rows = sqlx::query("SELECT product_id, quantity FROM cart_items WHERE buyer = ? ORDER BY product_id")
        .bind(buyer)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let id: String = r.try_get(0)?;
        if let Some(p) = get(&mut *conn, &id).await? {
            out.push((p, r.try_get(1)?));
        }
    }
    Ok(out)
}

/// Empties a member's cart.
pub async fn clear_cart(conn: &mut SqliteConnection, buyer: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM cart_items WHERE buyer = ?").bind(buyer).execute(conn).await?;
    Ok(())
}

/// Takes `quantity` units of stock if that many are left; true when taken. Unlimited stock
/// always succeeds. One conditional statement: two buyers can never take the same last unit.
pub async fn take_stock(conn: &mut SqliteConnection, product: &str, quantity: i64) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE products SET stock = stock - ? WHERE id = ? AND (stock IS NULL OR stock >= ?)")
        .bind(quantity)
        .bind(product)
        .bind(quantity)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives units back.
pub async fn give_back_stock(conn: &mut SqliteConnection, product: &str, quantity: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE products SET stock = stock + ? WHERE id = ? AND stock IS NOT NULL")
        .bind(quantity)
        .bind(product)
        .execute(conn)
        .await?;
    Ok(())
}

/// Units of `product` a member holds or has reserved (paid, open or processing checkouts).
pub async fn held_by(conn: &mut SqliteConnection, buyer: &str, product: &str) -> anyhow::Result<i64> {
    let n: Option<i64> = sqlx::query_scalar(
        "SELECT SUM(l.quantity) FROM checkout_lines l JOIN checkouts c ON c.id = l.checkout_id
         WHERE c.buyer = ? AND l.product_id = ? AND c.status IN ('creating', 'open', 'processing', 'paid')",
    )
    .bind(buyer)
    .bind(product)
    .fetch_one(conn)
    .await?;
    Ok(n.unwrap_or(0))
}

/// Every product, hidden ones included.
pub async fn all(conn: &mut SqliteConnection) -> anyhow::Result<Vec<Product>> {
    sqlx::query(select!("FROM products ORDER BY id")).fetch_all(conn).await?.iter().map(from_row).collect()
}

/// Hides a product; false when there is none.
pub async fn hide(conn: &mut SqliteConnection, id: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE products SET visible = 0 WHERE id = ?").bind(id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the units left (`None`: unlimited); false when there is no such product.
pub async fn set_stock(conn: &mut SqliteConnection, id: &str, stock: Option<i64>) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE products SET stock = ? WHERE id = ?").bind(stock).bind(id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}
