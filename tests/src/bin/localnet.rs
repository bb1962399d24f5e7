//! `cargo xtask localnet`: a MedShare playground that stays up, as `solana-test-validator` and
//! `anchor localnet` users expect. The same setup as `cargo xtask demo` ([`Deployment::start`]:
//! a local validator, the program deployed by `medshare-migrations`, five `mpc-node` daemons that
//! accept their invitations and run a 3-of-5 key generation through the chain, the circuit
//! registered), then named demo wallets (patient, doctor, hospital, auditor) funded, each with
//! its encryption key registered, so that the `medshare` CLI works against it at once, and the
//! web app (`target/web`, built by `cargo xtask web`) served at `http://localhost:PORT` with its
//! `config.json` and a blob store ([`medshare_tests::web`]). It prints the URLs and the CLI
//! lines to paste, writes them as JSON to `localnet.json` in the
//! wallet directory, and runs until SIGINT (Ctrl-C) or SIGTERM; then it stops each daemon with
//! SIGTERM, then the validator, and exits 0 with nothing left running.
//!
//! ```text
//! localnet [--wallets DIR] [--web-port PORT]
//! ```
//!
//! - `--wallets DIR`: where the demo wallets' keypair files and `localnet.json` go (default
//!   `target/localnet` of this clone). Keypair files already there are reused, so the wallets
//!   keep their addresses from one run to the next (the chain itself starts empty every run).
//! - `--web-port PORT`: the port the web app is served on (default 8080). The wallets' keys
//!   are derived for the key domain `localhost:PORT`, the domain a browser at
//!   `http://localhost:PORT` derives them for, so that the CLI and the web app open the same
//!   records with the same wallets.

use medshare_tests::{
    deployment::{Deployment, Options, Wallet},
    web::{AppConfig, DEFAULT_MAX_BLOB_BYTES, WebOptions, WebServer},
};
use serde_json::{Value, json};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

/// The demo wallets, in the order they are printed.
const DEMO_WALLETS: [&str; 4] = ["patient", "doctor", "hospital", "auditor"];

/// SOL each demo wallet gets: enough for many records, shares and their rent.
const DEMO_SOL: u64 = 100;

/// The cluster the playground runs: the demo's 3-of-5.
const THRESHOLD: u8 = 3;
/// Its size.
const NODES: u8 = 5;

/// How long the daemons get to stop after SIGTERM when the setup itself is interrupted.
const SETUP_STOP_GRACE: Duration = Duration::from_secs(20);

/// What the command line asked for.
struct Args {
    /// Where the demo wallets and `localnet.json` go.
    wallets: PathBuf,
    /// The web app's port (and so the key domain `localhost:PORT`).
    web_port: u16,
}

/// Parses `--wallets DIR` and `--web-port PORT`; an unknown or malformed option is an error
/// that names it.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut parsed = Args { wallets: repo.join("target").join("localnet"), web_port: 8080 };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--wallets" => parsed.wallets = PathBuf::from(value("--wallets")?),
            "--web-port" => {
                let port = value("--web-port")?;
                parsed.web_port = port.parse().ok().filter(|p| *p > 0).ok_or_else(|| format!("--web-port {port}: not a port from 1 to 65535"))?;
            }
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(parsed)
}

/// Why the playground stopped.
#[derive(Clone, Copy, Debug)]
enum Stop {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Stop {
    fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
        }
    }
}

