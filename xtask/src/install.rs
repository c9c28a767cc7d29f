//! `cargo xtask install`: everything the other tasks need, idempotently. Each item is checked first and only
//! what is missing or outdated is installed, so a second run does nothing and takes well under a second.
//! The toolchain notes behind each choice are in `shared/TOOLCHAIN.md`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use crate::util::{self, Result, cargo, format_duration, is_executable, on_path, probe};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Project-local tools under the target folder (the stock client's virtualenv).
const TOOLS_DIR: &str = "tools";

/// worker-build when Cargo.lock has no `worker` yet. It must stay on the `worker` crate's minor (TOOLCHAIN.md).
const DEFAULT_WORKER_BUILD: &str = "0.8.7";

/// Debian packages: each with the file whose absence means it must be installed.
const APT_PACKAGES: &[(&str, Need)] = &[
    ("chromium", Need::File("/usr/bin/chromium")),
    ("chromium-driver", Need::File("/usr/bin/chromedriver")),
    ("zbar-tools", Need::OnPath("zbarimg")),
];

/// Project folders that may hold a `package.json`; `npm ci` runs in each one that does. One line per folder.
const NPM_FOLDERS: &[&str] = &[
    // Miniflare (runs the Worker locally), binaryen's wasm-opt and esbuild (used by worker-build).
    "edge/local",
    // axe-core, the accessibility checker the widget's end-to-end tests run on every screen.
    "widget/a11y",
];

