//! `cargo xtask test`: what CI runs (`.ci/run`). Installs what is missing, then runs the steps in order and stops
//! at the first failure, with a summary of each step's wall time. Later steps (wasm tests, end-to-end) are one
//! line each in [`steps`].

use std::time::{Duration, Instant};

use crate::util::{self, Result, cargo, display, format_duration};
use crate::{edge, install, widget};

/// One step: a name for the summary and what it does.
struct Step {
    name: &'static str,
    action: Action,
}

enum Action {
    Install,
    Cargo(&'static [&'static str]),
    /// Build the edge Worker, which the end-to-end tests run in Miniflare.
    Edge,
    /// Build the widget into widget/dist, which the edge serves.
    Widget,
    /// The widget's wasm-bindgen tests in headless Chromium.
    WidgetBrowser,
}

fn steps() -> Vec<Step> {
    vec![
        Step {
            name: "install",
            action: Action::Install,
        },
        Step {
            name: "fmt",
            action: Action::Cargo(&["fmt", "--all", "--", "--check"]),
        },
        Step {
            name: "clippy",
            action: Action::Cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        },
        Step {
            name: "clippy-wasm",
            action: Action::Cargo(&[
                "clippy",
                "--package",
                "legit-widget",
                "--target",
                "wasm32-unknown-unknown",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        },
        Step {
            name: "widget",
            action: Action::Widget,
        },
        Step {
            name: "edge",
            action: Action::Edge,
        },
        Step {
            name: "test",
            action: Action::Cargo(&["test", "--workspace"]),
        },
        Step {
            name: "wasm-test",
            action: Action::WidgetBrowser,
        },
    ]
}

pub fn run() -> Result {
    let started = Instant::now();
    let mut done: Vec<(&str, Duration, bool)> = Vec::new();
    let mut failure = None;
    for step in steps() {
        let step_started = Instant::now();
        println!("\n== {} ==", step.name);
        let result = match step.action {
            Action::Install => install::run(),
            Action::Edge => edge::build(),
            Action::Widget => widget::build(),
            Action::WidgetBrowser => widget::browser_tests(),
            Action::Cargo(args) => {
                let mut cmd = cargo();
                cmd.args(args);
                util::run(&mut cmd).map_err(|_| format!("`{}` failed", display(&cmd)))
            }
        };
        done.push((step.name, step_started.elapsed(), result.is_ok()));
        if let Err(e) = result {
            failure = Some(format!("step `{}` failed: {e}", step.name));
            break;
        }
    }

    println!("\n{}", summary(&done, started.elapsed()));
    match failure {
        Some(message) => Err(message),
        None => Ok(()),
    }
}

/// A table of the steps run, with `not run` for those after a failure.
fn summary(done: &[(&str, Duration, bool)], total: Duration) -> String {
    let mut out = String::from("xtask test summary\n");
    for (name, took, ok) in done {
        let verdict = if *ok { "ok" } else { "FAILED" };
        out.push_str(&format!(
            "  {name:<10} {verdict:<7} {:>9}\n",
            format_duration(*took)
        ));
    }
    for step in steps().iter().skip(done.len()) {
        out.push_str(&format!("  {:<10} not run\n", step.name));
    }
    out.push_str(&format!(
        "  {:<10} {:<7} {:>9}",
        "total",
        "",
        format_duration(total)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lists_every_step_and_the_total() {
        let done = [
            ("install", Duration::from_millis(300), true),
            ("fmt", Duration::from_secs(2), false),
        ];
        let text = summary(&done, Duration::from_secs(3));
        assert!(text.contains("install    ok"), "{text}");
        assert!(text.contains("fmt        FAILED"), "{text}");
        assert!(text.contains("clippy     not run"), "{text}");
        assert!(text.contains("widget     not run"), "{text}");
        assert!(text.contains("edge       not run"), "{text}");
        assert!(text.contains("wasm-test  not run"), "{text}");
        assert!(text.contains("test       not run"), "{text}");
        assert!(text.contains("total"), "{text}");
    }

    #[test]
    fn ci_runs_this_task() {
        let ci = std::fs::read_to_string(crate::util::project_root().join(".ci/run")).unwrap();
        assert!(ci.contains("cargo xtask test"));
    }
}
