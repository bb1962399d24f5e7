//! The load harness (issue #12, "must show" 3): share requests offered in bursts by several
//! client tasks to a running [`Deployment`], built and signed in Rust with `medshare_client`
//! (not the CLI per request) and sent with many in flight; then the chain is audited.
//!
//! What it measures, per stage (an offered rate held for a number of requests):
//! - every request confirmed is completed (none lost), within a drain deadline;
//! - from each node's own transaction history: its accepted partials per request (at most
//!   one: no node posts twice), its refused callbacks by error name, and the slot of the one
//!   `ShareCompleted` of every request;
//! - latency from the confirmed request to its completion, in slots (the request's slot to
//!   the `ShareCompleted` transaction's slot, both from the chain) and in milliseconds (the
//!   moment the harness saw the request confirmed to the moment it saw the request account
//!   completed; both are seen by the same 50 ms polls at `confirmed`, so the bias cancels);
//! - sustained completed shares per second;
//! - each daemon's resident memory (`VmRSS`) and CPU time (`utime + stime`) sampled every
//!   second from `/proc`, the test process's (which hosts the validator) likewise, broken
//!   down by thread name, and each node's queue depth from its `/metrics`.
//!
//! A share request is the record's `share_count`-th, so at most one request per record is in
//! flight: each client owns several records and waits for a free one when all are busy (that
//! wait is the client's own backlog, reported as the rate it actually submitted at).

use encrypted_circuits::keys::PublicKey;
use medshare_client::{
    Address, PROGRAM_ID,
    accounts::{Cluster, Record, ShareRequest},
    compute,
    events::Event,
    instructions as ix,
    rpc::Connection,
};
use serde_json::{Value, json};
use solana_commitment_config::CommitmentConfig;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::{
    collections::{BTreeMap, HashMap},
    io::{Read, Write},
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, oneshot};

use crate::deployment::Deployment;

/// Linux reports process CPU times in clock ticks of `USER_HZ`, which is 100 on every
/// architecture the project runs on (it is fixed in the kernel ABI, unlike `HZ`).
const USER_HZ: f64 = 100.0;
/// How often the harness polls signature statuses and request accounts.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// How often `/proc` and the nodes' `/metrics` are sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);
/// A share transaction not seen after this long is broadcast again (same bytes).
const REBROADCAST_AFTER: Duration = Duration::from_secs(2);
/// A share transaction not confirmed after this long is given up and signed again: its
/// blockhash lives about 150 slots, which is 60 s at 400 ms slots but 225 s at the 1.5 s slots
/// a loaded dev-profile validator makes; re-signing earlier could land the same request twice.
const RESIGN_AFTER: Duration = Duration::from_secs(300);
/// `getSignatureStatuses` takes at most this many signatures.
const STATUS_BATCH: usize = 256;
/// `getMultipleAccounts` takes at most this many accounts.
const ACCOUNT_BATCH: usize = 100;

/// How the load is shaped.
#[derive(Clone, Debug)]
pub struct LoadPlan {
    /// Client tasks, each a patient with its own wallet.
    pub clients: usize,
    /// Records each client owns (its most requests in flight at once).
    pub records_per_client: usize,
    /// Registered recipients the requests go to, in turn.
    pub recipients: usize,
    /// The stages, in order.
    pub stages: Vec<Stage>,
    /// How long a stage may take to complete its last request once all were offered.
    pub drain_timeout: Duration,
}

/// One offered rate held for a number of requests.
#[derive(Clone, Debug)]
pub struct Stage {
    /// A name for the report.
    pub name: String,
    /// Share requests offered per second.
    pub rate_per_second: f64,
    /// Share requests offered in all.
    pub requests: usize,
    /// Time between bursts; each burst offers `rate × burst_every` requests at once, spread
    /// over the clients.
    pub burst_every: Duration,
}

/// One share request as the harness saw it.
#[derive(Clone, Debug)]
pub struct RequestTrace {
    /// The request account.
    pub request: Address,
    /// The stage (index into [`LoadPlan::stages`]).
    pub stage: usize,
    /// The client that sent it.
    pub client: usize,
    /// When its burst offered it.
    pub offered_at: Instant,
    /// When the harness saw its transaction confirmed.
    pub confirmed_at: Instant,
    /// The slot its transaction landed in.
    pub request_slot: u64,
    /// When the harness saw the request account completed.
    pub completed_seen_at: Option<Instant>,
    /// The status byte last read (if not completed, where it stuck).
    pub last_status: Option<u8>,
}

/// One `/proc` and `/metrics` sample.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Seconds since the load started.
    pub at: f64,
    /// Each node's `VmRSS` in KiB, by node index - 1.
    pub node_rss_kib: Vec<u64>,
    /// Each node's `utime + stime` in clock ticks.
    pub node_cpu_ticks: Vec<u64>,
    /// Each node's `medshare_node_pending_requests`.
    pub node_pending: Vec<f64>,
    /// The test process's (the validator's and the harness's) `VmRSS` in KiB.
    pub self_rss_kib: u64,
    /// The test process's `utime + stime` in clock ticks.
    pub self_cpu_ticks: u64,
    /// The test process's CPU ticks by thread name (digits stripped), for where the time goes.
    pub threads: BTreeMap<String, u64>,
    /// The machine's 1-minute load average.
    pub loadavg: f64,
}

/// What one node did on chain during the load, from its own transaction history.
#[derive(Clone, Debug, Default)]
pub struct NodeTally {
    /// Its index.
    pub index: u8,
    /// Transactions it paid for that name one of the load's requests.
    pub callbacks: u64,
    /// `PartialAccepted` events naming it, per request.
    pub accepted: HashMap<Address, u32>,
    /// Its refused transactions naming a load request, by program error name.
    pub refused: BTreeMap<String, u64>,
    /// Callback transactions per request (landed, accepted or refused).
    pub sent_per_request: HashMap<Address, u32>,
}

