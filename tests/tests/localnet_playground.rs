//! `cargo xtask localnet`'s playground (`tests/src/bin/localnet.rs`) as a user meets it: started
//! as a process, it prints its RPC URL once the cluster serves; the real `medshare` CLI, pasted
//! as the playground prints it, works against it with the demo wallets it funded and
//! registered (a share from the patient opened by the doctor); SIGINT stops the daemons and the
//! validator, and nothing is left running or listening.

use medshare_tests::deployment::Binary;
use serde_json::Value;
use std::{
    io::{BufRead, BufReader},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// How long the playground may take to come up (validator, deployment, ceremony, wallets).
const SETUP_DEADLINE: Duration = Duration::from_secs(300);

/// How long it may take to stop after SIGINT (each daemon gets up to 20 s, in turn).
const STOP_DEADLINE: Duration = Duration::from_secs(120);

const BUNDLE: &[u8] = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p1","birthDate":"1974-12-25"}}]}"#;

/// The playground process, killed if the test fails before it stopped.
struct Playground {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Playground {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
            let _ = self.child.wait();
        }
    }
}

impl Playground {
    /// Waits for a printed line that satisfies `wanted` and returns it; panics at `deadline`
    /// or if the playground ends first.
    fn line(&self, what: &str, deadline: Instant, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return line,
                Ok(_) => {}
                Err(_) => panic!("the playground printed no {what} in time (or ended)"),
            }
        }
    }
}

/// Process `pid`'s state letter and parent from `/proc/PID/stat`; `None` once it is gone.
fn process_stat(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    Some((fields.next()?.chars().next()?, fields.next()?.parse().ok()?))
}

/// The children of `parent` and their command names.
fn children(parent: u32) -> Vec<(u32, String)> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| process_stat(*pid).is_some_and(|(_, ppid)| ppid == parent))
        .map(|pid| (pid, std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned()))
        .collect()
}

/// Whether something accepts TCP connections at `address` (`host:port`).
fn listening(address: &str) -> bool {
    let address: SocketAddr = address.parse().expect("host:port");
    TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok()
}

