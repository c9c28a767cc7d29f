//! Builds that skip themselves when nothing they read has changed, and never run twice at once.
//!
//! The widget's two modes are one crate built with two feature sets, so each cargo build overwrites the other's
//! `legit_widget.wasm` and cargo always rebuilds both; wasm-bindgen, wasm-opt `--converge` and worker-build then
//! rerun too. A restart of the demo on an unchanged tree took ~55 s for nothing. A build now records a
//! fingerprint of its inputs (their paths and contents, this xtask binary, which holds the pipeline, and
//! `rustc -vV`) in `target/xtask/<name>.stamp` once it succeeds, and the next build with the same fingerprint
//! and its outputs in place does nothing. Any doubt rebuilds: a missing or unreadable input, output or stamp.
//!
//! The lock is for two xtask runs at once (a demo running while `cargo xtask test` starts): without it both
//! would clear and write `widget/dist` together.

use std::collections::hash_map::DefaultHasher;
use std::fs::{self, File, TryLockError};
use std::hash::Hasher as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{self, Result};

/// Folders inside an input folder that are outputs or caches, never inputs.
const SKIPPED: &[&str] = &["target", "node_modules", "dist", "build"];
/// What every build here reads: the workspace's manifests and lock, cargo's settings, core, and the npm lock
/// that pins wasm-opt and esbuild.
const SHARED_INPUTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    ".cargo/config.toml",
    "core/Cargo.toml",
    "core/src",
    "edge/local/package-lock.json",
];

/// A build's record: what its inputs were when it last succeeded. Holding one holds the build's lock.
pub struct Stamp {
    name: &'static str,
    file: PathBuf,
    fingerprint: String,
    _lock: File,
}

impl Stamp {
    /// Waits for any other xtask building `name`, then fingerprints its `inputs` (files or folders relative to
    /// the project root; a missing one counts as missing, not as an error) and [`SHARED_INPUTS`].
    pub fn take(name: &'static str, inputs: &[&str]) -> Result<Stamp> {
        let dir = util::target_dir().join("xtask");
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let lock_path = dir.join(format!("{name}.lock"));
        let lock = File::create(&lock_path)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                println!("  waiting for another xtask's {name} build to finish");
                lock.lock()
                    .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
            }
            // A file system without locks (some network mounts) only loses the guard against a second run.
            Err(TryLockError::Error(e)) => {
                println!(
                    "  cannot lock {} ({e}): building without the lock",
                    lock_path.display()
                );
            }
        }
        let root = util::project_root();
        let mut hasher = DefaultHasher::new();
        for input in SHARED_INPUTS.iter().chain(inputs) {
            hash_path(&mut hasher, &root, Path::new(input));
        }
        // The pipeline's own code and options live in this binary; the compiler shapes every byte.
        match std::env::current_exe().and_then(fs::read) {
            Ok(exe) => hasher.write(&exe),
            Err(_) => hasher.write(b"no xtask binary"),
        }
        let rustc = util::probe(Command::new("rustc").arg("-vV")).unwrap_or_default();
        hasher.write(rustc.as_bytes());
        Ok(Stamp {
            name,
            file: dir.join(format!("{name}.stamp")),
            fingerprint: format!("{:016x}\n", hasher.finish()),
            _lock: lock,
        })
    }

    /// Whether the last successful build read exactly these inputs and left all of `outputs` (relative to the
    /// project root) in place. When not, the old record is dropped, so a build that fails half-way is not
    /// taken for a finished one.
    pub fn is_current(&self, outputs: &[String]) -> bool {
        let root = util::project_root();
        let current = fs::read_to_string(&self.file).is_ok_and(|s| s == self.fingerprint)
            && outputs.iter().all(|o| root.join(o).exists());
        if current {
            println!(
                "  {} unchanged since its last build (fingerprint in {}): not rebuilt",
                self.name,
                self.file.display()
            );
        } else {
            let _ = fs::remove_file(&self.file);
        }
        current
    }

    /// Records a successful build of these inputs.
    pub fn record(&self) -> Result {
        fs::write(&self.file, &self.fingerprint)
            .map_err(|e| format!("cannot write {}: {e}", self.file.display()))
    }
}

/// Feeds `path`'s name and contents to `hasher`; a folder's files in name order, recursively.
fn hash_path(hasher: &mut DefaultHasher, root: &Path, path: &Path) {
    hasher.write(path.to_string_lossy().as_bytes());
    let full = root.join(path);
    if full.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(&full)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .map(|e| path.join(e.file_name()))
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| SKIPPED.iter().any(|s| n == *s))
            })
            .collect();
        entries.sort();
        hasher.write_usize(entries.len());
        for entry in entries {
            hash_path(hasher, root, &entry);
        }
    } else {
        match fs::read(&full) {
            Ok(bytes) => {
                hasher.write_usize(bytes.len());
                hasher.write(&bytes);
            }
            Err(_) => hasher.write(b"missing"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint(root: &Path, inputs: &[&str]) -> u64 {
        let mut hasher = DefaultHasher::new();
        for input in inputs {
            hash_path(&mut hasher, root, Path::new(input));
        }
        hasher.finish()
    }

    #[test]
    fn a_change_anywhere_in_an_input_changes_the_fingerprint_and_outputs_do_not() {
        let root = std::env::temp_dir().join(format!("xtask-stamp-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("src/deep")).unwrap();
        fs::create_dir_all(root.join("src/target")).unwrap();
        fs::write(root.join("src/a.rs"), "fn a() {}").unwrap();
        fs::write(root.join("src/deep/b.rs"), "fn b() {}").unwrap();
        let inputs = ["src", "Cargo.lock"];
        let first = fingerprint(&root, &inputs);
        assert_eq!(
            first,
            fingerprint(&root, &inputs),
            "stable for the same tree"
        );

        fs::write(root.join("src/target/out.wasm"), "built").unwrap();
        assert_eq!(first, fingerprint(&root, &inputs), "an output is no input");

        fs::write(root.join("src/deep/b.rs"), "fn b() { }").unwrap();
        let edited = fingerprint(&root, &inputs);
        assert_ne!(first, edited, "an edit deep in a folder");

        fs::write(root.join("Cargo.lock"), "").unwrap();
        assert_ne!(edited, fingerprint(&root, &inputs), "a file that appears");

        fs::rename(root.join("src/a.rs"), root.join("src/c.rs")).unwrap();
        let renamed = fingerprint(&root, &inputs);
        fs::rename(root.join("src/c.rs"), root.join("src/a.rs")).unwrap();
        assert_ne!(
            renamed,
            fingerprint(&root, &inputs),
            "a rename with the same contents"
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