/// The chain's side of the run.
#[derive(Clone, Debug, Default)]
pub struct ChainAudit {
    /// Per node.
    pub nodes: Vec<NodeTally>,
    /// Each request's `ShareCompleted` slots (exactly one expected).
    pub completed_slots: HashMap<Address, Vec<u64>>,
    /// Each request's final account: status, accepted bitmask.
    pub final_state: HashMap<Address, (u8, u16)>,
}

/// Everything a run produced.
pub struct LoadRun {
    /// The plan it ran.
    pub plan: LoadPlan,
    /// Every request confirmed.
    pub traces: Vec<RequestTrace>,
    /// Share transactions that failed on chain (none expected), with why.
    pub failed_sends: Vec<String>,
    /// Share transactions broadcast again / signed again.
    pub rebroadcasts: u64,
    /// Share transactions signed again after their blockhash died unseen.
    pub resigned: u64,
    /// When each stage started and when its last request was offered.
    pub stage_windows: Vec<(Instant, Instant)>,
    /// Resource samples, every second.
    pub samples: Vec<Sample>,
    /// The chain audit.
    pub audit: ChainAudit,
    /// When the load started (samples are relative to it).
    pub started: Instant,
    /// Milliseconds per slot over the run, as the validator produced them.
    pub ms_per_slot: f64,
    /// The threshold and size of the cluster.
    pub threshold: u8,
    /// Node count.
    pub size: u8,
}

/// What the harness needs of a deployment, taken out of it so that the load runs on its own
/// runtime while the deployment stays on the test's thread.
#[derive(Clone)]
struct Target {
    rpc_url: String,
    cluster: Address,
    nodes: Vec<NodeHandle>,
}

#[derive(Clone)]
struct NodeHandle {
    index: u8,
    authority: Address,
    pid: u32,
    metrics_addr: SocketAddr,
}

/// A patient's record the client shares from, with the `share_count` its next request uses.
#[derive(Clone, Copy, Debug)]
struct RecordSlot {
    record: Address,
    share_count: u32,
}

/// Shared state of one run: what the pollers watch and what they found.
#[derive(Default)]
struct Shared {
    /// Sent share transactions awaiting confirmation.
    pending: Mutex<HashMap<Signature, PendingTx>>,
    /// Confirmed requests awaiting completion, by index into `traces`.
    outstanding: Mutex<HashMap<Address, usize>>,
    traces: Mutex<Vec<RequestTrace>>,
    failed: Mutex<Vec<String>>,
    rebroadcasts: AtomicU64,
    resigned: AtomicU64,
}

struct PendingTx {
    tx: Transaction,
    sent_at: Instant,
    first_sent: Instant,
    done: oneshot::Sender<SendOutcome>,
}

enum SendOutcome {
    Confirmed { slot: u64, at: Instant },
    Failed(String),
    Dead,
}

/// The pid of the `mpc-node run --config <dir>/node-<index>.toml` process, from `/proc`.
fn node_pid(dir: &std::path::Path, index: u8) -> u32 {
    let config = dir.join(format!("node-{index}.toml"));
    let config = config.to_str().expect("UTF-8 path");
    for entry in std::fs::read_dir("/proc").expect("/proc") {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        if args.iter().any(|a| *a == b"run") && args.iter().any(|a| *a == config.as_bytes()) {
            return pid;
        }
    }
    panic!("no running mpc-node with --config {config}");
}

/// `VmRSS` of `pid` in KiB.
pub fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `utime + stime` (clock ticks) and the command name of a `/proc/.../stat` file's text.
pub fn parse_stat(stat: &str) -> Option<(String, u64)> {
    // the name is in parentheses and may itself hold spaces or parentheses: split at the last `)`
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // after the name: state (field 3) ... utime is field 14, stime field 15
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((name, utime + stime))
}

fn cpu_ticks(pid: &str) -> Option<u64> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?).map(|(_, ticks)| ticks)
}

/// The test process's CPU ticks per thread name, digits stripped (`solBstore12` → `solBstore`).
fn thread_ticks() -> BTreeMap<String, u64> {
    let mut by_name = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return by_name };
    for task in tasks.flatten() {
        if let Some((name, ticks)) = std::fs::read_to_string(task.path().join("stat")).ok().and_then(|s| parse_stat(&s)) {
            let name: String = name.chars().filter(|c| !c.is_ascii_digit()).collect();
            *by_name.entry(name).or_insert(0) += ticks;
        }
    }
    by_name
}

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0.0)
}

/// One gauge of a node's `/metrics` (0 if it does not answer).
fn node_gauge(addr: SocketAddr, name: &str) -> f64 {
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else { return 0.0 };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").is_err() {
        return 0.0;
    }
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok()).unwrap_or(0.0)
}

fn sample(nodes: &[NodeHandle], started: Instant) -> Sample {
    Sample {
        at: started.elapsed().as_secs_f64(),
        node_rss_kib: nodes.iter().map(|n| rss_kib(&n.pid.to_string()).unwrap_or(0)).collect(),
        node_cpu_ticks: nodes.iter().map(|n| cpu_ticks(&n.pid.to_string()).unwrap_or(0)).collect(),
        node_pending: nodes.iter().map(|n| node_gauge(n.metrics_addr, "medshare_node_pending_requests")).collect(),
        self_rss_kib: rss_kib("self").unwrap_or(0),
        self_cpu_ticks: cpu_ticks("self").unwrap_or(0),
        threads: thread_ticks(),
        loadavg: loadavg(),
    }
}

/// Runs `plan` against `deployment` (a running, serving cluster): sets up the clients (wallets
/// funded from the genesis mint, keys registered, records stored), runs each stage, waits for
/// every request to complete (or the drain deadline), and audits the chain.
pub fn run(deployment: &Deployment, plan: LoadPlan) -> LoadRun {
    let target = Target {
        rpc_url: deployment.localnet.validator.rpc_url(),
        cluster: deployment.cluster,
        nodes: deployment
            .nodes
            .iter()
            .map(|n| NodeHandle { index: n.index, authority: n.authority, pid: node_pid(&deployment.dir, n.index), metrics_addr: n.metrics_addr })
            .collect(),
    };
    let mint = deployment.localnet.mint.insecure_clone();
    let threshold = Cluster::decode(&deployment.localnet.rpc.get_account_data(&deployment.cluster).expect("cluster account")).expect("a Cluster").threshold;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().thread_name("load-harness").build().expect("runtime");
    let mut run = runtime.block_on(run_async(target, mint, plan));
    run.threshold = threshold;
    run.size = u8::try_from(deployment.nodes.len()).expect("at most 16 nodes");
    run
}

