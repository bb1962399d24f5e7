//! The node's link to the chain, shared by the ceremony driver and the server: the RPC
//! connection, the authority that signs, the metrics and the shutdown signal — and the one
//! retry policy every RPC read and write goes through, so that a flaky RPC provider costs
//! time, never a step of the ceremony or an answer.

use anyhow::{Context, Result};
use medshare_client::{
    Address, accounts,
    rpc::{Connection, ReadError, TxError},
};
use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use std::{future::Future, sync::Arc, time::Duration};
use tokio::sync::watch;

use crate::{config::Config, metrics::Metrics, vault::Vault};

/// Attempts of one RPC call before its error is returned.
const MAX_ATTEMPTS: u32 = 6;
/// The first retry's delay; each next one doubles, up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(250);
/// The longest delay between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(8);

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
    /// A link to `rpc_url` signing with `authority`, with the client's default landing.
    pub fn new(rpc_url: &str, authority: Keypair, metrics: Metrics, shutdown: watch::Receiver<bool>) -> Link {
        Link::over(Connection::new(rpc_url, CommitmentConfig::confirmed()), authority, metrics, shutdown)
    }

    /// A link over `connection` signing with `authority`; the metrics mirror the
    /// connection's landing statistics.
    pub fn over(connection: Connection, authority: Keypair, metrics: Metrics, shutdown: watch::Receiver<bool>) -> Link {
        let connection = Arc::new(connection);
        metrics.follow_landing(Arc::clone(&connection));
        Link { connection, authority: Arc::new(authority), metrics, shutdown }
    }

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

    /// Runs `call` until it succeeds, fails for good (`transient` says no), has been tried
    /// [`MAX_ATTEMPTS`] times, or shutdown is asked for; the delay between attempts starts at
    /// 250 ms and doubles up to 8 s. Every transient failure is counted in `_errors_total`
    /// and as a failed RPC call for `/healthz`; a permanent one (a program's refusal) is the
    /// RPC answering — the caller judges whether it is an error or an ordinary race.
    pub async fn retry<T, E, F, Fut>(&self, what: &str, transient: impl Fn(&E) -> bool, mut call: F) -> Result<T, E>
    where
        E: std::fmt::Display,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut delay = FIRST_DELAY;
        let mut attempt = 1;
        loop {
            let result = call().await;
            let failed = result.as_ref().err().is_some_and(&transient);
            self.metrics.rpc_call(!failed, std::time::Instant::now());
            match result {
                Ok(value) => return Ok(value),
                Err(error) if failed && attempt < MAX_ATTEMPTS && !self.stopping() => {
                    self.metrics.errors.inc();
                    tracing::warn!(what, attempt, error = crate::redact::scrub_urls(&error.to_string()), retry_in = ?delay, "RPC call failed; retrying");
                    if self.sleep(delay).await.is_err() {
                        return Err(error);
                    }
                    delay = (delay * 2).min(MAX_DELAY);
                    attempt += 1;
                }
                Err(error) => {
                    if failed {
                        self.metrics.errors.inc();
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Runs `call` once, recording for `/healthz` whether the RPC answered.
    pub async fn once<T, E, Fut>(&self, call: Fut) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let result = call.await;
        self.metrics.rpc_call(result.is_ok(), std::time::Instant::now());
        result
    }

    /// Polls the authority's balance into `fee_balance_lamports` (and `/healthz`); a failure
    /// is counted and the next poll tries again.
    pub async fn poll_fee_balance(&self) {
        let authority = self.authority_address();
        match self.once(self.connection.rpc.get_balance(&authority)).await {
            Ok(lamports) => self.metrics.set_fee_balance(lamports),
            Err(error) => {
                self.metrics.errors.inc();
                tracing::warn!(%error, "could not read the authority's balance; the next backfill period retries");
            }
        }
    }

    /// Signs and sends `instructions` (one transaction), retrying transient RPC errors.
    pub async fn send(&self, name: &str, instructions: &[Instruction]) -> Result<Signature, TxError> {
        let signature = self.retry(name, TxError::is_transient, || self.connection.send(&self.authority, &[], instructions)).await?;
        tracing::debug!(name, %signature, "transaction confirmed");
        Ok(signature)
    }

    /// Signs and sends `instructions` once (the connection's landing still re-broadcasts and
    /// re-signs): for callers that must read the chain before sending again, because a
    /// transient error may come after the transaction was broadcast. A transient failure is
    /// counted like [`Link::retry`] counts it.
    pub async fn send_once(&self, name: &str, instructions: &[Instruction]) -> Result<Signature, TxError> {
        let result = self.connection.send(&self.authority, &[], instructions).await;
        let failed = result.as_ref().err().is_some_and(TxError::is_transient);
        self.metrics.rpc_call(!failed, std::time::Instant::now());
        match &result {
            Ok(signature) => tracing::debug!(name, %signature, "transaction confirmed"),
            Err(error) if failed => {
                self.metrics.errors.inc();
                tracing::warn!(name, error = crate::redact::scrub_urls(&error.to_string()), "sending failed; reading the chain before sending again");
            }
            Err(_) => {}
        }
        result
    }

    /// An account's data (`None` if it does not exist), retrying RPC errors.
    pub async fn account(&self, address: &Address) -> Result<Option<Vec<u8>>, ReadError> {
        self.retry("getAccountInfo", |_: &ReadError| true, || self.connection.account(address)).await
    }

    /// The `confirmed` slot, retrying RPC errors.
    pub async fn slot(&self) -> Result<u64, ReadError> {
        self.retry("getSlot", |_: &ReadError| true, || async { Ok(self.connection.rpc.get_slot().await?) }).await
    }

    /// The cluster account.
    pub async fn cluster(&self, cluster: &Address) -> Result<accounts::Cluster> {
        let data = self.account(cluster).await?.with_context(|| format!("cluster {cluster} does not exist"))?;
        Ok(accounts::Cluster::decode(&data)?)
    }

    /// A ceremony account, if it exists.
    pub async fn ceremony(&self, cluster: &Address, epoch: u64) -> Result<Option<accounts::Ceremony>> {
        match self.account(&medshare_client::pda::ceremony(cluster, epoch)).await? {
            Some(data) => Ok(Some(accounts::Ceremony::decode(&data).with_context(|| format!("ceremony {epoch}"))?)),
            None => Ok(None),
        }
    }

    /// Dealer `dealer`'s dealing account in ceremony `epoch`, if it exists.
    pub async fn dealing(&self, cluster: &Address, epoch: u64, dealer: u8) -> Result<Option<accounts::Dealing>> {
        match self.account(&medshare_client::pda::dealing(cluster, epoch, dealer)).await? {
            Some(data) => Ok(Some(accounts::Dealing::decode(&data).with_context(|| format!("dealing of node {dealer} in ceremony {epoch}"))?)),
            None => Ok(None),
        }
    }
}

/// What the ceremony driver reads from and writes to the chain: the RPC [`Link`] in the
/// daemon, a simulated program in the driver's crash tests.
pub trait Chain: Send + Sync {
    /// The cluster account.
    fn cluster(&self, cluster: &Address) -> impl Future<Output = Result<accounts::Cluster>> + Send;
    /// A ceremony account, if it exists.
    fn ceremony(&self, cluster: &Address, epoch: u64) -> impl Future<Output = Result<Option<accounts::Ceremony>>> + Send;
    /// A dealing account, if it exists.
    fn dealing(&self, cluster: &Address, epoch: u64, dealer: u8) -> impl Future<Output = Result<Option<accounts::Dealing>>> + Send;
    /// The current slot.
    fn slot(&self) -> impl Future<Output = Result<u64>> + Send;
    /// Signs (with the node authority) and sends one transaction.
    fn send(&self, name: &str, instructions: &[Instruction]) -> impl Future<Output = Result<Signature, TxError>> + Send;
}

impl Chain for Link {
    async fn cluster(&self, cluster: &Address) -> Result<accounts::Cluster> {
        Link::cluster(self, cluster).await
    }
    async fn ceremony(&self, cluster: &Address, epoch: u64) -> Result<Option<accounts::Ceremony>> {
        Link::ceremony(self, cluster, epoch).await
    }
    async fn dealing(&self, cluster: &Address, epoch: u64, dealer: u8) -> Result<Option<accounts::Dealing>> {
        Link::dealing(self, cluster, epoch, dealer).await
    }
    async fn slot(&self) -> Result<u64> {
        Ok(Link::slot(self).await?)
    }
    async fn send(&self, name: &str, instructions: &[Instruction]) -> Result<Signature, TxError> {
        Link::send(self, name, instructions).await
    }
}

/// Opens what `mpc-node run` needs: the link (authority keypair, RPC endpoints with their
/// fail-overs and the configured priority fee) and the vault, each failure classified for the
/// exit code.
pub fn open(config: &Config, metrics: Metrics, shutdown: watch::Receiver<bool>) -> Result<(Link, Vault)> {
    use crate::exit::{Classify, ExitKind};
    let authority = config.authority().exit(ExitKind::Config)?;
    let passphrase = config.passphrase().exit(ExitKind::Config)?;
    let vault = Vault::open(&config.key_share, authority.pubkey(), passphrase).exit(ExitKind::Vault)?;
    let connection = Connection::with_options(&config.rpc_endpoints(), CommitmentConfig::confirmed(), config.landing_options());
    Ok((Link::over(connection, authority, metrics, shutdown), vault))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn link() -> (watch::Sender<bool>, Link) {
        let (stop, shutdown) = watch::channel(false);
        (stop, Link::new("http://127.0.0.1:9", Keypair::new(), Metrics::new(), shutdown))
    }

    #[tokio::test(start_paused = true)]
    async fn retries_back_off_and_stop_on_permanent_errors() {
        let (_stop, link) = link();
        let calls = AtomicU32::new(0);
        let result: Result<u32, String> = link
            .retry(
                "flaky",
                |_| true,
                || async {
                    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    if n < 3 { Err(format!("attempt {n}")) } else { Ok(n) }
                },
            )
            .await;
        assert_eq!(result, Ok(3));
        assert_eq!(link.metrics.errors.get(), 2, "each failure counted");

        calls.store(0, Ordering::SeqCst);
        let result: Result<u32, String> = link.retry("down", |_| true, || async { Err(format!("attempt {}", calls.fetch_add(1, Ordering::SeqCst) + 1)) }).await;
        assert_eq!(result, Err(format!("attempt {MAX_ATTEMPTS}")), "gives up after {MAX_ATTEMPTS} attempts");

        calls.store(0, Ordering::SeqCst);
        let result: Result<u32, String> =
            link.retry("refused", |_| false, || async { Err(format!("attempt {}", calls.fetch_add(1, Ordering::SeqCst) + 1)) }).await;
        assert_eq!(result, Err("attempt 1".to_owned()), "a permanent error is not retried");
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_ends_retrying() {
        let (stop, link) = link();
        stop.send(true).unwrap();
        let calls = AtomicU32::new(0);
        let result: Result<(), String> = link.retry("down", |_| true, || async { Err(format!("attempt {}", calls.fetch_add(1, Ordering::SeqCst) + 1)) }).await;
        assert_eq!(result, Err("attempt 1".to_owned()));
    }
}
