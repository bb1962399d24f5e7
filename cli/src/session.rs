//! The wallet, the connection and the helpers every command shares.

use anyhow::{Context, Result, anyhow, bail};
use encrypted_circuits::keys::UserSecretKey;
use medshare_client::{Address, accounts, rpc::Connection};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::path::PathBuf;

use crate::Cli;

/// `--commitment`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commitment {
    /// Voted on by a supermajority.
    Confirmed,
    /// Rooted.
    Finalized,
}

/// A command's connection and (lazily read) wallet.
pub struct Session {
    /// JSON-RPC.
    pub connection: Connection,
    keypair: PathBuf,
}

impl Session {
    /// From the global options.
    pub fn new(cli: &Cli) -> Session {
        let commitment = match cli.commitment {
            Commitment::Confirmed => CommitmentConfig::confirmed(),
            Commitment::Finalized => CommitmentConfig::finalized(),
        };
        let keypair = cli.keypair.clone().unwrap_or_else(default_keypair);
        Session { connection: Connection::new(&cli.url, commitment), keypair }
    }

    /// The wallet.
    pub fn wallet(&self) -> Result<Keypair> {
        read_keypair(&self.keypair)
    }

    /// The wallet's MedShare encryption key: derived from its signature of a fixed message,
    /// so the keypair file is the only secret a user keeps.
    pub fn encryption_key(&self, wallet: &Keypair) -> Result<UserSecretKey> {
        Ok(medshare_client::context::user_key(wallet)?)
    }

    /// Account bytes, or a clear error naming `what`.
    pub async fn account(&self, address: &Address, what: &str) -> Result<Vec<u8>> {
        self.connection.account(address).await?.ok_or_else(|| anyhow!("{what} {address} does not exist"))
    }

    /// The decoded cluster.
    pub async fn cluster(&self, address: &Address) -> Result<accounts::Cluster> {
        accounts::Cluster::decode(&self.account(address, "cluster").await?).with_context(|| format!("{address} is not a cluster"))
    }

    /// The decoded record.
    pub async fn record(&self, address: &Address) -> Result<accounts::Record> {
        accounts::Record::decode(&self.account(address, "record").await?).with_context(|| format!("{address} is not a record"))
    }

    /// The decoded share request.
    pub async fn request(&self, address: &Address) -> Result<accounts::ShareRequest> {
        accounts::ShareRequest::decode(&self.account(address, "share request").await?).with_context(|| format!("{address} is not a share request"))
    }
}

/// The Solana CLI's default wallet, `~/.config/solana/id.json`.
fn default_keypair() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".config/solana/id.json")
}

/// Reads a Solana keypair file (a JSON array of 64 bytes).
pub fn read_keypair(path: &std::path::Path) -> Result<Keypair> {
    solana_keypair::read_keypair_file(path).map_err(|e| anyhow!("cannot read keypair {}: {e}", path.display()))
}

/// Parses a base58 address named `what`.
pub fn address(text: &str, what: &str) -> Result<Address> {
    text.parse().map_err(|_| anyhow!("{what} `{text}` is not a base58 address"))
}

/// Parses 32 hex bytes named `what`.
pub fn hex32(text: &str, what: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(text).with_context(|| format!("{what} is not hex"))?;
    bytes.try_into().map_err(|_| anyhow!("{what} must be 32 bytes"))
}

/// Fails unless `wallet` is `expected`, naming the role.
pub fn require_signer(wallet: &Keypair, expected: &Address, role: &str) -> Result<()> {
    if wallet.pubkey() != *expected {
        bail!("only the {role} ({expected}) may do this; the wallet is {}", wallet.pubkey());
    }
    Ok(())
}