async fn run_async(target: Target, mint: Keypair, plan: LoadPlan) -> LoadRun {
    let rpc = Arc::new(RpcClient::new_with_commitment(target.rpc_url.clone(), CommitmentConfig::confirmed()));
    let connection = Arc::new(Connection::new(&target.rpc_url, CommitmentConfig::confirmed()));
    let (patients, recipients, records) = set_up(&rpc, &connection, &target, &mint, &plan).await;

    let shared = Arc::new(Shared::default());
    let stop = Arc::new(AtomicBool::new(false));
    let blockhash = Arc::new(Mutex::new(rpc.get_latest_blockhash().await.expect("blockhash")));
    let started = Instant::now();
    let start_slot = rpc.get_slot().await.expect("getSlot");
    let samples = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let (nodes, samples, stop) = (target.nodes.clone(), samples.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let next = sample(&nodes, started);
                samples.lock().expect("samples").push(next);
                std::thread::sleep(SAMPLE_EVERY);
            }
            samples.lock().expect("samples").push(sample(&nodes, started));
        })
    };
    let background = vec![
        tokio::spawn(refresh_blockhash(rpc.clone(), blockhash.clone(), stop.clone())),
        tokio::spawn(poll_signatures(rpc.clone(), shared.clone(), stop.clone())),
        tokio::spawn(poll_requests(rpc.clone(), shared.clone(), stop.clone())),
    ];

    // one channel of work per client; each client owns its pool of free records
    let mut senders = Vec::new();
    let mut clients = Vec::new();
    for (client, (patient, records)) in patients.into_iter().zip(records).enumerate() {
        let (work, jobs) = mpsc::unbounded_channel::<(usize, Instant)>();
        senders.push(work);
        let context = ClientContext {
            client,
            patient: Arc::new(patient),
            recipients: recipients.clone(),
            cluster: target.cluster,
            rpc: rpc.clone(),
            blockhash: blockhash.clone(),
            shared: shared.clone(),
        };
        clients.push(tokio::spawn(client_loop(context, records, jobs)));
    }

    let mut stage_windows = Vec::new();
    let mut offered = 0usize;
    for (index, stage) in plan.stages.iter().enumerate() {
        let stage_start = Instant::now();
        let per_burst = ((stage.rate_per_second * stage.burst_every.as_secs_f64()).round() as usize).max(1);
        let mut sent = 0;
        let mut burst = 0u32;
        while sent < stage.requests {
            let due = stage_start + stage.burst_every * burst;
            tokio::time::sleep_until(due.into()).await;
            let now = Instant::now();
            for _ in 0..per_burst.min(stage.requests - sent) {
                senders[offered % senders.len()].send((index, now)).expect("client running");
                offered += 1;
                sent += 1;
            }
            burst += 1;
        }
        let offered_until = Instant::now();
        stage_windows.push((stage_start, offered_until));
        wait_for_stage(&shared, index, stage.requests, plan.drain_timeout).await;
    }
    drop(senders);
    for client in clients {
        client.await.expect("client task");
    }
    stop.store(true, Ordering::Relaxed);
    for task in background {
        task.await.expect("poller");
    }
    sampler.join().expect("sampler");
    let end_slot = rpc.get_slot().await.expect("getSlot");
    let ms_per_slot = started.elapsed().as_secs_f64() * 1000.0 / (end_slot - start_slot).max(1) as f64;

    let traces = shared.traces.lock().expect("traces").clone();
    let audit = audit(&rpc, &target, &traces, start_slot).await;
    let failed_sends = shared.failed.lock().expect("failed").clone();
    let samples = samples.lock().expect("samples").clone();
    LoadRun {
        plan,
        traces,
        failed_sends,
        rebroadcasts: shared.rebroadcasts.load(Ordering::Relaxed),
        resigned: shared.resigned.load(Ordering::Relaxed),
        stage_windows,
        samples,
        audit,
        started,
        ms_per_slot,
        threshold: 0,
        size: 0,
    }
}

