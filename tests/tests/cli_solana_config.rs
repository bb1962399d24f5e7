//! The `medshare` CLI as the Solana CLI's sibling, run as a user runs it against a real local
//! validator with an active cluster (the key ceremony and the nodes' partials are driven
//! in-process by `World`; everything the user does goes through the real `medshare` binary):
//!
//! - the URL, wallet and commitment come from a Solana CLI config file (`HOME` points at a
//!   temporary directory holding `.config/solana/cli/config.yml`; no `--url`, no `--keypair`);
//! - a `stdin` signer and a `prompt://` signer (seed phrase typed into a pseudo-terminal);
//! - a separate `--fee-payer` pays the fees and the owner only the rent;
//! - destructive or costly commands refuse without `--yes` when stdin is not a terminal and
//!   send nothing, and ask "Proceed? [y/N]" on a terminal;
//! - `open --out` writes mode 0600 and does not overwrite without `--force`;
//! - `--expires-at` dates, `expire`, `close-request` and `close-record` with the lamports
//!   returned, and the paged, dated `audit` timeline.
//!
//! Needs the `medshare` binary built (`cargo build -p medshare-cli`) and the program
//! (`cargo xtask build-sbf`).

use medshare_client::{Address, accounts, pda};
use medshare_tests::{
    chain::Chain,
    deployment::Binary,
    localnet::confirmed_transaction,
    world::{Kind, WINDOW_SLOTS, World},
};
use serde_json::Value;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::{
    collections::BTreeSet,
    io::Write,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

/// A seed phrase for the `prompt://` signer (the BIP39 test vector's words).
const MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// One run of the binary.
struct Ran {
    command: String,
    output: Output,
}

impl Ran {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn success(self) -> Ran {
        assert!(self.output.status.success(), "`{}` failed ({}):\nstdout: {}\nstderr: {}", self.command, self.output.status, self.stdout(), self.stderr());
        self
    }

    /// The first JSON document in stdout (a pseudo-terminal's output has prompts before it).
    fn json(&self) -> Value {
        let out = self.stdout();
        let start = out.find('{').unwrap_or_else(|| panic!("`{}` printed no JSON: {out}", self.command));
        serde_json::Deserializer::from_str(&out[start..]).into_iter::<Value>().next().expect("a JSON document").expect("valid JSON")
    }

    /// Asserts exit code 1 with `needle` in stderr.
    fn refused(self, needle: &str) -> Ran {
        assert_eq!(self.output.status.code(), Some(1), "`{}` should fail:\nstdout: {}\nstderr: {}", self.command, self.stdout(), self.stderr());
        assert!(self.stderr().contains(needle), "`{}` should say `{needle}`; stderr: {}", self.command, self.stderr());
        self
    }
}

/// The user's machine: a home directory (with or without a Solana CLI config) and a work dir.
struct Machine {
    home: PathBuf,
    url: String,
}

impl Machine {
    fn new(url: &str) -> Machine {
        let home = std::env::temp_dir().join(format!("medshare-cli-home-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("home");
        Machine { home, url: url.to_owned() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.join(name)
    }

    fn keypair_file(&self, name: &str, keypair: &Keypair) -> String {
        let path = self.path(&format!("{name}.json"));
        solana_keypair::write_keypair_file(keypair, &path).expect("write keypair");
        path.display().to_string()
    }

    /// Writes `~/.config/solana/cli/config.yml` as `solana config set` would.
    fn solana_config(&self, keypair_path: &str, commitment: &str) -> PathBuf {
        let dir = self.home.join(".config/solana/cli");
        std::fs::create_dir_all(&dir).expect("config dir");
        let path = dir.join("config.yml");
        let yaml = format!(
            "---\njson_rpc_url: \"{}\"\nwebsocket_url: \"\"\nkeypair_path: {keypair_path}\naddress_labels:\n  \"11111111111111111111111111111111\": System Program\ncommitment: {commitment}\n",
            self.url
        );
        std::fs::write(&path, yaml).expect("write config");
        path
    }

    /// `medshare <args>` with `HOME` here, none of the `MEDSHARE_*` variables, stdin `input`
    /// (a pipe) or nothing (`/dev/null`, which is not a terminal).
    fn run(&self, args: &[&str], input: Option<&[u8]>) -> Ran {
        self.run_with_env(args, input, &[])
    }

    /// [`Machine::run`] with `env` set.
    fn run_with_env(&self, args: &[&str], input: Option<&[u8]>, env: &[(&str, &str)]) -> Ran {
        let mut command = Command::new(Binary::Medshare.path());
        command.args(args).env("HOME", &self.home).current_dir(&self.home).stdout(Stdio::piped()).stderr(Stdio::piped());
        for variable in [
            "MEDSHARE_URL",
            "MEDSHARE_KEYPAIR",
            "MEDSHARE_CLUSTER",
            "MEDSHARE_BLOB_DIR",
            "MEDSHARE_BLOB_STORE",
            "MEDSHARE_ENCRYPTION_KEY",
            "MEDSHARE_KEY_DOMAIN",
        ] {
            command.env_remove(variable);
        }
        command.envs(env.iter().copied());
        command.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = command.spawn().expect("spawn medshare");
        if let Some(input) = input {
            child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
        }
        Ran { command: format!("medshare {}", args.join(" ")), output: child.wait_with_output().expect("wait") }
    }

    /// `medshare --url <validator> <args>` (the wallet from the config file or `args`).
    fn run_at(&self, args: &[&str], input: Option<&[u8]>) -> Ran {
        let mut full = vec!["--url", self.url.as_str()];
        full.extend_from_slice(args);
        self.run(&full, input)
    }

    /// `medshare <args>` in a pseudo-terminal (`script`), `typed` as the keyboard.
    fn run_in_terminal(&self, args: &[&str], typed: &str) -> Ran {
        let line = std::iter::once(Binary::Medshare.path().display().to_string()).chain(args.iter().map(|a| shell_quote(a))).collect::<Vec<_>>().join(" ");
        let mut child = Command::new("/usr/bin/script")
            .args(["-qec", &line, "/dev/null"])
            .env("HOME", &self.home)
            .env_remove("MEDSHARE_URL")
            .env_remove("MEDSHARE_KEYPAIR")
            .current_dir(&self.home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn script");
        child.stdin.take().expect("stdin").write_all(typed.as_bytes()).expect("type");
        Ran { command: format!("(terminal) medshare {}", args.join(" ")), output: child.wait_with_output().expect("wait") }
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.home);
        }
    }
}

fn shell_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

fn address(value: &Value) -> Address {
    value.as_str().unwrap_or_else(|| panic!("an address, got {value}")).parse().expect("base58 address")
}

fn balance(world: &World<medshare_tests::chain::Rpc>, address: &Address) -> u64 {
    world.chain.localnet.rpc.get_balance(address).expect("getBalance")
}

fn fee_of(world: &World<medshare_tests::chain::Rpc>, signature: &Value) -> u64 {
    let signature = signature.as_str().expect("signature").parse().expect("a signature");
    confirmed_transaction(&world.chain.localnet.rpc, &signature).transaction.meta.expect("meta").fee
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// A small FHIR bundle: sealed, it fits one transaction.
const BUNDLE: &[u8] = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Condition","code":{"text":"Asthma"},"subject":{"reference":"Patient/p1"}}}]}"#;

#[test]
fn the_cli_is_the_solana_clis_sibling() {
    let started = Instant::now();
    let mut world = World::on_localnet(2, 3);
    let url = world.chain.localnet.validator.rpc_url();
    let machine = Machine::new(&url);
    let cluster = world.cluster.to_string();
    println!("validator and active 2-of-3 cluster in {:.1?}", started.elapsed());

    // --- a Solana CLI config file gives the URL, the wallet and the commitment
    let patient = world.funded_wallet(10);
    let patient_file = machine.keypair_file("patient", &patient);
    let config_file = machine.solana_config(&patient_file, "finalized");
    let settings = machine.run(&["--output", "json", "config", "get"], None).success().json();
    assert_eq!(settings["config_file"], config_file.display().to_string());
    assert_eq!((settings["json_rpc_url"].as_str(), settings["json_rpc_url_source"].as_str()), (Some(url.as_str()), Some("config file")));
    assert_eq!((settings["keypair"].as_str(), settings["keypair_source"].as_str()), (Some(patient_file.as_str()), Some("config file")));
    assert_eq!((settings["commitment"].as_str(), settings["commitment_source"].as_str()), (Some("finalized"), Some("config file")));
    let overridden = machine.run(&["--output", "json", "--url", "devnet", "--commitment", "confirmed", "config", "get"], None).success().json();
    assert_eq!(
        (overridden["json_rpc_url"].as_str(), overridden["json_rpc_url_source"].as_str()),
        (Some("https://api.devnet.solana.com"), Some("flag or environment"))
    );
    assert_eq!(overridden["commitment_source"], "flag or environment");
    // the environment wins over the file, and a flag over the environment
    let env = [("MEDSHARE_URL", "testnet"), ("MEDSHARE_KEYPAIR", "prompt://")];
    let from_env = machine.run_with_env(&["--output", "json", "config", "get"], None, &env).success().json();
    assert_eq!((from_env["json_rpc_url"].as_str(), from_env["keypair"].as_str()), (Some("https://api.testnet.solana.com"), Some("prompt://")));
    let flag_over_env = machine.run_with_env(&["--output", "json", "--url", "devnet", "config", "get"], None, &env).success().json();
    assert_eq!((flag_over_env["json_rpc_url"].as_str(), flag_over_env["keypair"].as_str()), (Some("https://api.devnet.solana.com"), Some("prompt://")));
    machine.solana_config(&patient_file, "confirmed");
    // no --url, no --keypair: register-key lands on this validator for the config's wallet
    let registered = machine.run(&["--output", "json", "register-key"], None).success().json();
    assert_eq!(address(&registered["wallet"]), patient.pubkey());
    assert!(world.account(&pda::user_key(&patient.pubkey())).is_some(), "the key is registered on the config file's cluster");
    let malformed = machine.path("malformed.yml");
    std::fs::write(&malformed, "json_rpc_url: [unterminated\n").expect("write");
    machine.run(&["--config", malformed.to_str().expect("UTF-8"), "address"], None).refused("malformed Solana CLI config file");

    // --- a stdin signer: the recipient's keypair JSON piped in, as solana-keygen writes it
    let doctor = world.funded_wallet(10);
    let doctor_json = serde_json::to_vec(&doctor.to_bytes().to_vec()).expect("keypair JSON");
    let by_stdin = machine.run_at(&["--keypair", "stdin", "--output", "json", "register-key"], Some(&doctor_json)).success().json();
    assert_eq!(address(&by_stdin["wallet"]), doctor.pubkey());
    assert!(world.account(&pda::user_key(&doctor.pubkey())).is_some(), "the stdin signer signed");
    machine.run_at(&["--keypair", &world.cluster.to_string(), "register-key"], None).refused("is an address, not a signer");

    // --- a prompt:// signer: the seed phrase typed on a terminal
    let typed = format!("{MNEMONIC}\n\n");
    let prompted = machine.run_in_terminal(&["--url", &url, "--keypair", "prompt://", "--output", "json", "address"], &typed).success().json();
    let researcher = address(&prompted["address"]);
    let again = machine.run_in_terminal(&["--url", &url, "--keypair", "prompt://", "--output", "json", "address"], &typed).success().json();
    assert_eq!(address(&again["address"]), researcher, "the same phrase derives the same wallet");
    let other_path = machine.run_in_terminal(&["--url", &url, "--keypair", "prompt://?key=1/0", "--output", "json", "address"], &typed).success().json();
    assert_ne!(address(&other_path["address"]), researcher, "the derivation path is honoured");
    world.chain.fund(&researcher, 2_000_000_000);
    machine.run_in_terminal(&["--url", &url, "--keypair", "prompt://", "--output", "json", "register-key"], &typed).success();
    assert!(world.account(&pda::user_key(&researcher)).is_some(), "the prompted signer signed register-key");

    // --- a separate fee payer pays the fees; the owner pays only the rent of what it owns
    let payer = world.funded_wallet(10);
    let payer_file = machine.keypair_file("payer", &payer);
    let bundle = machine.path("bundle.json");
    std::fs::write(&bundle, BUNDLE).expect("bundle");
    let record_rent = world.chain.localnet.rpc.get_minimum_balance_for_rent_exemption(accounts::Record::LEN).expect("rent");
    let (owner_before, payer_before) = (balance(&world, &patient.pubkey()), balance(&world, &payer.pubkey()));
    let stored = machine
        .run(
            &[
                "--fee-payer",
                &payer_file,
                "--with-compute-unit-price",
                "5000",
                "--output",
                "json",
                "store",
                bundle.to_str().expect("UTF-8"),
                "--cluster",
                &cluster,
            ],
            None,
        )
        .success()
        .json();
    let record = stored["record"].as_str().expect("record").to_owned();
    let fee = fee_of(&world, &stored["signature"]);
    assert_eq!(owner_before - balance(&world, &patient.pubkey()), record_rent, "the owner paid exactly the record's rent");
    assert_eq!(payer_before - balance(&world, &payer.pubkey()), fee, "the fee payer paid exactly the fee");
    assert!(fee > 2 * 5000, "two signatures and a priority fee at 5000 micro-lamports per CU: {fee}");
    println!("store with a separate fee payer: the owner paid {record_rent} lamports of rent, the fee payer a fee of {fee} lamports");

    // --- dates: --expires-at in 'YYYY-MM-DD HH:MM' (UTC), shown back in RFC 3339
    let in_a_year = medshare_client::unix_now() + 365 * 86_400;
    let written = chrono_free_utc(in_a_year);
    let share = machine.run(&["--output", "json", "share", &record, &doctor.pubkey().to_string(), "--expires-at", &written], None).success().json();
    let request = share["request"].as_str().expect("request").to_owned();
    let expected_at = in_a_year - in_a_year % 60;
    assert_eq!(share["expires_at_unix"], expected_at);
    assert_eq!(share["expires_at"], rfc3339(expected_at));
    machine.run(&["share", &record, &doctor.pubkey().to_string(), "--expires-at", "2001-01-01 00:00"], None).refused("is in the past");

    // --- destructive and costly commands refuse without --yes when stdin is not a terminal
    let quiet = balance(&world, &patient.pubkey());
    let admin_file = machine.keypair_file("admin", &world.admin);
    let large = machine.path("large.json");
    let note = "x".repeat(1500);
    std::fs::write(
        &large,
        format!(
            r#"{{"resourceType":"DocumentReference","status":"current","description":"{note}","content":[{{"attachment":{{"contentType":"text/plain"}}}}]}}"#
        ),
    )
    .expect("large file");
    let doctor_address = doctor.pubkey().to_string();
    let refusals: Vec<Vec<&str>> = vec![
        vec!["revoke", &request],
        vec!["close-record", &record],
        vec!["store", large.to_str().expect("UTF-8"), "--cluster", &cluster],
        vec!["--keypair", &admin_file, "cluster", "suspend-node", &cluster, "--index", "1"],
        vec!["--keypair", &admin_file, "cluster", "remove-node", &cluster, "--index", "2"],
        vec!["--keypair", &admin_file, "cluster", "replace-node", &cluster, "--index", "3", "--authority", &doctor_address],
        vec!["--keypair", &admin_file, "cluster", "new-epoch", &cluster, "--threshold", "2"],
        vec!["--keypair", &admin_file, "cluster", "reshare", &cluster, "--threshold", "2"],
    ];
    let admin_before = balance(&world, &world.admin.pubkey());
    for args in &refusals {
        machine.run(args, None).refused("confirmation required").refused("pass --yes").refused("nothing was sent");
    }
    assert_eq!(balance(&world, &patient.pubkey()), quiet, "the patient sent nothing");
    assert_eq!(balance(&world, &world.admin.pubkey()), admin_before, "the admin sent nothing");
    assert_eq!(world.request(&address(&Value::from(request.clone()))).status, accounts::ShareRequest::PENDING);
    assert!(world.account(&pda::record(&patient.pubkey(), 2)).is_none(), "the large file was not stored");
    let status = world.cluster_account();
    assert!(status.members.iter().all(|m| m.status == accounts::MemberStatus::Active), "no member was touched");
    assert_eq!(status.ceremony_epoch, world.epoch(), "no ceremony was started");

    // ... and ask on a terminal: "n" cancels, "y" proceeds
    let patient_args = ["--url", url.as_str(), "--keypair", patient_file.as_str()];
    let declined = machine.run_in_terminal(&[&patient_args[..], &["revoke", request.as_str()][..]].concat(), "n\n");
    assert_eq!(declined.output.status.code(), Some(1));
    assert!(declined.stdout().contains("Proceed? [y/N]") && declined.stdout().contains("cancelled"), "{}", declined.stdout());
    assert_eq!(world.request(&address(&Value::from(request.clone()))).status, accounts::ShareRequest::PENDING, "declined: nothing sent");

    // --- the doctor opens a completed share into a 0600 file
    let second = machine.run(&["--output", "json", "share", &record, &doctor.pubkey().to_string(), "--expires-in", "30d"], None).success().json();
    let completed = address(&second["request"]);
    world.answer(1, &completed).expect("node 1 answers");
    world.answer(2, &completed).expect("node 2 answers");
    let doctor_file = machine.keypair_file("doctor", &doctor);
    let out = machine.path("opened.json");
    let out_arg = out.to_str().expect("UTF-8");
    let opened = machine.run_at(&["--keypair", &doctor_file, "--output", "json", "open", &completed.to_string(), "--out", out_arg], None).success().json();
    assert_eq!(opened["opened_as"], "recipient");
    assert_eq!((std::fs::read(&out).expect("read"), mode(&out)), (BUNDLE.to_vec(), 0o600), "the exact bytes, readable by the doctor alone");
    std::fs::write(&out, b"notes the doctor keeps").expect("write");
    machine.run_at(&["--keypair", &doctor_file, "open", &completed.to_string(), "--out", out_arg], None).refused("refusing to overwrite");
    assert_eq!(std::fs::read(&out).expect("read"), b"notes the doctor keeps", "not overwritten");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    machine.run_at(&["--keypair", &doctor_file, "open", &completed.to_string(), "--out", out_arg, "--force"], None).success();
    assert_eq!((std::fs::read(&out).expect("read"), mode(&out)), (BUNDLE.to_vec(), 0o600), "--force replaces it, still 0600");

    // --- revoke on a terminal with "y"; expire; close what is no longer needed, rent back
    machine.run_in_terminal(&[&patient_args[..], &["revoke", request.as_str()][..]].concat(), "y\n").success();
    assert_eq!(world.request(&address(&Value::from(request.clone()))).status, accounts::ShareRequest::REVOKED);
    let expiring = machine.run(&["--output", "json", "share", &record, &doctor.pubkey().to_string(), "--expires-in", "2s"], None).success().json();
    let expiring = expiring["request"].as_str().expect("request").to_owned();
    machine.run(&["expire", &expiring], None).refused("has not expired yet");
    let deadline = Instant::now() + Duration::from_secs(60);
    let expired = loop {
        std::thread::sleep(Duration::from_secs(1));
        // anyone may send it: here the fee payer alone signs
        let ran = machine.run_at(&["--keypair", &payer_file, "--output", "json", "expire", &expiring], None);
        if ran.output.status.success() {
            break ran.json();
        }
        assert!(Instant::now() < deadline, "the request never expired on the validator's clock: {}", ran.stderr());
    };
    assert_eq!(expired["status"], "expired");
    assert_eq!(world.request(&address(&Value::from(expiring.clone()))).status, accounts::ShareRequest::EXPIRED);
    machine.run(&["close-request", second["request"].as_str().expect("request")], None).refused("confirmation required");
    let request_rent = world.chain.localnet.rpc.get_minimum_balance_for_rent_exemption(accounts::ShareRequest::LEN).expect("rent");
    println!("close-request returns {request_rent} lamports, close-record {record_rent}");
    for finished in [&request, &expiring] {
        let before = balance(&world, &patient.pubkey());
        let closed = machine.run(&["--fee-payer", &payer_file, "--yes", "--output", "json", "close-request", finished], None).success().json();
        assert_eq!(closed["lamports_returned"], request_rent, "{closed}");
        assert_eq!(balance(&world, &patient.pubkey()) - before, request_rent, "the owner got the rent back; the fee payer paid the fee");
        assert!(world.account(&address(&Value::from(finished.clone()))).is_none());
    }
    let before = balance(&world, &patient.pubkey());
    let closed = machine.run(&["--yes", "--output", "json", "close-record", &record], None).success().json();
    assert_eq!(closed["lamports_returned"], record_rent);
    assert_eq!(balance(&world, &patient.pubkey()) + fee_of(&world, &closed["signature"]) - before, record_rent, "rent back, minus the fee it paid itself");

    // --- the audit timeline: dated, paged, about this patient only
    let patient_address = patient.pubkey().to_string();
    let full = machine.run(&["--output", "json", "audit", "--owner", &patient_address], None).success().json();
    let timeline = full["timeline"].as_array().expect("timeline");
    let names: Vec<&str> = timeline.iter().map(|e| e["event"].as_str().expect("event")).collect();
    for expected in ["UserKeyRegistered", "RecordStored", "ShareRequested", "ShareCompleted", "ShareRevoked", "ShareRequestExpired", "AccountClosed"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(!names.contains(&"CeremonyStarted"), "cluster events are not the patient's: {names:?}");
    let slots: Vec<u64> = timeline.iter().map(|e| e["slot"].as_u64().expect("slot")).collect();
    assert!(slots.windows(2).all(|w| w[0] <= w[1]), "in chain order: {slots:?}");
    for entry in timeline {
        let time = entry["time"].as_str().expect("a block time");
        assert_eq!(time, rfc3339(entry["block_time"].as_i64().expect("unix")), "{entry}");
    }
    assert!(full["page"]["next_before"].is_null(), "the whole history");
    let page = machine.run(&["--output", "json", "audit", "--owner", &patient_address, "--limit", "3"], None).success().json();
    assert_eq!(page["page"]["listed"], 3);
    let next = page["page"]["next_before"].as_str().expect("a next page").to_owned();
    let older = machine.run(&["--output", "json", "audit", "--owner", &patient_address, "--limit", "3", "--before", &next], None).success().json();
    let signatures = |v: &Value| -> BTreeSet<String> {
        v["timeline"].as_array().expect("timeline").iter().map(|e| e["signature"].as_str().expect("sig").to_owned()).collect()
    };
    let (newest, previous) = (signatures(&page), signatures(&older));
    assert!(newest.is_disjoint(&previous), "pages do not overlap");
    assert!(newest.iter().all(|s| timeline.iter().any(|e| e["signature"] == s.as_str())), "a page is part of the history");
    let last_of_older = older["timeline"].as_array().and_then(|t| t.last()).map(|e| e["slot"].as_u64().expect("slot"));
    let first_of_newest = page["timeline"].as_array().and_then(|t| t.first()).map(|e| e["slot"].as_u64().expect("slot"));
    if let (Some(older_slot), Some(newer_slot)) = (last_of_older, first_of_newest) {
        assert!(older_slot <= newer_slot, "the --before page is older");
    }
    let display = machine.run(&["audit", "--owner", &patient_address, "--limit", "3"], None).success().stdout();
    assert!(display.contains("timeline") && display.contains(" UTC") && display.contains(&format!("--before {next}")), "{display}");

    // --- a node authority closes its dealing of a ceremony that is over, rent back
    let first_epoch = world.epoch();
    world.start(Kind::Resharing, 2, WINDOW_SLOTS).expect("reshare");
    world.run_ceremony();
    let node = world.nodes[0].authority.insecure_clone();
    let node_file = machine.keypair_file("node-1", &node);
    let node_args = ["--url", url.as_str(), "--keypair", node_file.as_str()];
    let serving = world.epoch().to_string();
    machine.run(&[&node_args[..], &["cluster", "close-dealing", &cluster, "--epoch", &serving][..]].concat(), None).refused("still running or serving");
    let over = first_epoch.to_string();
    machine.run(&[&node_args[..], &["cluster", "close-dealing", &cluster, "--epoch", &over][..]].concat(), None).refused("confirmation required");
    let dealing = pda::dealing(&world.cluster, first_epoch, 1);
    let (held, before) = (balance(&world, &dealing), balance(&world, &node.pubkey()));
    assert!(held > 0, "node 1 dealt in ceremony {first_epoch}");
    let closed = machine
        .run(&[&node_args[..], &["--yes", "--output", "json", "cluster", "close-dealing", &cluster, "--epoch", &over][..]].concat(), None)
        .success()
        .json();
    assert_eq!((closed["dealer"].as_u64(), closed["lamports_returned"].as_u64()), (Some(1), Some(held)), "its own index by default");
    assert_eq!(balance(&world, &node.pubkey()) + fee_of(&world, &closed["signature"]) - before, held);
    assert!(world.account(&dealing).is_none(), "the dealing is closed");
    println!("close-dealing returned {held} lamports");
    println!("cli_solana_config: {:.1?} in all", started.elapsed());
}

/// `YYYY-MM-DD HH:MM` (UTC) of Unix `seconds` (seconds dropped), without a date library.
fn chrono_free_utc(seconds: i64) -> String {
    let (date, time) = civil(seconds);
    format!("{date} {:02}:{:02}", time / 3600, time % 3600 / 60)
}

/// RFC 3339 in UTC of Unix `seconds`.
fn rfc3339(seconds: i64) -> String {
    let (date, time) = civil(seconds);
    format!("{date}T{:02}:{:02}:{:02}Z", time / 3600, time % 3600 / 60, time % 60)
}

/// The UTC calendar date (`YYYY-MM-DD`) and second of the day of Unix `seconds` (Howard
/// Hinnant's days-to-civil algorithm), so the test checks the CLI's dates independently.
fn civil(seconds: i64) -> (String, i64) {
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (format!("{year:04}-{month:02}-{day:02}"), time)
}
