//! `legit-demo`: the command line of legit's local stack (see `demo/SIMULATOR.md`).
//!
//! Plain std argument parsing: bad arguments print the usage and exit with 2, failures exit with 1.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use legit_core::provider::Secret;
use legit_demo::certs::{DemoCerts, RP_P12_PASSWORD};
use legit_demo::{ivr_console, providers, simulator};

const USAGE: &str = "\
usage: legit-demo <command> [options]

commands:
  certs [--out DIR]
      Create the demo CA, server and relying-party certificates in DIR, or keep the ones
      already there while they are valid; print the folder. DIR: target/demo/certs
  simulator [--certs DIR] [--rp-addr ADDR] [--admin-addr ADDR] [--watch-stdin]
      Run the BankID RP API v6.0 simulator until Ctrl-C.
        --certs DIR         certificates, created if missing (target/demo/certs)
        --rp-addr ADDR      RP API over mutual TLS (127.0.0.1:8443)
        --admin-addr ADDR   admin API and phone page, loopback only (127.0.0.1:8444)
        --watch-stdin       also stop when stdin closes (so a supervising process
                            never leaves the simulator behind)
  providers [--addr ADDR] [--sms-user U] [--sms-password P] [--email-key K] [--watch-stdin]
      Run the fake SMS gateway (POST /sms/send) and e-mail API (POST /email/send) with
      their inbox page (GET /inbox) until Ctrl-C; print `ready http://ADDR` when listening.
        --addr ADDR         loopback only (127.0.0.1:8445)
        --sms-user U        basic-auth user of the SMS gateway (legit)
        --sms-password P    its password (legit-demo-sms)
        --email-key K       bearer key of the e-mail API (legit-demo-email)
        --watch-stdin       also stop when stdin closes
  ivr [--addr ADDR] [--edge URL] [--api-key-file FILE] [--watch-stdin]
      Run the IVR console (a page that plays the caller: keypad, the IVR's sentences)
      against the edge's IVR API, and the pages with the widget in them (/crm, /softphone,
      /self-service), until Ctrl-C; print `ready http://ADDR` when listening.
        --addr ADDR         loopback only (127.0.0.1:8446)
        --edge URL          the edge (http://127.0.0.1:8787)
        --api-key-file FILE the tenant's API key, kept in this process (target/demo/api-key)
        --watch-stdin       also stop when stdin closes
  api-key
      Print a new API key for a tenant and the `sha256:` line to add to its apiKeyHashes
      (wrangler.toml or the TENANTS document). Only the hash is ever configured.
  help
      Print this text.
";

const DEFAULT_CERTS: &str = "target/demo/certs";
const DEFAULT_RP_ADDR: &str = "127.0.0.1:8443";
const DEFAULT_ADMIN_ADDR: &str = "127.0.0.1:8444";
const DEFAULT_PROVIDERS_ADDR: &str = "127.0.0.1:8445";
const DEFAULT_SMS_USER: &str = "legit";
const DEFAULT_SMS_PASSWORD: &str = "legit-demo-sms";
const DEFAULT_EMAIL_KEY: &str = "legit-demo-email";
const DEFAULT_IVR_ADDR: &str = "127.0.0.1:8446";
const DEFAULT_EDGE_URL: &str = "http://127.0.0.1:8787";
const DEFAULT_API_KEY_FILE: &str = "target/demo/api-key";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Help,
    ApiKey,
    Certs {
        out: PathBuf,
    },
    Simulator {
        certs: PathBuf,
        rp_addr: SocketAddr,
        admin_addr: SocketAddr,
        watch_stdin: bool,
    },
    Providers {
        addr: SocketAddr,
        credentials: providers::Credentials,
        watch_stdin: bool,
    },
    Ivr {
        addr: SocketAddr,
        edge_url: String,
        api_key_file: PathBuf,
        watch_stdin: bool,
    },
}

