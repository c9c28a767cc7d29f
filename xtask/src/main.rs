//! legit's project automation, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! Shaped like rust-analyzer's xtask: this file is one `match` over the tasks, each task lives in its own
//! module, and the crate needs nothing beyond std. Every task runs from the project root, whatever the current
//! folder, and drives cargo with the same cargo that started it.

mod bench;
mod demo;
mod edge;
mod install;
mod stamp;
mod tenants;
mod test;
mod util;
mod wasm_classes;
mod wasm_code;
mod wasm_names;
mod widget;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  install   Install what the other tasks need, only what is missing: the wasm32 target,
            wasm-bindgen-cli and worker-build (the versions in Cargo.lock, compiled once per
            machine into ~/.cache/legit/tools), Chromium + ChromeDriver and zbar-tools (apt),
            npm packages (edge/local: Miniflare, wasm-opt, esbuild).
  demo      install, build, make the demo certificates, run the BankID simulator and the
            edge Worker in Miniflare until Ctrl-C; prints the URLs.
  edge      Build the edge Worker into edge/build/ (worker-build --release, with the
            tools `install` put in place; nothing is downloaded).
  widget    Build the widget into widget/dist/ (cargo for wasm32, wasm-bindgen, its names shortened,
            wasm-opt -Oz --converge, the static files); prints the sizes, raw and gzip, against the 100 KB budget.
  test      install, then cargo fmt --check, clippy -D warnings (also the widget for wasm32),
            build the widget and the edge Worker, cargo test, the widget's wasm tests in
            headless Chromium; stops at the first failure; prints how long each step took.
  bench     Measure the figures the budgets name (simulator latency per call, relay overhead,
            collects per order by viewers, 1,000 concurrent orders, first paint, sizes) side by
            side in one run; prints a table and writes target/bench.md.
  help      Print this text.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    if let Some(extra) = rest.first() {
        eprintln!("xtask: `{task}` takes no arguments, got {extra:?}\n\n{USAGE}");
        return ExitCode::from(2);
    }
    if let Err(e) = util::enter_project_root() {
        eprintln!("xtask: {e}");
        return ExitCode::FAILURE;
    }
    let result = match task {
        "install" => install::run(),
        "demo" => demo::run(),
        "edge" => edge::build(),
        "widget" => widget::build(),
        "test" => test::run(),
        "bench" => bench::run(),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("xtask: unknown task {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
