//! Landing transactions on a public cluster: priority fees, re-broadcast, re-signing, and
//! RPC fail-over with rate limits respected.
//!
//! Two pieces, both used by [`crate::rpc::Connection`]:
//!
//! - [`FailoverSender`], the `RpcSender` under the connection's `RpcClient`, so every
//!   `connection.rpc.xxx()` call gets it: one `HttpSender` per endpoint; a transport
//!   error, HTTP 429, a 5xx or a node that says it is unhealthy moves the request to the next
//!   endpoint, and a full round of failures backs off (honouring `Retry-After`, bounded)
//!   before the next round. `HttpSender` has its own 429 loop (five retries, sleeping up to
//!   `Retry-After` < 120 s each, on the same endpoint); a middleware turns 429 and 5xx answers
//!   into errors before `HttpSender` sees them, so only this module waits, once, and a
//!   rate-limited endpoint is left for the next one at once.
//! - The landing loop behind `Connection::send`: prepend the compute budget
//!   ([`crate::compute`]), sign with a fresh blockhash, send with preflight (so a refusal comes
//!   back as the program's named error), poll `getSignatureStatuses`, re-broadcast the same
//!   signed bytes every [`LandingOptions::rebroadcast_every`] (preflight skipped) and, once
//!   the block height has passed the highest `last_valid_block_height` of *every* signing so
//!   far and no signature is known, re-sign with a fresh blockhash (at most
//!   [`LandingOptions::max_resigns`] times). A preflight "blockhash not found" re-signs at
//!   once, but the refused signing stays watched (an RPC node may have forwarded it anyway)
//!   and a later signing with an older blockhash never shortens the watch; once anything may
//!   be out, giving up is [`crate::rpc::TxError::Timeout`] with a signature, never a
//!   retryable error (a retry of `share` or `store` would make a second request or record).
//!   Each decision is [`next_step`], a pure function tested exhaustively.
//!
//! Why our own loop rather than agave's: `RpcClient::send_and_confirm_transaction` sends
//! once and polls until the blockhash is invalid, then fails with "unable to confirm": it
//! never re-broadcasts and cannot re-sign (it has no signers); and
//! `send_and_confirm_transactions_in_parallel` (which does both) spawns background tasks per
//! call, needs an `Arc<RpcClient>`, re-signs every message with one signer set of its own
//! choosing and returns bare `TransactionError`s without the preflight logs this crate names
//! program errors from. From agave we keep: preflight at the connection's commitment, the
//! signature check against the expiry block height (a signature is only given up on once the
//! height has passed `last_valid_block_height` *and* a status read after that height says it
//! has not landed), and `AlreadyProcessed` read as "it was sent".

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_rpc_client::{
    http_sender::HttpSender,
    nonblocking::rpc_client::RpcClient,
    rpc_sender::{RpcSender, RpcTransportStats},
};
use solana_rpc_client_api::{
    client_error::{AnyhowError, Error as ClientError, ErrorKind, reqwest},
    config::RpcSendTransactionConfig,
    custom_error::JSON_RPC_SERVER_ERROR_NODE_UNHEALTHY,
    request::{RpcError, RpcRequest, RpcResponseErrorData},
};
use solana_signature::Signature;
use solana_signer::signers::Signers;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use solana_transaction_status_client_types::TransactionStatus;

use crate::{Address, compute, rpc::TxError};

/// The priority fee a transaction offers, in micro-lamports per compute unit requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeUnitPrice {
    /// Always this price (0: no `SetComputeUnitPrice` instruction at all).
    Fixed(u64),
    /// The 75th percentile of the non-zero fees recently paid for the accounts the
    /// transaction writes (`getRecentPrioritizationFees`), at most `max`; 0 when nobody paid
    /// or the query fails.
    Auto {
        /// The most this connection ever offers.
        max: u64,
    },
}

impl Default for ComputeUnitPrice {
    fn default() -> Self {
        ComputeUnitPrice::Auto { max: 100_000 }
    }
}

/// How [`crate::rpc::Connection::send`] lands a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandingOptions {
    /// The priority fee.
    pub compute_unit_price: ComputeUnitPrice,
    /// How long one `send` may take in all (re-signings included) before it gives up with
    /// [`TxError::Timeout`].
    pub confirm_timeout: Duration,
    /// How often the same signed transaction is broadcast again while it is not seen.
    pub rebroadcast_every: Duration,
    /// How many times a transaction whose blockhash expired unseen is signed again with a
    /// fresh one.
    pub max_resigns: u32,
}

