//! `shellia eval` as an admin runs it: the binary on the dev corpus, no broker needed.

use std::process::Command;

#[test]
fn shellia_eval_scores_the_dev_corpus_by_category_above_the_thresholds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_shellia"))
        .args(["eval", "eval/dev.jsonl", "--fleet", "eval/fleet.toml"])
        .current_dir(root)
        .env_remove("SHELLIA_CONFIG")
        .output()
        .expect("shellia runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for category in ["promo", "code", "giveaway", "config", "ops", "analytics", "report", "announce", "status", "other"]
    {
        assert!(stdout.lines().any(|l| l.starts_with(category)), "no line for {category}:\n{stdout}");
    }
    assert!(stdout.contains("exact plans: ") && stdout.contains("refusals/ask-backs: 100.0%"), "{stdout}");
}
