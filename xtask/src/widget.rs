//! Building the widget: for each mode (`customer`, `agent`, a cargo feature each) `cargo build` for wasm32 in
//! the `wasm-release` profile, `wasm-bindgen --target web`, the classes no page uses dropped
//! ([`wasm_classes`]), its names shortened ([`wasm_names`]), `wasm-opt -Oz --converge` and esbuild's minifier
//! on the glue; then the hand-written files from `widget/static/` (JavaScript and CSS minified the same way).
//! Everything lands in `widget/dist/`, laid out as the edge serves it: `embed.html` (at `/embed`), `legit.js`
//! (at `/legit.js`) and `widget/*` (at `/widget/*`). A page loads one mode's wasm and glue, the loader and the
//! CSS: that is what the budget (DESIGN.md §8) counts, printed per mode, raw and gzip.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::edge::LOCAL_DIR;
use crate::install;
use crate::stamp::Stamp;
use crate::util::{self, Result, cargo, format_duration, is_executable};
use crate::{wasm_classes, wasm_names};

/// The output folder, relative to the project root.
pub const DIST_DIR: &str = "widget/dist";
/// DESIGN.md §8: wasm + JS + CSS, gzipped, QR included.
pub const BUDGET_GZIP: u64 = 100_000;
/// …and what we aim for.
pub const AIM_GZIP: u64 = 70_000;

/// How the widget's wasm is compiled, std included, for size, as Leptos's guide to binary size advises: the
/// customer page's wasm went from 111.0 to 96.4 KB gzip, the agent's from 144.9 to 128.2. Panics abort at once
/// instead of formatting a message: with `panic = "abort"` on wasm32-unknown-unknown that message went nowhere
/// anyway, the page stops either way, and dropping the machinery is most of the gain; `location-detail` drops
/// the file names it printed, `optimize_for_size` picks std's smaller algorithms. `merge-functions=disabled` keeps one
/// function per Rust instance, which [`wasm_code`] relies on (wasm-opt still folds duplicates, later; no
/// size lost). These options are unstable, so `RUSTC_BOOTSTRAP` allows them on the stable toolchain, for this
/// build alone; `cargo xtask install` adds the `rust-src` component they compile std from. They were checked on
/// Rust 1.95, TOOLCHAIN.md's (older releases spelt the panic option as a std feature).
///
/// [`wasm_code`]: crate::wasm_code
const SIZE_BUILD: &[(&str, &str)] = &[
    ("RUSTC_BOOTSTRAP", "1"),
    ("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort"),
    ("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size"),
    (
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
        "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zmerge-functions=disabled",
    ),
];

/// What the build reads besides what every build does ([`Stamp::take`]), relative to the project root.
const INPUTS: &[&str] = &["widget/Cargo.toml", "widget/src", "widget/static"];

/// `widget/static/<file>` → `widget/dist/<path>`.
const STATIC_FILES: &[(&str, &str)] = &[
    ("embed.html", "embed.html"),
    ("legit.js", "legit.js"),
    ("embed.js", "widget/embed.js"),
    ("legit.css", "widget/legit.css"),
    // The edge's admin page, not the widget: no widget page loads it.
    ("admin.css", "widget/admin.css"),
];

/// A build: a page's mode.
struct Mode {
    /// The cargo feature.
    feature: &'static str,
    /// The name of its files in `widget/dist/widget/`.
    out_name: &'static str,
    /// What the build refuses: a page over this, gzip, fails it.
    ceiling: u64,
}

/// The customer's page is within [`BUDGET_GZIP`], which is its ceiling. The agent's console is over it (the
/// identify, link and lookup flows with their validation are ~31 KB gzip more than the customer's flow); its
/// ceiling is today's size plus a margin, to catch regressions, and comes down as the console shrinks.
const MODES: &[Mode] = &[
    Mode {
        feature: "customer",
        out_name: "legit_customer",
        ceiling: BUDGET_GZIP,
    },
    Mode {
        feature: "agent",
        out_name: "legit_agent",
        ceiling: 132_000,
    },
];

/// What a page of `mode` loads, relative to `widget/dist`: its wasm and glue, the largest loader, the CSS.
fn shipped(out_name: &str) -> [String; 4] {
    [
        format!("widget/{out_name}_bg.wasm"),
        format!("widget/{out_name}.js"),
        "legit.js".to_owned(),
        "widget/legit.css".to_owned(),
    ]
}

/// Every file the build writes, relative to the project root.
fn outputs() -> Vec<String> {
    let mut files: Vec<String> = STATIC_FILES
        .iter()
        .map(|(_, to)| format!("{DIST_DIR}/{to}"))
        .collect();
    for mode in MODES {
        for ext in ["_bg.wasm", ".js"] {
            files.push(format!("{DIST_DIR}/widget/{}{ext}", mode.out_name));
        }
    }
    files
}