impl Default for LandingOptions {
    /// Auto fees up to 100,000 micro-lamports per CU; re-broadcast every 2 s; up to 2
    /// re-signings; 150 s in all (a blockhash lives about 150 blocks, 60–90 s, so this covers
    /// an expiry and a re-signed transaction's landing).
    fn default() -> Self {
        LandingOptions {
            compute_unit_price: ComputeUnitPrice::default(),
            confirm_timeout: Duration::from_secs(150),
            rebroadcast_every: Duration::from_secs(2),
            max_resigns: 2,
        }
    }
}

/// A snapshot of a connection's landing counters, each monotone since the connection was
/// made ([`crate::rpc::Connection::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LandingStats {
    /// Signed transactions broadcast (a re-signed one counts again).
    pub sent: u64,
    /// Broadcasts of an already-sent transaction's same bytes.
    pub rebroadcasts: u64,
    /// Transactions signed again with a fresh blockhash.
    pub resigned: u64,
    /// `send`s that gave up with [`TxError::Timeout`].
    pub timeouts: u64,
    /// Failed RPC requests: every endpoint attempt that failed (transport error, HTTP 429 or
    /// 5xx, unhealthy node) and every error answer the landing loop worked around (a fee or
    /// status query).
    pub rpc_errors: u64,
    /// HTTP 429 answers (also counted in `rpc_errors`).
    pub rate_limited: u64,
    /// Requests moved from a failing endpoint to the next one.
    pub failovers: u64,
}

/// The live counters behind [`LandingStats`], shared by the connection and its sender.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    sent: AtomicU64,
    rebroadcasts: AtomicU64,
    resigned: AtomicU64,
    timeouts: AtomicU64,
    rpc_errors: AtomicU64,
    rate_limited: AtomicU64,
    failovers: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> LandingStats {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LandingStats {
            sent: read(&self.sent),
            rebroadcasts: read(&self.rebroadcasts),
            resigned: read(&self.resigned),
            timeouts: read(&self.timeouts),
            rpc_errors: read(&self.rpc_errors),
            rate_limited: read(&self.rate_limited),
            failovers: read(&self.failovers),
        }
    }

    /// Counts an error the landing loop works around, unless the sender counted it already
    /// (an endpoint failure).
    fn absorbed(&self, error: &ClientError) {
        if endpoint_failure(error).is_none() {
            bump(&self.rpc_errors);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fail-over sender
// ---------------------------------------------------------------------------------------

/// Full rounds over every endpoint before a request fails.
const ROUNDS: usize = 3;
/// The first pause between rounds; it doubles each round.
const ROUND_BACKOFF: Duration = Duration::from_millis(250);
/// The longest pause between rounds, whatever `Retry-After` asks.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// After this long on a fail-over endpoint, requests try the primary first again.
const PRIMARY_RETRY_AFTER: Duration = Duration::from_secs(30);
/// `HttpSender`'s own timeout per request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP answer the middleware turned into an error: 429 or a 5xx.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status} from the RPC endpoint{}", retry_after.map(|d| format!(" (Retry-After {} s)", d.as_secs())).unwrap_or_default())]
struct HttpRefusal {
    status: u16,
    retry_after: Option<Duration>,
}

/// Why an endpoint failed a request, when it is the endpoint's fault (worth another
/// endpoint) rather than an answer (a preflight failure, an invalid parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndpointFailure {
    /// Connection refused or reset, timeout, an unreadable body.
    Transport,
    /// HTTP 429, with its `Retry-After`.
    RateLimited(Option<Duration>),
    /// HTTP 5xx.
    ServerError,
    /// The node answered that it is behind the cluster.
    Unhealthy,
}

/// Classifies `error` as an endpoint failure, or `None` for an answer to pass on.
pub(crate) fn endpoint_failure(error: &ClientError) -> Option<EndpointFailure> {
    match error.kind() {
        ErrorKind::Middleware(inner) => match inner.downcast_ref::<HttpRefusal>() {
            Some(HttpRefusal { status: 429, retry_after }) => Some(EndpointFailure::RateLimited(*retry_after)),
            Some(_) => Some(EndpointFailure::ServerError),
            None => Some(EndpointFailure::Transport),
        },
        // a status here is a 4xx other than 429 (the middleware took 429 and 5xx): an answer
        ErrorKind::Reqwest(inner) => inner.status().is_none().then_some(EndpointFailure::Transport),
        ErrorKind::Io(_) => Some(EndpointFailure::Transport),
        ErrorKind::RpcError(RpcError::RpcResponseError { code, data, .. })
            if *code == JSON_RPC_SERVER_ERROR_NODE_UNHEALTHY || matches!(data, RpcResponseErrorData::NodeUnhealthy { .. }) =>
        {
            Some(EndpointFailure::Unhealthy)
        }
        _ => None,
    }
}

/// `Retry-After` in seconds (the form RPC providers use); an HTTP date is ignored.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Turns 429 and 5xx answers into [`HttpRefusal`] errors before `HttpSender` reads them.
struct RefuseBusyAnswers;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for RefuseBusyAnswers {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let response = next.run(request, extensions).await?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let refusal = HttpRefusal { status: status.as_u16(), retry_after: retry_after(response.headers()) };
            return Err(reqwest_middleware::Error::Middleware(AnyhowError::new(refusal)));
        }
        Ok(response)
    }
}