/// Catches SIGINT and SIGTERM from now on (replacing their default action, which would kill
/// this process and orphan the daemons). Once `ready` is set, each signal is sent on the
/// returned channel for the main thread to stop everything in order. Before that the main
/// thread is inside the setup and cannot be told, so the signal thread itself stops every
/// child process (the daemons, a CLI run), removes this process's work directories and exits
/// with 130.
fn catch_signals(ready: Arc<AtomicBool>) -> mpsc::Receiver<Stop> {
    use tokio::signal::unix::{SignalKind, signal};

    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().expect("a runtime for the signal handlers");
    // registered here, on the main thread, so that no signal slips through before the thread runs
    let (mut interrupt, mut terminate) = {
        let _entered = runtime.enter();
        (signal(SignalKind::interrupt()).expect("SIGINT handler"), signal(SignalKind::terminate()).expect("SIGTERM handler"))
    };
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        runtime.block_on(async move {
            loop {
                let stop = tokio::select! {
                    _ = interrupt.recv() => Stop::Interrupt,
                    _ = terminate.recv() => Stop::Terminate,
                };
                if ready.load(Ordering::SeqCst) {
                    if sender.send(stop).is_err() {
                        return;
                    }
                } else {
                    println!("== {} during the setup: stopping the daemons and the validator", stop.name());
                    stop_children_and_exit();
                }
            }
        })
    });
    receiver
}

/// The state letter (`R`, `S`, `Z`, ...) and parent of process `pid`, from `/proc/PID/stat`;
/// `None` once it is gone.
fn process_stat(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so read after the last ')'
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((state, fields.next()?.parse().ok()?))
}

/// The state letter of process `pid`; `None` once it is gone.
fn process_state(pid: u32) -> Option<char> {
    process_stat(pid).map(|(state, _)| state)
}

/// The processes whose parent is this process.
fn child_pids() -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| process_stat(*pid).is_some_and(|(_, parent)| parent == me))
        .collect()
}

/// Stops every child with SIGTERM (SIGKILL past [`SETUP_STOP_GRACE`]), removes the
/// deployment's work directory and ledger (named after this process's id), and exits 130.
fn stop_children_and_exit() -> ! {
    let children = child_pids();
    for pid in &children {
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    }
    let deadline = Instant::now() + SETUP_STOP_GRACE;
    // a stopped child stays a zombie until reaped (exiting reaps them all): wait until none runs
    let running = |pid: &u32| process_state(*pid).is_some_and(|state| state != 'Z');
    while children.iter().any(running) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    for pid in children.iter().filter(|pid| running(pid)) {
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }
    let prefixes = [format!("medshare-deployment-{}-", std::process::id()), format!("medshare-ledger-{}-", std::process::id())];
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            if entry.file_name().to_str().is_some_and(|name| prefixes.iter().any(|prefix| name.starts_with(prefix))) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    println!("== stopped during the setup");
    std::process::exit(130)
}