fn main() -> ExitCode {
    let command = std::env::args_os()
        .skip(1)
        .map(OsString::into_string)
        .collect::<Result<Vec<_>, _>>();
    let command = match command {
        Ok(args) => parse(&args),
        Err(arg) => Err(format!("argument {arg:?} is not valid UTF-8")),
    };
    let result = match command {
        Err(message) => {
            eprintln!("legit-demo: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
        Ok(Command::Help) => {
            print!("{USAGE}");
            Ok(())
        }
        Ok(Command::ApiKey) => api_key(),
        Ok(Command::Certs { out }) => certs(&out),
        Ok(Command::Simulator {
            certs,
            rp_addr,
            admin_addr,
            watch_stdin,
        }) => run_simulator(&certs, rp_addr, admin_addr, watch_stdin),
        Ok(Command::Providers {
            addr,
            credentials,
            watch_stdin,
        }) => run_providers(addr, credentials, watch_stdin),
        Ok(Command::Ivr {
            addr,
            edge_url,
            api_key_file,
            watch_stdin,
        }) => run_ivr(addr, edge_url, &api_key_file, watch_stdin),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("legit-demo: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Command, String> {
    let Some((command, rest)) = args.split_first() else {
        return Err("no command given".to_owned());
    };
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Command::Help);
    }
    match command.as_str() {
        "help" | "-h" | "--help" => match rest {
            [] => Ok(Command::Help),
            _ => Err(format!("`help` takes no arguments, got {:?}", rest[0])),
        },
        "api-key" => match rest {
            [] => Ok(Command::ApiKey),
            _ => Err(format!("`api-key` takes no arguments, got {:?}", rest[0])),
        },
        "certs" => {
            let options = Options::parse(rest, &[("--out", true)])?;
            Ok(Command::Certs {
                out: options.path("--out", DEFAULT_CERTS),
            })
        }
        "simulator" => {
            let options = Options::parse(
                rest,
                &[
                    ("--certs", true),
                    ("--rp-addr", true),
                    ("--admin-addr", true),
                    ("--watch-stdin", false),
                ],
            )?;
            Ok(Command::Simulator {
                certs: options.path("--certs", DEFAULT_CERTS),
                rp_addr: options.addr("--rp-addr", DEFAULT_RP_ADDR)?,
                admin_addr: options.addr("--admin-addr", DEFAULT_ADMIN_ADDR)?,
                watch_stdin: options.flag("--watch-stdin"),
            })
        }
        "providers" => {
            let options = Options::parse(
                rest,
                &[
                    ("--addr", true),
                    ("--sms-user", true),
                    ("--sms-password", true),
                    ("--email-key", true),
                    ("--watch-stdin", false),
                ],
            )?;
            let sms_user = options.value("--sms-user").unwrap_or(DEFAULT_SMS_USER);
            if sms_user.contains(':') {
                return Err("--sms-user cannot contain ':' (basic auth splits on it)".to_owned());
            }
            Ok(Command::Providers {
                addr: options.addr("--addr", DEFAULT_PROVIDERS_ADDR)?,
                credentials: providers::Credentials {
                    sms_user: sms_user.to_owned(),
                    sms_password: Secret::new(
                        options
                            .value("--sms-password")
                            .unwrap_or(DEFAULT_SMS_PASSWORD),
                    ),
                    email_key: Secret::new(
                        options.value("--email-key").unwrap_or(DEFAULT_EMAIL_KEY),
                    ),
                },
                watch_stdin: options.flag("--watch-stdin"),
            })
        }
        "ivr" => {
            let options = Options::parse(
                rest,
                &[
                    ("--addr", true),
                    ("--edge", true),
                    ("--api-key-file", true),
                    ("--watch-stdin", false),
                ],
            )?;
            Ok(Command::Ivr {
                addr: options.addr("--addr", DEFAULT_IVR_ADDR)?,
                edge_url: options
                    .value("--edge")
                    .unwrap_or(DEFAULT_EDGE_URL)
                    .to_owned(),
                api_key_file: options.path("--api-key-file", DEFAULT_API_KEY_FILE),
                watch_stdin: options.flag("--watch-stdin"),
            })
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

/// `--name value`, `--name=value` and bare `--flag` options, each at most once.
struct Options<'a> {
    given: Vec<(&'static str, Option<&'a str>)>,
}

impl<'a> Options<'a> {
    /// `known` lists each option's name and whether it takes a value.
    fn parse(args: &'a [String], known: &[(&'static str, bool)]) -> Result<Options<'a>, String> {
        let mut given: Vec<(&'static str, Option<&'a str>)> = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value)),
                _ => (arg.as_str(), None),
            };
            let Some(&(name, takes_value)) = known.iter().find(|(known, _)| *known == name) else {
                return Err(if arg.starts_with('-') {
                    format!("unknown option {name:?}")
                } else {
                    format!("unexpected argument {arg:?}")
                });
            };
            if given.iter().any(|(seen, _)| *seen == name) {
                return Err(format!("{name} given twice"));
            }
            let value = match (takes_value, inline) {
                (false, None) => None,
                (false, Some(_)) => return Err(format!("{name} takes no value")),
                (true, Some(value)) => Some(value),
                (true, None) => match args.next() {
                    Some(value) if !value.starts_with("--") => Some(value.as_str()),
                    _ => return Err(format!("{name} needs a value")),
                },
            };
            if value.is_some_and(str::is_empty) {
                return Err(format!("{name} needs a value"));
            }
            given.push((name, value));
        }
        Ok(Options { given })
    }

    fn value(&self, name: &str) -> Option<&'a str> {
        self.given
            .iter()
            .find(|(given, _)| *given == name)
            .and_then(|(_, value)| *value)
    }

    fn flag(&self, name: &str) -> bool {
        self.given.iter().any(|(given, _)| *given == name)
    }

    fn path(&self, name: &str, default: &str) -> PathBuf {
        PathBuf::from(self.value(name).unwrap_or(default))
    }

    fn addr(&self, name: &str, default: &str) -> Result<SocketAddr, String> {
        let value = self.value(name).unwrap_or(default);
        value.parse().map_err(|_| {
            format!("{name} {value:?} is not an IP address with a port, like {default}")
        })
    }
}