pub fn build() -> Result {
    let started = Instant::now();
    let root = util::project_root();
    let wasm_bindgen = install::tool_path("wasm-bindgen")?;
    let node_bin = root.join(LOCAL_DIR).join("node_modules").join(".bin");
    let wasm_opt = node_bin.join("wasm-opt");
    let esbuild = node_bin.join("esbuild");
    for tool in [&wasm_bindgen, &wasm_opt, &esbuild] {
        if !is_executable(tool) {
            return Err(format!(
                "{} is missing: run `cargo xtask install`",
                tool.display()
            ));
        }
    }

    let dist = root.join(DIST_DIR);
    let stamp = Stamp::take("widget", INPUTS)?;
    if stamp.is_current(&outputs()) {
        return check_sizes(&dist);
    }
    let out = dist.join("widget");
    if dist.exists() {
        fs::remove_dir_all(&dist).map_err(|e| format!("cannot clear {}: {e}", dist.display()))?;
    }
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;

    for Mode {
        feature, out_name, ..
    } in MODES
    {
        let mut build = cargo();
        build.args([
            "build",
            "--package",
            "legit-widget",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
            "--no-default-features",
            "--features",
            feature,
        ]);
        for (key, value) in SIZE_BUILD {
            build.env(key, value);
        }
        util::run(&mut build)?;
        let wasm = util::target_dir()
            .join("wasm32-unknown-unknown")
            .join("wasm-release")
            .join("legit_widget.wasm");
        util::run(
            Command::new(&wasm_bindgen)
                .arg(&wasm)
                .args([
                    "--target",
                    "web",
                    "--no-typescript",
                    "--out-name",
                    out_name,
                    "--out-dir",
                ])
                .arg(&out),
        )?;
        let bindgen_wasm = out.join(format!("{out_name}_bg.wasm"));
        let glue = out.join(format!("{out_name}.js"));
        trim(&bindgen_wasm, &glue)?;
        util::run(
            // `--converge` repeats -Oz until nothing shrinks: 0.5–0.8 KB gzip a page for ~10 s each. The
            // producers and target-features sections are for tools, not browsers (0.2 KB gzip); wasm-opt has
            // read the features it may use before it strips them.
            Command::new(&wasm_opt)
                .args([
                    "-Oz",
                    "--converge",
                    "--strip-producers",
                    "--strip-target-features",
                ])
                .arg(&bindgen_wasm)
                .arg("-o")
                .arg(&bindgen_wasm),
        )?;
        minify(&esbuild, &glue, &glue)?;
    }

    for (from, to) in STATIC_FILES {
        let (from, to) = (root.join("widget/static").join(from), dist.join(to));
        if from.extension().is_some_and(|e| e == "js" || e == "css") {
            minify(&esbuild, &from, &to)?;
        } else {
            fs::copy(&from, &to)
                .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
        }
    }

    check_sizes(&dist)?;
    println!(
        "  widget built in {} into {DIST_DIR}/",
        format_duration(started.elapsed())
    );
    stamp.record()
}

/// Prints what each page loads and refuses a page over its ceiling.
fn check_sizes(dist: &Path) -> Result {
    let mut over = Vec::new();
    for mode in MODES {
        let total = report(dist, mode.feature, mode.out_name)?;
        if total > mode.ceiling {
            over.push(format!(
                "the {} page loads {} gzip, over its {} ceiling",
                mode.feature,
                kb(total),
                kb(mode.ceiling)
            ));
        }
    }
    if !over.is_empty() {
        return Err(format!(
            "{} (the budget is {}, DESIGN.md §8)",
            over.join("; "),
            kb(BUDGET_GZIP)
        ));
    }
    Ok(())
}

/// Classes linked into every page that no page uses: Leptos 0.8 always enables server_fn's `browser` feature,
/// whose wasm-streams exports these for streaming server functions; the widget calls none. ~2 KB gzip a page.
const UNUSED_CLASSES: &[&str] = &[
    "IntoUnderlyingByteSource",
    "IntoUnderlyingSink",
    "IntoUnderlyingSource",
];

/// [`wasm_classes::drop_classes`] with [`UNUSED_CLASSES`], then [`wasm_names::shorten`], on the files
/// wasm-bindgen wrote.
fn trim(wasm: &Path, glue: &Path) -> Result {
    let read_err = |p: &Path, e: std::io::Error| format!("cannot read {}: {e}", p.display());
    let write_err = |p: &Path, e: std::io::Error| format!("cannot write {}: {e}", p.display());
    let module = fs::read(wasm).map_err(|e| read_err(wasm, e))?;
    let text = fs::read_to_string(glue).map_err(|e| read_err(glue, e))?;
    let in_wasm = |e: String| format!("{}: {e}", wasm.display());
    let (module, text) =
        wasm_classes::drop_classes(&module, &text, UNUSED_CLASSES).map_err(in_wasm)?;
    let (module, text) = wasm_names::shorten(&module, &text).map_err(in_wasm)?;
    fs::write(wasm, module).map_err(|e| write_err(wasm, e))?;
    fs::write(glue, text).map_err(|e| write_err(glue, e))
}

