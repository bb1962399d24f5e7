//! A real local cluster: the in-process `solana-test-validator` with the program deployed
//! through the upgradeable loader from the `.so`, reached over JSON-RPC and the websocket.
//! Events are read back as clients read them: `getTransaction`, then its logs
//! (`medshare_client::rpc::transaction_events`).

use medshare_client::PROGRAM_ID;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::RpcTransactionConfig;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_test_validator::{TestValidator, TestValidatorGenesis, UpgradeableProgramInfo};
use solana_transaction::Transaction;
use solana_transaction_status_client_types::{EncodedConfirmedTransactionWithStatusMeta, UiTransactionEncoding, option_serializer::OptionSerializer};
use std::{
    ops::Deref,
    path::PathBuf,
    sync::atomic::{AtomicU16, Ordering},
    time::{Duration, Instant},
};

/// A running validator with the program deployed; stopped and its ledger removed on drop.
pub struct Localnet {
    /// The validator itself.
    pub validator: TestValidator,
    /// The genesis mint: holds all the SOL, funds test wallets.
    pub mint: Keypair,
    /// JSON-RPC client at `confirmed`.
    pub rpc: RpcClient,
    ledger: PathBuf,
}

/// Each validator in one process gets its own block of ports.
static NEXT_SLOT: AtomicU16 = AtomicU16::new(0);

/// Blocks of 100 ports from 20000 the validators choose among (below 32768, where the
/// kernel picks ephemeral ports).
const PORT_BLOCKS: u16 = 120;

/// Whether nobody holds `port` on 127.0.0.1 (UDP and TCP, as gossip binds both) right now.
fn gossip_port_free(port: u16) -> bool {
    std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Whether nobody listens on TCP `port` of 127.0.0.1 right now.
fn tcp_port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Where in its block of 100 a validator's JSON-RPC port is (its websocket is the next
/// one): fixed, outside the range its other sockets take, so that a validator restarted from
/// its ledger serves on the same ports and the nodes reconnect to it.
const RPC_PORT_OFFSET: u16 = 98;

/// The ports and ledger of one validator: what starting it again from its ledger reuses.
#[derive(Clone, Debug)]
struct Placement {
    /// First port of its block (its gossip port).
    base: u16,
    ledger: PathBuf,
}

impl Placement {
    /// A new block of ports and a new ledger path.
    fn new() -> Placement {
        // The debug build's default port range includes a port already taken on these
        // machines: choose a block per process and per validator, and skip blocks whose gossip
        // port (the one port the validator binds exactly) or RPC ports another process holds —
        // test processes run side by side and their pids may map to the same block.
        let slot = NEXT_SLOT.fetch_add(1, Ordering::SeqCst);
        let first = (std::process::id() % 40) as u16 * 4 + slot % 4;
        let base = (0..PORT_BLOCKS)
            .map(|k| 20_000 + ((first + k * 7) % PORT_BLOCKS) * 100)
            .find(|&base| gossip_port_free(base) && tcp_port_free(base + RPC_PORT_OFFSET) && tcp_port_free(base + RPC_PORT_OFFSET + 1))
            .expect("a free block of 100 ports between 20000 and 32000 (below the ephemeral range)");
        // Without a ledger path it would create one inside the cargo registry's sources.
        let ledger = std::env::temp_dir().join(format!("medshare-ledger-{}-{slot}", std::process::id()));
        Placement { base, ledger }
    }

    /// The configuration of a validator at this placement, transaction history on, no
    /// program added: for a new ledger the caller adds it, and a ledger that exists already
    /// holds it (the validator then starts from that ledger and ignores genesis settings).
    fn genesis(&self) -> TestValidatorGenesis {
        let mut genesis = TestValidatorGenesis::default();
        genesis.port_range((self.base, self.base + RPC_PORT_OFFSET)).gossip_port(self.base).rpc_port(self.base + RPC_PORT_OFFSET);
        genesis.ledger_path(&self.ledger);
        genesis.rpc_config(solana_rpc::rpc::JsonRpcConfig {
            // history is what auditors and backfill read
            enable_rpc_transaction_history: true,
            enable_extended_tx_metadata_storage: true,
            ..solana_rpc::rpc::JsonRpcConfig::default_for_test()
        });
        genesis
    }
}

/// The validator's configuration: the program deployed through the upgradeable loader
/// (unless `with_program` is false: then `medshare-migrations` deploys it over RPC), its
/// own ports and ledger, transaction history on. Returns it and where it is placed.
fn genesis(with_program: bool) -> (TestValidatorGenesis, Placement) {
    let placement = Placement::new();
    let mut genesis = placement.genesis();
    if with_program {
        genesis.add_upgradeable_programs_with_path(&[UpgradeableProgramInfo {
            program_id: PROGRAM_ID,
            loader: solana_sdk_ids::bpf_loader_upgradeable::id(),
            upgrade_authority: Pubkey::new_unique(),
            program_path: crate::program_so(),
        }]);
    }
    (genesis, placement)
}

impl Localnet {
    /// Starts a validator with `target/deploy/medical_records.so` deployed at the program id.
    pub async fn start() -> Localnet {
        let started = Instant::now();
        let (genesis, placement) = genesis(true);
        let (validator, mint) = genesis.start_async().await;
        let rpc = RpcClient::new_with_commitment(validator.rpc_url(), CommitmentConfig::confirmed());
        eprintln!("localnet: validator up in {:.1?} at {}", started.elapsed(), validator.rpc_url());
        Localnet { validator, mint, rpc, ledger: placement.ledger }
    }

    /// A new wallet funded with `sol` SOL from the mint.
    pub async fn funded(&self, sol: u64) -> Keypair {
        let wallet = Keypair::new();
        let transfer = solana_system_interface::instruction::transfer(&self.mint.pubkey(), &wallet.pubkey(), sol * solana_native_token::LAMPORTS_PER_SOL);
        let blockhash = self.rpc.get_latest_blockhash().await.expect("blockhash");
        let tx = Transaction::new_signed_with_payer(&[transfer], Some(&self.mint.pubkey()), &[&self.mint], blockhash);
        self.rpc.send_and_confirm_transaction(&tx).await.expect("fund a wallet");
        wallet
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.ledger);
    }
}

