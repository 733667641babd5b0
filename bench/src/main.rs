//! Benchmarks that print numbers, on throwaway brokers loading the project's generated config.
//!
//! `cargo run --release -p bench` runs every scenario; `-- --quick` a short run; a scenario name
//! (`checkout`) runs that one. A table goes to stdout and JSON to `target/bench/latest.json`.

mod checkout;
mod control;
mod giveaway;

use std::time::Instant;

use serde_json::{json, Value};

/// One measured figure.
pub struct Figure {
    /// Scenario.
    pub scenario: &'static str,
    /// What is measured.
    pub metric: String,
    /// The value.
    pub value: f64,
    /// Its unit.
    pub unit: &'static str,
    /// The target, when the project set one, and whether it is met.
    pub target: Option<(String, bool)>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| *o == name);
    let started = Instant::now();
    let mut figures = Vec::new();
    if wanted("control") {
        figures.extend(control::run(quick).await?);
    }
    if wanted("checkout") {
        figures.extend(checkout::run(quick).await?);
    }
    if wanted("giveaway") {
        figures.extend(giveaway::run(quick).await?);
    }
    print_table(&figures);
    write_json(&figures, started.elapsed().as_secs_f64())?;
    Ok(())
}

fn print_table(figures: &[Figure]) {
    println!("{:<12} {:<44} {:>14} {:<8} target", "scenario", "metric", "value", "unit");
    for f in figures {
        let target =
            f.target.as_ref().map_or(String::new(), |(t, ok)| format!("{t} {}", if *ok { "met" } else { "MISSED" }));
        println!("{:<12} {:<44} {:>14.1} {:<8} {target}", f.scenario, f.metric, f.value, f.unit);
    }
}

fn write_json(figures: &[Figure], seconds: f64) -> anyhow::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&dir)?;
    let rows: Vec<Value> = figures
        .iter()
        .map(|f| {
            json!({"scenario": f.scenario, "metric": f.metric, "value": f.value, "unit": f.unit,
                   "target": f.target.as_ref().map(|t| &t.0), "met": f.target.as_ref().map(|t| t.1)})
        })
        .collect();
    let machine =
        json!({"cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "os": std::env::consts::OS});
    let doc = json!({"figures": rows, "seconds": seconds, "machine": machine});
    std::fs::write(dir.join("latest.json"), serde_json::to_string_pretty(&doc)?)?;
    println!("\nwritten to target/bench/latest.json ({seconds:.1} s)");
    Ok(())
}
