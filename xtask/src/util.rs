//! Helpers shared by the tasks: paths, running commands, timing.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

/// A task's error: a message for the person at the terminal.
pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root: the parent of this crate's folder.
pub fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_owned()
}

/// Makes the project root the current folder, so relative paths below mean the same from anywhere.
pub fn enter_project_root() -> Result {
    let root = project_root();
    std::env::set_current_dir(&root)
        .map_err(|e| format!("cannot enter the project root {}: {e}", root.display()))
}

/// Cargo's target folder (`CARGO_TARGET_DIR` or `target`), relative to the project root.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from)
}

/// A command for the cargo that runs this xtask (`$CARGO`), falling back to `cargo` on the PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `cmd` as one would type it, for messages.
pub fn display(cmd: &Command) -> String {
    let program = cmd.get_program();
    // `$CARGO` is an absolute path into the toolchain; say `cargo`.
    let program = if Some(program) == std::env::var_os("CARGO").as_deref() {
        OsStr::new("cargo")
    } else {
        program
    };
    std::iter::once(program)
        .chain(cmd.get_args())
        .map(|part| {
            let part = part.to_string_lossy();
            if part.is_empty() || part.contains(char::is_whitespace) {
                format!("'{part}'")
            } else {
                part.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prints `cmd`, runs it with the terminal's stdin/stdout/stderr and fails unless it exits successfully.
pub fn run(cmd: &mut Command) -> Result {
    let shown = display(cmd);
    println!("$ {shown}");
    let status = cmd.status().map_err(|e| spawn_error(&shown, &e))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs `cmd` quietly, for a check: its stdout when it exits successfully, `None` when it cannot be started or
/// fails.
pub fn probe(cmd: &mut Command) -> Option<String> {
    match cmd.output() {
        Ok(Output { status, stdout, .. }) if status.success() => {
            Some(String::from_utf8_lossy(&stdout).into_owned())
        }
        _ => None,
    }
}

/// Prints `cmd` and starts it; the caller owns the child (see [`Children`]).
pub fn spawn(cmd: &mut Command) -> Result<Child> {
    let shown = display(cmd);
    println!("$ {shown} &");
    cmd.spawn().map_err(|e| spawn_error(&shown, &e))
}

fn spawn_error(shown: &str, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!("cannot run `{shown}`: program not found (is it installed and on the PATH?)")
    } else {
        format!("cannot run `{shown}`: {e}")
    }
}

/// Whether `program` is an executable file in one of the PATH folders.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
    })
}

pub fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Child processes that must not outlive the task. Each child's stdin is a pipe held here (give it
/// `Stdio::piped()`), so a child that watches stdin (`legit-demo simulator --watch-stdin`) sees it close when this
/// is dropped or when xtask dies, however it dies. On drop, children get that hint and a moment to stop; whatever
/// still runs is then killed and reaped.
#[derive(Default)]
pub struct Children(Vec<Running>);

struct Running {
    name: String,
    child: Child,
    /// Held, not written: `Child::wait` would close it, so it lives outside the `Child`.
    stdin: Option<ChildStdin>,
}

/// How long children may take to stop by themselves once their stdin closed.
const STOP_GRACE: Duration = Duration::from_secs(3);

impl Children {
    pub fn push(&mut self, name: &str, mut child: Child) {
        let stdin = child.stdin.take();
        self.0.push(Running {
            name: name.to_owned(),
            child,
            stdin,
        });
    }

    /// The first child that has exited: its name and how it ended.
    pub fn exited(&mut self) -> Option<(String, std::result::Result<ExitStatus, String>)> {
        self.0
            .iter_mut()
            .find_map(|running| match running.child.try_wait() {
                Ok(Some(status)) => Some((running.name.clone(), Ok(status))),
                Ok(None) => None,
                Err(e) => Some((running.name.clone(), Err(e.to_string()))),
            })
    }

    /// Blocks until one child exits (the stack is then incomplete; dropping `self` stops the rest): fine if it
    /// ended successfully (it was told to stop), an error otherwise.
    pub fn wait_any(&mut self) -> Result {
        loop {
            match self.exited() {
                Some((_, Ok(status))) if status.success() => return Ok(()),
                Some((name, Ok(status))) => return Err(format!("{name} ended ({status})")),
                Some((name, Err(e))) => return Err(format!("{name}: {e}")),
                None => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for running in &mut self.0 {
            drop(running.stdin.take());
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline
            && self
                .0
                .iter_mut()
                .any(|r| matches!(r.child.try_wait(), Ok(None)))
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        for running in &mut self.0 {
            if let Ok(None) = running.child.try_wait() {
                let _ = running.child.kill();
                let _ = running.child.wait();
            }
        }
    }
}

/// `1.23s` or `2m 05s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.2}s")
    } else {
        format!("{}m {:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use std::process::Stdio;

    use super::*;

    #[cfg(unix)]
    #[test]
    fn children_stop_when_their_stdin_closes_or_are_killed() {
        let started = Instant::now();
        let mut children = Children::default();
        // `cat` ends at EOF on stdin; `sleep` ignores stdin and must be killed after the grace period.
        let cat = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let cat_pid = cat.id();
        children.push("cat", cat);
        assert!(
            children.exited().is_none(),
            "cat must keep running while its stdin is held"
        );
        let sleeper = Command::new("sleep")
            .arg("30")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        children.push("sleep", sleeper);
        drop(children);
        assert!(started.elapsed() < STOP_GRACE + Duration::from_secs(2));
        assert!(
            !Path::new(&format!("/proc/{cat_pid}")).exists(),
            "cat survived"
        );
    }

    #[cfg(unix)]
    #[test]
    fn wait_any_reports_how_the_first_child_ended() {
        let mut ok = Children::default();
        ok.push("true", Command::new("true").spawn().unwrap());
        assert_eq!(ok.wait_any(), Ok(()));
        let mut failed = Children::default();
        failed.push("false", Command::new("false").spawn().unwrap());
        assert!(failed.wait_any().unwrap_err().starts_with("false ended"));
    }

    #[test]
    fn project_root_is_the_workspace() {
        let manifest = std::fs::read_to_string(project_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }

    #[test]
    fn commands_display_as_typed() {
        let mut cmd = Command::new("npm");
        cmd.args(["ci", "a b", ""]);
        assert_eq!(display(&cmd), "npm ci 'a b' ''");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(Duration::from_millis(1234)), "1.23s");
        assert_eq!(format_duration(Duration::from_secs(125)), "2m 05s");
    }
}