/// The pause before round `round` (1-based) of attempts over every endpoint: 250 ms
/// doubling, at least the longest `Retry-After` seen in the round before, at most
/// [`MAX_BACKOFF`].
pub(crate) fn round_backoff(round: usize, retry_after: Option<Duration>) -> Duration {
    let doubling = ROUND_BACKOFF.saturating_mul(1 << (round.saturating_sub(1)).min(16));
    doubling.max(retry_after.unwrap_or_default()).min(MAX_BACKOFF)
}

/// An `RpcSender` over several endpoints: the first is the primary, the others fail-over
/// endpoints (see the module docs).
pub struct FailoverSender {
    endpoints: Vec<HttpSender>,
    /// The primary's URL, redacted: what `url()` shows.
    primary: String,
    counters: Arc<Counters>,
    /// The endpoint requests start with, and since when.
    preferred: AtomicUsize,
    preferred_since: Mutex<Instant>,
}

impl FailoverSender {
    /// A sender over `urls` (monikers expanded; at least one: an empty list means the
    /// Solana CLI's default, `localhost`).
    pub(crate) fn new(urls: &[String], counters: Arc<Counters>) -> FailoverSender {
        let urls: Vec<String> =
            if urls.is_empty() { vec![crate::rpc::expand_url("localhost")] } else { urls.iter().map(|u| crate::rpc::expand_url(u)).collect() };
        let endpoints = urls
            .iter()
            .map(|url| {
                let client = reqwest::Client::builder()
                    .default_headers(HttpSender::default_headers())
                    .timeout(REQUEST_TIMEOUT)
                    .pool_idle_timeout(REQUEST_TIMEOUT)
                    .build()
                    .expect("a reqwest client with default settings builds");
                let client = reqwest_middleware::ClientBuilder::new(client).with(RefuseBusyAnswers).build();
                HttpSender::new_with_client_with_middleware(url, client)
            })
            .collect();
        FailoverSender {
            endpoints,
            primary: crate::rpc::redact_url(&urls[0]),
            counters,
            preferred: AtomicUsize::new(0),
            preferred_since: Mutex::new(Instant::now()),
        }
    }

    /// The endpoint a request starts with: the one that answered last, or the primary
    /// again once [`PRIMARY_RETRY_AFTER`] has passed since the fail-over.
    fn first_endpoint(&self) -> usize {
        let preferred = self.preferred.load(Ordering::Relaxed);
        let since = *self.preferred_since.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if preferred != 0 && since.elapsed() >= PRIMARY_RETRY_AFTER { 0 } else { preferred }
    }

    /// `index` answered a request that started at `first`: it becomes the preferred
    /// endpoint (and the clock towards retrying the primary restarts) unless nothing changed.
    fn answered(&self, first: usize, index: usize) {
        if index != first || index != self.preferred.load(Ordering::Relaxed) {
            self.preferred.store(index, Ordering::Relaxed);
            *self.preferred_since.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Instant::now();
        }
    }
}

/// `error` without the endpoint's URL (where providers put API keys).
fn without_url(error: ClientError) -> ClientError {
    match *error.kind {
        ErrorKind::Reqwest(inner) => ClientError { request: error.request, kind: Box::new(ErrorKind::Reqwest(inner.without_url())) },
        kind => ClientError { request: error.request, kind: Box::new(kind) },
    }
}

