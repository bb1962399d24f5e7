//! A whole MedShare deployment as operators run it: a local validator (in-process,
//! reached over JSON-RPC and the websocket), `mpc-node` daemons as child processes, and the
//! `medshare` CLI and `medshare-migrations` binaries run as a user runs them. Used by the
//! localnet tests and by `cargo xtask demo`.
//!
//! The binaries are those `cargo xtask test` / `cargo xtask demo` build next to this
//! executable (`target/debug`), or in `$MEDSHARE_BIN_DIR`.

use medshare_client::Address;
use serde_json::Value;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use std::{
    collections::BTreeMap,
    io::{Read, Write},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use crate::{localnet::BlockingLocalnet, proxy::Proxy, rpc_proxy::RpcProxy};

/// The test nodes' periodic backfill.
const DEFAULT_BACKFILL_SECONDS: u64 = 5;

/// The passphrase the test nodes seal their vaults with.
pub const PASSPHRASE: &str = "test-only vault passphrase";

/// Where the project's binary `name` is: in `$MEDSHARE_BIN_DIR`, or in the cargo profile
/// directory holding this executable.
fn binary(name: &str) -> PathBuf {
    let dir = std::env::var_os("MEDSHARE_BIN_DIR").map(PathBuf::from).unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let dir = exe.parent().expect("a directory").to_path_buf();
        if dir.ends_with("deps") { dir.parent().expect("profile dir").to_path_buf() } else { dir }
    });
    let path = dir.join(name);
    assert!(path.is_file(), "{} is missing: run `cargo xtask test` or `cargo xtask demo`, which build the binaries first", path.display());
    path
}

/// The project's binaries a deployment runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    /// The `medshare` CLI.
    Medshare,
    /// The `mpc-node` daemon.
    Node,
    /// `mpc-node` built with the test-only `fault-injection` feature.
    FaultyNode,
    /// `medshare-migrations`.
    Migrations,
}

impl Binary {
    /// Its path (see [`binary`]).
    pub fn path(self) -> PathBuf {
        binary(match self {
            Binary::Medshare => "medshare",
            Binary::Node => "mpc-node",
            Binary::FaultyNode => "mpc-node-faulty",
            Binary::Migrations => "medshare-migrations",
        })
    }
}

/// A wallet: its keypair file and address.
#[derive(Clone, Debug)]
pub struct Wallet {
    /// A short name for logs.
    pub name: String,
    /// The keypair file.
    pub path: PathBuf,
    /// The address.
    pub address: Address,
}

/// One finished run of a binary.
#[derive(Debug)]
pub struct Run {
    /// The command line, for messages.
    pub command: String,
    /// Its exit status.
    pub status: ExitStatus,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

impl Run {
    /// Panics with everything it printed unless it succeeded.
    pub fn expect_success(self) -> Run {
        assert!(self.status.success(), "`{}` failed ({}):\nstdout: {}\nstderr: {}", self.command, self.status, self.stdout, self.stderr);
        self
    }

    /// Panics unless it failed with exit code 1 and `needle` in its stderr.
    pub fn expect_failure(self, needle: &str) -> Run {
        assert_eq!(self.status.code(), Some(1), "`{}` should fail:\nstdout: {}\nstderr: {}", self.command, self.stdout, self.stderr);
        assert!(self.stderr.contains(needle), "`{}` should say `{needle}`; stderr: {}", self.command, self.stderr);
        self
    }

    /// Its stdout parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("`{}` printed no JSON ({e}): {}", self.command, self.stdout))
    }
}

/// A transaction a node's authority paid for, as the validator recorded it.
#[derive(Clone, Debug)]
pub struct NodeTransaction {
    /// Its signature.
    pub signature: Signature,
    /// Whether it executed without error.
    pub succeeded: bool,
    /// The accounts its message names, fee payer first.
    pub accounts: Vec<Address>,
    /// Each instruction's first 8 data bytes (the program's instruction discriminator).
    pub instructions: Vec<[u8; 8]>,
}

impl NodeTransaction {
    /// Whether it names `account` and runs the program instruction `name`.
    pub fn is(&self, name: &str, account: &Address) -> bool {
        let discriminator = medshare_client::discriminator("global", name);
        self.accounts.contains(account) && self.instructions.contains(&discriminator)
    }
}

/// One `mpc-node` daemon.
pub struct NodeProcess {
    /// Its cluster index (1-based).
    pub index: u8,
    /// Its authority.
    pub authority: Address,
    /// `/healthz` and `/metrics`.
    pub metrics_addr: SocketAddr,
    keypair: PathBuf,
    vault: PathBuf,
    log: PathBuf,
    /// The websocket the node subscribes through (the validator's, or a test proxy's).
    ws_url: String,
    /// Its `rpc_url` (the validator's, or a test [`RpcProxy`]'s).
    rpc_url: String,
    /// Its fail-over `rpc_urls` (none unless a test sets them).
    rpc_urls: Vec<String>,
    /// Further top-level config lines, key to TOML value (e.g. `min_fee_balance_lamports`).
    settings: BTreeMap<String, String>,
    /// Seconds between its periodic backfills.
    backfill_seconds: u64,
    child: Option<Child>,
}

