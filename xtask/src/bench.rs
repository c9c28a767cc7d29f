//! `cargo xtask bench`: builds the measuring binary optimised and runs it. Figures are ratios against a baseline
//! taken in the same run (machines are shared and noisy); the table also lands in `target/bench.md`. The
//! widget's size per page follows, against its budget (DESIGN.md §8), and is appended to the same file.

use std::fs::OpenOptions;
use std::io::Write as _;

use crate::util::{self, Result, cargo};
use crate::widget;

pub fn run() -> Result {
    // The edge rows run the real Worker, which serves the widget.
    crate::install::run()?;
    widget::build()?;
    crate::edge::build()?;
    util::run(cargo().args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "legit-tests",
        "--bin",
        "bench",
    ]))?;
    widget_rows()
}

/// One row per widget page: what it loads (wasm + JS + CSS), gzip, as a ratio of the budget.
fn widget_rows() -> Result {
    let totals = widget::gzip_totals().ok_or("the widget is not built")?;
    let mut rows = String::from(
        "\n| widget page | wasm + JS + CSS, gzip | of the 100 KB budget |\n|---|---|---|\n",
    );
    for (mode, gzip) in totals {
        rows.push_str(&format!(
            "| {mode} | {:.1} KB | {:.2} |\n",
            gzip as f64 / 1000.0,
            gzip as f64 / widget::BUDGET_GZIP as f64
        ));
    }
    print!("{rows}");
    let path = util::project_root()
        .join(util::target_dir())
        .join("bench.md");
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(rows.as_bytes()))
        .map_err(|e| format!("cannot append to {}: {e}", path.display()))
}