/// Funds the patients and recipients, registers their keys and stores every record.
async fn set_up(
    rpc: &RpcClient,
    connection: &Arc<Connection>,
    target: &Target,
    mint: &Keypair,
    plan: &LoadPlan,
) -> (Vec<Keypair>, Arc<Vec<Address>>, Vec<Vec<RecordSlot>>) {
    let patients: Vec<Keypair> = (0..plan.clients).map(|_| Keypair::new()).collect();
    let recipients: Vec<Keypair> = (0..plan.recipients).map(|_| Keypair::new()).collect();
    let wallets: Vec<Address> = patients.iter().chain(&recipients).map(|k| k.pubkey()).collect();
    for batch in wallets.chunks(16) {
        let transfers: Vec<_> = batch.iter().map(|w| solana_system_interface::instruction::transfer(&mint.pubkey(), w, 100_000_000_000)).collect();
        connection.send(mint, &[], &transfers).await.expect("fund the load's wallets");
    }
    let mut registrations = tokio::task::JoinSet::new();
    for wallet in patients.iter().chain(&recipients) {
        let key = medshare_client::context::user_key(wallet, 0).expect("derived key");
        let proof = key.prove_possession(&mut rand::thread_rng(), &wallet.pubkey().to_bytes());
        let instruction = ix::register_user_key(&wallet.pubkey(), key.public_key().to_bytes(), proof.to_bytes());
        let (connection, wallet) = (connection.clone(), wallet.insecure_clone());
        registrations.spawn(async move { connection.send(&wallet, &[], &[instruction]).await.expect("register_user_key") });
    }
    registrations.join_all().await;

    let cluster_data = rpc.get_account_data(&target.cluster).await.expect("cluster account");
    let cluster_key = PublicKey::from_bytes(&Cluster::decode(&cluster_data).expect("a Cluster").public_key, "PK").expect("an active cluster's key");
    let mut stores = tokio::task::JoinSet::new();
    let mut records = Vec::new();
    for (client, patient) in patients.iter().enumerate() {
        let owner_key = medshare_client::context::user_key(patient, 0).expect("derived key").public_key();
        let mut slots = Vec::new();
        for record_id in 1..=plan.records_per_client as u64 {
            let plaintext =
                format!("{{\"resourceType\":\"Observation\",\"id\":\"load-{client}-{record_id}\",\"status\":\"final\",\"code\":{{\"text\":\"load\"}}}}");
            let owner = patient.pubkey();
            let sealed = medshare_client::context::seal_version(
                &mut rand::thread_rng(),
                &owner,
                record_id,
                1,
                &target.cluster,
                &cluster_key,
                &owner_key,
                plaintext.as_bytes(),
            );
            let args = ix::StoreArgs {
                version: 1,
                cluster_capsule: sealed.cluster_capsule.to_bytes(),
                capsule_proof: sealed.capsule_proof.to_bytes(),
                owner_capsule: sealed.owner_capsule.to_bytes(),
                storage: 0,
                ciphertext_len: sealed.ciphertext.len() as u32,
                digest: [0; 32],
                uri: Vec::new(),
                chunk: sealed.ciphertext.clone(),
            };
            let (instructions, record) = ix::store_inline(&owner, &target.cluster, record_id, &args, &sealed.ciphertext);
            slots.push(RecordSlot { record, share_count: 0 });
            let (connection, patient) = (connection.clone(), patient.insecure_clone());
            stores.spawn(async move {
                for instruction in instructions {
                    connection.send(&patient, &[], &[instruction]).await.expect("store a load record");
                }
            });
        }
        records.push(slots);
    }
    stores.join_all().await;
    (patients, Arc::new(recipients.iter().map(|r| r.pubkey()).collect()), records)
}

struct ClientContext {
    client: usize,
    patient: Arc<Keypair>,
    recipients: Arc<Vec<Address>>,
    cluster: Address,
    rpc: Arc<RpcClient>,
    blockhash: Arc<Mutex<Hash>>,
    shared: Arc<Shared>,
}

/// One client: takes offered requests in order, each on a free record of its own, many in
/// flight; ends when the offers end and every one of its requests is confirmed.
async fn client_loop(context: ClientContext, records: Vec<RecordSlot>, mut jobs: mpsc::UnboundedReceiver<(usize, Instant)>) {
    let context = Arc::new(context);
    let (free, mut free_records) = mpsc::unbounded_channel();
    for record in records {
        free.send(record).expect("pool");
    }
    let mut in_flight = tokio::task::JoinSet::new();
    let mut next_recipient = context.client;
    while let Some((stage, offered_at)) = jobs.recv().await {
        let record = free_records.recv().await.expect("records return to the pool");
        let recipient = context.recipients[next_recipient % context.recipients.len()];
        next_recipient += 1;
        let (context, free) = (context.clone(), free.clone());
        in_flight.spawn(async move {
            let record = submit(&context, record, recipient, stage, offered_at).await;
            let _ = free.send(record);
        });
    }
    in_flight.join_all().await;
}

/// Sends one share request from `slot` until it is confirmed, and records it; returns the
/// record with its next `share_count`.
async fn submit(context: &ClientContext, mut slot: RecordSlot, recipient: Address, stage: usize, offered_at: Instant) -> RecordSlot {
    let owner = context.patient.pubkey();
    loop {
        let (share, request) = ix::share_patient_data(&owner, &slot.record, slot.share_count, &context.cluster, &recipient, 0);
        let instructions = compute::prepare(&[share], &owner, 0);
        let blockhash = *context.blockhash.lock().expect("blockhash");
        let tx = Transaction::new_signed_with_payer(&instructions, Some(&owner), &[context.patient.as_ref()], blockhash);
        let (done, outcome) = oneshot::channel();
        let signature = tx.signatures[0];
        let now = Instant::now();
        broadcast(&context.rpc, &tx).await;
        context.shared.pending.lock().expect("pending").insert(signature, PendingTx { tx, sent_at: now, first_sent: now, done });
        match outcome.await.unwrap_or(SendOutcome::Dead) {
            SendOutcome::Confirmed { slot: request_slot, at } => {
                let trace = RequestTrace {
                    request,
                    stage,
                    client: context.client,
                    offered_at,
                    confirmed_at: at,
                    request_slot,
                    completed_seen_at: None,
                    last_status: None,
                };
                let mut traces = context.shared.traces.lock().expect("traces");
                context.shared.outstanding.lock().expect("outstanding").insert(request, traces.len());
                traces.push(trace);
                slot.share_count += 1;
                return slot;
            }
            SendOutcome::Failed(why) => {
                context.shared.failed.lock().expect("failed").push(format!("share {request}: {why}"));
                // the record is unchanged on chain unless the failure hid a landing: read it back
                slot.share_count = read_share_count(&context.rpc, &slot.record).await;
                return slot;
            }
            SendOutcome::Dead => {
                context.shared.resigned.fetch_add(1, Ordering::Relaxed);
                slot.share_count = read_share_count(&context.rpc, &slot.record).await;
            }
        }
    }
}

async fn read_share_count(rpc: &RpcClient, record: &Address) -> u32 {
    let data = rpc.get_account_data(record).await.expect("the record account");
    Record::decode(&data).expect("a Record").share_count
}

async fn broadcast(rpc: &RpcClient, tx: &Transaction) {
    use solana_rpc_client_api::config::RpcSendTransactionConfig;
    // no preflight: the statuses say what happened, and the validator simulates nothing twice
    let config = RpcSendTransactionConfig { skip_preflight: true, max_retries: Some(0), ..Default::default() };
    let _ = rpc.send_transaction_with_config(tx, config).await;
}

