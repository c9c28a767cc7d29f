//! `cargo xtask install`: everything the other tasks need, idempotently. Each item is checked first and only
//! what is missing or outdated is installed, so a second run does nothing and takes well under a second.
//! The toolchain notes behind each choice are in `shared/TOOLCHAIN.md`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use crate::util::{self, Result, cargo, format_duration, is_executable, on_path, probe};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Where project-local tools are installed (`cargo install --root`), under the target folder.
const TOOLS_DIR: &str = "tools";

/// Debian packages: each with the file whose absence means it must be installed.
const APT_PACKAGES: &[(&str, Need)] = &[
    ("chromium", Need::File("/usr/bin/chromium")),
    ("chromium-driver", Need::File("/usr/bin/chromedriver")),
    ("zbar-tools", Need::OnPath("zbarimg")),
];

/// Project folders that may hold a `package.json`; `npm ci` runs in each one that does. One line per folder.
const NPM_FOLDERS: &[&str] = &[
    // "tests/e2e",
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
    wasm_bindgen_cli()?;
    apt_packages()?;
    npm_packages()?;
    stock_client_venv()?;
    println!(
        "xtask install: done in {}",
        format_duration(started.elapsed())
    );
    Ok(())
}

/// The path of a tool installed by [`wasm_bindgen_cli`] (for later tasks: wasm tests, widget builds).
pub fn tool_path(name: &str) -> PathBuf {
    util::target_dir().join(TOOLS_DIR).join("bin").join(name)
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

/// wasm-bindgen-cli at exactly the version of the `wasm-bindgen` crate in Cargo.lock (the CLI refuses any
/// other), installed under `target/tools`. Nothing to do while the lock has no `wasm-bindgen`.
fn wasm_bindgen_cli() -> Result {
    let lock_path = Path::new("Cargo.lock");
    if !lock_path.exists() {
        util::run(cargo().arg("generate-lockfile"))?;
    }
    let lock = fs::read_to_string(lock_path).map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let version = match locked_versions(&lock, "wasm-bindgen").as_slice() {
        [] => {
            println!("  ok  wasm-bindgen-cli not needed (no wasm-bindgen in Cargo.lock)");
            return Ok(());
        }
        [version] => version.clone(),
        several => {
            return Err(format!(
                "Cargo.lock has several wasm-bindgen versions ({}); the CLI must match exactly one: \
                 unify them (cargo update -p wasm-bindgen)",
                several.join(", ")
            ));
        }
    };
    let bin = tool_path("wasm-bindgen");
    let current = probe(Command::new(&bin).arg("--version"));
    // `wasm-bindgen 0.2.100` (newer versions may add a commit hash after it).
    if current
        .as_deref()
        .and_then(|out| out.split_whitespace().nth(1))
        == Some(version.as_str())
    {
        println!("  ok  wasm-bindgen-cli {version} ({})", bin.display());
        return Ok(());
    }
    match &current {
        Some(out) => println!(
            "  wasm-bindgen-cli: found `{}`, Cargo.lock wants {version}",
            out.trim()
        ),
        None => println!(
            "  wasm-bindgen-cli {version}: not installed yet (compiling it takes a few minutes)"
        ),
    }
    let root = util::target_dir().join(TOOLS_DIR);
    // No `--locked`: the CLI's own lock file wants a newer rustc than ours (TOOLCHAIN.md).
    util::run(
        cargo()
            .args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &version,
                "--root",
            ])
            .arg(&root),
    )
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