/// What one transaction did, as `getTransaction` reports it at `confirmed`.
pub struct Observed {
    /// The transaction signature.
    pub signature: Signature,
    /// Its log lines.
    pub logs: Vec<String>,
    /// The program's events decoded from its logs.
    pub events: Vec<medshare_client::events::Event>,
}

/// How the tests read a transaction back: JSON, `confirmed`, v0 allowed.
fn transaction_config() -> RpcTransactionConfig {
    RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Json),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    }
}

/// How long a confirmed transaction may take to show up in `getTransaction`.
const HISTORY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// A confirmed transaction as `getTransaction` returns it, asked until it is there (up to
/// 30 s). Panics past that.
pub fn confirmed_transaction(rpc: &solana_rpc_client::rpc_client::RpcClient, signature: &Signature) -> EncodedConfirmedTransactionWithStatusMeta {
    let deadline = Instant::now() + HISTORY_DEADLINE;
    loop {
        match rpc.get_transaction_with_config(signature, transaction_config()) {
            Ok(tx) => return tx,
            Err(error) if Instant::now() > deadline => panic!("getTransaction {signature}: {error}"),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
}

/// A transaction's log lines (none if the node did not return them).
pub fn logs(tx: &EncodedConfirmedTransactionWithStatusMeta) -> Vec<String> {
    match tx.transaction.meta.as_ref().map(|meta| &meta.log_messages) {
        Some(OptionSerializer::Some(logs)) => logs.clone(),
        _ => Vec::new(),
    }
}

impl Localnet {
    /// Sends `instructions` (signed by `payer` and `others`) over JSON-RPC and returns the
    /// transaction's logs and the program's events as `getTransaction` reports them; an
    /// event that does not decode is an error.
    pub async fn send_observed(&self, payer: &Keypair, others: &[&Keypair], instructions: &[solana_instruction::Instruction]) -> Result<Observed, String> {
        let mut signers = vec![payer];
        signers.extend_from_slice(others);
        let blockhash = self.rpc.get_latest_blockhash().await.map_err(|e| e.to_string())?;
        let tx = Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &signers, blockhash);
        let signature = self.rpc.send_and_confirm_transaction(&tx).await.map_err(|e| e.to_string())?;
        let deadline = Instant::now() + HISTORY_DEADLINE;
        let tx = loop {
            match self.rpc.get_transaction_with_config(&signature, transaction_config()).await {
                Ok(tx) => break tx,
                Err(error) if Instant::now() > deadline => return Err(format!("getTransaction {signature}: {error}")),
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        };
        let read = medshare_client::rpc::transaction_events(signature, &tx);
        if let Some(problem) = read.problems.first() {
            return Err(format!("transaction {signature}: {problem}"));
        }
        Ok(Observed { signature, logs: logs(&tx), events: read.events })
    }
}

/// The validator of a [`BlockingLocalnet`]: a [`TestValidator`] (it dereferences to one)
/// that can be stopped and started again from its ledger, on the same ports.
pub struct Validator {
    /// `None` only while [`BlockingLocalnet::restart`] runs.
    running: Option<TestValidator>,
}

impl Deref for Validator {
    type Target = TestValidator;

    fn deref(&self) -> &TestValidator {
        self.running.as_ref().expect("the validator is running (it is only down inside BlockingLocalnet::restart)")
    }
}

/// [`Localnet`] for synchronous code: the validator runs its own runtime; the client blocks.
pub struct BlockingLocalnet {
    /// The validator itself.
    pub validator: Validator,
    /// The genesis mint.
    pub mint: Keypair,
    /// Blocking JSON-RPC client at `confirmed`.
    pub rpc: solana_rpc_client::rpc_client::RpcClient,
    placement: Placement,
}

impl BlockingLocalnet {
    /// Starts a validator with the program deployed (see [`Localnet::start`]).
    pub fn start() -> BlockingLocalnet {
        BlockingLocalnet::start_with(true)
    }

    /// Starts a validator; the program is in genesis only if `with_program`.
    pub fn start_with(with_program: bool) -> BlockingLocalnet {
        let (genesis, placement) = genesis(with_program);
        let (validator, mint) = genesis.start();
        let rpc = solana_rpc_client::rpc_client::RpcClient::new_with_commitment(validator.rpc_url(), CommitmentConfig::confirmed());
        eprintln!("localnet: validator up at {}", validator.rpc_url());
        BlockingLocalnet { validator: Validator { running: Some(validator) }, mint, rpc, placement }
    }

    /// Stops the validator (its ledger stays: the ledger path is ours, so the agave
    /// `TestValidator` preserves it), keeps it down for `down`, and starts it again from
    /// that ledger on the same JSON-RPC and websocket ports, as an operator restarts
    /// `solana-test-validator --ledger <dir>`. Returns how long it was unreachable.
    ///
    /// Clients see connections refused while it is down. Once up again its JSON-RPC answers
    /// before it has replayed its blockstore (from genesis, or its last snapshot): for a
    /// moment it serves older state. This returns only once it is back at the slot it had
    /// confirmed before the stop, so what callers read from then on is the state they left.
    pub fn restart(&mut self, down: Duration) -> Duration {
        let rpc_url = self.validator.rpc_url();
        let pubsub_url = self.validator.rpc_pubsub_url();
        let confirmed_slot = self.rpc.get_slot().expect("getSlot before the restart");
        let stopped = Instant::now();
        // closes every service and joins its threads, so the ports are free again
        drop(self.validator.running.take());
        assert!(TestValidatorGenesis::ledger_exists(&self.placement.ledger), "the ledger {} survived the stop", self.placement.ledger.display());
        std::thread::sleep(down);
        let genesis = self.placement.genesis();
        // (the mint `start` makes up is unused: genesis, and its mint, come from the ledger)
        let (validator, _) = genesis.start();
        assert_eq!((validator.rpc_url(), validator.rpc_pubsub_url()), (rpc_url.clone(), pubsub_url), "same ports after the restart");
        self.validator.running = Some(validator);
        // a keep-alive connection to the stopped validator is dead: start with a fresh pool
        self.rpc = solana_rpc_client::rpc_client::RpcClient::new_with_commitment(rpc_url, CommitmentConfig::confirmed());
        let started = stopped.elapsed();
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.rpc.get_slot().is_ok_and(|slot| slot >= confirmed_slot) {
            assert!(Instant::now() < deadline, "the restarted validator did not reach slot {confirmed_slot} again within 120 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        let unreachable = stopped.elapsed();
        eprintln!(
            "localnet: validator restarted from its ledger: answering {started:.1?} after the stop, back at slot {confirmed_slot} after {unreachable:.1?}"
        );
        unreachable
    }
}

impl Drop for BlockingLocalnet {
    fn drop(&mut self) {
        // the validator first: it writes into the ledger until it is closed
        drop(self.validator.running.take());
        let _ = std::fs::remove_dir_all(&self.placement.ledger);
    }
}
