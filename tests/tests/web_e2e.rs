//! The web app (issue #14) in a real browser: headless Chromium (Debian's `chromium`), driven
//! by `web/e2e/run.mjs` through playwright-core, against a real deployment (a local validator,
//! five `mpc-node` daemons of which node 5 is the faulty build, the `medshare` CLI), the app
//! built by `cargo xtask web` into `target/web` and served by `tests/src/web.rs`.
//!
//! - the test wallet (`web/e2e/src/test-wallet.js`, a Wallet Standard wallet over a keypair):
//!   its Node unit tests, and its transaction signatures compared byte for byte with the
//!   Solana Rust crates';
//! - the story: a patient and a doctor, each in a browser context with their own wallet,
//!   connect, register their keys, the patient stores a FHIR bundle, an invalid and an
//!   unregistered recipient are refused by name with nothing sent, the doctor opens the
//!   shared record and downloads the same bytes, a second share is revoked while it waits,
//!   the audit view names the cheating node; then the chain and the real CLI (as the doctor,
//!   for the server's key domain) confirm what the browser showed. Every view passes axe-core
//!   at desktop and phone widths; screenshots go to `target/web-screenshots` (and to
//!   `docs/screenshots` with `MEDSHARE_UPDATE_SCREENSHOTS=1`).
//!
//! Needs `cargo xtask setup` (Chromium, Node.js, `npm ci` in `web/e2e`) and `cargo xtask web`
//! (the built app, `target/web`, or `$MEDSHARE_WEB_DIR`); `cargo xtask test` runs both first.
//! Without them the tests fail and say so.

use medshare_client::{Address, PROGRAM_ID, pda};
use medshare_tests::{
    deployment::{Deployment, Options, Wallet},
    web::{AppConfig, WebOptions, WebServer},
};
use serde_json::{Value, json};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::{
    collections::BTreeSet,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// Debian's Chromium, which `cargo xtask setup` installs.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The FHIR bundle the patient stores, and the resource types its view must show.
const FIXTURE: &str = "fixtures/patient-bundle.json";
const FIXTURE_RESOURCES: [&str; 3] = ["Patient", "Condition", "Observation"];

/// The views whose screenshots `MEDSHARE_UPDATE_SCREENSHOTS=1` copies into `docs/screenshots`
/// (the README shows them); the others stay in `target/web-screenshots`.
const DOCUMENTED_VIEWS: [&str; 7] = ["connect", "home", "my-records", "share-refused", "access-list", "record", "audit"];

/// The whole browser story may take this long before the test gives up on it (it takes about
/// a minute; the bound is for a stuck page, not a slow machine).
const STORY_TIMEOUT: Duration = Duration::from_secs(300);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn e2e_dir() -> PathBuf {
    repo().join("web").join("e2e")
}

/// `node --version`, or a panic that says how to install it.
fn node_version() -> String {
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => panic!("Node.js is not installed (`node` not found): run `cargo xtask setup`"),
    }
}

/// Every dependency of `web/e2e/package.json` installed at its pinned version, or a panic.
fn require_e2e_packages() {
    node_version();
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(e2e_dir().join("package.json")).expect("web/e2e/package.json")).expect("JSON");
    for (name, version) in manifest["dependencies"].as_object().expect("dependencies") {
        let installed = e2e_dir().join("node_modules").join(name).join("package.json");
        let found = std::fs::read_to_string(&installed).ok().and_then(|text| serde_json::from_str::<Value>(&text).ok()).map(|p| p["version"].clone());
        assert_eq!(
            found.as_ref(),
            Some(version),
            "{name} {version} is not installed in web/e2e/node_modules: run `cargo xtask setup` (it runs `npm ci` there)"
        );
    }
}

/// A keypair file's 64 numbers, as the test wallet takes them.
fn secret_key(wallet: &Wallet) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&wallet.path).expect("keypair file")).expect("a keypair file is a JSON array")
}