fn load_certs(dir: &Path) -> Result<DemoCerts, String> {
    DemoCerts::load_or_generate(dir)
        .map_err(|e| format!("cannot load or create the certificates: {e}"))
}

/// The folder as an absolute path when it can be resolved, for printing.
fn absolute(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_owned())
}

fn api_key() -> Result<(), String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a key: {e}"))?;
    print!(
        "{}",
        api_key_text(&legit_core::tenant::api_key_from_random(bytes))
    );
    Ok(())
}

/// What `api-key` prints: the key for the integrator, the line for the configuration.
fn api_key_text(key: &str) -> String {
    format!(
        "API key (hand it to the integrator; it is shown once and stored nowhere):\n  {key}\n\
         Add this to the tenant's apiKeyHashes:\n  \"{}\"\n",
        legit_core::tenant::api_key_hash(key)
    )
}

fn certs(out: &Path) -> Result<(), String> {
    load_certs(out)?;
    println!("{}", absolute(out).display());
    Ok(())
}

fn run_simulator(
    dir: &Path,
    rp_addr: SocketAddr,
    admin_addr: SocketAddr,
    watch_stdin: bool,
) -> Result<(), String> {
    let certs = load_certs(dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let config = simulator::Config {
            certs,
            rp_addr,
            admin_addr,
            settings: Default::default(),
        };
        let running = simulator::start(config)
            .await
            .map_err(|e| format!("cannot start the simulator: {e}"))?;
        println!("BankID RP API (mTLS):     {}", running.rp_url);
        println!("admin API and phone page: {}", running.admin_url);
        println!(
            "certificates:             {} (rp.p12 password {RP_P12_PASSWORD})",
            absolute(dir).display()
        );
        println!("Ctrl-C stops the simulator.");
        wait_for_stop(watch_stdin).await;
        drop(running);
        Ok(())
    })
}