/// `medshare --url RPC --keypair FILE --key-domain DOMAIN --output json --yes ARGS`, as the
/// playground's banner prints it (plus JSON output), expected to succeed.
/// `GET target` from `host:port` (HTTP/1.0, so the server closes the connection): the status
/// and the body.
fn http_get(host_port: &str, target: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(host_port).unwrap_or_else(|e| panic!("connect to {host_port}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(stream, "GET {target} HTTP/1.0\r\nHost: {host_port}\r\n\r\n").expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("not an HTTP answer: {head}"));
    (status, body.to_owned())
}

fn medshare(state: &Value, wallet: &str, dir: &Path, args: &[&str]) -> Value {
    let keypair = state["wallets"].as_array().expect("wallets").iter().find(|w| w["name"] == wallet).expect("demo wallet")["keypair"]
        .as_str()
        .expect("keypair path")
        .to_owned();
    let rpc = state["rpc_url"].as_str().expect("rpc_url");
    let domain = state["key_domain"].as_str().expect("key_domain");
    let out = Command::new(Binary::Medshare.path())
        .args(["--url", rpc, "--keypair", &keypair, "--key-domain", domain, "--output", "json", "--yes"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run medshare");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "medshare {args:?} as {wallet} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("medshare {args:?} printed no JSON ({e}): {stdout}"))
}

#[test]
fn the_playground_serves_the_cli_and_stops_cleanly_on_sigint() {
    let dir = std::env::temp_dir().join(format!("medshare-playground-test-{}", std::process::id()));
    let wallets = dir.join("wallets");
    std::fs::create_dir_all(&dir).expect("work dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_localnet"))
        .args(["--wallets", wallets.to_str().expect("UTF-8"), "--web-port", "18080"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the playground");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            eprintln!("playground | {line}");
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let playground = Playground { child, lines };
    let pid = playground.child.id();

    let deadline = Instant::now() + SETUP_DEADLINE;
    let rpc_line = playground.line("RPC URL", deadline, |line| line.trim_start().starts_with("RPC URL"));
    let rpc = rpc_line.split_whitespace().last().expect("a URL").to_owned();
    playground.line("ready line", deadline, |line| line == "== running until Ctrl-C");
    let state: Value = serde_json::from_str(&std::fs::read_to_string(wallets.join("localnet.json")).expect("localnet.json")).expect("JSON");
    assert_eq!(state["rpc_url"], rpc.as_str(), "the printed URL is the one in localnet.json");
    assert_eq!(state["key_domain"], "localhost:18080");
    for name in ["patient", "doctor", "hospital", "auditor"] {
        assert!(wallets.join(format!("{name}.json")).is_file(), "{name}'s keypair file is in the wallet directory");
    }

    // the web app, served with the deployment's configuration
    let web = state["web_app"]["url"].as_str().expect("web_app.url").to_owned();
    let web_host = web.trim_start_matches("http://").trim_end_matches('/').to_owned();
    assert!(web_host.ends_with(":18080"), "the web app is on --web-port: {web}");
    let (status, page) = http_get(&web_host, "/");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<title>MedShare</title>") && page.contains("assets/main-"), "the built app's index.html: {page}");
    let (status, config) = http_get(&web_host, "/config.json");
    assert_eq!(status, 200, "{config}");
    let config: Value = serde_json::from_str(&config).expect("config.json is JSON");
    assert_eq!(
        (&config["rpcUrl"], &config["programId"], &config["cluster"], &config["keyDomain"]),
        (&state["rpc_url"], &state["program_id"], &state["cluster"], &state["key_domain"]),
        "the app is configured for this playground: {config:#}"
    );

    // the CLI against it, as the banner says to paste it
    let cluster = state["cluster"].as_str().expect("cluster").to_owned();
    let status = medshare(&state, "auditor", &dir, &["cluster", "status", &cluster]);
    assert_eq!((status["status"].as_str(), status["threshold"].as_u64()), (Some("active"), Some(3)), "{status:#}");
    assert_eq!(status["members"].as_array().expect("members").len(), 5);
    let nodes = state["nodes"].as_array().expect("nodes").clone();
    assert_eq!(nodes.len(), 5);
    let bundle = dir.join("bundle.json");
    std::fs::write(&bundle, BUNDLE).expect("bundle");
    let record =
        medshare(&state, "patient", &dir, &["store", bundle.to_str().expect("UTF-8"), "--cluster", &cluster])["record"].as_str().expect("record").to_owned();
    let doctor = state["wallets"].as_array().expect("wallets").iter().find(|w| w["name"] == "doctor").expect("the doctor")["address"]
        .as_str()
        .expect("address")
        .to_owned();
    let request = medshare(&state, "patient", &dir, &["share", &record, &doctor])["request"].as_str().expect("request").to_owned();
    let opened = dir.join("opened.json");
    medshare(&state, "doctor", &dir, &["open", &request, "--wait", "60s", "--out", opened.to_str().expect("UTF-8")]);
    assert_eq!(std::fs::read(&opened).expect("opened file"), BUNDLE, "the doctor opens the patient's bundle, byte for byte");

    // the web app's data layer (web/app/src/chain, with medshare-wasm's Node build) against the
    // same playground: a fresh wallet registers, stores inline and blob records, shares, opens,
    // revokes and audits; the CLI opens what it stored and it opens what the CLI stored
    let app = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("web").join("app");
    let out = Command::new("node")
        .args(["--test", "test/chain.test.mjs"])
        .current_dir(&app)
        .env("MEDSHARE_LOCALNET_JSON", wallets.join("localnet.json"))
        .env("MEDSHARE_CLI", Binary::Medshare.path())
        .stdin(Stdio::null())
        .output()
        .expect("run node --test (install Node.js with `cargo xtask setup`)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the web data layer's tests failed against the playground:\n{report}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.lines().any(|line| line.trim() == "# fail 0"), "{report}");
    let passed = report.lines().find_map(|line| line.strip_prefix("# pass ")).and_then(|n| n.trim().parse::<u32>().ok());
    assert!(passed.is_some_and(|n| n >= 16), "expected the data layer's 16 tests against the playground to pass:\n{report}");

    let daemons: Vec<u32> = children(pid).into_iter().filter(|(_, name)| name == "mpc-node").map(|(pid, _)| pid).collect();
    assert_eq!(daemons.len(), 5, "five mpc-node daemons run as the playground's children");
    let metrics: Vec<String> =
        nodes.iter().map(|n| n["healthz"].as_str().expect("healthz")["http://".len()..].split('/').next().expect("host:port").to_owned()).collect();
    assert!(metrics.iter().all(|address| listening(address)), "every node's /healthz answers while up");

    let status = Command::new("kill").args(["-INT", &pid.to_string()]).status().expect("kill -INT");
    assert!(status.success());
    let mut playground = playground;
    let stopped = Instant::now();
    let exit = loop {
        if let Some(exit) = playground.child.try_wait().expect("wait") {
            break exit;
        }
        assert!(stopped.elapsed() < STOP_DEADLINE, "the playground did not stop within {STOP_DEADLINE:?} of SIGINT");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "the playground exits 0 after SIGINT ({exit})");
    let said: Vec<String> = playground.lines.try_iter().collect();
    assert!(said.iter().any(|line| line == "== validator stopped; nothing left running"), "{said:#?}");
    assert_eq!(said.iter().filter(|line| line.contains("stopped (exit status: 0)")).count(), 5, "each daemon stopped cleanly on SIGTERM: {said:#?}");

    // nothing left: no daemon, nothing listening on the RPC, websocket or node ports
    let gone_by = Instant::now() + Duration::from_secs(5);
    while daemons.iter().any(|pid| process_stat(*pid).is_some_and(|(state, _)| state != 'Z')) && Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(100));
    }
    for daemon in &daemons {
        assert!(process_stat(*daemon).is_none_or(|(state, _)| state == 'Z'), "mpc-node {daemon} still runs after the playground stopped");
    }
    let host_port = |url: &str| url.split("://").nth(1).expect("a URL").trim_end_matches('/').to_owned();
    let websocket = host_port(state["websocket_url"].as_str().expect("websocket_url"));
    for address in metrics.iter().chain([&host_port(&rpc), &websocket]) {
        assert!(!listening(address), "{address} still accepts connections after the playground stopped");
    }
    assert!(!wallets.join("localnet.json").exists(), "localnet.json is removed with the playground");
    assert!(wallets.join("patient.json").is_file(), "the wallets stay for the next run");
    let _ = std::fs::remove_dir_all(PathBuf::from(&dir));
}
