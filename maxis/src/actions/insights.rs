//! analytics and report, computed from the stored sales.

use chrono::{DateTime, Utc};
use subjects::params::{AnalyticsParams, Period, ReportParams};
use subjects::results::{AnalyticsResult, ReportResult};

use super::Applied;
use crate::domain::period;
use crate::engagement::giveaways::store as giveaways;
use crate::execute::ExecuteError;
use crate::marketing::store::promos;
use crate::store::{sales, Tx};

async fn first_sale(tx: &mut Tx) -> anyhow::Result<DateTime<Utc>> {
    let first: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT MIN(created_at) FROM sales").fetch_one(&mut **tx).await?;
    Ok(first.unwrap_or_else(Utc::now))
}

async fn range(
    tx: &mut Tx,
    period_: Period,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let now = Utc::now();
    Ok(match from {
        Some(from) => (from, to.unwrap_or(now)),
        None => period::range(period_, now, first_sale(tx).await?),
    })
}

/// Revenue, sales, refunds, conversion and top products of a period.
pub async fn analytics(tx: &mut Tx, p: &AnalyticsParams) -> Result<Applied, ExecuteError> {
    let (from, to) = range(tx, p.period, p.from, p.to).await?;
    Ok(Applied::new(with_memberships(tx, from, to).await?, vec![]))
}

/// The sales analytics of `[from, to)` with the membership figures.
async fn with_memberships(tx: &mut Tx, from: DateTime<Utc>, to: DateTime<Utc>) -> anyhow::Result<AnalyticsResult> {
    let mut result = sales::analytics(tx, from, to).await?;
    result.memberships = Some(crate::memberships::figures::figures(tx, from, to).await?);
    Ok(result)
}

/// The period's report: analytics, the period before, each day, promotions and giveaways.
pub async fn report(tx: &mut Tx, p: &ReportParams) -> Result<Applied, ExecuteError> {
    let (from, to) = range(tx, p.period, None, None).await?;
    let (prev_from, prev_to) = period::previous(from, to);
    let report = ReportResult {
        current: with_memberships(tx, from, to).await?,
        previous: with_memberships(tx, prev_from, prev_to).await?,
        days: sales::per_day(tx, from, to).await?,
        promos: promos::overlapping(tx, from, to).await?,
        giveaways: giveaways::created_between(tx, from, to).await?,
        chart_png: None,
    };
    let report = if p.chart {
        use base64::Engine;
        let png = crate::chart::weekly_png(&report, 800, 600)?;
        ReportResult { chart_png: Some(base64::engine::general_purpose::STANDARD.encode(png)), ..report }
    } else {
        report
    };
    Ok(Applied::new(report, vec![]))
}