/// The demo wallet `name`: its keypair file in `dir` (made if missing, reused if there).
fn demo_keypair(dir: &Path, name: &str) -> Result<(Keypair, PathBuf), String> {
    let path = dir.join(format!("{name}.json"));
    if path.exists() {
        let keypair =
            solana_keypair::read_keypair_file(&path).map_err(|e| format!("{}: not a keypair file ({e}); remove it to make a new one", path.display()))?;
        return Ok((keypair, path));
    }
    let keypair = Keypair::new();
    solana_keypair::write_keypair_file(&keypair, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((keypair, path))
}

/// The demo wallets: funded with [`DEMO_SOL`] each and their encryption keys (#0 for
/// `key_domain`) registered with the real CLI.
fn demo_wallets(d: &Deployment, dir: &Path, key_domain: &str) -> Result<Vec<Wallet>, String> {
    let mut wallets = Vec::new();
    for name in DEMO_WALLETS {
        let (keypair, path) = demo_keypair(dir, name)?;
        d.fund(&keypair.pubkey(), DEMO_SOL * solana_native_token::LAMPORTS_PER_SOL);
        let wallet = Wallet { name: name.to_owned(), path, address: keypair.pubkey() };
        d.medshare(&wallet, &["register-key", "--key-domain", key_domain]).expect_success();
        wallets.push(wallet);
    }
    Ok(wallets)
}

/// Serves the built web app (`target/web` of this clone) at `http://localhost:PORT` with the
/// deployment's `config.json` and a blob store in the deployment's work directory. A missing
/// build is said, not fatal: the rest of the playground works without it.
fn serve_web_app(d: &Deployment, key_domain: &str, port: u16) -> Result<WebServer, String> {
    let site_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("web");
    if !site_dir.join("index.html").is_file() {
        println!("!! {} has no index.html: run `cargo xtask web` (`cargo xtask localnet` does it first)", site_dir.display());
        std::fs::create_dir_all(&site_dir).map_err(|e| format!("{}: {e}", site_dir.display()))?;
    }
    let config = AppConfig {
        rpc_url: d.localnet.validator.rpc_url(),
        program_id: medshare_client::PROGRAM_ID.to_string(),
        cluster: d.cluster.to_string(),
        key_domain: Some(key_domain.to_owned()),
        chain: "solana:localnet".to_owned(),
    };
    WebServer::start(WebOptions { site_dir, blob_dir: d.dir.join("web-blobs"), port, config, max_blob_bytes: DEFAULT_MAX_BLOB_BYTES })
        .map_err(|e| format!("serving the web app on port {port}: {e} (choose another with --web-port)"))
}

/// What the playground serves, as printed and as written to `localnet.json`.
fn description(d: &Deployment, wallets: &[Wallet], key_domain: &str, web: &WebServer) -> Value {
    let nodes: Vec<Value> = d
        .nodes
        .iter()
        .map(|node| {
            json!({
                "index": node.index,
                "authority": node.authority.to_string(),
                "metrics": format!("http://{}/metrics", node.metrics_addr),
                "healthz": format!("http://{}/healthz", node.metrics_addr),
            })
        })
        .collect();
    let wallets: Vec<Value> =
        wallets.iter().map(|w| json!({ "name": w.name, "address": w.address.to_string(), "keypair": w.path.display().to_string(), "sol": DEMO_SOL })).collect();
    json!({
        "rpc_url": d.localnet.validator.rpc_url(),
        "websocket_url": d.localnet.validator.rpc_pubsub_url(),
        "web_app": {
            "url": web.url(),
            "served": true,
            "config": serde_json::from_str::<Value>(web.config_json()).expect("the server's config.json is JSON"),
        },
        "key_domain": key_domain,
        "program_id": medshare_client::PROGRAM_ID.to_string(),
        "cluster": d.cluster.to_string(),
        "threshold": THRESHOLD,
        "nodes": nodes,
        "wallets": wallets,
        "admin": { "address": d.admin.address.to_string() },
    })
}

/// The URLs, the wallets and the CLI lines to paste.
fn print_banner(description: &Value, state_file: &Path, setup: Duration) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let rpc = text(&description["rpc_url"]);
    let domain = text(&description["key_domain"]);
    println!();
    println!("== MedShare local playground is up (setup {setup:.1?})");
    println!("   RPC URL        {rpc}");
    println!("   websocket URL  {}", text(&description["websocket_url"]));
    println!("   web app        {} (config.json and blobs under /blobs/ served with it)", text(&description["web_app"]["url"]));
    println!("   program        {}", text(&description["program_id"]));
    println!("   cluster        {} ({THRESHOLD}-of-{NODES}, key generation done, circuit registered)", text(&description["cluster"]));
    for node in description["nodes"].as_array().into_iter().flatten() {
        println!("   node {}         metrics {}  health {}", node["index"], text(&node["metrics"]), text(&node["healthz"]));
    }
    println!("   key domain     {domain} (the wallets' encryption keys are derived for it, as the web app at that address does)");
    println!("   state          {}", state_file.display());
    println!("== demo wallets ({DEMO_SOL} SOL each, encryption key registered)");
    for wallet in description["wallets"].as_array().into_iter().flatten() {
        println!("   {:<9} {}  {}", text(&wallet["name"]), text(&wallet["address"]), text(&wallet["keypair"]));
    }
    let wallets = description["wallets"].as_array().cloned().unwrap_or_default();
    let keypair = |name: &str| wallets.iter().find(|w| w["name"] == name).map(|w| text(&w["keypair"])).unwrap_or_default();
    let address = |name: &str| wallets.iter().find(|w| w["name"] == name).map(|w| text(&w["address"])).unwrap_or_default();
    let cli = |who: &str| format!("medshare --url {rpc} --keypair {} --key-domain {domain}", keypair(who));
    println!("== try it (paste; RECORD and REQUEST are the addresses the commands before print)");
    println!("   {} cluster status {}", cli("patient"), text(&description["cluster"]));
    println!("   {} store bundle.json --cluster {}", cli("patient"), text(&description["cluster"]));
    println!("   {} list", cli("patient"));
    println!("   {} share RECORD {} --expires-in 1day", cli("patient"), address("doctor"));
    println!("   {} open REQUEST --wait 60s --out opened.json", cli("doctor"));
    println!("   {} audit --record RECORD", cli("auditor"));
    println!("== running until Ctrl-C");
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("error: {problem}");
            }
            eprintln!("usage: localnet [--wallets DIR] [--web-port PORT]");
            return if problem.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) };
        }
    };
    let key_domain = format!("localhost:{}", args.web_port);
    if let Err(error) = encrypted_circuits::wallet_message::check_domain(&key_domain) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    if let Err(error) = std::fs::create_dir_all(&args.wallets) {
        eprintln!("error: {}: {error}", args.wallets.display());
        return ExitCode::FAILURE;
    }
    let ready = Arc::new(AtomicBool::new(false));
    let stops = catch_signals(Arc::clone(&ready));

    let started = Instant::now();
    println!("== starting a local validator (solana-test-validator, in process); medshare-migrations deploys the program");
    let mut d = Deployment::start(THRESHOLD, NODES, Options { deploy_with_migrations: true, verbose: true, ..Options::default() });
    println!("== funding the demo wallets and registering their encryption keys (key domain {key_domain})");
    let wallets = match demo_wallets(&d, &args.wallets, &key_domain) {
        Ok(wallets) => wallets,
        Err(problem) => {
            eprintln!("error: {problem}");
            return ExitCode::FAILURE;
        }
    };
    let web = match serve_web_app(&d, &key_domain, args.web_port) {
        Ok(web) => web,
        Err(problem) => {
            eprintln!("error: {problem}");
            return ExitCode::FAILURE;
        }
    };
    let description = description(&d, &wallets, &key_domain, &web);
    let state_file = args.wallets.join("localnet.json");
    if let Err(error) = std::fs::write(&state_file, serde_json::to_string_pretty(&description).expect("JSON") + "\n") {
        eprintln!("error: {}: {error}", state_file.display());
        return ExitCode::FAILURE;
    }
    print_banner(&description, &state_file, started.elapsed());
    ready.store(true, Ordering::SeqCst);

    // a daemon that dies on its own is reported (with where its log is), once
    let mut reported = vec![false; usize::from(NODES)];
    let stop = loop {
        match stops.recv_timeout(Duration::from_secs(1)) {
            Ok(stop) => break stop,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break Stop::Terminate,
        }
        for index in 1..=NODES {
            if !reported[usize::from(index) - 1]
                && let Some(status) = d.node_exited(index)
            {
                reported[usize::from(index) - 1] = true;
                println!("!! node {index}'s daemon exited on its own ({status}); its log: {}", d.dir.join(format!("node-{index}.log")).display());
            }
        }
    };

    println!("== {}: stopping the daemons (SIGTERM), then the validator", stop.name());
    for index in 1..=NODES {
        // (a daemon that exited on its own is reaped already: dropping the deployment finishes it)
        if d.is_running(index) && !reported[usize::from(index) - 1] {
            let status = d.stop_node(index);
            println!("   node {index} stopped ({status})");
        }
    }
    drop(web);
    drop(d);
    let _ = std::fs::remove_file(&state_file);
    println!("== validator stopped; nothing left running");
    ExitCode::SUCCESS
}
