//! `cargo xtask bench`: builds the measuring binary optimised and runs it. Figures are ratios against a baseline
//! taken in the same run (machines are shared and noisy); the table also lands in `target/bench.md`.

use crate::util::{self, Result, cargo};

pub fn run() -> Result {
    // The edge rows run the real Worker.
    crate::install::run()?;
    crate::edge::build()?;
    util::run(cargo().args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "legit-tests",
        "--bin",
        "bench",
    ]))
}