async fn refresh_blockhash(rpc: Arc<RpcClient>, blockhash: Arc<Mutex<Hash>>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        if let Ok(latest) = rpc.get_latest_blockhash().await {
            *blockhash.lock().expect("blockhash") = latest;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Watches every sent share transaction's status in batches; re-broadcasts the unseen.
async fn poll_signatures(rpc: Arc<RpcClient>, shared: Arc<Shared>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) || !shared.pending.lock().expect("pending").is_empty() {
        tokio::time::sleep(POLL_EVERY).await;
        let signatures: Vec<Signature> = shared.pending.lock().expect("pending").keys().copied().collect();
        for batch in signatures.chunks(STATUS_BATCH) {
            let Ok(answer) = rpc.get_signature_statuses(batch).await else { continue };
            let seen_at = Instant::now();
            let mut resend = Vec::new();
            {
                let mut pending = shared.pending.lock().expect("pending");
                for (signature, status) in batch.iter().zip(answer.value) {
                    let outcome = match status {
                        Some(status) if status.satisfies_commitment(CommitmentConfig::confirmed()) => Some(match status.err {
                            None => SendOutcome::Confirmed { slot: status.slot, at: seen_at },
                            Some(err) => SendOutcome::Failed(describe(&err)),
                        }),
                        Some(_) => None,
                        None => {
                            let entry = pending.get_mut(signature).expect("pending");
                            if entry.first_sent.elapsed() > RESIGN_AFTER {
                                Some(SendOutcome::Dead)
                            } else {
                                if entry.sent_at.elapsed() > REBROADCAST_AFTER {
                                    entry.sent_at = Instant::now();
                                    resend.push(entry.tx.clone());
                                }
                                None
                            }
                        }
                    };
                    if let Some(outcome) = outcome {
                        let entry = pending.remove(signature).expect("pending");
                        let _ = entry.done.send(outcome);
                    }
                }
            }
            for tx in resend {
                shared.rebroadcasts.fetch_add(1, Ordering::Relaxed);
                broadcast(&rpc, &tx).await;
            }
        }
    }
}

/// A transaction error with the program's error name when it is one of the program's.
fn describe(err: &solana_transaction_error::TransactionError) -> String {
    use solana_instruction::error::InstructionError;
    use solana_transaction_error::TransactionError;
    match err {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => {
            medshare_client::errors::describe(*code).map(|(name, _)| name.to_owned()).unwrap_or_else(|| format!("custom error {code}"))
        }
        other => format!("{other:?}"),
    }
}

/// Watches every confirmed request's account in batches until it is completed.
async fn poll_requests(rpc: Arc<RpcClient>, shared: Arc<Shared>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(POLL_EVERY).await;
        let watched: Vec<(Address, usize)> = shared.outstanding.lock().expect("outstanding").iter().map(|(a, i)| (*a, *i)).collect();
        for batch in watched.chunks(ACCOUNT_BATCH) {
            let addresses: Vec<Address> = batch.iter().map(|(a, _)| *a).collect();
            let Ok(answer) = rpc.get_multiple_accounts_with_commitment(&addresses, CommitmentConfig::confirmed()).await else { continue };
            let seen_at = Instant::now();
            let mut traces = shared.traces.lock().expect("traces");
            let mut outstanding = shared.outstanding.lock().expect("outstanding");
            for ((address, index), account) in batch.iter().zip(answer.value) {
                let Some(request) = account.and_then(|a| ShareRequest::decode(&a.data).ok()) else { continue };
                traces[*index].last_status = Some(request.status);
                if request.status != ShareRequest::PENDING {
                    if request.status == ShareRequest::COMPLETED {
                        traces[*index].completed_seen_at = Some(seen_at);
                    }
                    outstanding.remove(address);
                }
            }
        }
    }
}