/// How to set the deployment up.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Nodes (by index) that run the `mpc-node-faulty` binary with `bad_proofs = true`.
    pub faulty: Vec<u8>,
    /// Start the validator without the program and deploy it with `medshare-migrations`.
    pub deploy_with_migrations: bool,
    /// Print every command and its output (the demo).
    pub verbose: bool,
    /// Length of each ceremony phase in slots (`--window-slots`); 0: [`DEFAULT_WINDOW_SLOTS`].
    pub window_slots: u32,
}

/// The ceremony phase length the deployments use unless told otherwise: long enough that no
/// deadline passes while every member takes part (a ceremony ends as soon as all did).
pub const DEFAULT_WINDOW_SLOTS: u32 = 300;

/// A validator, a cluster of node processes, and wallets.
pub struct Deployment {
    /// The validator.
    pub localnet: BlockingLocalnet,
    /// Work directory (keypairs, configs, vaults, logs, files).
    pub dir: PathBuf,
    /// The consortium admin.
    pub admin: Wallet,
    /// The cluster.
    pub cluster: Address,
    /// The node daemons, index `i` at `nodes[i-1]`.
    pub nodes: Vec<NodeProcess>,
    /// How long each setup phase took (validator, deployment, nodes, ceremony).
    pub timings: Vec<(&'static str, Duration)>,
    options: Options,
}

impl Deployment {
    /// A running `t`-of-`n` cluster: validator up, an empty cluster created (by `medshare
    /// cluster create` or by `medshare-migrations`), `n` nodes initialised (`mpc-node init`)
    /// and invited (`medshare cluster invite`), their daemons started (each accepts its own
    /// invitation), the key generation started by the admin (`medshare cluster new-epoch
    /// --threshold t`) and run by the daemons through the chain, the circuit registered.
    pub fn start(threshold: u8, size: u8, options: Options) -> Deployment {
        let mut phase = Instant::now();
        let mut timings = Vec::new();
        let localnet = BlockingLocalnet::start_with(!options.deploy_with_migrations);
        timings.push(("validator start", phase.elapsed()));
        let dir = std::env::temp_dir().join(format!("medshare-deployment-{}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir).expect("work dir");
        let mut deployment = Deployment {
            localnet,
            dir,
            admin: Wallet { name: String::new(), path: PathBuf::new(), address: Address::default() },
            cluster: Address::default(),
            nodes: Vec::new(),
            timings,
            options,
        };
        phase = Instant::now();
        deployment.admin = deployment.wallet("admin", 100);
        let admin = deployment.admin.clone();
        deployment.cluster = if deployment.options.deploy_with_migrations {
            deployment.say("== deploying medical_records with medshare-migrations (upgradeable loader over RPC) and creating the cluster");
            let run = deployment.run_binary(Binary::Migrations, &deployment.migrations_args());
            let report = run.expect_success().json();
            deployment.say("$ medshare-migrations --url <validator> --keypair admin.json --program medical_records.so --program-keypair <program keypair>");
            deployment.say(&serde_json::to_string_pretty(&report).expect("JSON"));
            assert_eq!(report["deployment"], "deployed");
            report["cluster"].as_str().expect("cluster").parse().expect("address")
        } else {
            deployment.say("$ medshare cluster create # as admin");
            let run = deployment.medshare_json(&admin, &["cluster", "create"]);
            run["cluster"].as_str().expect("cluster").parse().expect("address")
        };
        let created = if deployment.options.deploy_with_migrations { "migrations: deploy + create cluster" } else { "create cluster" };
        deployment.timings.push((created, phase.elapsed()));
        phase = Instant::now();
        deployment.say(&format!("== {size} node operators run `mpc-node init`; the admin invites each authority"));
        for _ in 1..=size {
            deployment.init_node();
        }
        deployment.timings.push(("nodes: init + invite", phase.elapsed()));
        phase = Instant::now();
        deployment.say(&format!("== starting {size} mpc-node daemons: each accepts its invitation with its own transport key"));
        for index in 1..=size {
            deployment.start_node(index);
        }
        for index in 1..=size {
            deployment.wait_member(index, "active");
        }
        deployment.timings.push(("daemons start + accept invitations", phase.elapsed()));
        phase = Instant::now();
        deployment.say(&format!("== the admin starts the key generation, {threshold}-of-{size}; the daemons deal, fold and confirm through the chain"));
        let cluster = deployment.cluster.to_string();
        let window = deployment.window_slots().to_string();
        deployment.medshare(&admin, &["cluster", "new-epoch", &cluster, "--threshold", &threshold.to_string(), "--window-slots", &window]).expect_success();
        let epoch = deployment.status()["ceremony_epoch"].as_u64().expect("ceremony epoch");
        deployment.wait_active(epoch, Duration::from_secs(180));
        deployment.timings.push(("key generation (new-epoch)", phase.elapsed()));
        phase = Instant::now();
        deployment.medshare(&admin, &["cluster", "register-circuit", &cluster, "--wait", "60s"]).expect_success();
        for index in 1..=size {
            deployment.wait_serving(index, epoch);
        }
        deployment.timings.push(("circuit + nodes serving", phase.elapsed()));
        deployment
    }

    /// The ceremony phase length in slots this deployment uses.
    pub fn window_slots(&self) -> u32 {
        if self.options.window_slots == 0 { DEFAULT_WINDOW_SLOTS } else { self.options.window_slots }
    }

    /// `medshare cluster status --output json`.
    pub fn status(&self) -> Value {
        self.medshare_json(&self.admin, &["cluster", "status", &self.cluster.to_string()])
    }

    /// Waits until member `index` has `status` on chain (`active`, `removed`, ...).
    pub fn wait_member(&self, index: u8, status: &str) {
        self.wait_until(&format!("member {index} {status}"), Duration::from_secs(60), |d| {
            d.status()["members"].as_array().expect("members").iter().any(|m| m["index"] == index && m["status"] == status)
        });
    }

    /// Waits until ceremony `epoch` activated: the cluster is active and serves that epoch.
    pub fn wait_active(&self, epoch: u64, timeout: Duration) {
        self.wait_until(&format!("ceremony {epoch} active"), timeout, |d| {
            let status = d.status();
            if status["ceremony"]["epoch"] == epoch && status["ceremony"]["phase"] == "failed" {
                panic!("ceremony {epoch} failed: {status:#}");
            }
            status["status"] == "active" && status["epoch"] == epoch
        });
    }

    /// Waits until node `index`'s daemon serves share requests with its share of `epoch`.
    pub fn wait_serving(&self, index: u8, epoch: u64) {
        self.wait_until(&format!("node {index} serving epoch {epoch}"), Duration::from_secs(60), |d| {
            d.health(index).is_some_and(|h| h["status"] == "serving" && h["epoch"] == epoch)
        });
    }

    fn say(&self, line: &str) {
        if self.options.verbose {
            println!("{line}");
        }
    }

    /// A new wallet holding `sol` SOL, its keypair file in the work dir.
    pub fn wallet(&self, name: &str, sol: u64) -> Wallet {
        let keypair = Keypair::new();
        let path = self.dir.join(format!("{name}.json"));
        solana_keypair::write_keypair_file(&keypair, &path).expect("write keypair");
        let transfer = solana_system_interface::instruction::transfer(&self.localnet.mint.pubkey(), &keypair.pubkey(), sol * 1_000_000_000);
        let rpc = &self.localnet.rpc;
        let tx = solana_transaction::Transaction::new_signed_with_payer(
            &[transfer],
            Some(&self.localnet.mint.pubkey()),
            &[&self.localnet.mint],
            rpc.get_latest_blockhash().expect("blockhash"),
        );
        rpc.send_and_confirm_transaction(&tx).expect("fund a wallet");
        Wallet { name: name.to_owned(), path, address: keypair.pubkey() }
    }

    /// Runs `medshare --url <validator> --keypair <wallet> --yes <args>`; with `verbose`, in
    /// display form, printed; else with `--output json`. (`--yes`: the harness answers no
    /// prompt, as any script; the CLI refuses destructive steps without it when stdin is not
    /// a terminal.)
    pub fn medshare(&self, wallet: &Wallet, args: &[&str]) -> Run {
        let rpc = self.localnet.validator.rpc_url();
        let output = if self.options.verbose { "display" } else { "json" };
        let mut full = vec!["--url", &rpc, "--keypair", path(&wallet.path), "--yes", "--output", output];
        full.extend_from_slice(args);
        let run = self.run(&Binary::Medshare.path(), &full, &[]);
        if self.options.verbose {
            println!("$ medshare {} # as {}", args.join(" "), wallet.name);
            for line in run.stdout.lines().chain(run.stderr.lines()) {
                println!("  {line}");
            }
        }
        run
    }

    /// [`Deployment::medshare`] with `--output json` even when verbose, expected to succeed.
    pub fn medshare_json(&self, wallet: &Wallet, args: &[&str]) -> Value {
        let rpc = self.localnet.validator.rpc_url();
        let mut full = vec!["--url", &rpc, "--keypair", path(&wallet.path), "--yes", "--output", "json"];
        full.extend_from_slice(args);
        self.run(&Binary::Medshare.path(), &full, &[]).expect_success().json()
    }

    /// `medshare-migrations` arguments: this validator, the admin, the program.
    pub fn migrations_args(&self) -> Vec<String> {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let keypair = repo.join("programs/medical-records/keys/medical_records-keypair.json");
        let so = crate::program_so();
        ["--url", &self.localnet.validator.rpc_url(), "--keypair", path(&self.admin.path), "--program", path(&so), "--program-keypair", path(&keypair)]
            .map(String::from)
            .to_vec()
    }

    /// Runs one of the project's binaries in the work dir.
    pub fn run_binary(&self, binary: Binary, args: &[String]) -> Run {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&binary.path(), &args, &[])
    }

    fn run(&self, binary: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = Command::new(binary)
            .args(args)
            .envs(env.iter().copied())
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", binary.display()));
        Run {
            command: format!("{} {}", binary.file_name().and_then(|n| n.to_str()).unwrap_or("?"), args.join(" ")),
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn node_config(&self, index: u8) -> PathBuf {
        self.dir.join(format!("node-{index}.toml"))
    }

    fn write_node_config(&self, node: &NodeProcess, fault: Option<&str>) {
        let fault = fault.map(|f| format!("\n[fault]\n{f}\n")).unwrap_or_default();
        // only what a test set, so that configs stay loadable by daemons without these keys
        let mut extra = String::new();
        if !node.rpc_urls.is_empty() {
            let urls: Vec<String> = node.rpc_urls.iter().map(|url| format!("\"{url}\"")).collect();
            extra.push_str(&format!("rpc_urls = [{}]\n", urls.join(", ")));
        }
        // `cluster` may be overridden (a test naming a cluster that does not exist)
        for (key, value) in node.settings.iter().filter(|(key, _)| *key != "cluster") {
            extra.push_str(&format!("{key} = {value}\n"));
        }
        let cluster = node.settings.get("cluster").cloned().unwrap_or_else(|| format!("\"{}\"", self.cluster));
        let config = format!(
            "rpc_url = \"{}\"\nws_url = \"{}\"\nkeypair = \"{}\"\ncluster = {}\nkey_share = \"{}\"\nmetrics_addr = \"{}\"\nbackfill_seconds = {}\nceremony_poll_ms = 250\n{extra}{fault}",
            node.rpc_url,
            node.ws_url,
            node.keypair.display(),
            cluster,
            node.vault.display(),
            node.metrics_addr,
            node.backfill_seconds,
        );
        std::fs::write(self.node_config(node.index), config).expect("write node config");
    }

    /// A new node: its wallet, config and vault (`mpc-node init`), then `medshare cluster
    /// invite --authority` by the admin. Its daemon is not started. Returns its index.
    pub fn init_node(&mut self) -> u8 {
        let wallet = self.prepare_node();
        let index = u8::try_from(self.nodes.len()).expect("at most 16 nodes");
        let cluster = self.cluster.to_string();
        let authority = wallet.address.to_string();
        let invited = self.medshare_json(&self.admin, &["cluster", "invite", &cluster, "--authority", &authority]);
        assert_eq!(invited["index"], index, "nodes are invited into slots in order");
        self.say(&format!("$ mpc-node init --config node-{index}.toml && medshare cluster invite {cluster} --authority {authority} # node {index}"));
        index
    }

    /// Starts node `index`'s daemon: `mpc-node-faulty` if the options say so, else `mpc-node`.
    pub fn start_node(&mut self, index: u8) {
        let faulty = self.options.faulty.contains(&index);
        self.start_node_as(index, faulty);
    }

    /// Starts node `index`'s daemon, faulty or not (rewriting its config to match).
    pub fn start_node_as(&mut self, index: u8, faulty: bool) {
        self.start_node_with(index, faulty.then_some("bad_proofs = true"));
    }

    /// Starts node `index`'s daemon: `mpc-node-faulty` with `fault` as its `[fault]` table
    /// (TOML lines, e.g. `bad_confirmation = true`), or `mpc-node` for `None`.
    pub fn start_node_with(&mut self, index: u8, fault: Option<&str>) {
        let node = &self.nodes[usize::from(index) - 1];
        assert!(node.child.is_none(), "node {index} is already running");
        self.write_node_config(node, fault);
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&node.log).expect("node log");
        let binary = if fault.is_some() { Binary::FaultyNode } else { Binary::Node };
        let child = Command::new(binary.path())
            .args(["run", "--config", path(&self.node_config(index))])
            .env("MPC_NODE_PASSPHRASE", PASSPHRASE)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn mpc-node");
        self.nodes[usize::from(index) - 1].child = Some(child);
        self.wait_until(&format!("node {index}'s /healthz"), Duration::from_secs(30), |d| d.health(index).is_some());
    }

    /// Restarts node `index` subscribing through a [`Proxy`] the test can cut, with its
    /// periodic backfill an hour away (so only a reconnect's backfill can catch up).
    pub fn proxy_websocket(&mut self, index: u8) -> Proxy {
        let upstream = self.localnet.validator.rpc_pubsub_url().trim_start_matches("ws://").trim_end_matches('/').parse().expect("pubsub address");
        let proxy = Proxy::start(upstream);
        self.kill_node(index);
        let node = &mut self.nodes[usize::from(index) - 1];
        node.ws_url = format!("ws://{}", proxy.addr);
        node.backfill_seconds = 3600;
        self.start_node(index);
        proxy
    }

    /// Restarts node `index` (running or not) with both its links through proxies the test
    /// controls: JSON-RPC through a new [`RpcProxy`] (with the validator itself as its one
    /// fail-over endpoint if `failover`) and the websocket through a new [`Proxy`]. Its
    /// backfill keeps its period.
    pub fn proxy_links(&mut self, index: u8, failover: bool) -> (RpcProxy, Proxy) {
        let upstream = self.localnet.validator.rpc_pubsub_url().trim_start_matches("ws://").trim_end_matches('/').parse().expect("pubsub address");
        let websocket = Proxy::start(upstream);
        let rpc = RpcProxy::to_url(&self.localnet.validator.rpc_url());
        self.nodes[usize::from(index) - 1].ws_url = format!("ws://{}", websocket.addr);
        self.route_rpc(index, &rpc.url(), failover);
        (rpc, websocket)
    }

    /// Stops the validator, keeps it down for `down`, and starts it again from its ledger on
    /// the same ports while the node daemons keep running (see
    /// [`BlockingLocalnet::restart`]). Returns how long it was unreachable.
    pub fn restart_validator(&mut self, down: Duration) -> Duration {
        self.localnet.restart(down)
    }

    /// Node `index`'s vault file.
    pub fn vault_path(&self, index: u8) -> PathBuf {
        self.nodes[usize::from(index) - 1].vault.clone()
    }

    /// Runs `mpc-node run` for node `index` in the foreground with `passphrase` (its config
    /// as it stands; node `index`'s daemon must be stopped) and returns what it did. A node
    /// that is still running after `timeout` is killed and the run reported as such: a
    /// daemon that should have refused to start fails the caller's assertions instead of
    /// hanging the test.
    pub fn run_node_once(&self, index: u8, passphrase: &str, timeout: Duration) -> Run {
        assert!(!self.is_running(index), "node {index}'s daemon must be stopped first");
        // with whatever the test set since the daemon last started
        self.write_node_config(&self.nodes[usize::from(index) - 1], None);
        let config = self.node_config(index);
        let stdout_path = self.dir.join(format!("node-{index}-once.stdout"));
        let stderr_path = self.dir.join(format!("node-{index}-once.stderr"));
        let mut child = Command::new(Binary::Node.path())
            .args(["run", "--config", path(&config)])
            .env("MPC_NODE_PASSPHRASE", passphrase)
            .env("RUST_LOG", "info")
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout_path).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
            .spawn()
            .expect("spawn mpc-node");
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break child.wait().expect("reap");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Run {
            command: format!("mpc-node run --config {}", config.display()),
            status,
            stdout: std::fs::read_to_string(&stdout_path).unwrap_or_default(),
            stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
        }
    }

    /// How node `index`'s daemon ended, if it did on its own (a crash, or an exit) while
    /// the test believed it running; `None` while it runs (or was stopped by the test).
    pub fn node_exited(&mut self, index: u8) -> Option<ExitStatus> {
        self.nodes[usize::from(index) - 1].child.as_mut()?.try_wait().expect("wait")
    }

    /// Restarts node `index` on the validator's websocket with the usual backfill.
    pub fn direct_websocket(&mut self, index: u8) {
        self.kill_node(index);
        let node = &mut self.nodes[usize::from(index) - 1];
        node.ws_url = self.localnet.validator.rpc_pubsub_url();
        node.backfill_seconds = DEFAULT_BACKFILL_SECONDS;
        self.start_node(index);
    }

    /// Restarts node `index` (running or not) reading JSON-RPC through a new [`RpcProxy`] to
    /// the validator, with the validator itself as its one fail-over endpoint (`rpc_urls`)
    /// if `failover`. Returns the proxy; the node keeps it as `rpc_url` until
    /// [`Deployment::direct_rpc`].
    pub fn rpc_proxy(&mut self, index: u8, failover: bool) -> RpcProxy {
        let proxy = RpcProxy::to_url(&self.localnet.validator.rpc_url());
        self.route_rpc(index, &proxy.url(), failover);
        proxy
    }

    /// Restarts node `index` (running or not) with `primary` as its `rpc_url` and, if
    /// `failover`, the validator itself as its one fail-over endpoint (`rpc_urls`). (Set
    /// up a proxy's faults before, to have them from the daemon's first call on.)
    pub fn route_rpc(&mut self, index: u8, primary: &str, failover: bool) {
        let direct = self.localnet.validator.rpc_url();
        let node = &mut self.nodes[usize::from(index) - 1];
        node.rpc_url = primary.to_owned();
        node.rpc_urls = if failover { vec![direct] } else { Vec::new() };
        self.restart_node(index);
    }

    /// Restarts node `index` (running or not) on the validator's JSON-RPC, no fail-over.
    pub fn direct_rpc(&mut self, index: u8) {
        let node = &mut self.nodes[usize::from(index) - 1];
        node.rpc_url = self.localnet.validator.rpc_url();
        node.rpc_urls.clear();
        self.restart_node(index);
    }

    /// Sets a top-level key of node `index`'s config (`value` in TOML, e.g. `"1000"` or
    /// `"\"text\""`); it takes effect when the daemon next starts.
    pub fn set_node_config(&mut self, index: u8, key: &str, value: &str) {
        self.nodes[usize::from(index) - 1].settings.insert(key.to_owned(), value.to_owned());
    }

    /// Removes a key set with [`Deployment::set_node_config`].
    pub fn clear_node_config(&mut self, index: u8, key: &str) {
        self.nodes[usize::from(index) - 1].settings.remove(key);
    }

    /// Sets node `index`'s `rpc_url` (no fail-over) without starting it: it takes effect
    /// when the daemon next starts.
    pub fn set_node_rpc(&mut self, index: u8, url: &str) {
        let node = &mut self.nodes[usize::from(index) - 1];
        node.rpc_url = url.to_owned();
        node.rpc_urls.clear();
    }

    /// Kills node `index` if it runs, and starts it again with its current config.
    pub fn restart_node(&mut self, index: u8) {
        if self.is_running(index) {
            self.kill_node(index);
        }
        self.start_node(index);
    }

    /// Kills node `index` at once (SIGKILL): nothing is flushed or finished.
    pub fn kill_node(&mut self, index: u8) {
        let mut child = self.nodes[usize::from(index) - 1].child.take().expect("node running");
        child.kill().expect("kill");
        child.wait().expect("reap");
    }

    /// Stops node `index` with SIGTERM and returns its exit status.
    pub fn stop_node(&mut self, index: u8) -> ExitStatus {
        let mut child = self.nodes[usize::from(index) - 1].child.take().expect("node running");
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill -TERM");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "node {index} did not stop within 20 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What node `index`'s daemon logged so far (every run, appended).
    pub fn node_log(&self, index: u8) -> String {
        std::fs::read_to_string(&self.nodes[usize::from(index) - 1].log).unwrap_or_default()
    }

    /// Whether node `index`'s daemon is running (started and not killed or stopped by the test).
    pub fn is_running(&self, index: u8) -> bool {
        self.nodes[usize::from(index) - 1].child.is_some()
    }

    /// `GET /healthz` of node `index`, if it answers.
    pub fn health(&self, index: u8) -> Option<Value> {
        let body = http_get(self.nodes[usize::from(index) - 1].metrics_addr, "/healthz")?;
        serde_json::from_str(&body).ok()
    }

    /// `GET /healthz` of node `index`: its HTTP status and JSON body, if it answers.
    pub fn health_status(&self, index: u8) -> Option<(u16, Value)> {
        let (status, body) = http_get_status(self.nodes[usize::from(index) - 1].metrics_addr, "/healthz")?;
        Some((status, serde_json::from_str(&body).ok()?))
    }

    /// The reasons node `index`'s `/healthz` gives in `unhealthy` (none when it answers 200
    /// or not at all).
    pub fn unhealthy(&self, index: u8) -> Vec<String> {
        match self.health_status(index) {
            Some((status, body)) if status != 200 => {
                body["unhealthy"].as_array().map(|reasons| reasons.iter().filter_map(|r| r.as_str().map(String::from)).collect()).unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    /// The sum of every sample of the metric family `family` (all label sets) of node
    /// `index`, e.g. `medshare_node_races_total` (0 if absent).
    pub fn metric_sum(&self, index: u8, family: &str) -> f64 {
        let text = self.metrics_text(index);
        text.lines()
            .filter_map(|line| {
                let rest = line.strip_prefix(family)?;
                let value = if let Some(labelled) = rest.strip_prefix('{') { labelled.split_once("} ")?.1 } else { rest.strip_prefix(' ')? };
                value.trim().parse::<f64>().ok()
            })
            .sum()
    }

    /// Node `index`'s authority keypair (the daemon's fee payer).
    pub fn node_keypair(&self, index: u8) -> Keypair {
        solana_keypair::read_keypair_file(&self.nodes[usize::from(index) - 1].keypair).expect("node keypair")
    }

    /// The lamports `address` holds (0 if the account does not exist).
    pub fn balance(&self, address: &Address) -> u64 {
        self.localnet.rpc.get_balance(address).expect("getBalance")
    }

    /// Moves `lamports` from the genesis mint to `address`.
    pub fn fund(&self, address: &Address, lamports: u64) {
        let mint = &self.localnet.mint;
        let transfer = solana_system_interface::instruction::transfer(&mint.pubkey(), address, lamports);
        let rpc = &self.localnet.rpc;
        let tx =
            solana_transaction::Transaction::new_signed_with_payer(&[transfer], Some(&mint.pubkey()), &[mint], rpc.get_latest_blockhash().expect("blockhash"));
        rpc.send_and_confirm_transaction(&tx).expect("fund");
    }

    /// Empties node `index`'s authority into the genesis mint (the transfer's fee included):
    /// the account is gone and the daemon can pay for nothing.
    pub fn drain_node(&self, index: u8) {
        let authority = self.node_keypair(index);
        let rpc = &self.localnet.rpc;
        let balance = self.balance(&authority.pubkey());
        let blockhash = rpc.get_latest_blockhash().expect("blockhash");
        let probe = solana_system_interface::instruction::transfer(&authority.pubkey(), &self.localnet.mint.pubkey(), balance);
        let mut unsigned = solana_transaction::Transaction::new_with_payer(&[probe], Some(&authority.pubkey()));
        unsigned.message.recent_blockhash = blockhash;
        let fee = rpc.get_fee_for_message(&unsigned.message).expect("getFeeForMessage");
        let transfer = solana_system_interface::instruction::transfer(&authority.pubkey(), &self.localnet.mint.pubkey(), balance - fee);
        let tx = solana_transaction::Transaction::new_signed_with_payer(&[transfer], Some(&authority.pubkey()), &[&authority], blockhash);
        rpc.send_and_confirm_transaction(&tx).expect("drain the node authority");
        assert_eq!(self.balance(&authority.pubkey()), 0, "node {index}'s authority is empty");
    }

    /// Node `index`'s authority's newest transaction signature, if any: a mark for
    /// [`Deployment::node_transactions`].
    pub fn latest_node_signature(&self, index: u8) -> Option<Signature> {
        use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;

        let authority = self.nodes[usize::from(index) - 1].authority;
        // (without a commitment the server answers at `finalized`, seconds behind)
        let config = GetConfirmedSignaturesForAddress2Config { limit: Some(1), commitment: Some(CommitmentConfig::confirmed()), ..Default::default() };
        let newest = self.localnet.rpc.get_signatures_for_address_with_config(&authority, config).expect("getSignaturesForAddress");
        newest.first().map(|s| s.signature.parse().expect("a signature"))
    }

    /// Every transaction node `index`'s authority paid for after `since` (all of them for
    /// `None`), newest first, as the validator records them at `confirmed`.
    pub fn node_transactions(&self, index: u8, since: Option<Signature>) -> Vec<NodeTransaction> {
        use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
        use solana_rpc_client_api::config::RpcTransactionConfig;
        use solana_transaction_status_client_types::UiTransactionEncoding;

        let authority = self.nodes[usize::from(index) - 1].authority;
        let rpc = &self.localnet.rpc;
        let config = GetConfirmedSignaturesForAddress2Config { until: since, commitment: Some(CommitmentConfig::confirmed()), ..Default::default() };
        let listed = rpc.get_signatures_for_address_with_config(&authority, config).expect("getSignaturesForAddress");
        let read = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        listed
            .into_iter()
            .filter_map(|status| {
                let signature: Signature = status.signature.parse().expect("a signature");
                let tx = rpc.get_transaction_with_config(&signature, read).expect("getTransaction");
                let decoded = tx.transaction.transaction.decode().expect("a base64 transaction");
                let accounts = decoded.message.static_account_keys().to_vec();
                // only what this node paid for: an admin's transaction naming it is not its own
                (accounts.first() == Some(&authority)).then(|| NodeTransaction {
                    signature,
                    succeeded: status.err.is_none(),
                    instructions: decoded
                        .message
                        .instructions()
                        .iter()
                        .map(|ix| ix.data.get(..8).map(|d| d.try_into().expect("8 bytes")).unwrap_or([0; 8]))
                        .collect(),
                    accounts,
                })
            })
            .collect()
    }

    /// A counter or gauge of node `index` from `GET /metrics` (0 if absent).
    pub fn metric(&self, index: u8, name: &str) -> f64 {
        let text = http_get(self.nodes[usize::from(index) - 1].metrics_addr, "/metrics").unwrap_or_else(|| panic!("node {index} serves /metrics"));
        text.lines().find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
    }

    /// The raw `/metrics` text of node `index`.
    pub fn metrics_text(&self, index: u8) -> String {
        http_get(self.nodes[usize::from(index) - 1].metrics_addr, "/metrics").unwrap_or_default()
    }

    /// Polls `done` every 250 ms until it holds, or panics after `timeout` naming `what`.
    pub fn wait_until(&self, what: &str, timeout: Duration, mut done: impl FnMut(&Deployment) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The share request as `medshare requests --record` reports it.
    pub fn request_status(&self, wallet: &Wallet, record: &str, request: &str) -> Value {
        let listed = self.medshare_json(wallet, &["requests", "--record", record]);
        listed["requests"].as_array().expect("requests").iter().find(|r| r["request"] == request).cloned().unwrap_or_else(|| panic!("request {request} listed"))
    }

    /// A file in the work dir with `bytes`.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).expect("write file");
        path
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
            if panicking {
                let log = std::fs::read_to_string(&node.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(25).collect();
                eprintln!("---- node {} log (last lines) ----", node.index);
                for line in tail.iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
        if !panicking {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

/// A local address no one listens on right now.
fn free_local_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

/// A minimal HTTP/1.0 GET (the nodes' status endpoints): the body whatever the status,
/// `None` if nothing answers.
fn http_get(addr: SocketAddr, target: &str) -> Option<String> {
    http_get_status(addr, target).map(|(_, body)| body)
}

/// [`http_get`] with the response's status code.
fn http_get_status(addr: SocketAddr, target: &str) -> Option<(u16, String)> {
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {target} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.strip_prefix("HTTP/1.")?.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Joining by hand, as an operator does when the admin's tooling should see the join request
/// first (`medshare cluster replace-node`, `mpc-node join-request`, `medshare cluster accept`).
impl Deployment {
    /// A new node set up by its operator (wallet, config, `mpc-node init`) but not invited and
    /// its daemon not started. It takes the next index (`nodes.len() + 1`), which must be the
    /// slot the admin's invitation gives it. Returns its authority's wallet.
    pub fn prepare_node(&mut self) -> Wallet {
        let index = u8::try_from(self.nodes.len() + 1).expect("at most 16 nodes");
        let wallet = self.wallet(&format!("node-{index}"), 10);
        let node = NodeProcess {
            index,
            authority: wallet.address,
            metrics_addr: free_local_address(),
            keypair: wallet.path.clone(),
            vault: self.dir.join(format!("node-{index}-vault.json")),
            log: self.dir.join(format!("node-{index}.log")),
            ws_url: self.localnet.validator.rpc_pubsub_url(),
            rpc_url: self.localnet.validator.rpc_url(),
            rpc_urls: Vec::new(),
            settings: BTreeMap::new(),
            backfill_seconds: DEFAULT_BACKFILL_SECONDS,
            child: None,
        };
        self.write_node_config(&node, None);
        let config = self.node_config(index);
        let init = self.run(&Binary::Node.path(), &["init", "--config", path(&config)], &[("MPC_NODE_PASSPHRASE", PASSPHRASE)]).expect_success().json();
        assert_eq!(init["authority"], wallet.address.to_string());
        self.nodes.push(node);
        wallet
    }

    /// What `mpc-node join-request` prints for node `index` (its vault's transport key and
    /// proof of possession, as JSON).
    pub fn join_request(&self, index: u8) -> String {
        let config = self.node_config(index);
        self.run(&Binary::Node.path(), &["join-request", "--config", path(&config)], &[("MPC_NODE_PASSPHRASE", PASSPHRASE)]).expect_success().stdout
    }

    /// Runs `medshare --url <validator> --keypair <wallet> --yes --output json <args>` with
    /// `stdin` as its standard input (`--join-request -`).
    pub fn medshare_with_stdin(&self, wallet: &Wallet, args: &[&str], stdin: &[u8]) -> Run {
        let rpc = self.localnet.validator.rpc_url();
        let mut full = vec!["--url", &rpc, "--keypair", path(&wallet.path), "--yes", "--output", "json"];
        full.extend_from_slice(args);
        let binary = Binary::Medshare.path();
        let mut child = Command::new(&binary)
            .args(&full)
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("running {}: {e}", binary.display()));
        // written whole then closed, so that the CLI reads to the end of its input
        child.stdin.take().expect("stdin").write_all(stdin).expect("write stdin");
        let output = child.wait_with_output().expect("medshare output");
        Run {
            command: format!("medshare {}", full.join(" ")),
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}
