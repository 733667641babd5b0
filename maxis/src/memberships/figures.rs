//! Membership figures for `analytics` and `report`: members and MRR now, and what the period
//! saw (new subscriptions, churn voluntary or failed, trials and conversions, recovered
//! renewals, cancellation reasons).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use subjects::results::{MembershipFigures, PlanMembers, ReasonCount, Revenue};

use super::{store, trial_store};

/// The figures of `[from, to)`.
pub async fn figures(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<MembershipFigures> {
    let live = sqlx::query!(
        r#"SELECT s.member, s.product_id, s.amount, s.currency, s.state, p.interval
           FROM entitlement_sources s LEFT JOIN products p ON p.id = s.product_id
           WHERE s.kind = 'subscription' AND s.active = 1"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut members: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut mrr: BTreeMap<String, i64> = BTreeMap::new();
    for s in &live {
        let product = s.product_id.clone().unwrap_or_default();
        members.entry(product).or_default().insert(s.member.clone());
        if s.state != "trialing" {
            let monthly = if s.interval.as_deref() == Some("year") { s.amount / 12 } else { s.amount };
            *mrr.entry(s.currency.clone()).or_default() += monthly;
        }
    }
    // A subscription is new when its first source is: a plan switch adds a source, not a member.
    let new = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM
             (SELECT MIN(created_at) AS first FROM entitlement_sources
              WHERE kind = 'subscription' AND subscription_id IS NOT NULL GROUP BY subscription_id)
           WHERE first >= ? AND first < ?"#,
        from,
        to
    )
    .fetch_one(&mut *conn)
    .await?;
    let voluntary = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM subscriptions s
           WHERE s.status = 'canceled' AND s.updated_at >= ? AND s.updated_at < ?
             AND EXISTS (SELECT 1 FROM cancellations c WHERE c.subscription_id = s.id AND c.resumed_at IS NULL)"#,
        from,
        to
    )
    .fetch_one(&mut *conn)
    .await?;
    let failed = sqlx::query_scalar!(
        r#"SELECT COUNT(DISTINCT subscription_id) AS "n!: i64" FROM dunning
           WHERE outcome = 'lost' AND closed_at >= ? AND closed_at < ?"#,
        from,
        to
    )
    .fetch_one(&mut *conn)
    .await?;
    let recovered = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM dunning WHERE outcome = 'recovered' AND closed_at >= ? AND closed_at < ?"#,
        from,
        to
    )
    .fetch_one(&mut *conn)
    .await?;
    let (trials_started, trials_converted) = trial_store::counts_between(conn, from, to).await?;
    let reasons = store::cancellation_reasons(conn, from, to).await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(MembershipFigures {
        active: members.into_iter().map(|(product, m)| PlanMembers { product, members: m.len() as u64 }).collect(),
        mrr: mrr.into_iter().map(|(currency, amount)| Revenue { currency, amount }).collect(),
        new: count(new),
        churned_voluntary: count(voluntary),
        churned_failed: count(failed),
        trials_started: count(trials_started),
        trials_converted: count(trials_converted),
        recovered: count(recovered),
        cancel_reasons: reasons.into_iter().map(|(reason, n)| ReasonCount { reason, count: count(n) }).collect(),
    })
}