#[async_trait::async_trait]
impl RpcSender for FailoverSender {
    async fn send(&self, request: RpcRequest, params: serde_json::Value) -> Result<serde_json::Value, ClientError> {
        let count = self.endpoints.len();
        let first = self.first_endpoint();
        let mut longest_retry_after = None;
        let mut last_error = None;
        for attempt in 0..count * ROUNDS {
            if attempt > 0 && attempt % count == 0 {
                tokio::time::sleep(round_backoff(attempt / count, longest_retry_after.take())).await;
            }
            let index = (first + attempt) % count;
            match self.endpoints[index].send(request, params.clone()).await {
                Ok(answer) => {
                    self.answered(first, index);
                    return Ok(answer);
                }
                Err(error) => {
                    let Some(failure) = endpoint_failure(&error) else { return Err(without_url(error)) };
                    bump(&self.counters.rpc_errors);
                    if let EndpointFailure::RateLimited(wait) = failure {
                        bump(&self.counters.rate_limited);
                        longest_retry_after = longest_retry_after.max(wait);
                    }
                    if count > 1 && attempt + 1 < count * ROUNDS {
                        bump(&self.counters.failovers);
                    }
                    last_error = Some(error);
                }
            }
        }
        // the last failure as it was (so callers can still tell a transport error from an
        // answer), without the URL
        Err(without_url(last_error.expect("at least one attempt was made")))
    }

    fn get_transport_stats(&self) -> RpcTransportStats {
        self.endpoints.iter().map(|e| e.get_transport_stats()).fold(RpcTransportStats::default(), |mut sum, stats| {
            sum.request_count += stats.request_count;
            sum.elapsed_time += stats.elapsed_time;
            sum.rate_limited_time += stats.rate_limited_time;
            sum
        })
    }

    /// The primary endpoint, redacted (this is what logs and error messages show).
    fn url(&self) -> String {
        self.primary.clone()
    }
}

// ---------------------------------------------------------------------------------------
// The landing loop
// ---------------------------------------------------------------------------------------

/// What `getSignatureStatuses` says of the signatures one `send` has broadcast so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureState {
    /// None of them is known to the node.
    Unknown,
    /// One is in a block, not yet at the connection's commitment.
    Processing,
    /// One succeeded at the connection's commitment.
    Landed(Signature),
    /// One failed at the connection's commitment (the fee was paid, the effects rolled back).
    Failed(Signature, TransactionError),
}

/// What the landing loop knows at one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The signatures' state; `None` when the status query failed.
    pub status: Option<SignatureState>,
    /// The block height at the connection's commitment, read *before* `status`; `None` when
    /// it was not read at this poll (or the query failed).
    pub block_height: Option<u64>,
    /// The current signing's blockhash is valid up to this block height.
    pub last_valid_block_height: u64,
    /// Since the current signing was last broadcast.
    pub since_broadcast: Duration,
    /// Since the `send` began.
    pub elapsed: Duration,
    /// Re-signings so far.
    pub resigns: u32,
}

/// What the landing loop does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Poll again later.
    Wait,
    /// Broadcast the same signed bytes again.
    Rebroadcast,
    /// Sign again with a fresh blockhash (the old one expired unseen).
    Resign,
    /// Done: this signature landed.
    Landed(Signature),
    /// Done: it landed and failed.
    Failed(TransactionError),
    /// Done: the blockhash expired unseen and no re-signing is left; it can no longer land.
    Expired,
    /// Done: out of time; the current signature may still land.
    TimedOut,
}

/// The landing loop's decision at one poll:
/// 1. a signature at the commitment ends it (landed or failed), even past the timeout;
/// 2. past [`LandingOptions::confirm_timeout`]: time out;
/// 3. nothing known and the block height (read before the status) past the blockhash's
///    `last_valid_block_height`: re-sign if the budget allows, otherwise it expired;
/// 4. not seen in a block and [`LandingOptions::rebroadcast_every`] since the last
///    broadcast: re-broadcast (also when the status query failed: sending again is harmless);
/// 5. otherwise wait.
pub fn next_step(observation: &Observation, options: &LandingOptions) -> Step {
    match &observation.status {
        Some(SignatureState::Landed(signature)) => return Step::Landed(*signature),
        Some(SignatureState::Failed(_, error)) => return Step::Failed(error.clone()),
        _ => {}
    }
    if observation.elapsed >= options.confirm_timeout {
        return Step::TimedOut;
    }
    let expired = observation.block_height.is_some_and(|height| height > observation.last_valid_block_height);
    if expired && observation.status == Some(SignatureState::Unknown) {
        return if observation.resigns < options.max_resigns { Step::Resign } else { Step::Expired };
    }
    if observation.status != Some(SignatureState::Processing) && observation.since_broadcast >= options.rebroadcast_every {
        return Step::Rebroadcast;
    }
    Step::Wait
}