/// Waits until every request of `stage` is confirmed and no longer pending, or `timeout`
/// after the call.
async fn wait_for_stage(shared: &Shared, stage: usize, requests: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let (confirmed, open) = {
            let traces = shared.traces.lock().expect("traces");
            let failed = shared.failed.lock().expect("failed").len();
            let mine: Vec<&RequestTrace> = traces.iter().filter(|t| t.stage == stage).collect();
            (mine.len() + failed, mine.iter().filter(|t| t.last_status.is_none_or(|s| s == ShareRequest::PENDING)).count())
        };
        if confirmed >= requests && open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Reads every node's transactions since `since_slot` and the final request accounts.
async fn audit(rpc: &Arc<RpcClient>, target: &Target, traces: &[RequestTrace], since_slot: u64) -> ChainAudit {
    use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
    use solana_rpc_client_api::config::RpcTransactionConfig;
    use solana_transaction_status_client_types::{EncodedTransaction, UiMessage, UiTransactionEncoding};

    let requests: std::collections::HashSet<Address> = traces.iter().map(|t| t.request).collect();
    let mut audit = ChainAudit::default();
    for node in &target.nodes {
        let mut tally = NodeTally { index: node.index, ..NodeTally::default() };
        let mut signatures = Vec::new();
        let mut before = None;
        'pages: loop {
            let config = GetConfirmedSignaturesForAddress2Config { before, until: None, limit: Some(1000), commitment: Some(CommitmentConfig::confirmed()) };
            let page = rpc.get_signatures_for_address_with_config(&node.authority, config).await.expect("getSignaturesForAddress");
            let Some(last) = page.last() else { break };
            before = Some(last.signature.parse().expect("a signature"));
            for status in page {
                if status.slot < since_slot {
                    break 'pages;
                }
                signatures.push(status.signature.parse::<Signature>().expect("a signature"));
            }
        }
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Json),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        let mut reads = tokio::task::JoinSet::new();
        for chunk in signatures.chunks(signatures.len().div_ceil(8).max(1)) {
            let (rpc, chunk) = (rpc.clone(), chunk.to_vec());
            reads.spawn(async move {
                let mut out = Vec::new();
                for signature in chunk {
                    let tx = loop {
                        match rpc.get_transaction_with_config(&signature, config).await {
                            Ok(tx) => break tx,
                            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                        }
                    };
                    out.push((signature, tx));
                }
                out
            });
        }
        for (signature, tx) in reads.join_all().await.into_iter().flatten() {
            let accounts: Vec<Address> = match &tx.transaction.transaction {
                EncodedTransaction::Json(ui) => match &ui.message {
                    UiMessage::Raw(message) => message.account_keys.iter().filter_map(|k| k.parse().ok()).collect(),
                    UiMessage::Parsed(message) => message.account_keys.iter().filter_map(|k| k.pubkey.parse().ok()).collect(),
                },
                _ => Vec::new(),
            };
            if accounts.first() != Some(&node.authority) || !accounts.contains(&PROGRAM_ID) {
                continue;
            }
            let Some(request) = accounts.iter().find(|a| requests.contains(a)).copied() else { continue };
            tally.callbacks += 1;
            *tally.sent_per_request.entry(request).or_insert(0) += 1;
            if let Some(err) = tx.transaction.meta.as_ref().and_then(|m| m.err.clone()) {
                *tally.refused.entry(describe(&err.into())).or_insert(0) += 1;
                continue;
            }
            let read = medshare_client::rpc::transaction_events(signature, &tx);
            for event in read.events {
                match event {
                    Event::PartialAccepted(accepted) if accepted.index == node.index => {
                        *tally.accepted.entry(accepted.request).or_insert(0) += 1;
                    }
                    Event::ShareCompleted(completed) => audit.completed_slots.entry(completed.request).or_default().push(tx.slot),
                    _ => {}
                }
            }
        }
        audit.nodes.push(tally);
    }
    let addresses: Vec<Address> = requests.into_iter().collect();
    for batch in addresses.chunks(ACCOUNT_BATCH) {
        let answer = rpc.get_multiple_accounts_with_commitment(batch, CommitmentConfig::confirmed()).await.expect("getMultipleAccounts");
        for (address, account) in batch.iter().zip(answer.value) {
            if let Some(request) = account.and_then(|a| ShareRequest::decode(&a.data).ok()) {
                audit.final_state.insert(*address, (request.status, request.accepted));
            }
        }
    }
    audit
}

/// Percentile `p` (0–100) by nearest rank of sorted `values` (0 for none).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The invariants of a run: what went wrong, by name (empty when none).
pub fn violations(run: &LoadRun) -> Vec<String> {
    let mut problems = Vec::new();
    let offered: usize = run.plan.stages.iter().map(|s| s.requests).sum();
    if !run.failed_sends.is_empty() {
        problems.push(format!("{} share transactions failed: {:?}", run.failed_sends.len(), &run.failed_sends[..run.failed_sends.len().min(5)]));
    }
    if run.traces.len() != offered {
        problems.push(format!("{} requests offered, {} confirmed", offered, run.traces.len()));
    }
    let mut lost = Vec::new();
    for trace in &run.traces {
        let completed_events = run.audit.completed_slots.get(&trace.request).map_or(0, Vec::len);
        let (status, accepted) = run.audit.final_state.get(&trace.request).copied().unwrap_or((u8::MAX, 0));
        if status != ShareRequest::COMPLETED || completed_events != 1 || accepted.count_ones() < u32::from(run.threshold) {
            lost.push(format!("{} (status {status}, {completed_events} ShareCompleted, accepted {accepted:#b})", trace.request));
        }
        // every partial the account holds was announced by its node's PartialAccepted
        for node in &run.audit.nodes {
            let bit = accepted & (1 << (node.index - 1)) != 0;
            let events = node.accepted.get(&trace.request).copied().unwrap_or(0);
            if bit != (events == 1) {
                problems.push(format!("request {}: node {} bit {bit} but {events} PartialAccepted", trace.request, node.index));
            }
        }
    }
    if !lost.is_empty() {
        problems.push(format!("{} requests not completed exactly once: {:?}", lost.len(), &lost[..lost.len().min(5)]));
    }
    for node in &run.audit.nodes {
        let doubled: Vec<_> = node.accepted.iter().filter(|(_, n)| **n > 1).collect();
        if !doubled.is_empty() {
            problems.push(format!("node {} has more than one accepted partial in {} requests", node.index, doubled.len()));
        }
        if let Some(duplicates) = node.refused.get("DuplicatePartial") {
            problems.push(format!("node {} posted {duplicates} partials for requests its partial was already in", node.index));
        }
    }
    problems
}

/// Per-stage figures.
#[derive(Clone, Debug)]
pub struct StageFigures {
    /// The stage's name.
    pub name: String,
    /// Offered rate.
    pub offered_per_second: f64,
    /// Requests in the stage.
    pub requests: usize,
    /// Requests confirmed per second from the stage's start to its last confirmation.
    pub submitted_per_second: f64,
    /// Completed requests per second from the stage's start to its last completion.
    pub completed_per_second: f64,
    /// Latency in slots: p50, p99, max.
    pub slots: [f64; 3],
    /// Latency in milliseconds: p50, p99, max.
    pub millis: [f64; 3],
    /// Per node: CPU used during the stage in % of one core.
    pub node_cpu_percent: Vec<f64>,
    /// The test process (validator and harness) CPU during the stage in % of one core.
    pub validator_cpu_percent: f64,
    /// The largest queue (`pending_requests`) any node had during the stage.
    pub max_node_queue: f64,
    /// The machine's load average during the stage (max).
    pub loadavg: f64,
    /// The test process's threads that used the most CPU in the stage: name, % of one core.
    pub top_threads: Vec<(String, f64)>,
}