/// `from` minified into `to` (the same file is fine): JavaScript stays an ES module (`import.meta.url`, top-level
/// `await` and exports kept), CSS keeps its custom properties. The sources stay readable; only `dist` is
/// minified (it took the glue from 7.9 to 5.7 KB gzip, before [`wasm_names`] took it to 4.1).
fn minify(esbuild: &Path, from: &Path, to: &Path) -> Result {
    let mut command = Command::new(esbuild);
    command
        .arg(from)
        .arg("--minify")
        .arg(format!("--outfile={}", to.display()))
        .args(["--allow-overwrite", "--log-level=warning"]);
    if from.extension().is_some_and(|e| e == "js") {
        command.args(["--format=esm", "--target=es2022"]);
    }
    util::run(&mut command)
}

/// The widget's `wasm-bindgen-test`s (its unit tests and `widget/tests/*.rs`) in headless Chromium, through
/// chromedriver, with the flags of `widget/webdriver.json` (TOOLCHAIN.md: no background networking).
pub fn browser_tests() -> Result {
    let runner = install::tool_path("wasm-bindgen-test-runner")?;
    if !is_executable(&runner) {
        return Err(format!(
            "{} is missing: run `cargo xtask install`",
            runner.display()
        ));
    }
    for needed in [CHROMEDRIVER, "/usr/bin/chromium"] {
        if !is_executable(Path::new(needed)) {
            return Err(format!("{needed} is missing: run `cargo xtask install`"));
        }
    }
    util::run(
        cargo()
            .args([
                "test",
                "--package",
                "legit-widget",
                "--target",
                "wasm32-unknown-unknown",
            ])
            // cargo runs the test binaries from the package folder, where the runner finds webdriver.json.
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    )
}

/// Where `cargo xtask install` (Debian's `chromium-driver`) puts the driver.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Prints what a page of `mode` loads; returns the gzip total.
fn report(dist: &Path, mode: &str, out_name: &str) -> Result<u64> {
    let mut total_raw = 0;
    let mut total_gzip = 0;
    println!("  {mode} page loads:");
    for file in shipped(out_name) {
        let (raw, gzip) = sizes(&dist.join(&file))?;
        total_raw += raw;
        total_gzip += gzip;
        println!("    {file:<32} {:>10} {:>10} gzip", kb(raw), kb(gzip));
    }
    let verdict = if total_gzip > BUDGET_GZIP {
        format!(
            "OVER the {} budget by {}",
            kb(BUDGET_GZIP),
            kb(total_gzip - BUDGET_GZIP)
        )
    } else {
        format!(
            "within the {} budget (aim {})",
            kb(BUDGET_GZIP),
            kb(AIM_GZIP)
        )
    };
    println!(
        "    {:<32} {:>10} {:>10} gzip   {verdict}",
        "total (wasm + JS + CSS)",
        kb(total_raw),
        kb(total_gzip),
    );
    Ok(total_gzip)
}

/// Raw and `gzip -9` size of a built file.
pub fn sizes(file: &Path) -> Result<(u64, u64)> {
    let raw = fs::metadata(file)
        .map_err(|e| format!("{} is missing: {e}", file.display()))?
        .len();
    let output = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !output.status.success() {
        return Err(format!("gzip failed on {}", file.display()));
    }
    Ok((raw, output.stdout.len() as u64))
}

/// What a page of each mode loads, gzip, for `cargo xtask bench`; `None` before the widget is built.
pub fn gzip_totals() -> Option<Vec<(&'static str, u64)>> {
    let dist: PathBuf = util::project_root().join(DIST_DIR);
    MODES
        .iter()
        .map(|mode| {
            let total: Option<u64> = shipped(mode.out_name)
                .iter()
                .map(|f| sizes(&dist.join(f)).ok().map(|(_, gzip)| gzip))
                .sum();
            total.map(|t| (mode.feature, t))
        })
        .collect()
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_static_file_exists_and_the_page_keeps_its_contract() {
        let root = util::project_root();
        for (from, _) in STATIC_FILES {
            assert!(root.join("widget/static").join(from).is_file(), "{from}");
        }
        let page = fs::read_to_string(root.join("widget/static/embed.html")).unwrap();
        assert!(
            page.contains(r#"<meta name="legit-config" content="">"#),
            "the edge fills this exact tag"
        );
        for (needle, why) in [
            ("style=", "CSP style-src 'self': no inline styles"),
            ("<style", "CSP style-src 'self': no inline styles"),
            ("<script>", "CSP script-src 'self': no inline scripts"),
            (
                "http",
                "the page loads /widget/ files of its own origin only",
            ),
        ] {
            assert!(!page.contains(needle), "{why}");
        }
    }

    #[test]
    fn browser_tests_run_chromium_with_the_toolchain_flags() {
        let config =
            fs::read_to_string(util::project_root().join("widget/webdriver.json")).unwrap();
        for flag in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ] {
            assert!(config.contains(&format!("\"{flag}\"")), "{flag}");
        }
        assert!(config.contains("/usr/bin/chromium"));
    }

    #[test]
    fn dist_is_ignored_by_git() {
        let ignore = fs::read_to_string(util::project_root().join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l.trim() == "/widget/dist/"));
    }
}
