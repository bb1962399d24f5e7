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
    path::PathBuf,
    sync::atomic::{AtomicU16, Ordering},
    time::Instant,
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

/// The validator's configuration: the program deployed through the upgradeable loader
/// (unless `with_program` is false: then `medshare-migrations` deploys it over RPC), its
/// own ports and ledger, transaction history on. Returns it and the ledger path.
fn genesis(with_program: bool) -> (TestValidatorGenesis, PathBuf) {
    let mut genesis = TestValidatorGenesis::default();
    // The debug build's default port range includes a port already taken on these
    // machines: choose a block per process and per validator, and skip blocks whose gossip
    // port (the one port the validator binds exactly) another process holds — test
    // processes run side by side and their pids may map to the same block.
    let slot = NEXT_SLOT.fetch_add(1, Ordering::SeqCst);
    let first = (std::process::id() % 40) as u16 * 4 + slot % 4;
    let base = (0..PORT_BLOCKS)
        .map(|k| 20_000 + ((first + k * 7) % PORT_BLOCKS) * 100)
        .find(|&base| gossip_port_free(base))
        .expect("a free block of 100 ports between 20000 and 32000 (below the ephemeral range)");
    genesis.port_range((base, base + 100)).gossip_port(base);
    // Without a ledger path it would create one inside the cargo registry's sources.
    let ledger = std::env::temp_dir().join(format!("medshare-ledger-{}-{slot}", std::process::id()));
    genesis.ledger_path(&ledger);
    genesis.rpc_config(solana_rpc::rpc::JsonRpcConfig {
        // history is what auditors and backfill read
        enable_rpc_transaction_history: true,
        enable_extended_tx_metadata_storage: true,
        ..solana_rpc::rpc::JsonRpcConfig::default_for_test()
    });
    if with_program {
        genesis.add_upgradeable_programs_with_path(&[UpgradeableProgramInfo {
            program_id: PROGRAM_ID,
            loader: solana_sdk_ids::bpf_loader_upgradeable::id(),
            upgrade_authority: Pubkey::new_unique(),
            program_path: crate::program_so(),
        }]);
    }
    (genesis, ledger)
}

impl Localnet {
    /// Starts a validator with `target/deploy/medical_records.so` deployed at the program id.
    pub async fn start() -> Localnet {
        let started = Instant::now();
        let (genesis, ledger) = genesis(true);
        let (validator, mint) = genesis.start_async().await;
        let rpc = RpcClient::new_with_commitment(validator.rpc_url(), CommitmentConfig::confirmed());
        eprintln!("localnet: validator up in {:.1?} at {}", started.elapsed(), validator.rpc_url());
        Localnet { validator, mint, rpc, ledger }
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

/// [`Localnet`] for synchronous code: the validator runs its own runtime; the client blocks.
pub struct BlockingLocalnet {
    /// The validator itself.
    pub validator: TestValidator,
    /// The genesis mint.
    pub mint: Keypair,
    /// Blocking JSON-RPC client at `confirmed`.
    pub rpc: solana_rpc_client::rpc_client::RpcClient,
    ledger: PathBuf,
}

impl BlockingLocalnet {
    /// Starts a validator with the program deployed (see [`Localnet::start`]).
    pub fn start() -> BlockingLocalnet {
        BlockingLocalnet::start_with(true)
    }

    /// Starts a validator; the program is in genesis only if `with_program`.
    pub fn start_with(with_program: bool) -> BlockingLocalnet {
        let (genesis, ledger) = genesis(with_program);
        let (validator, mint) = genesis.start();
        let rpc = solana_rpc_client::rpc_client::RpcClient::new_with_commitment(validator.rpc_url(), CommitmentConfig::confirmed());
        eprintln!("localnet: validator up at {}", validator.rpc_url());
        BlockingLocalnet { validator, mint, rpc, ledger }
    }
}

impl Drop for BlockingLocalnet {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.ledger);
    }
}
