//! Benchmarks that print numbers, on throwaway brokers loading the project's generated config.
//!
//! `cargo run --release -p bench` runs every scenario; `-- --quick` a short run; scenario names
//! (`control`, `fanout`, `fleet`, `clicks`, `drop`, `replay`, `checkout`, `giveaway`, `rss`) run
//! those. A table goes to stdout and JSON to `target/bench/latest.json`.
//!
//! Shops measured for memory and CPU run in their own process: this binary started again with
//! [`process::SHOP_ARG`], which runs the `maxis` main (nothing is compiled during a run).

mod checkout;
mod control;
mod drop;
mod fanout;
mod fleet;
mod giveaway;
mod process;
mod raw;
mod replay;
mod rss;
mod stats;
mod storm;

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
    /// Its ratio to the raw engine's figure, when there is one.
    pub ratio: Option<f64>,
    /// The target, when the project set one, and whether it is met.
    pub target: Option<(String, bool)>,
}

impl Figure {
    /// A figure without ratio or target.
    pub fn new(scenario: &'static str, metric: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Self { scenario, metric: metric.into(), value, unit, ratio: None, target: None }
    }

    /// With its ratio to the raw engine.
    pub fn ratio(mut self, ratio: f64) -> Self {
        self.ratio = Some(ratio);
        self
    }

    /// With a target and whether it is met.
    pub fn target(mut self, target: &str, met: bool) -> Self {
        self.target = Some((target.to_owned(), met));
        self
    }
}

fn main() -> std::process::ExitCode {
    if std::env::args().nth(1).as_deref() == Some(process::SHOP_ARG) {
        return process::shop_main();
    }
    broker::connect::run_main(bench())
}

async fn bench() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| *o == name);
    let started = Instant::now();
    let load_before = load_average();
    let mut figures = Vec::new();
    // Each scenario in turn, timed (stderr), its figures appended.
    macro_rules! scenario {
        ($($name:literal => $module:ident),+) => {$(
            if wanted($name) {
                let t = Instant::now();
                figures.extend($module::run(quick).await?);
                eprintln!("{}: {:.1} s", $name, t.elapsed().as_secs_f64());
            }
        )+};
    }
    scenario!("control" => control, "fanout" => fanout, "fleet" => fleet, "clicks" => storm, "drop" => drop,
              "replay" => replay, "checkout" => checkout, "giveaway" => giveaway, "rss" => rss);
    print_table(&figures);
    let machine = json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "os": std::env::consts::OS,
        "nats_server": nats_server_version(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    });
    println!("\nmachine: {machine}");
    write_json(&figures, started.elapsed().as_secs_f64(), machine)?;
    Ok(())
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`): other work on the machine skews figures.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn nats_server_version() -> String {
    testkit::nats_server_bin()
        .ok()
        .and_then(|bin| std::process::Command::new(bin).arg("--version").output().ok())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn print_table(figures: &[Figure]) {
    println!("{:<10} {:<48} {:>12} {:<5} {:>7}  target", "scenario", "metric", "value", "unit", "ratio");
    for f in figures {
        let target =
            f.target.as_ref().map_or(String::new(), |(t, ok)| format!("{t}: {}", if *ok { "pass" } else { "MISS" }));
        let ratio = f.ratio.map_or(String::new(), |r| format!("{r:.2}x"));
        println!("{:<10} {:<48} {:>12.1} {:<5} {ratio:>7}  {target}", f.scenario, f.metric, f.value, f.unit);
    }
}

fn write_json(figures: &[Figure], seconds: f64, machine: Value) -> anyhow::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&dir)?;
    let rows: Vec<Value> = figures
        .iter()
        .map(|f| {
            json!({"scenario": f.scenario, "metric": f.metric, "value": f.value, "unit": f.unit, "ratio": f.ratio,
                   "target": f.target.as_ref().map(|t| &t.0), "met": f.target.as_ref().map(|t| t.1)})
        })
        .collect();
    let doc = json!({"figures": rows, "seconds": seconds, "machine": machine});
    std::fs::write(dir.join("latest.json"), serde_json::to_string_pretty(&doc)?)?;
    println!("\nwritten to target/bench/latest.json ({seconds:.1} s)");
    Ok(())
}
