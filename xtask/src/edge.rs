//! Building the edge Worker: `worker-build --release` in `edge/`, with every tool it would otherwise download
//! (wasm-bindgen, wasm-opt, esbuild) pointed at what `cargo xtask install` put in place. The Worker lands in
//! `edge/build/` (`index.js` + `index_bg.wasm`), where `edge/local/run.mjs` and wrangler look for it.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::install;
use crate::stamp::Stamp;
use crate::util::{self, Result, is_executable, probe};

/// The Worker's crate folder.
pub const EDGE_DIR: &str = "edge";
/// The npm folder with Miniflare, binaryen (`wasm-opt`) and esbuild.
pub const LOCAL_DIR: &str = "edge/local";
/// What worker-build writes.
const BUILD_DIR: &str = "edge/build";
/// What the build reads besides what every build does ([`Stamp::take`]), relative to the project root.
const INPUTS: &[&str] = &["edge/Cargo.toml", "edge/src"];
/// What worker-build writes into [`BUILD_DIR`] and Miniflare loads.
const OUTPUTS: [&str; 3] = ["index.js", "index_bg.wasm", "worker/shim.mjs"];
/// DESIGN.md §8: the Worker bundle must stay under 1 MB gzip.
const BUNDLE_BUDGET_GZIP: u64 = 1_000_000;

/// Builds the Worker. Needs `cargo xtask install` (run by `demo` and `test` before this).
pub fn build() -> Result {
    let root = util::project_root();
    let wasm_bindgen = install::tool_path("wasm-bindgen")?;
    let worker_build = install::tool_path("worker-build")?;
    let node_bin = root.join(LOCAL_DIR).join("node_modules").join(".bin");
    let wasm_opt = node_bin.join("wasm-opt");
    let esbuild = node_bin.join("esbuild");
    for tool in [&wasm_bindgen, &worker_build, &wasm_opt, &esbuild] {
        if !is_executable(tool) {
            return Err(format!(
                "{} is missing: run `cargo xtask install`",
                tool.display()
            ));
        }
    }

    let stamp = Stamp::take("edge", INPUTS)?;
    let outputs = OUTPUTS.map(|f| format!("{BUILD_DIR}/{f}"));
    if stamp.is_current(&outputs) {
        return report_size(&root.join(BUILD_DIR));
    }

    let mut path: Vec<PathBuf> = [&wasm_bindgen, &worker_build]
        .iter()
        .filter_map(|bin| bin.parent().map(Path::to_owned))
        .collect();
    path.push(node_bin);
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path: OsString = std::env::join_paths(path)
        .map_err(|e| format!("cannot build a PATH for worker-build: {e}"))?;

    util::run(
        Command::new(&worker_build)
            .arg("--release")
            .current_dir(root.join(EDGE_DIR))
            .env("WASM_BINDGEN_BIN", &wasm_bindgen)
            .env("WASM_OPT_BIN", &wasm_opt)
            .env("ESBUILD_BIN", &esbuild)
            .env("PATH", path),
    )?;
    report_size(&root.join(BUILD_DIR))?;
    stamp.record()
}

/// Prints the bundle's size (what Cloudflare counts: the JS and the wasm, gzipped) and holds it to the budget.
fn report_size(build: &Path) -> Result {
    let mut raw = 0;
    let mut gzip = 0;
    for name in ["index.js", "index_bg.wasm"] {
        let file = build.join(name);
        raw += fs::metadata(&file)
            .map_err(|e| format!("worker-build did not write {}: {e}", file.display()))?
            .len();
        gzip += gzip_size(&file).unwrap_or(0);
    }
    let gzip_text = if gzip == 0 {
        "gzip size unknown (no gzip on the PATH)".to_owned()
    } else {
        format!("{} KB gzip", gzip / 1000)
    };
    println!(
        "  edge bundle (index.js + index_bg.wasm): {} KB, {gzip_text}; budget {} KB gzip",
        raw / 1000,
        BUNDLE_BUDGET_GZIP / 1000
    );
    if gzip > BUNDLE_BUDGET_GZIP {
        return Err(format!(
            "the edge bundle is {} KB gzip, over the {} KB budget (DESIGN.md §8)",
            gzip / 1000,
            BUNDLE_BUDGET_GZIP / 1000
        ));
    }
    Ok(())
}

/// `gzip -9` of `file`, in bytes, with the system's gzip.
fn gzip_size(file: &Path) -> Option<u64> {
    let output = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(file)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then_some(output.stdout.len() as u64)
}

/// Fails unless `node` 20 or newer (Miniflare 4's minimum) is on the PATH, to run `edge/local/run.mjs`.
pub fn check_node() -> Result {
    let version = probe(Command::new("node").arg("--version"))
        .ok_or("`node` is not on the PATH: install Node.js 20 or newer")?;
    let major = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(major) if major >= 20 => Ok(()),
        _ => Err(format!(
            "Node.js {} is too old for Miniflare: install 20 or newer",
            version.trim()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launcher_and_its_packages_are_where_xtask_looks() {
        let root = util::project_root();
        assert!(root.join(LOCAL_DIR).join("run.mjs").is_file());
        let package = fs::read_to_string(root.join(LOCAL_DIR).join("package.json")).unwrap();
        for pinned in [
            r#""miniflare": "4.20260426.0""#,
            r#""binaryen": "132.0.0""#,
            r#""esbuild": "0.28.2""#,
        ] {
            assert!(
                package.contains(pinned),
                "edge/local/package.json must pin {pinned}"
            );
        }
    }

    #[test]
    fn the_lock_fetches_only_from_the_npm_registry() {
        let lock = fs::read_to_string(
            util::project_root()
                .join(LOCAL_DIR)
                .join("package-lock.json"),
        )
        .unwrap();
        for line in lock.lines().filter(|l| l.contains("\"resolved\"")) {
            assert!(
                line.contains("\"https://registry.npmjs.org/"),
                "edge/local/package-lock.json resolves outside the registry: {line}"
            );
        }
        for bad in ["git+", "github:", "file:", "\"link\": true"] {
            assert!(
                !lock.contains(bad),
                "edge/local/package-lock.json has a {bad} dependency"
            );
        }
    }
}