/// Solana's compact-u16 length prefix.
fn short_vec(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn test_wallet_unit_tests_pass_in_node() {
    require_e2e_packages();
    let out = Command::new("node").args(["--test", "test/test-wallet.test.mjs"]).current_dir(e2e_dir()).output().expect("run node --test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the test wallet's unit tests failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let passed = stdout.lines().find_map(|line| line.strip_prefix("# pass ")).and_then(|n| n.trim().parse::<u32>().ok());
    assert!(passed.is_some_and(|n| n >= 8), "expected the 8 wallet tests to pass:\n{stdout}");
    assert!(stdout.lines().any(|line| line.trim() == "# fail 0"), "{stdout}");
}

/// The web app's data layer without a chain (with medshare-wasm's Node build): FHIR checks,
/// event and error decoding from logs, account decoding refusals
/// (`web/app/test/chain-unit.test.mjs`), and the attacks of a hostile RPC node, record owner,
/// blob store and wallet, each refused (`web/app/test/attacks.test.mjs`).
#[test]
fn web_data_layer_unit_tests_pass_in_node() {
    node_version();
    let app = repo().join("web").join("app");
    assert!(app.join("node_modules").join("esbuild").is_dir(), "web/app/node_modules is missing: run `cargo xtask setup`");
    let out = Command::new("node").args(["--test", "test/chain-unit.test.mjs", "test/attacks.test.mjs"]).current_dir(&app).output().expect("run node --test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the data layer's unit tests failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let passed = stdout.lines().find_map(|line| line.strip_prefix("# pass ")).and_then(|n| n.trim().parse::<u32>().ok());
    assert!(passed.is_some_and(|n| n >= 10), "expected the data layer's 5 unit tests and 5 attack tests to pass:\n{stdout}");
    assert!(stdout.lines().any(|line| line.trim() == "# fail 0"), "{stdout}");
}

/// A legacy transaction signed by two keypairs with the Solana crates; the test wallet, given
/// it with the second signer's slot empty, fills in exactly the bytes the crates wrote.
#[test]
fn test_wallet_signs_transactions_as_the_solana_crates_do() {
    require_e2e_packages();
    let fee_payer = Keypair::new();
    let wallet = Keypair::new();
    let transfer = solana_system_interface::instruction::transfer(&wallet.pubkey(), &Address::new_unique(), 1_000);
    let blockhash = solana_hash::Hash::new_from_array([7; 32]);
    let signed = solana_transaction::Transaction::new_signed_with_payer(&[transfer], Some(&fee_payer.pubkey()), &[&fee_payer, &wallet], blockhash);
    assert_eq!(signed.message.account_keys[1], wallet.pubkey(), "the wallet is the second signer");
    let message = signed.message_data();
    let wire = |second: &[u8]| [short_vec(2), signed.signatures[0].as_ref().to_vec(), second.to_vec(), message.clone()].concat();
    let expected = wire(signed.signatures[1].as_ref());
    let unsigned = wire(&[0; 64]);

    let dir = std::env::temp_dir().join(format!("medshare-web-wallet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("input.json");
    let transactions = [unsigned.as_slice()].map(|bytes| base64_encode(bytes));
    std::fs::write(&input, json!({ "secretKey": wallet.to_bytes().to_vec(), "transactions": transactions }).to_string()).unwrap();
    let out = Command::new("node").arg("test/sign-with-wallet.mjs").arg(&input).current_dir(e2e_dir()).output().expect("run node");
    assert!(out.status.success(), "sign-with-wallet.mjs failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(answer["address"], wallet.pubkey().to_string(), "the wallet's account is the keypair's address");
    let got = base64_decode(answer["signed"][0].as_str().expect("signed"));
    assert_eq!(got, expected, "the wallet's signed transaction is the Solana crates' byte for byte");
    std::fs::remove_dir_all(&dir).ok();
}

/// Standard base64 with padding (the Node side uses `Buffer`'s).
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8) | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::new();
    for chunk in text.trim_end_matches('=').as_bytes().chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &c)| n | (u32::from(value(c)) << (18 - 6 * i)));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_round_trips() {
    for len in 0..10 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
        assert_eq!(base64_decode(&base64_encode(&bytes)), bytes);
    }
    assert_eq!(base64_encode(b"Man"), "TWFu");
    assert_eq!(base64_encode(b"Ma"), "TWE=");
}

/// What `run.mjs` asks of the test while the story runs: start or stop a node, wait until a
/// node's fault is counted on chain, or the address of a record (the audit view takes an
/// address; the UI lists record ids).
fn answer(d: &mut Deployment, ask: &Value) -> Value {
    let index = || u8::try_from(ask["index"].as_u64().expect("index")).expect("a node index");
    match ask["ask"].as_str() {
        Some("start-node") => {
            d.start_node(index());
            json!({ "done": true })
        }
        Some("stop-node") => {
            assert!(d.stop_node(index()).success(), "node {} stops cleanly on SIGTERM", index());
            json!({ "done": true })
        }
        Some("wait-fault") => {
            let cluster = d.cluster.to_string();
            let member = usize::from(index()) - 1;
            d.wait_until(&format!("node {}'s bad partial judged on chain", index()), Duration::from_secs(60), |d| {
                d.medshare_json(&d.admin, &["cluster", "status", &cluster])["members"][member]["faults"].as_u64().is_some_and(|faults| faults >= 1)
            });
            json!({ "done": true })
        }
        Some("record-address") => {
            let owner: Address = ask["owner"].as_str().expect("owner").parse().expect("an address");
            json!({ "address": pda::record(&owner, ask["recordId"].as_u64().expect("recordId")).to_string() })
        }
        other => json!({ "error": format!("unknown request {other:?}") }),
    }
}

/// Runs `node web/e2e/run.mjs <input>`, answering its control requests, and returns its
/// result (with the tail of its log when it failed).
fn run_story(d: &mut Deployment, input: &Path, log: &Path) -> Value {
    let log_file = std::fs::File::create(log).expect("log file");
    let mut child = Command::new("node")
        .arg("run.mjs")
        .arg(input)
        .current_dir(e2e_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("start node run.mjs");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    // a panic while answering (a node that will not stop, say) must not leave Chromium running
    let mut child = KillOnDrop(child);
    let (lines, incoming) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + STORY_TIMEOUT;
    let mut result = None;
    while result.is_none() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match incoming.recv_timeout(remaining) {
            Ok(Ok(line)) => {
                if let Some(ask) = line.strip_prefix("@@control ") {
                    let reply = answer(d, &serde_json::from_str(ask).expect("a control request is JSON"));
                    writeln!(stdin, "{reply}").expect("answer run.mjs");
                } else if let Some(done) = line.strip_prefix("@@result ") {
                    result = Some(serde_json::from_str::<Value>(done).expect("the result is JSON"));
                }
            }
            Ok(Err(error)) => panic!("reading run.mjs: {error}"),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("the browser story did not finish within {STORY_TIMEOUT:?}; its log:\n{}", std::fs::read_to_string(log).unwrap_or_default());
            }
        }
    }
    drop(stdin);
    let status = child.0.wait().expect("wait for run.mjs");
    let log_text = std::fs::read_to_string(log).unwrap_or_default();
    let result = result.unwrap_or_else(|| panic!("run.mjs exited ({status}) without a result; its log:\n{log_text}"));
    if result["ok"] != true {
        panic!(
            "the browser story failed at step {}:\n{}\n--- the patient's page:\n{}\n--- the doctor's page:\n{}\n--- log:\n{log_text}",
            result["failedStep"],
            result["error"].as_str().unwrap_or("?"),
            result["failureText_patient"].as_str().unwrap_or(""),
            result["failureText_doctor"].as_str().unwrap_or(""),
        );
    }
    assert!(status.success(), "run.mjs reported success but exited with {status}");
    eprintln!("{log_text}");
    result
}

/// A child process killed (with its browser, which exits with it) if the test unwinds first.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn patient_and_doctor_in_headless_chromium() {
    require_e2e_packages();
    assert!(Path::new(CHROMIUM).is_file(), "{CHROMIUM} is missing: run `cargo xtask setup` (it installs Debian's chromium)");
    // `$MEDSHARE_WEB_DIR` (as `$MEDSHARE_PROGRAM_SO` for the program): a site built elsewhere
    let site = std::env::var_os("MEDSHARE_WEB_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("target").join("web"));
    assert!(site.join("index.html").is_file(), "{} has no built app: run `cargo xtask web`", site.display());
    let fixture_path = e2e_dir().join(FIXTURE);
    let fixture = std::fs::read(&fixture_path).expect("the FHIR fixture");
    let summary = medshare_cli::fhir::validate(&fixture).expect("the fixture is valid FHIR R4");
    for resource in FIXTURE_RESOURCES {
        assert!(summary.entries.contains_key(resource), "the fixture holds a {resource}: {:?}", summary.entries);
    }
    let started = Instant::now();

    // node 5 is the faulty build; nodes 3 and 4 are down when the first share is made, so that
    // it waits at 2 of 3 (nodes 1 and 2) and node 5's bad partial is rejected on chain before
    // node 3 comes back (on run.mjs's request) and completes it
    let mut d = Deployment::start(3, 5, Options { faulty: vec![5], ..Options::default() });
    let deployed = started.elapsed();
    let patient = d.wallet("patient", 10);
    let doctor = d.wallet("doctor", 10);
    let unregistered = d.wallet("unregistered", 1);
    assert!(d.stop_node(3).success(), "node 3 stops cleanly");
    assert!(d.stop_node(4).success(), "node 4 stops cleanly");

    let config = AppConfig {
        rpc_url: d.localnet.validator.rpc_url(),
        program_id: PROGRAM_ID.to_string(),
        cluster: d.cluster.to_string(),
        key_domain: None,
        chain: "solana:localnet".to_owned(),
    };
    let server = WebServer::start(WebOptions { site_dir: site.clone(), blob_dir: d.dir.join("blobs"), port: 0, config, max_blob_bytes: 16 << 20 })
        .expect("start the web server");
    let url = server.url();
    // the app derives keys for its host, `localhost:PORT`; the CLI is told the same domain
    let key_domain = format!("localhost:{}", server.port());
    let screenshots = repo().join("target").join("web-screenshots");
    let _ = std::fs::remove_dir_all(&screenshots);
    std::fs::create_dir_all(&screenshots).unwrap();
    let input = json!({
        "url": url,
        "rpcUrl": d.localnet.validator.rpc_url(),
        "patient": { "secretKey": secret_key(&patient), "address": patient.address.to_string() },
        "doctor": { "secretKey": secret_key(&doctor), "address": doctor.address.to_string() },
        "unregistered": unregistered.address.to_string(),
        "fixture": fixture_path,
        "fixtureResources": FIXTURE_RESOURCES,
        "screenshots": screenshots,
    });
    let input_path = d.file("web-e2e-input.json", input.to_string().as_bytes());
    let browser_started = Instant::now();
    let result = run_story(&mut d, &input_path, &screenshots.join("run.log"));
    let browser_time = browser_started.elapsed();

    // --- what the browser saw, against the chain
    let record_id = result["record"]["recordId"].as_u64().expect("record id");
    let record = pda::record(&patient.address, record_id).to_string();
    assert_eq!(result["recordAddress"], record.as_str());
    let listed = d.medshare_json(&patient, &["list"]);
    let on_chain = listed["records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["record"] == record.as_str())
        .cloned()
        .expect("the stored record is listed by the CLI");
    assert_eq!(on_chain["version"], result["record"]["version"], "{on_chain}");
    let shared = result["shared"]["request"].as_str().expect("first request");
    let revoked = result["revoked"]["request"].as_str().expect("second request");
    assert_eq!(result["shared"]["signed"], 1, "sharing asked the wallet for one transaction");
    let first = d.request_status(&patient, &record, shared);
    assert_eq!(first["status"], "completed");
    assert_eq!(first["recipient"], doctor.address.to_string());
    let partials = |r: &Value| r["partials"].as_array().expect("partials").iter().map(|i| i.as_u64().unwrap()).collect::<BTreeSet<_>>();
    assert_eq!(partials(&first), BTreeSet::from([1, 2, 3]), "nodes 1 and 2, then node 3 when it came back; node 5's was rejected");
    let requested_at = result["shared"]["requestedAt"].as_i64().expect("requestedAt");
    let expires = first["expires_at_unix"].as_i64().expect("expires_at_unix");
    assert!((expires - (requested_at + 86_400)).abs() <= 120, "\"1 day\" expires a day after the share: {expires} vs {requested_at}");
    let second = d.request_status(&patient, &record, revoked);
    assert_eq!(second["status"], "revoked");
    assert_eq!(partials(&second), BTreeSet::from([1, 2]), "revoked while it waited at 2 of 3");
    let cluster = d.medshare_json(&d.admin, &["cluster", "status", &d.cluster.to_string()]);
    assert!(cluster["members"][4]["faults"].as_u64().expect("faults") >= 1, "node 5's bad partials are counted: {cluster}");
    let seen: Vec<&str> = result["partialsSeen"].as_array().expect("partialsSeen").iter().filter_map(Value::as_str).collect();
    assert_eq!(seen.last(), Some(&"3 of 3"), "the access list ended at 3 of 3: {seen:?}");
    assert!(seen.contains(&"2 of 3"), "the access list showed the share waiting at 2 of 3: {seen:?}");

    // --- the download is the fixture, and the real CLI opens the same share as the doctor
    assert_eq!(base64_decode(result["download"]["base64"].as_str().expect("download")), fixture, "the doctor's download is the stored bytes");
    let opened = d.dir.join("opened-by-cli.json");
    let cli = d.medshare(&doctor, &["--key-domain", &key_domain, "open", shared, "--out", opened.to_str().unwrap()]).expect_success().json();
    assert_eq!(cli["opened_as"], "recipient");
    assert_eq!(std::fs::read(&opened).expect("opened file"), fixture, "the CLI, with the browser's key domain, opens the record the browser stored");
    d.medshare(&doctor, &["--key-domain", &key_domain, "open", revoked]).expect_failure("revoked");

    // --- the audit view: every event with a block time, the cheater named with its authority
    let audit = result["audit"].as_array().expect("audit items");
    for event in ["ShareRequested", "PartialAccepted", "PartialRejected", "ShareCompleted", "ShareRevoked"] {
        assert!(audit.iter().any(|item| item["text"].as_str().unwrap().contains(event)), "the history lists {event}: {audit:?}");
    }
    let authority = d.nodes[4].authority.to_string();
    assert!(
        audit.iter().any(|item| item["text"].as_str().unwrap().contains("cheater: node 5") && item["text"].as_str().unwrap().contains(&authority)),
        "the rejected partial names node 5 and its authority {authority}: {audit:?}"
    );
    assert!(result["notAnAddress"].as_str().unwrap().starts_with("NotAnAddress"), "{}", result["notAnAddress"]);

    // --- accessibility, keyboard, where the pages connected
    let violations: Vec<&Value> = result["axe"].as_array().expect("axe").iter().filter(|run| !run["violations"].as_array().unwrap().is_empty()).collect();
    assert!(violations.is_empty(), "axe-core found violations:\n{}", serde_json::to_string_pretty(&violations).unwrap());
    let views = result["axe"].as_array().unwrap().len();
    assert!(views >= 20, "axe ran on every view at both widths ({views} runs)");
    assert!(result["tabsToConnect"].as_u64().is_some_and(|n| n >= 1), "Tab reaches \"Connect wallet\"");
    let rpc_origin = origin(&d.localnet.validator.rpc_url());
    for (who, origins) in result["requestOrigins"].as_object().expect("requestOrigins") {
        for contacted in origins.as_object().expect("origins").keys() {
            assert!(contacted == &rpc_origin || contacted == &origin(&url), "the {who}'s page contacted {contacted}, neither the app's server nor the RPC");
        }
    }

    // --- screenshots: PNGs of every view, copied into the docs when asked
    let shots: Vec<PathBuf> = result["screenshots"].as_array().unwrap().iter().map(|p| PathBuf::from(p.as_str().unwrap())).collect();
    for shot in &shots {
        assert!(std::fs::read(shot).expect("screenshot").starts_with(b"\x89PNG\r\n\x1a\n"), "{} is a PNG", shot.display());
    }
    for view in DOCUMENTED_VIEWS {
        for width in ["desktop", "phone"] {
            let name = format!("{view}-{width}.png");
            assert!(shots.iter().any(|shot| shot.file_name().is_some_and(|file| file == name.as_str())), "no screenshot {name}");
        }
    }
    if std::env::var("MEDSHARE_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        let docs = repo().join("docs").join("screenshots");
        std::fs::create_dir_all(&docs).unwrap();
        for view in DOCUMENTED_VIEWS {
            for width in ["desktop", "phone"] {
                let name = format!("{view}-{width}.png");
                std::fs::copy(screenshots.join(&name), docs.join(&name)).expect("copy a screenshot");
            }
        }
    }
    eprintln!(
        "web e2e: {} ({} resources); deployment {:.1}s, browser story {:.1}s, whole test {:.1}s; {} axe runs, {} screenshots; steps: {}",
        summary.resource_type,
        FIXTURE_RESOURCES.len(),
        deployed.as_secs_f64(),
        browser_time.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        views,
        shots.len(),
        result["steps"].as_array().unwrap().iter().map(|s| format!("{} {}ms", s["name"].as_str().unwrap(), s["ms"])).collect::<Vec<_>>().join("; ")
    );
    drop(server);
}

/// `scheme://host:port` of a URL.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    format!("{scheme}://{}", rest.split('/').next().unwrap())
}