fn run_providers(
    addr: SocketAddr,
    credentials: providers::Credentials,
    watch_stdin: bool,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let sms_user = credentials.sms_user.clone();
        let running = providers::start(providers::Config { addr, credentials })
            .await
            .map_err(|e| format!("cannot start the providers: {e}"))?;
        let url = &running.url;
        // The first line is for supervising programs (xtask, tests); the rest for people.
        println!("ready {url}");
        println!("inbox:       {url}/inbox");
        println!("SMS gateway: {url}/sms/send (form POST, basic auth as {sms_user:?})");
        println!("e-mail API:  {url}/email/send (JSON POST, bearer key)");
        println!("Ctrl-C stops the providers.");
        wait_for_stop(watch_stdin).await;
        drop(running);
        Ok(())
    })
}

fn run_ivr(
    addr: SocketAddr,
    edge_url: String,
    api_key_file: &Path,
    watch_stdin: bool,
) -> Result<(), String> {
    let key = std::fs::read_to_string(api_key_file).map_err(|e| {
        format!(
            "cannot read the API key from {}: {e}",
            api_key_file.display()
        )
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let running = ivr_console::start(ivr_console::Config {
            addr,
            edge_url: edge_url.clone(),
            api_key: Secret::new(key.trim()),
        })
        .await
        .map_err(|e| format!("cannot start the IVR console: {e}"))?;
        // The first line is for supervising programs (xtask, tests); the rest for people.
        println!("ready {}", running.url);
        println!(
            "IVR console: {} (calls the IVR API of {edge_url})",
            running.url
        );
        println!("Ctrl-C stops the console.");
        wait_for_stop(watch_stdin).await;
        drop(running);
        Ok(())
    })
}

/// Returns on Ctrl-C, on SIGTERM, or (with `watch_stdin`) when stdin reaches its end.
async fn wait_for_stop(watch_stdin: bool) {
    let stdin_closed = async {
        if !watch_stdin {
            return std::future::pending().await;
        }
        // A plain thread: a blocking read must not keep the runtime from shutting down.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let mut sink = std::io::sink();
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut sink);
            let _ = tx.send(());
        });
        let _ = rx.await;
    };
    tokio::select! {
        _ = ctrl_c() => {}
        _ = terminate() => {}
        () = stdin_closed => {}
    }
}