/// The state of the signatures one `send` has broadcast, from their statuses (in the same
/// order): any at `commitment` decides; otherwise any seen at all is processing.
pub fn signature_state(signatures: &[Signature], statuses: &[Option<TransactionStatus>], commitment: CommitmentConfig) -> SignatureState {
    let mut seen = false;
    for (signature, status) in signatures.iter().zip(statuses) {
        let Some(status) = status else { continue };
        if status.satisfies_commitment(commitment) {
            return match &status.err {
                None | Some(TransactionError::AlreadyProcessed) => SignatureState::Landed(*signature),
                Some(error) => SignatureState::Failed(*signature, error.clone()),
            };
        }
        seen = true;
    }
    if seen { SignatureState::Processing } else { SignatureState::Unknown }
}

/// How often the loop polls statuses (block heights are read every
/// [`LandingOptions::rebroadcast_every`]).
const POLL_EVERY: Duration = Duration::from_millis(500);

/// The priority fee for `instructions` under `price`; a failed query gives 0 (counted).
async fn priority_fee(rpc: &RpcClient, counters: &Counters, price: ComputeUnitPrice, instructions: &[Instruction]) -> u64 {
    match price {
        ComputeUnitPrice::Fixed(price) => price,
        ComputeUnitPrice::Auto { max } => {
            let accounts = compute::writable_accounts(instructions);
            match rpc.get_recent_prioritization_fees(&accounts).await {
                Ok(fees) => compute::priority_fee_from_samples(&fees.iter().map(|f| f.prioritization_fee).collect::<Vec<_>>(), max),
                Err(error) => {
                    counters.absorbed(&error);
                    0
                }
            }
        }
    }
}

/// How a preflighted first broadcast went.
enum FirstSend {
    /// The node took it (or had it already).
    Sent,
    /// The node does not know the blockhash: sign again.
    BlockhashRefused,
    /// No endpoint could be reached: it may or may not have gone out.
    Unsure,
    /// The preflight refused it.
    Refused(TxError),
}

/// The blockhash commitment: `processed` blockhashes can be on a fork that dies.
fn blockhash_commitment(commitment: CommitmentConfig) -> CommitmentConfig {
    if commitment.is_finalized() { commitment } else { CommitmentConfig::confirmed() }
}

