//! A running node: its chain link (RPC connection, authority, retries, shutdown), its
//! vault, and the lifecycle `start → ceremony (if the cluster needs one) → serve`.

use anyhow::{Context, Result, bail};
use medshare_client::{Address, accounts, rpc::Connection, rpc::TxError};
use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use std::{ops::Deref, path::PathBuf, sync::Arc, time::Duration};
use tokio::sync::watch;

use crate::{
    config::Config,
    metrics::{Metrics, Phase},
    vault::{self, Secrets},
};

/// Sends of one transaction before giving up on transient errors.
const MAX_ATTEMPTS: u32 = 6;
/// How often the node polls the chain while it waits (ceremony).
const POLL: Duration = Duration::from_millis(400);

/// What every task of the node shares: the RPC connection, the authority that signs,
/// the metrics and the shutdown signal.
#[derive(Clone)]
pub struct Link {
    /// JSON-RPC at `confirmed`.
    pub connection: Arc<Connection>,
    /// The node authority.
    pub authority: Arc<Keypair>,
    /// The counters.
    pub metrics: Metrics,
    /// Turns `true` on SIGTERM or Ctrl-C.
    pub shutdown: watch::Receiver<bool>,
}

/// The node is shutting down.
#[derive(Debug, thiserror::Error)]
#[error("shutting down")]
pub struct ShuttingDown;

impl Link {
    /// The authority's address.
    pub fn authority_address(&self) -> Address {
        self.authority.pubkey()
    }

    /// Whether shutdown was asked for.
    pub fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Sleeps `duration`, or returns early with [`ShuttingDown`].
    pub async fn sleep(&self, duration: Duration) -> Result<(), ShuttingDown> {
        let mut shutdown = self.shutdown.clone();
        if *shutdown.borrow() {
            return Err(ShuttingDown);
        }
        tokio::select! {
            _ = tokio::time::sleep(duration) => Ok(()),
            _ = shutdown.wait_for(|stop| *stop) => Err(ShuttingDown),
        }
    }

    /// Waits one poll interval while waiting for `what`.
    pub async fn pause(&self, what: &str) -> Result<(), ShuttingDown> {
        tracing::trace!(what, "waiting");
        self.sleep(POLL).await
    }

    /// Signs and sends `instructions`, retrying transient RPC errors with exponential backoff.
    pub async fn send(&self, name: &str, instructions: &[Instruction]) -> Result<Signature, TxError> {
        let mut delay = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            match self.connection.send(&self.authority, &[], instructions).await {
                Ok(signature) => {
                    tracing::debug!(name, %signature, "transaction confirmed");
                    return Ok(signature);
                }
                Err(error) if error.is_transient() && attempt < MAX_ATTEMPTS && !self.stopping() => {
                    self.metrics.errors.inc();
                    tracing::warn!(name, attempt, %error, retry_in = ?delay, "transaction failed; retrying");
                    if self.sleep(delay).await.is_err() {
                        return Err(error);
                    }
                    delay = (delay * 2).min(Duration::from_secs(8));
                    attempt += 1;
                }
                Err(error) => {
                    self.metrics.errors.inc();
                    return Err(error);
                }
            }
        }
    }

    /// The cluster account, retrying transient read errors.
    pub async fn cluster(&self, cluster: &Address) -> Result<accounts::Cluster> {
        let data = self.connection.account(cluster).await?.with_context(|| format!("cluster {cluster} does not exist"))?;
        Ok(accounts::Cluster::decode(&data)?)
    }
}

/// A node before it serves: its link and its vault.
pub struct Node {
    /// The shared link.
    pub link: Link,
    /// The cluster.
    pub cluster: Address,
    /// The decrypted vault.
    pub secrets: Secrets,
    passphrase: zeroize::Zeroizing<String>,
    vault_path: PathBuf,
}

impl Deref for Node {
    type Target = Link;
    fn deref(&self) -> &Link {
        &self.link
    }
}

impl Node {
    /// Loads the config's keypair and vault.
    pub fn open(config: &Config, metrics: Metrics, shutdown: watch::Receiver<bool>) -> Result<Node> {
        let authority = config.authority()?;
        let passphrase = config.passphrase()?;
        let secrets = vault::load(&config.key_share, &authority.pubkey(), &passphrase)?;
        let connection = Connection::new(&config.rpc_url(), CommitmentConfig::confirmed());
        Ok(Node {
            link: Link { connection: Arc::new(connection), authority: Arc::new(authority), metrics, shutdown },
            cluster: config.cluster_address()?,
            secrets,
            passphrase,
            vault_path: config.key_share.clone(),
        })
    }

    /// Writes the vault back (after a ceremony).
    pub fn save_vault(&self) -> Result<()> {
        vault::save(&self.vault_path, &self.authority_address(), &self.passphrase, &self.secrets)
    }

    /// Waits until the cluster has all its nodes, runs the ceremony if this node holds no
    /// share of the current epoch, waits for activation, and returns the serving state.
    pub async fn prepare(&mut self) -> Result<crate::serve::Server> {
        let me = self.authority_address();
        loop {
            let cluster = self.cluster(&self.cluster).await?;
            let Some(member) = cluster.member(&me) else {
                bail!("authority {me} is not a member of cluster {}: ask the admin to add this node (medshare cluster add-node)", self.cluster);
            };
            self.metrics.set_index(member.index);
            let held = self.secrets.share(&self.cluster, cluster.epoch).is_some();
            match cluster.status {
                accounts::Cluster::ACTIVE if held => {
                    let held = self.secrets.share(&self.cluster, cluster.epoch).expect("held");
                    let (share, cluster_key) = (held.key_share()?, held.cluster_key()?);
                    if share.verification_share().to_bytes() != member.verification_share || cluster_key != cluster.public_key {
                        bail!("the vault's share of epoch {} does not match S_{} and PK on chain", cluster.epoch, member.index);
                    }
                    if !member.active {
                        tracing::warn!(index = member.index, "this node is suspended: it will watch but its partials are refused");
                    }
                    return Ok(crate::serve::Server::new(self.link.clone(), self.cluster, cluster.epoch, member.index, share, cluster_key));
                }
                accounts::Cluster::ACTIVE => bail!("the cluster is active in epoch {} but this vault holds no share of it", cluster.epoch),
                accounts::Cluster::CEREMONY if !held => {
                    self.metrics.set_phase(Phase::Ceremony);
                    crate::ceremony::run(self, &cluster).await?;
                }
                _ => self.pause("the cluster's nodes and confirmations").await?,
            }
        }
    }
}
