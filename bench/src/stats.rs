//! Latency and throughput measurement shared by the scenarios.

use std::future::Future;
use std::time::Instant;

use futures::StreamExt;

/// The value at quantile `p` (0..=1) of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Latency quantiles, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
}

impl Latency {
    /// Quantiles of unsorted samples in microseconds.
    pub fn of(mut samples: Vec<f64>) -> Self {
        samples.sort_by(|a, b| a.total_cmp(b));
        Self { p50_us: percentile(&samples, 0.5), p99_us: percentile(&samples, 0.99) }
    }
}

/// Runs `one(i)` for `i` in `range` one after another and returns the latency quantiles.
pub async fn sequential<F, Fut>(range: std::ops::Range<usize>, one: F) -> anyhow::Result<Latency>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut samples = Vec::with_capacity(range.len());
    for i in range {
        let t = Instant::now();
        one(i).await?;
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    Ok(Latency::of(samples))
}

/// Runs `one(i)` for `i` in `range` with `width` in flight and returns the completions per second.
pub async fn in_flight<F, Fut>(range: std::ops::Range<usize>, width: usize, one: F) -> anyhow::Result<f64>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let count = range.len();
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> =
        futures::stream::iter(range).map(one).buffer_unordered(width).collect().await;
    results.into_iter().collect::<anyhow::Result<()>>()?;
    Ok(count as f64 / started.elapsed().as_secs_f64())
}