/// Lands `instructions` (see the module docs): the signature that landed, or why not.
pub(crate) async fn land<T: Signers + ?Sized>(
    rpc: &RpcClient,
    counters: &Counters,
    options: &LandingOptions,
    fee_payer: &Address,
    signers: &T,
    instructions: &[Instruction],
) -> Result<Signature, TxError> {
    let started = Instant::now();
    let commitment = rpc.commitment();
    let mut resigns = 0;
    // every signature of this send, oldest first, all polled: a signing is only replaced
    // once it cannot land, but a fail-over may have delivered one a node then refused
    let mut signatures: Vec<Signature> = Vec::new();
    // the latest height at which any signing can still land: a signing is dead only once the
    // height passes this, whatever blockhash (older, from a lagging or lying node) a later
    // signing got; a preflight that says "blockhash not found" may still have been forwarded
    let mut last_valid_of_any = 0u64;
    loop {
        let price = priority_fee(rpc, counters, options.compute_unit_price, instructions).await;
        let prepared = compute::prepare(instructions, fee_payer, price);
        let (blockhash, last_valid_block_height) = match rpc.get_latest_blockhash_with_commitment(blockhash_commitment(commitment)).await {
            Ok(latest) => latest,
            // nothing broadcast yet: the caller may retry as it likes
            Err(error) if signatures.is_empty() => return Err(TxError::from_client(error)),
            // an earlier signing was refused at preflight, which may not have been the truth
            Err(_) => return Err(TxError::Timeout { signature: signatures[signatures.len() - 1] }),
        };
        let message = solana_message::Message::new(&prepared, Some(fee_payer));
        let mut tx = Transaction::new_unsigned(message);
        tx.try_sign(signers, blockhash).map_err(|error| TxError::Signing(error.to_string()))?;
        let signature = tx.signatures[0];
        signatures.push(signature);
        last_valid_of_any = last_valid_of_any.max(last_valid_block_height);

        let first =
            rpc.send_transaction_with_config(&tx, RpcSendTransactionConfig { preflight_commitment: Some(commitment.commitment), ..Default::default() }).await;
        let first = match first {
            Ok(_) => FirstSend::Sent,
            Err(error) => match error.get_transaction_error() {
                Some(TransactionError::AlreadyProcessed) => FirstSend::Sent,
                Some(TransactionError::BlockhashNotFound) => FirstSend::BlockhashRefused,
                Some(_) => FirstSend::Refused(TxError::from_client(error)),
                None if endpoint_failure(&error).is_some() => FirstSend::Unsure,
                None if signatures.len() == 1 => return Err(TxError::from_client(error)),
                None => return Err(TxError::Timeout { signature: signatures[signatures.len() - 2] }),
            },
        };
        match first {
            FirstSend::Sent => bump(&counters.sent),
            FirstSend::Unsure => {}
            // a re-signed transaction refused because the earlier signing did land after all
            // (it was being processed as its blockhash expired): follow that one instead
            FirstSend::Refused(refusal) => {
                let earlier = &signatures[..signatures.len() - 1];
                let landed_before = !earlier.is_empty()
                    && rpc
                        .get_signature_statuses(earlier)
                        .await
                        .is_ok_and(|answer| signature_state(earlier, &answer.value, CommitmentConfig::processed()) != SignatureState::Unknown);
                if !landed_before {
                    return Err(refusal);
                }
            }
            // with no re-sign left, this signing is watched like any other until every
            // signing's blockhash has expired (the refusal may not have been the truth)
            FirstSend::BlockhashRefused if resigns < options.max_resigns => {
                resigns += 1;
                bump(&counters.resigned);
                // the node is behind the one that gave the blockhash: give it a moment
                tokio::time::sleep(POLL_EVERY).await;
                continue;
            }
            FirstSend::BlockhashRefused => {}
        }

        let mut last_broadcast = Instant::now();
        let mut last_height_check = Instant::now();
        let step = loop {
            tokio::time::sleep(POLL_EVERY.min(options.rebroadcast_every)).await;
            // the height first, so an "unknown" status read after it proves the expired
            // transaction did not land
            let block_height = if last_height_check.elapsed() >= options.rebroadcast_every {
                last_height_check = Instant::now();
                match rpc.get_block_height_with_commitment(commitment).await {
                    Ok(height) => Some(height),
                    Err(error) => {
                        counters.absorbed(&error);
                        None
                    }
                }
            } else {
                None
            };
            let status = match rpc.get_signature_statuses(&signatures).await {
                Ok(answer) => Some(signature_state(&signatures, &answer.value, commitment)),
                Err(error) => {
                    counters.absorbed(&error);
                    None
                }
            };
            let observation = Observation {
                status,
                block_height,
                last_valid_block_height: last_valid_of_any,
                since_broadcast: last_broadcast.elapsed(),
                elapsed: started.elapsed(),
                resigns,
            };
            match next_step(&observation, options) {
                Step::Wait => {}
                Step::Rebroadcast => {
                    let config = RpcSendTransactionConfig { skip_preflight: true, ..Default::default() };
                    match rpc.send_transaction_with_config(&tx, config).await {
                        Ok(_) => bump(&counters.rebroadcasts),
                        Err(error) => counters.absorbed(&error),
                    }
                    last_broadcast = Instant::now();
                }
                done => break done,
            }
        };
        match step {
            Step::Resign => {
                resigns += 1;
                bump(&counters.resigned);
            }
            Step::Landed(signature) => return Ok(signature),
            Step::Failed(error) => return Err(TxError::from_transaction_error(error, Vec::new())),
            Step::Expired => return Err(TxError::Transaction { error: TransactionError::BlockhashNotFound, logs: Vec::new() }),
            Step::TimedOut => {
                bump(&counters.timeouts);
                return Err(TxError::Timeout { signature });
            }
            Step::Wait | Step::Rebroadcast => unreachable!("the poll loop continues on these"),
        }
    }
}

#[cfg(test)]
mod tests;