/// Ctrl-C; if no handler can be installed, never (the default action then ends the process anyway).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut sigterm) => {
            sigterm.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn api_key_prints_a_key_and_the_hash_line_a_tenant_accepts_it_by() {
        assert_eq!(parse(&args("api-key")), Ok(Command::ApiKey));
        assert!(parse(&args("api-key --out x")).is_err());
        let key = legit_core::tenant::api_key_from_random([7; 32]);
        let text = api_key_text(&key);
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        assert_eq!(lines[1], key);
        let doc = format!(
            r#"{{"t": {{"displayName": "T", "allowedOrigins": ["https://a.example"], "apiKeyHashes": [{}]}}}}"#,
            lines[3]
        );
        let tenants = legit_core::tenant::Tenants::parse(&doc).unwrap();
        assert!(tenants.get("t").unwrap().accepts_api_key(&key));
    }

    #[test]
    fn defaults_match_simulator_md() {
        assert_eq!(
            parse(&args("certs")),
            Ok(Command::Certs {
                out: PathBuf::from("target/demo/certs")
            })
        );
        assert_eq!(
            parse(&args("simulator")),
            Ok(Command::Simulator {
                certs: PathBuf::from("target/demo/certs"),
                rp_addr: "127.0.0.1:8443".parse().unwrap(),
                admin_addr: "127.0.0.1:8444".parse().unwrap(),
                watch_stdin: false,
            })
        );
    }

    #[test]
    fn options_take_separate_or_inline_values() {
        assert_eq!(
            parse(&args("certs --out /tmp/x")),
            Ok(Command::Certs {
                out: PathBuf::from("/tmp/x")
            })
        );
        assert_eq!(
            parse(&args("certs --out=/tmp/x")),
            Ok(Command::Certs {
                out: PathBuf::from("/tmp/x")
            })
        );
        assert_eq!(
            parse(&args(
                "simulator --rp-addr=127.0.0.1:0 --watch-stdin --admin-addr [::1]:0 --certs c"
            )),
            Ok(Command::Simulator {
                certs: PathBuf::from("c"),
                rp_addr: "127.0.0.1:0".parse().unwrap(),
                admin_addr: "[::1]:0".parse().unwrap(),
                watch_stdin: true,
            })
        );
    }

    #[test]
    fn ivr_console_options_and_defaults() {
        assert_eq!(
            parse(&args("ivr")),
            Ok(Command::Ivr {
                addr: "127.0.0.1:8446".parse().unwrap(),
                edge_url: "http://127.0.0.1:8787".into(),
                api_key_file: PathBuf::from("target/demo/api-key"),
                watch_stdin: false,
            })
        );
        assert_eq!(
            parse(&args(
                "ivr --addr 127.0.0.1:0 --edge http://127.0.0.1:1 --api-key-file k --watch-stdin"
            )),
            Ok(Command::Ivr {
                addr: "127.0.0.1:0".parse().unwrap(),
                edge_url: "http://127.0.0.1:1".into(),
                api_key_file: PathBuf::from("k"),
                watch_stdin: true,
            })
        );
    }

    #[test]
    fn providers_options_and_defaults() {
        assert_eq!(
            parse(&args("providers")),
            Ok(Command::Providers {
                addr: "127.0.0.1:8445".parse().unwrap(),
                credentials: providers::Credentials {
                    sms_user: "legit".into(),
                    sms_password: Secret::new("legit-demo-sms"),
                    email_key: Secret::new("legit-demo-email"),
                },
                watch_stdin: false,
            })
        );
        assert_eq!(
            parse(&args(
                "providers --addr 127.0.0.1:0 --sms-user U --sms-password=P --email-key K --watch-stdin"
            )),
            Ok(Command::Providers {
                addr: "127.0.0.1:0".parse().unwrap(),
                credentials: providers::Credentials {
                    sms_user: "U".into(),
                    sms_password: Secret::new("P"),
                    email_key: Secret::new("K"),
                },
                watch_stdin: true,
            })
        );
        for line in [
            "providers --addr",
            "providers --addr localhost:1",
            "providers --sms-user a:b",
            "providers --email-key",
            "providers --certs x",
            "providers stray",
        ] {
            assert!(parse(&args(line)).is_err(), "{line:?} was accepted");
        }
        // The secrets never show in Debug output (and so not in a failing assertion either).
        let debug = format!(
            "{:?}",
            parse(&args("providers --sms-password P4ss --email-key K3y"))
        );
        assert!(!debug.contains("P4ss") && !debug.contains("K3y"), "{debug}");
    }

    #[test]
    fn help_anywhere_prints_usage() {
        for line in [
            "help",
            "--help",
            "-h",
            "certs --help",
            "simulator --rp-addr x -h",
        ] {
            assert_eq!(parse(&args(line)), Ok(Command::Help), "{line}");
        }
    }

    #[test]
    fn bad_arguments_are_errors_not_panics() {
        for line in [
            "",
            "frobnicate",
            "certs --out",
            "certs --out --out x",
            "certs --out a --out b",
            "certs --out=",
            "certs stray",
            "certs --certs x",
            "simulator --rp-addr localhost",
            "simulator --rp-addr 127.0.0.1",
            "simulator --watch-stdin=yes",
            "help me",
        ] {
            assert!(parse(&args(line)).is_err(), "{line:?} was accepted");
        }
    }
}
