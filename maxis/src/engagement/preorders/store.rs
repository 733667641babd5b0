//! Preorders and members' preorders.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use subjects::results::PreorderInfo;

/// A `preorders` row as [`select_preorders!`] reads it.
struct PreorderRow {
    product_id: String,
    release_at: DateTime<Utc>,
    cap: i64,
    taken: i64,
    deposit_percent: i64,
    status: String,
}

impl From<PreorderRow> for PreorderInfo {
    fn from(r: PreorderRow) -> Self {
        PreorderInfo {
            product: r.product_id,
            release_at: r.release_at,
            cap: r.cap as u32,
            taken: r.taken as u32,
            deposit_percent: r.deposit_percent as u8,
            status: r.status,
        }
    }
}

/// A checked query of [`PreorderRow`]s: the `WHERE`/`ORDER BY` tail, then its arguments.
macro_rules! select_preorders {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            PreorderRow,
            r#"SELECT product_id, release_at AS "release_at: DateTime<Utc>", cap, taken, deposit_percent, status
               FROM preorders "# + $rest
            $(, $arg)*
        )
    };
}

/// Opens (or reopens with new terms) preorders of a product.
pub async fn open(
    conn: &mut SqliteConnection,
    product: &str,
    release_at: DateTime<Utc>,
    cap: u32,
    deposit_percent: u8,
) -> anyhow::Result<()> {
    let (cap, deposit_percent, now) = (i64::from(cap), i64::from(deposit_percent), Utc::now());
    sqlx::query!(
        "INSERT INTO preorders (product_id, release_at, cap, deposit_percent, status, created_at) VALUES (?, ?, ?, ?, 'open', ?)
         ON CONFLICT (product_id) DO UPDATE SET release_at = excluded.release_at, cap = excluded.cap,
           deposit_percent = excluded.deposit_percent, status = 'open' WHERE preorders.status != 'released'",
        product,
        release_at,
        cap,
        deposit_percent,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One preorder.
pub async fn get(conn: &mut SqliteConnection, product: &str) -> anyhow::Result<Option<PreorderInfo>> {
    Ok(select_preorders!("WHERE product_id = ?", product).fetch_optional(conn).await?.map(PreorderInfo::from))
}

/// Every preorder.
pub async fn list(conn: &mut SqliteConnection) -> anyhow::Result<Vec<PreorderInfo>> {
    Ok(select_preorders!("ORDER BY release_at").fetch_all(conn).await?.into_iter().map(PreorderInfo::from).collect())
}

/// Preorders whose release time has passed and that are not released yet.
pub async fn due(conn: &mut SqliteConnection, now: DateTime<Utc>) -> anyhow::Result<Vec<PreorderInfo>> {
    let rows = select_preorders!("WHERE status != 'released' AND release_at <= ?", now).fetch_all(conn).await?;
    Ok(rows.into_iter().map(PreorderInfo::from).collect())
}

/// The next release time.
pub async fn next_release(conn: &mut SqliteConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT MIN(release_at) AS "at: DateTime<Utc>" FROM preorders WHERE status != 'released'"#
    )
    .fetch_one(conn)
    .await?)
}

/// Sets the status; true when this call changed it from one of `from`.
pub async fn set_status(conn: &mut SqliteConnection, product: &str, from: &[&str], to: &str) -> anyhow::Result<bool> {
    let Some(p) = get(&mut *conn, product).await? else { return Ok(false) };
    if !from.contains(&p.status.as_str()) {
        return Ok(false);
    }
    sqlx::query!("UPDATE preorders SET status = ? WHERE product_id = ? AND status = ?", to, product, p.status)
        .execute(conn)
        .await?;
    Ok(true)
}

/// Takes one preorder slot if the preorder is open and below its cap.
pub async fn take(conn: &mut SqliteConnection, product: &str) -> anyhow::Result<bool> {
    let done = sqlx::query!(
        "UPDATE preorders SET taken = taken + 1 WHERE product_id = ? AND status = 'open' AND taken < cap",
        product
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a slot back.
pub async fn give_back(conn: &mut SqliteConnection, product: &str) -> anyhow::Result<()> {
    sqlx::query!("UPDATE preorders SET taken = taken - 1 WHERE product_id = ? AND taken > 0", product)
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

/// A checked query of [`PreorderOrder`]s: the `WHERE`/`ORDER BY` tail, then its arguments.
macro_rules! select_orders {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            PreorderOrder,
            "SELECT checkout_id, buyer, product_id, deposit, balance, currency, status, balance_checkout_id
             FROM preorder_orders " + $rest
            $(, $arg)*
        )
    };
}

/// Records a member's preorder (pending payment); false when they already have one.
pub async fn add_order(conn: &mut SqliteConnection, o: &PreorderOrder) -> anyhow::Result<bool> {
    let now = Utc::now();
    let done = sqlx::query!(
        "INSERT INTO preorder_orders (checkout_id, buyer, product_id, deposit, balance, currency, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
        o.checkout_id,
        o.buyer,
        o.product_id,
        o.deposit,
        o.balance,
        o.currency,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The preorder paid by a deposit or balance checkout.
pub async fn order_of_checkout(conn: &mut SqliteConnection, checkout: &str) -> anyhow::Result<Option<PreorderOrder>> {
    Ok(select_orders!("WHERE checkout_id = ? OR balance_checkout_id = ?", checkout, checkout)
        .fetch_optional(conn)
        .await?)
}

/// A member's live preorder of a product.
pub async fn order_of(
    conn: &mut SqliteConnection,
    buyer: &str,
    product: &str,
) -> anyhow::Result<Option<PreorderOrder>> {
    Ok(select_orders!("WHERE buyer = ? AND product_id = ? AND status != 'cancelled'", buyer, product)
        .fetch_optional(conn)
        .await?)
}

/// Preorders of a product in a status.
pub async fn orders_in(
    conn: &mut SqliteConnection,
    product: Option<&str>,
    status: &str,
) -> anyhow::Result<Vec<PreorderOrder>> {
    Ok(select_orders!(
        "WHERE status = ? AND (? IS NULL OR product_id = ?) ORDER BY created_at",
        status,
        product,
        product
    )
    .fetch_all(conn)
    .await?)
}

/// Moves a member's preorder between states; true when this call changed it.
pub async fn set_order_status(
    conn: &mut SqliteConnection,
    checkout: &str,
    from: &str,
    to: &str,
) -> anyhow::Result<bool> {
    let done =
        sqlx::query!("UPDATE preorder_orders SET status = ? WHERE checkout_id = ? AND status = ?", to, checkout, from)
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
    sqlx::query!(
        "UPDATE preorder_orders SET balance_checkout_id = ? WHERE checkout_id = ?",
        balance_checkout,
        checkout
    )
    .execute(conn)
    .await?;
    Ok(())
}