impl LoadRun {
    fn seconds(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.started).as_secs_f64()
    }

    fn samples_between(&self, from: f64, to: f64) -> (Option<&Sample>, Option<&Sample>) {
        let first = self.samples.iter().rev().find(|s| s.at <= from).or(self.samples.first());
        let last = self.samples.iter().find(|s| s.at >= to).or(self.samples.last());
        (first, last)
    }

    /// The figures of stage `index`.
    pub fn stage(&self, index: usize) -> StageFigures {
        let stage = &self.plan.stages[index];
        let traces: Vec<&RequestTrace> = self.traces.iter().filter(|t| t.stage == index).collect();
        let (start, _) = self.stage_windows[index];
        let last_confirmed = traces.iter().map(|t| t.confirmed_at).max().unwrap_or(start);
        let last_completed = traces.iter().filter_map(|t| t.completed_seen_at).max().unwrap_or(start);
        let completed = traces.iter().filter(|t| t.completed_seen_at.is_some()).count();
        let mut slots: Vec<f64> =
            traces.iter().filter_map(|t| Some(self.audit.completed_slots.get(&t.request)?.first()?.saturating_sub(t.request_slot) as f64)).collect();
        let mut millis: Vec<f64> =
            traces.iter().filter_map(|t| Some(t.completed_seen_at?.saturating_duration_since(t.confirmed_at).as_secs_f64() * 1000.0)).collect();
        slots.sort_by(f64::total_cmp);
        millis.sort_by(f64::total_cmp);
        let triple = |v: &[f64]| [percentile(v, 50.0), percentile(v, 99.0), v.last().copied().unwrap_or(0.0)];
        let (from, to) = (self.seconds(start), self.seconds(last_completed.max(last_confirmed)));
        let (a, b) = self.samples_between(from, to);
        let (mut node_cpu, mut validator_cpu, mut top_threads) = (Vec::new(), 0.0, Vec::new());
        let mut max_queue: f64 = 0.0;
        let mut load: f64 = 0.0;
        if let (Some(a), Some(b)) = (a, b) {
            let span = (b.at - a.at).max(1e-3);
            let percent = |ticks: u64| ticks as f64 / USER_HZ / span * 100.0;
            node_cpu = a.node_cpu_ticks.iter().zip(&b.node_cpu_ticks).map(|(x, y)| percent(y.saturating_sub(*x))).collect();
            validator_cpu = percent(b.self_cpu_ticks.saturating_sub(a.self_cpu_ticks));
            let mut threads: Vec<(String, f64)> =
                b.threads.iter().map(|(name, ticks)| (name.clone(), percent(ticks.saturating_sub(a.threads.get(name).copied().unwrap_or(0))))).collect();
            threads.sort_by(|x, y| y.1.total_cmp(&x.1));
            threads.truncate(6);
            top_threads = threads;
            for s in self.samples.iter().filter(|s| s.at >= a.at && s.at <= b.at) {
                max_queue = s.node_pending.iter().copied().fold(max_queue, f64::max);
                load = load.max(s.loadavg);
            }
        }
        StageFigures {
            name: stage.name.clone(),
            offered_per_second: stage.rate_per_second,
            requests: stage.requests,
            submitted_per_second: traces.len() as f64 / (self.seconds(last_confirmed) - from).max(1e-3),
            completed_per_second: completed as f64 / (self.seconds(last_completed) - from).max(1e-3),
            slots: triple(&slots),
            millis: triple(&millis),
            node_cpu_percent: node_cpu,
            validator_cpu_percent: validator_cpu,
            max_node_queue: max_queue,
            loadavg: load,
            top_threads,
        }
    }

    /// Per node: CPU milliseconds over the whole load per accepted partial, and per callback
    /// transaction it landed (accepted or refused).
    pub fn node_cpu_per_partial(&self) -> Vec<(u8, f64, f64, u64, u64)> {
        let (Some(first), Some(last)) = (self.samples.first(), self.samples.last()) else { return Vec::new() };
        self.audit
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let ms = last.node_cpu_ticks[i].saturating_sub(first.node_cpu_ticks[i]) as f64 / USER_HZ * 1000.0;
                let accepted: u64 = node.accepted.values().map(|n| u64::from(*n)).sum();
                (node.index, ms / accepted.max(1) as f64, ms / node.callbacks.max(1) as f64, accepted, node.callbacks)
            })
            .collect()
    }

    /// Per node: resident memory (MiB) after warm-up (the sample at 10% of the run), at the end
    /// and the largest seen.
    pub fn node_memory(&self) -> Vec<(u8, f64, f64, f64)> {
        let Some(last) = self.samples.last() else { return Vec::new() };
        let warm = &self.samples[self.samples.len() / 10];
        (0..last.node_rss_kib.len())
            .map(|i| {
                let max = self.samples.iter().map(|s| s.node_rss_kib[i]).max().unwrap_or(0);
                (i as u8 + 1, warm.node_rss_kib[i] as f64 / 1024.0, last.node_rss_kib[i] as f64 / 1024.0, max as f64 / 1024.0)
            })
            .collect()
    }

    /// The run as JSON (`target/load-report.json`).
    pub fn report(&self) -> Value {
        let stages: Vec<Value> = (0..self.plan.stages.len())
            .map(|i| {
                let f = self.stage(i);
                json!({
                    "name": f.name, "offered_per_second": f.offered_per_second, "requests": f.requests,
                    "submitted_per_second": f.submitted_per_second, "completed_per_second": f.completed_per_second,
                    "latency_slots": {"p50": f.slots[0], "p99": f.slots[1], "max": f.slots[2]},
                    "latency_ms": {"p50": f.millis[0], "p99": f.millis[1], "max": f.millis[2]},
                    "node_cpu_percent_of_one_core": f.node_cpu_percent, "validator_process_cpu_percent_of_one_core": f.validator_cpu_percent,
                    "max_node_queue": f.max_node_queue, "max_loadavg": f.loadavg,
                    "top_validator_threads": f.top_threads.iter().map(|(n, p)| json!({"thread": n, "cpu_percent": p})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let cpu: Vec<Value> = self
            .node_cpu_per_partial()
            .into_iter()
            .map(|(index, per_accepted, per_callback, accepted, callbacks)| {
                json!({"node": index, "cpu_ms_per_accepted_partial": per_accepted, "cpu_ms_per_callback": per_callback, "accepted_partials": accepted, "callbacks": callbacks})
            })
            .collect();
        let memory: Vec<Value> = self
            .node_memory()
            .into_iter()
            .map(|(index, warm, end, max)| json!({"node": index, "rss_mib_after_warmup": warm, "rss_mib_at_end": end, "rss_mib_max": max}))
            .collect();
        let series: Vec<Value> = self
            .samples
            .iter()
            .step_by(5)
            .map(|s| json!({"t": s.at.round(), "node_rss_kib": s.node_rss_kib, "node_pending": s.node_pending, "validator_rss_kib": s.self_rss_kib, "loadavg": s.loadavg}))
            .collect();
        let refused: Vec<Value> = self.audit.nodes.iter().map(|n| json!({"node": n.index, "refused": n.refused, "callbacks": n.callbacks})).collect();
        json!({
            "cluster": format!("{}-of-{}", self.threshold, self.size),
            "clients": self.plan.clients, "records_per_client": self.plan.records_per_client,
            "requests": self.traces.len(), "failed_sends": self.failed_sends.len(),
            "rebroadcasts": self.rebroadcasts, "resigned": self.resigned,
            "ms_per_slot": self.ms_per_slot,
            "validator_profile": if cfg!(debug_assertions) { "dev" } else { "release" },
            "loadavg_at_start": self.samples.first().map_or(0.0, |s| s.loadavg),
            "violations": violations(self),
            "stages": stages, "node_cpu": cpu, "node_memory": memory, "node_refusals": refused, "rss_series_every_5s": series,
        })
    }

    /// The goals, judged on the first stage (the sustained one): met or missed.
    pub fn goals_markdown(&self) -> String {
        let main = self.stage(0);
        let worst_cpu = self.node_cpu_per_partial().iter().map(|n| n.1).fold(0.0, f64::max);
        let mark = |met: bool| if met { "met" } else { "**missed**" };
        let rows = [
            ("completed shares per second", "≥ 10".to_owned(), format!("{:.1}", main.completed_per_second), main.completed_per_second >= 10.0),
            ("p50 latency, slots", "≤ 2".to_owned(), format!("{:.0} ({:.0} ms)", main.slots[0], main.millis[0]), main.slots[0] <= 2.0),
            ("p99 latency, slots", "≤ 5".to_owned(), format!("{:.0} ({:.0} ms)", main.slots[1], main.millis[1]), main.slots[1] <= 5.0),
            ("node CPU per answered request", "≤ 2 ms".to_owned(), format!("{worst_cpu:.2} ms (worst node)"), worst_cpu <= 2.0),
        ];
        let mut out = format!("\nGoals, on stage `{}`:\n\n| goal | target | measured | |\n|---|---|---|---|\n", main.name);
        for (goal, target, measured, met) in rows {
            out.push_str(&format!("| {goal} | {target} | {measured} | {} |\n", mark(met)));
        }
        out
    }

    /// The markdown tables of the run (for `docs/BENCHMARKS.md`).
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "{}-of-{} cluster ({} validator in the test process), {} clients × {} records, {} requests; {:.0} ms per slot; machine load average {:.1} at the start; {} share transactions failed, {} re-broadcast.\n\n",
            self.threshold,
            self.size,
            if cfg!(debug_assertions) { "dev-profile" } else { "release" },
            self.plan.clients,
            self.plan.records_per_client,
            self.traces.len(),
            self.ms_per_slot,
            self.samples.first().map_or(0.0, |s| s.loadavg),
            self.failed_sends.len(),
            self.rebroadcasts
        );
        out.push_str("| stage | offered /s | requests | submitted /s | completed /s | p50 slots | p99 slots | p50 ms | p99 ms | max ms | node CPU % (each) | validator process CPU % | max node queue | load avg |\n");
        out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for i in 0..self.plan.stages.len() {
            let f = self.stage(i);
            let cpu: Vec<String> = f.node_cpu_percent.iter().map(|c| format!("{c:.0}")).collect();
            out.push_str(&format!(
                "| {} | {:.0} | {} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {:.0} | {:.0} | {:.1} |\n",
                f.name,
                f.offered_per_second,
                f.requests,
                f.submitted_per_second,
                f.completed_per_second,
                f.slots[0],
                f.slots[1],
                f.millis[0],
                f.millis[1],
                f.millis[2],
                cpu.join("/"),
                f.validator_cpu_percent,
                f.max_node_queue,
                f.loadavg
            ));
        }
        out.push_str(&self.goals_markdown());
        out.push_str("\n| node | accepted partials | callbacks landed | refused (by error) | CPU ms per accepted partial | CPU ms per callback | RSS MiB after warm-up | RSS MiB at end | RSS MiB max |\n|---|---|---|---|---|---|---|---|---|\n");
        let memory = self.node_memory();
        for ((index, per_accepted, per_callback, accepted, callbacks), (_, warm, end, max)) in self.node_cpu_per_partial().into_iter().zip(memory) {
            let refused = &self.audit.nodes[usize::from(index) - 1].refused;
            let refused: Vec<String> = refused.iter().map(|(name, n)| format!("{name} {n}")).collect();
            out.push_str(&format!(
                "| {index} | {accepted} | {callbacks} | {} | {per_accepted:.2} | {per_callback:.2} | {warm:.1} | {end:.1} | {max:.1} |\n",
                if refused.is_empty() { "none".to_owned() } else { refused.join(", ") }
            ));
        }
        out
    }
}

/// Where `cargo xtask load` wants the JSON report: `$MEDSHARE_LOAD_REPORT`, if set.
pub fn report_path() -> Option<PathBuf> {
    std::env::var_os("MEDSHARE_LOAD_REPORT").map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_spaces_and_parentheses_in_the_name_parse() {
        let line = "4242 (tokio (rt) 1) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 9 0 100 200 300";
        assert_eq!(parse_stat(line), Some(("tokio (rt) 1".to_owned(), 325)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&values, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