/// How to tell that a package is present.
enum Need {
    File(&'static str),
    OnPath(&'static str),
}

impl Need {
    fn present(&self) -> bool {
        match self {
            Need::File(path) => is_executable(Path::new(path)),
            Need::OnPath(program) => on_path(program),
        }
    }
}

pub fn run() -> Result {
    let started = Instant::now();
    println!("xtask install: checking what is missing");
    wasm_target()?;
    rust_src()?;
    let lock = read_lock()?;
    if let Some(tool) = CargoTool::wasm_bindgen(&lock)? {
        tool.ensure()?;
    } else {
        println!("  ok  wasm-bindgen-cli not needed (no wasm-bindgen in Cargo.lock)");
    }
    CargoTool::worker_build(&lock)?.ensure()?;
    apt_packages()?;
    npm_packages()?;
    stock_client_venv()?;
    println!(
        "xtask install: done in {}",
        format_duration(started.elapsed())
    );
    Ok(())
}

/// The path of a binary installed by `cargo install` for later tasks: `wasm-bindgen` (and the other binaries
/// of wasm-bindgen-cli) or `worker-build`, in the versions Cargo.lock asks for. It may not be installed yet:
/// [`run`] installs it.
pub fn tool_path(name: &str) -> Result<PathBuf> {
    let lock = read_lock()?;
    let tool = match name {
        "wasm-bindgen" | "wasm-bindgen-test-runner" | "wasm2es6js" => {
            CargoTool::wasm_bindgen(&lock)?
                .ok_or_else(|| format!("{name} is not needed: Cargo.lock has no wasm-bindgen"))?
        }
        "worker-build" | "worker-codegen" => CargoTool::worker_build(&lock)?,
        other => return Err(format!("{other} is not a tool xtask installs")),
    };
    Ok(tool.bin_dir()?.join(name))
}

fn wasm_target() -> Result {
    let installed = probe(Command::new("rustup").args(["target", "list", "--installed"])).ok_or_else(|| {
        format!("`rustup target list --installed` failed: is rustup installed? ({WASM_TARGET} is needed)")
    })?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("  ok  rust target {WASM_TARGET}");
        return Ok(());
    }
    util::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The standard library's sources: the widget's release build compiles its own std, for size (`widget.rs`).
fn rust_src() -> Result {
    let sysroot = probe(Command::new("rustc").args(["--print", "sysroot"]))
        .ok_or("`rustc --print sysroot` failed")?;
    let library = Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library/std/Cargo.toml");
    if library.is_file() {
        println!("  ok  rust-src");
        return Ok(());
    }
    util::run(Command::new("rustup").args(["component", "add", "rust-src"]))
}

// --- Tools installed with `cargo install` ---

/// A crate's binaries at an exact version, installed with `cargo install --root` into a per-user cache shared
/// by every clone on the machine: `${XDG_CACHE_HOME:-$HOME/.cache}/legit/tools/<crate>-<version>/`. Compiling
/// them takes minutes (wasm-bindgen-cli ~5, worker-build up to 16 in release), so CI's fresh clones must not
/// redo it; a version in its own folder is never changed, only added.
struct CargoTool {
    krate: &'static str,
    version: String,
    /// The binary whose `--version` output proves the install.
    bin: &'static str,
    /// `cargo install --debug`: for tools that only drive a build, where their own speed does not matter but
    /// compiling them in release takes far longer.
    debug: bool,
}

impl CargoTool {
    /// wasm-bindgen-cli at exactly the version of the `wasm-bindgen` crate in Cargo.lock (the CLI refuses any
    /// other); `None` while the lock has no `wasm-bindgen`.
    fn wasm_bindgen(lock: &str) -> Result<Option<CargoTool>> {
        let version = match locked_versions(lock, "wasm-bindgen").as_slice() {
            [] => return Ok(None),
            [version] => version.clone(),
            several => {
                return Err(format!(
                    "Cargo.lock has several wasm-bindgen versions ({}); the CLI must match exactly one: \
                     unify them (cargo update -p wasm-bindgen)",
                    several.join(", ")
                ));
            }
        };
        Ok(Some(CargoTool {
            krate: "wasm-bindgen-cli",
            version,
            bin: "wasm-bindgen",
            debug: false,
        }))
    }

    /// worker-build at the version of the `worker` crate in Cargo.lock (both must share a minor; the same
    /// version is the simplest way to hold that), or [`DEFAULT_WORKER_BUILD`] before the edge uses `worker`.
    fn worker_build(lock: &str) -> Result<CargoTool> {
        let version = match locked_versions(lock, "worker").as_slice() {
            [] => DEFAULT_WORKER_BUILD.to_owned(),
            [version] => version.clone(),
            several => {
                return Err(format!(
                    "Cargo.lock has several worker versions ({}); worker-build must match one",
                    several.join(", ")
                ));
            }
        };
        Ok(CargoTool {
            krate: "worker-build",
            version,
            bin: "worker-build",
            debug: WORKER_BUILD_DEBUG,
        })
    }

    /// `<cache>/<crate>-<version>`, the `--root` of this install.
    fn root(&self) -> Result<PathBuf> {
        Ok(tools_cache()?.join(format!("{}-{}", self.krate, self.version)))
    }

    fn bin_dir(&self) -> Result<PathBuf> {
        Ok(self.root()?.join("bin"))
    }

    /// Whether `bin --version` names exactly this version (`wasm-bindgen 0.2.130`, or `0.8.7` alone).
    fn installed_in(&self, root: &Path) -> bool {
        probe(Command::new(root.join("bin").join(self.bin)).arg("--version"))
            .is_some_and(|out| out.split_whitespace().any(|word| word == self.version))
    }

    /// Installs the tool unless the cache already holds it. `cargo install` fills a private folder next to
    /// the final one, which is then renamed into place: an interrupted install leaves nothing half-made
    /// behind, and two clones installing at once both end with a good copy.
    fn ensure(&self) -> Result {
        let root = self.root()?;
        let name = format!("{} {}", self.krate, self.version);
        if self.installed_in(&root) {
            println!("  ok  {name} ({})", root.display());
            return Ok(());
        }
        println!(
            "  {name}: not in the cache yet, compiling it once for every clone on this machine (minutes)"
        );
        let parent = root.parent().ok_or("tools cache has no parent folder")?;
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        let staging = parent.join(format!(
            ".{}-{}.{}.partial",
            self.krate,
            self.version,
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&staging);
        let mut install = cargo();
        // No `--locked`: the tools' own lock files want a newer rustc than ours (TOOLCHAIN.md).
        install
            .args(["install", self.krate, "--version", &self.version, "--root"])
            .arg(&staging);
        if self.debug {
            // Without debug info: a quarter of the size on disk, and less to link.
            install
                .arg("--debug")
                .env("CARGO_PROFILE_DEV_DEBUG", "false");
        }
        let result = util::run(&mut install).and_then(|()| {
            if self.installed_in(&staging) {
                Ok(())
            } else {
                Err(format!(
                    "{name} was installed but `{} --version` does not say {}",
                    self.bin, self.version
                ))
            }
        });
        if let Err(e) = result {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        if self.installed_in(&root) {
            // Another clone finished first.
            let _ = fs::remove_dir_all(&staging);
        } else {
            let _ = fs::remove_dir_all(&root);
            fs::rename(&staging, &root).map_err(|e| {
                format!(
                    "cannot move {} to {}: {e}",
                    staging.display(),
                    root.display()
                )
            })?;
        }
        println!("  ok  {name} ({})", root.display());
        Ok(())
    }
}

/// worker-build is compiled with `--debug`: it only drives cargo, wasm-bindgen, wasm-opt and esbuild, so its own
/// speed does not matter, and on a 2-core machine its release build took 16 min wall / 419 s CPU against 4 min
/// / 151 s for debug (measured 2026-11-23, worker-build 0.8.7, both on a busy machine).
const WORKER_BUILD_DEBUG: bool = true;

/// `${XDG_CACHE_HOME:-$HOME/.cache}/legit/tools`.
fn tools_cache() -> Result<PathBuf> {
    tools_cache_from(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
}

/// [`tools_cache`] for given values of `XDG_CACHE_HOME` and `HOME`. A relative or empty `XDG_CACHE_HOME` is
/// ignored, as the XDG base directory spec says.
fn tools_cache_from(xdg_cache_home: Option<OsString>, home: Option<OsString>) -> Result<PathBuf> {
    let absolute = |value: Option<OsString>| value.map(PathBuf::from).filter(|p| p.is_absolute());
    let cache = absolute(xdg_cache_home)
        .or_else(|| absolute(home).map(|home| home.join(".cache")))
        .ok_or("neither XDG_CACHE_HOME nor HOME is an absolute path: nowhere to cache tools")?;
    Ok(cache.join("legit").join("tools"))
}

/// Cargo.lock's text, generating the lock first when the clone has none.
fn read_lock() -> Result<String> {
    let lock_path = Path::new("Cargo.lock");
    if !lock_path.exists() {
        util::run(cargo().arg("generate-lockfile"))?;
    }
    fs::read_to_string(lock_path).map_err(|e| format!("cannot read Cargo.lock: {e}"))
}

/// Every version of the package `name` in a Cargo.lock.
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let mut versions: Vec<String> = lock
        .split("[[package]]")
        .filter_map(|block| {
            let field = |key: &str| {
                block.lines().find_map(|line| {
                    let (k, v) = line.split_once('=')?;
                    (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
                })
            };
            if field("name")? == name {
                field("version")
            } else {
                None
            }
        })
        .collect();
    versions.dedup();
    versions
}

/// Chromium, ChromeDriver (end-to-end tests) and zbarimg (reading QR codes off screenshots), with one
/// `apt-get install` for whatever is missing.
fn apt_packages() -> Result {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .filter_map(|(package, need)| {
            if need.present() {
                println!("  ok  {package}");
                None
            } else {
                Some(*package)
            }
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let by_hand = format!("apt-get update && apt-get install -y {}", missing.join(" "));
    if !on_path("apt-get") {
        return Err(format!(
            "missing {}; this is not a Debian system, so install them yourself",
            missing.join(", ")
        ));
    }
    let sudo = match probe(Command::new("id").arg("-u"))
        .as_deref()
        .map(str::trim)
    {
        Some("0") => false,
        _ if probe(Command::new("sudo").args(["-n", "true"])).is_some() => true,
        _ => {
            return Err(format!(
                "missing {}: run as root: {by_hand}",
                missing.join(", ")
            ));
        }
    };
    let apt = |args: &[&str]| {
        let mut cmd = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            cmd.args(["-n", "apt-get"]);
        }
        // Wait for another apt/dpkg run to finish rather than failing on its lock.
        cmd.args(["-o", "DPkg::Lock::Timeout=300"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    util::run(&mut apt(&["update"]))?;
    let mut install = apt(&["install", "-y"]);
    install.args(&missing);
    util::run(&mut install)?;
    match APT_PACKAGES.iter().find(|(_, need)| !need.present()) {
        Some((package, _)) => Err(format!("{package} is still missing after apt-get install")),
        None => Ok(()),
    }
}

/// `npm ci` in each [`NPM_FOLDERS`] entry that has a `package.json` and whose `node_modules` is missing or older
/// than its `package-lock.json` (`npm install` when there is no lock yet, which creates it).
fn npm_packages() -> Result {
    for folder in NPM_FOLDERS.iter().map(Path::new) {
        if !folder.join("package.json").is_file() {
            continue;
        }
        let shown = folder.display();
        if !npm_stale(folder) {
            println!("  ok  npm packages in {shown}");
            continue;
        }
        let has_lock = folder.join("package-lock.json").is_file();
        util::run(
            Command::new("npm")
                .arg(if has_lock { "ci" } else { "install" })
                .current_dir(folder),
        )?;
    }
    Ok(())
}

/// Whether `folder/node_modules` needs a (re)install: missing, or older than `package-lock.json` (or
/// `package.json` when there is no lock). npm records each install in `node_modules/.package-lock.json`.
fn npm_stale(folder: &Path) -> bool {
    let modules = folder.join("node_modules");
    let installed_at = modified(&modules.join(".package-lock.json")).or_else(|| modified(&modules));
    let wanted_at = modified(&folder.join("package-lock.json"))
        .or_else(|| modified(&folder.join("package.json")));
    match (installed_at, wanted_at) {
        (None, _) => true,
        (Some(installed), Some(wanted)) => installed < wanted,
        (Some(_), None) => false,
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

// --- The stock BankID client's Python packages (tests/stock-client, run by tests/tests/stock_client.rs) ---

/// The pinned requirements of the stock client.
const STOCK_CLIENT_REQUIREMENTS: &str = "tests/stock-client/requirements.txt";

/// The stock client's virtualenv, under the target folder (tests/tests/stock_client.rs looks for it there).
fn stock_client_venv_path() -> PathBuf {
    util::target_dir().join(TOOLS_DIR).join("stock-client-venv")
}

/// A virtualenv with exactly [`STOCK_CLIENT_REQUIREMENTS`], made with the `python3` on the PATH. It is (re)made
/// when it is missing or the requirements changed since it was filled: the venv keeps a copy of the file it was
/// installed from.
fn stock_client_venv() -> Result {
    let venv = stock_client_venv_path();
    let python = venv.join("bin").join("python");
    let stamp = venv.join("installed-requirements.txt");
    let wanted = fs::read(STOCK_CLIENT_REQUIREMENTS)
        .map_err(|e| format!("cannot read {STOCK_CLIENT_REQUIREMENTS}: {e}"))?;
    if is_executable(&python) && fs::read(&stamp).is_ok_and(|installed| installed == wanted) {
        println!("  ok  stock client Python packages ({})", venv.display());
        return Ok(());
    }
    if !on_path("python3") {
        return Err(format!(
            "python3 (3.9 or newer, with venv and pip) is needed for the stock BankID client in {}",
            venv.display()
        ));
    }
    // `--clear`: start from nothing, so a package dropped from the requirements is gone too.
    util::run(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )
    .map_err(|e| {
        format!("{e} (on Debian's own python3, `apt-get install python3-venv` provides venv)")
    })?;
    util::run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "-r",
        STOCK_CLIENT_REQUIREMENTS,
    ]))?;
    fs::write(&stamp, &wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.100"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "wasm-bindgen-macro",
]

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.99"
"#;

    #[test]
    fn reads_the_exact_crate_version_from_the_lock() {
        assert_eq!(locked_versions(LOCK, "wasm-bindgen"), ["0.2.100"]);
        assert_eq!(locked_versions(LOCK, "wasm-bindgen-macro"), ["0.2.99"]);
        assert!(locked_versions(LOCK, "leptos").is_empty());
    }

    #[test]
    fn tools_are_cached_per_user_per_version() {
        let cache = |xdg: Option<&str>, home: Option<&str>| {
            tools_cache_from(xdg.map(Into::into), home.map(Into::into))
        };
        assert_eq!(
            cache(Some("/xdg"), Some("/home/me")).unwrap(),
            Path::new("/xdg/legit/tools")
        );
        assert_eq!(
            cache(None, Some("/home/me")).unwrap(),
            Path::new("/home/me/.cache/legit/tools")
        );
        assert_eq!(
            cache(Some("relative"), Some("/home/me")).unwrap(),
            Path::new("/home/me/.cache/legit/tools"),
            "a relative XDG_CACHE_HOME is ignored"
        );
        assert!(cache(Some(""), None).is_err());

        let lock = format!("{LOCK}\n[[package]]\nname = \"worker\"\nversion = \"0.8.9\"\n");
        let worker_build = CargoTool::worker_build(&lock).unwrap();
        assert_eq!(
            (worker_build.krate, worker_build.version.as_str()),
            ("worker-build", "0.8.9")
        );
        assert!(
            worker_build
                .root()
                .unwrap()
                .ends_with("legit/tools/worker-build-0.8.9")
        );
        assert_eq!(
            CargoTool::worker_build(LOCK).unwrap().version,
            DEFAULT_WORKER_BUILD,
            "no worker in the lock yet"
        );
        let bindgen = CargoTool::wasm_bindgen(LOCK).unwrap().unwrap();
        assert_eq!(
            (bindgen.krate, bindgen.version.as_str()),
            ("wasm-bindgen-cli", "0.2.100")
        );
        assert!(CargoTool::wasm_bindgen("").unwrap().is_none());
    }

    #[test]
    fn npm_reinstalls_when_the_lock_is_newer_than_node_modules() {
        let dir = std::env::temp_dir().join(format!("xtask-npm-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("package.json"), "{}").unwrap();
        fs::write(dir.join("package-lock.json"), "{}").unwrap();
        assert!(npm_stale(&dir), "no node_modules");

        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::create_dir_all(dir.join("node_modules")).unwrap();
        fs::write(dir.join("node_modules/.package-lock.json"), "{}").unwrap();
        assert!(!npm_stale(&dir), "fresh install");

        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(dir.join("package-lock.json"), "{ }").unwrap();
        assert!(npm_stale(&dir), "lock changed since");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn npm_folders_exist() {
        for folder in NPM_FOLDERS {
            assert!(
                util::project_root().join(folder).is_dir(),
                "{folder} is listed in NPM_FOLDERS but missing"
            );
        }
    }
}
