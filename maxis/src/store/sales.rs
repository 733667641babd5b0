//! Sales and checkouts, as analytics read them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use subjects::results::{AnalyticsDay, AnalyticsResult, Revenue, TopProduct};

/// A paid sale to record (commerce calls this when a payment completes).
#[derive(Debug, Clone)]
pub struct NewSale<'a> {
    /// Unique id (e.g. the Stripe line item id).
    pub id: &'a str,
    /// The checkout it belongs to.
    pub checkout_id: Option<&'a str>,
    /// Product sold.
    pub product_id: &'a str,
    /// Buyer (Discord user id).
    pub buyer: &'a str,
    /// Amount paid, minor units.
    pub amount: i64,
    /// Currency.
    pub currency: &'a str,
    /// When.
    pub at: DateTime<Utc>,
}

/// Records a paid sale; recording the same id again changes nothing.
pub async fn record_sale(conn: &mut SqliteConnection, s: &NewSale<'_>) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO sales (id, checkout_id, product_id, buyer, amount, currency, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'paid', ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(s.id)
    .bind(s.checkout_id)
    .bind(s.product_id)
    .bind(s.buyer)
    .bind(s.amount)
    .bind(s.currency)
    .bind(s.at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a sale refunded in full (a full refund, a dispute).
pub async fn refund(conn: &mut SqliteConnection, id: &str, at: DateTime<Utc>) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE sales SET status = 'refunded', refunded_amount = amount, refunded_at = ? WHERE id = ? AND status = 'paid'",
    )
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that `cumulative` minor units of the payment of `checkout_id` have been refunded so
/// far (Stripe's `charge.amount_refunded`), spread over the checkout's sales in line order, each
/// up to its amount. Idempotent and order-proof: a sale's refunded amount only grows, so the same
/// or an older event changes nothing. A sale refunded in full becomes `refunded`. Returns the
/// minor units newly counted as refunded.
///
/// The checkout's own sales are its lines (`<checkout>:<product>`); a subscription renewal is a
/// sale of its own, see [`record_refunded_sale`].
pub async fn record_refunded(conn: &mut SqliteConnection, checkout_id: &str, cumulative: i64) -> anyhow::Result<i64> {
    let sales: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, amount FROM sales WHERE checkout_id = ? AND id = checkout_id || ':' || product_id ORDER BY id",
    )
    .bind(checkout_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut left = cumulative.max(0);
    let mut added = 0;
    for (id, amount) in sales {
        let share = left.min(amount);
        left -= share;
        added += record_refunded_sale(&mut *conn, &id, share).await?;
    }
    Ok(added)
}

/// Records that `cumulative` minor units of sale `id` have been refunded so far (see
/// [`record_refunded`]); returns the minor units newly counted.
pub async fn record_refunded_sale(conn: &mut SqliteConnection, id: &str, cumulative: i64) -> anyhow::Result<i64> {
    let before: Option<i64> = sqlx::query_scalar("SELECT refunded_amount FROM sales WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(before) = before else { return Ok(0) };
    let done = sqlx::query(
        "UPDATE sales SET refunded_amount = MIN(amount, ?),
           status = CASE WHEN ? >= amount THEN 'refunded' ELSE status END,
           refunded_at = COALESCE(refunded_at, ?)
         WHERE id = ? AND refunded_amount < MIN(amount, ?)",
    )
    .bind(cumulative)
    .bind(cumulative)
    .bind(Utc::now())
    .bind(id)
    .bind(cumulative)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(0);
    }
    Ok(cumulative.max(before) - before)
}

/// Records a started checkout.
pub async fn record_checkout(
    conn: &mut SqliteConnection,
    id: &str,
    buyer: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO checkouts (id, buyer, status, created_at) VALUES (?, ?, 'open', ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(buyer)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Checkouts not yet paid, expired or cancelled.
pub async fn open_checkouts(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkouts WHERE status = 'open'").fetch_one(conn).await?;
    Ok(n as u64)
}

/// Products in the catalog.
pub async fn product_count(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products").fetch_one(conn).await?;
    Ok(n as u64)
}

fn revenue(map: BTreeMap<String, i64>) -> Vec<Revenue> {
    map.into_iter().map(|(currency, amount)| Revenue { currency, amount }).collect()
}

/// Gross, refunded and net amounts by currency.
#[derive(Default)]
struct Amounts {
    gross: BTreeMap<String, i64>,
    refunded: BTreeMap<String, i64>,
}

impl Amounts {
    fn add(&mut self, currency: &str, amount: i64, refunded: i64) {
        *self.gross.entry(currency.to_owned()).or_default() += amount;
        *self.refunded.entry(currency.to_owned()).or_default() += refunded;
    }

    fn net(&self) -> Vec<Revenue> {
        revenue(self.gross.iter().map(|(c, g)| (c.clone(), g - self.refunded.get(c).copied().unwrap_or(0))).collect())
    }
}

/// The analytics of `[from, to)` by the sales made in it: gross (everything paid), refunded
/// (full and partial refunds of those sales) and net revenue (`revenue` = gross − refunded);
/// `sales` counts the sales not refunded in full, `refunds` those refunded in full or in part.
pub async fn analytics(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<AnalyticsResult> {
    let rows = sqlx::query(
        "SELECT product_id, amount, currency, status, refunded_amount FROM sales WHERE created_at >= ? AND created_at < ?",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let (mut sales, mut refunds) = (0u64, 0u64);
    let mut total = Amounts::default();
    let mut products: BTreeMap<String, (u64, Amounts)> = BTreeMap::new();
    for row in rows {
        let (product, amount, currency, status): (String, i64, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
        let refunded = if status == "refunded" { amount } else { row.try_get::<i64, _>(4)?.clamp(0, amount) };
        if refunded > 0 {
            refunds += 1;
        }
        total.add(&currency, amount, refunded);
        if refunded >= amount && amount > 0 {
            continue;
        }
        sales += 1;
        let line = products.entry(product).or_default();
        line.0 += 1;
        line.1.add(&currency, amount, refunded);
    }
    let checkouts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkouts WHERE created_at >= ? AND created_at < ?")
        .bind(from)
        .bind(to)
        .fetch_one(conn)
        .await?;
    let mut top: Vec<TopProduct> = products
        .into_iter()
        .map(|(product, (sales, amounts))| TopProduct {
            product,
            sales,
            revenue: amounts.net(),
            gross: revenue(amounts.gross),
        })
        .collect();
    top.sort_by(|a, b| b.sales.cmp(&a.sales).then_with(|| a.product.cmp(&b.product)));
    top.truncate(5);
    let checkouts = checkouts as u64;
    let conversion = if checkouts == 0 { 0.0 } else { (sales as f64 / checkouts as f64 * 1000.0).round() / 1000.0 };
    Ok(AnalyticsResult {
        from,
        to,
        revenue: total.net(),
        gross: revenue(total.gross.clone()),
        refunded: revenue(total.refunded.into_iter().filter(|(_, a)| *a != 0).collect()),
        sales,
        refunds,
        checkouts,
        conversion,
        top_products: top,
        memberships: None,
    })
}

/// Sales and net revenue (partial refunds deducted) per UTC day of `[from, to)`, days without
/// sales included.
pub async fn per_day(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<AnalyticsDay>> {
    let rows = sqlx::query(
        "SELECT substr(created_at, 1, 10) AS day, currency, COUNT(*), SUM(amount - MIN(refunded_amount, amount)) FROM sales
         WHERE status = 'paid' AND created_at >= ? AND created_at < ? GROUP BY day, currency",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    let mut days: BTreeMap<String, (u64, BTreeMap<String, i64>)> = BTreeMap::new();
    let mut day = from.date_naive();
    while day <= to.date_naive() {
        days.insert(day.format("%Y-%m-%d").to_string(), Default::default());
        day = day.succ_opt().unwrap_or(day);
        if day == chrono::NaiveDate::MAX {
            break;
        }
    }
    for row in rows {
        let (d, currency, count, sum): (String, String, i64, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
        let entry = days.entry(d).or_default();
        entry.0 += count as u64;
        *entry.1.entry(currency).or_default() += sum;
    }
    Ok(days.into_iter().map(|(day, (sales, rev))| AnalyticsDay { day, sales, revenue: revenue(rev) }).collect())
}
