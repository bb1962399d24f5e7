//! Serving share requests: a `programSubscribe` stream of the cluster's pending
//! `ShareRequest` accounts and a periodic backfill scan of them (the same filters for both:
//! the discriminator, this node's cluster and `status = pending`, so the provider sends only
//! this cluster's open requests), feeding a bounded queue ([`crate::queue`]) of requests this
//! node answers, at most `max_in_flight` at once. The node reads accounts, not logs or
//! events: nothing a transaction's builder does to its logs can hide a request from it.
//!
//! Both the stream and the scan ask for a slice of each account (`dataSlice`: from `cluster`
//! to `status`, [`SUMMARY_LEN`] bytes instead of the whole ~1.4 kB account), enough to decide
//! ([`triage`]) whether the request is this node's to answer (its epoch, whether this node's
//! partial is in) or to expire; only those are read in full, once, just before answering. So
//! a backlog of requests this node has answered costs the scan a few dozen bytes each.
//!
//! A request past its expiry gets no proof and no partial: the node sends
//! `expire_share_request` instead, so that it leaves every node's scan (another node doing it
//! first is an ordinary race, counted in `races_total{race="expired"}`). Expiry is judged by
//! the chain's clock (the `Clock` sysvar, read before every scan), as the program judges it,
//! not by this machine's, which may run ahead of it.
//!
//! The websocket reconnects with exponential backoff and jitter ([`crate::pace::Backoff`]);
//! the scans run on their own schedule ([`crate::pace::BackfillPacer`]) whether the websocket
//! is up or not: periodically, after the first subscription, when the serving share changes,
//! and after a reconnect at most once per backfill period.
//!
//! The server never stops for a ceremony: it answers with whatever share the ceremony
//! driver publishes ([`Serving`]: the serving epoch's, while this node is an active holder
//! whose `S_i` on chain matches it), so a resharing runs while the old holders keep
//! serving, and the new holders take over the moment it activates. A partial is always
//! made with the serving epoch's share in that epoch's context; a request made in an
//! earlier epoch of the same key is answered too (the program moves it to the serving
//! epoch), one made under an earlier key is not (its record must be re-keyed).

use anyhow::Result;
use encrypted_circuits::{
    keys::{KeyShare, PublicKey},
    record::Capsule,
};
use futures_util::{FutureExt, StreamExt};
use medshare_client::{Address, PROGRAM_ID, accounts::ShareRequest, instructions as ix};
use solana_rpc_client_api::config::{RpcProgramAccountsConfig, UiDataSliceConfig};
use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::{Notify, watch};

use crate::{
    metrics::Race,
    node::Link,
    pace::{BackfillPacer, Backoff},
    queue::{RequestQueue, Work},
    redact::scrub_urls,
};

/// How many request addresses the node remembers for `requests_seen`.
const SEEN_CAPACITY: usize = 100_000;
/// Attempts to send one partial, with a read of the request between them.
const POST_ATTEMPTS: u32 = 3;
/// How long connecting and subscribing may take before the attempt counts as failed.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(10);
/// The owner of every sysvar account.
const SYSVAR_OWNER: Address = Address::from_str_const("Sysvar1111111111111111111111111111111111111");
/// The `Clock` sysvar, whose `unix_timestamp` the program judges expiry by.
const CLOCK_SYSVAR: &str = "SysvarC1ock11111111111111111111111111111111";

/// `unix_timestamp` of the `Clock` sysvar's data (slot, epoch_start_timestamp, epoch,
/// leader_schedule_epoch, unix_timestamp: little-endian 8 bytes each).
pub fn clock_unix_timestamp(data: &[u8]) -> Option<i64> {
    Some(i64::from_le_bytes(data.get(32..40)?.try_into().ok()?))
}

/// Why [`answerable`] refuses a request holding this node's partial.
const PARTIAL_ALREADY_IN: &str = "this node's partial is already in";

/// Where the slice the scan and the subscription read starts: `cluster`.
pub const SUMMARY_OFFSET: usize = ShareRequest::CLUSTER_OFFSET;
/// The slice's length: from `cluster` through `status`.
pub const SUMMARY_LEN: usize = ShareRequest::STATUS_OFFSET + 1 - ShareRequest::CLUSTER_OFFSET;
/// Offsets within the slice (the account's layout: cluster, capsule, epoch, expires_at,
/// created_at, record_version, accepted, circuit_version, threshold, accepted_count, status).
const EPOCH_AT: usize = 32 + 64;
const EXPIRES_AT: usize = EPOCH_AT + 8;
const ACCEPTED_AT: usize = EXPIRES_AT + 8 + 8 + 4;

/// The share this node answers with, as the ceremony driver publishes it.
pub struct Serving {
    /// The serving epoch (`cluster.epoch`): every partial's context.
    pub epoch: u64,
    /// The epoch of the key generation that made `PK`: requests from it on are answerable.
    pub key_epoch: u64,
    /// This node's member index.
    pub index: u8,
    /// `s_i` of the serving epoch.
    pub share: KeyShare,
    /// `S_i`, as on chain.
    pub share_point: [u8; 32],
    /// `PK` the share belongs to, from the vault: every capsule's label is checked against it.
    pub cluster_key: [u8; 32],
}

/// What the scan and the subscription read of a request: the fields that decide whether it
/// is this node's to answer or to expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The request's cluster.
    pub cluster: Address,
    /// The epoch it was made (or last moved) in.
    pub epoch: u64,
    /// Unix seconds its consent ends (0: never).
    pub expires_at: i64,
    /// Bit `i-1`: node `i`'s partial is accepted.
    pub accepted: u16,
    /// Pending, completed, revoked or expired.
    pub status: u8,
}

impl Summary {
    /// Decodes the [`SUMMARY_LEN`]-byte slice, or a whole `ShareRequest` account (a provider
    /// that ignores `dataSlice`).
    pub fn decode(data: &[u8]) -> Result<Summary, String> {
        let slice = if data.len() == SUMMARY_LEN {
            data
        } else if data.len() == ShareRequest::LEN && data[..8] == medshare_client::discriminator("account", "ShareRequest") {
            &data[SUMMARY_OFFSET..SUMMARY_OFFSET + SUMMARY_LEN]
        } else {
            return Err(format!("{} bytes: neither a ShareRequest account nor its {SUMMARY_LEN}-byte slice", data.len()));
        };
        let array = |at: usize| -> [u8; 8] { slice[at..at + 8].try_into().expect("8 bytes") };
        Ok(Summary {
            cluster: Address::new_from_array(slice[..32].try_into().expect("32 bytes")),
            epoch: u64::from_le_bytes(array(EPOCH_AT)),
            expires_at: i64::from_le_bytes(array(EXPIRES_AT)),
            accepted: u16::from_le_bytes([slice[ACCEPTED_AT], slice[ACCEPTED_AT + 1]]),
            status: slice[SUMMARY_LEN - 1],
        })
    }

    /// Whether the consent ended before `unix_time` (as [`ShareRequest::expired_at`]).
    pub fn expired_at(&self, unix_time: i64) -> bool {
        self.expires_at != 0 && unix_time > self.expires_at
    }

    /// Whether node `index`'s partial is accepted.
    pub fn has_partial_from(&self, index: u8) -> bool {
        (1..=medshare_client::accounts::MAX_NODES as u8).contains(&index) && self.accepted & (1 << (index - 1)) != 0
    }
}

/// Whether a pending request of this cluster is this node's to answer with `serving`.
pub fn answerable(request: &ShareRequest, serving: &Serving) -> Result<(), &'static str> {
    answerable_in(request.epoch, request.has_partial_from(serving.index), serving)
}

/// [`answerable`] from the request's epoch and whether this node's partial is in.
fn answerable_in(epoch: u64, partial_in: bool, serving: &Serving) -> Result<(), &'static str> {
    if epoch == serving.epoch {
        return if partial_in { Err(PARTIAL_ALREADY_IN) } else { Ok(()) };
    }
    if epoch > serving.epoch {
        return Err("made in a later epoch than this node serves");
    }
    // its partials so far are of old shares: the program moves it to the serving epoch
    if epoch >= serving.key_epoch { Ok(()) } else { Err("made under an earlier cluster key (the record must be re-keyed)") }
}

/// What the scan or the subscription decides about a request from its [`Summary`].
#[derive(Debug, PartialEq, Eq)]
pub enum Triage {
    /// Queue it: this node answers it.
    Answer,
    /// Queue it: it is past its expiry, so this node marks it expired (and answers nothing).
    Expire,
    /// Nothing to do, and why.
    Ignore(&'static str),
}

/// Whether the request `summary` describes is this node's to answer, to expire, or neither,
/// at `now` (Unix seconds), for a node of `cluster` answering with `serving`.
pub fn triage(summary: &Summary, cluster: &Address, serving: Option<&Serving>, now: i64) -> Triage {
    let Some(serving) = serving else { return Triage::Ignore("this node is not serving") };
    if summary.cluster != *cluster {
        return Triage::Ignore("another cluster's request");
    }
    if summary.status != ShareRequest::PENDING {
        return Triage::Ignore("not pending");
    }
    // before anything else: an expired request is expired whoever's partials are in
    if summary.expired_at(now) {
        return Triage::Expire;
    }
    match answerable_in(summary.epoch, summary.has_partial_from(serving.index), serving) {
        Ok(()) => Triage::Answer,
        Err(why) => Triage::Ignore(why),
    }
}

/// What to do with a request just read in full, before any proof is computed.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Check its capsule, compute the partial and post it.
    Answer,
    /// It is past its expiry: mark it expired, compute nothing.
    Expire,
    /// Another member, or the clock, got there first.
    Lost(Race),
    /// Nothing to do, and why.
    Skip(&'static str),
}

/// [`Decision`] for `request` (read in full) at `now`, for a node of `cluster` serving with
/// `serving`.
pub fn decide(request: &ShareRequest, cluster: &Address, serving: &Serving, now: i64) -> Decision {
    if request.cluster != *cluster {
        return Decision::Skip("another cluster's request");
    }
    match request.status {
        ShareRequest::COMPLETED => return Decision::Lost(Race::AlreadyCompleted),
        ShareRequest::REVOKED => return Decision::Skip("revoked"),
        ShareRequest::EXPIRED => return Decision::Lost(Race::Expired),
        ShareRequest::PENDING => {}
        _ => return Decision::Skip("unknown status"),
    }
    if request.expired_at(now) {
        return Decision::Expire;
    }
    match answerable(request, serving) {
        Ok(()) => Decision::Answer,
        Err(PARTIAL_ALREADY_IN) => Decision::Lost(Race::AlreadyAnswered),
        Err(why) => Decision::Skip(why),
    }
}

/// Whether this node's (`index`) partial in `request` was accepted (`Some(true)`) or rejected
/// (`Some(false)`), as the events of the transaction that posted it say (`None`: they do not).
pub fn partial_verdict(events: &[medshare_client::events::Event], request: &Address, index: u8) -> Option<bool> {
    use medshare_client::events::Event;
    events.iter().find_map(|event| match event {
        Event::PartialAccepted(accepted) if accepted.request == *request && accepted.index == index => Some(true),
        Event::PartialRejected(rejected) if rejected.request == *request && rejected.index == index => Some(false),
        _ => None,
    })
}

/// What became of one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The partial is accepted on chain.
    Posted,
    /// The program rejected the partial (its proof did not verify).
    Rejected,
    /// The request was past its expiry and this node marked it expired.
    Expired,
    /// An ordinary race: another member (or the clock) was first.
    Lost(Race),
    /// Nothing to do, and why.
    Skipped(&'static str),
}

/// A node serving its cluster with the share the ceremony driver publishes.
pub struct Server {
    link: Link,
    cluster: Address,
    serving: watch::Receiver<Option<Arc<Serving>>>,
    /// Requests waiting or being answered.
    queue: Arc<RequestQueue>,
    /// Every request counted in `requests_seen`.
    seen: Mutex<HashSet<Address>>,
    /// The websocket (re)subscribed: the backfill pacer decides whether to scan.
    subscribed: Notify,
    /// The chain's clock minus this machine's, in seconds, as last read: expiry is judged by
    /// the chain's clock, which may trail the wall clock (a test validator's often does), and
    /// an `expire_share_request` sent by a clock ahead of the chain is refused.
    clock_skew: AtomicI64,
    #[cfg(feature = "fault-injection")]
    fault: crate::fault::Fault,
}

impl Server {
    /// A server for `cluster` answering with what `serving` holds, at most `max_in_flight`
    /// requests at once.
    pub fn new(link: Link, cluster: Address, serving: watch::Receiver<Option<Arc<Serving>>>, max_in_flight: usize) -> Server {
        let queue = RequestQueue::new(max_in_flight, link.metrics.requests_in_flight.clone(), link.metrics.pending_requests.clone());
        Server {
            link,
            cluster,
            serving,
            queue,
            seen: Mutex::new(HashSet::new()),
            subscribed: Notify::new(),
            clock_skew: AtomicI64::new(0),
            #[cfg(feature = "fault-injection")]
            fault: crate::fault::Fault::default(),
        }
    }

    /// Sets the test-only misbehaviour.
    #[cfg(feature = "fault-injection")]
    pub fn with_fault(mut self, fault: crate::fault::Fault) -> Server {
        self.fault = fault;
        self
    }

    /// The share to answer with now, if any.
    fn current(&self) -> Option<Arc<Serving>> {
        self.serving.borrow().clone()
    }

    /// The chain's time now (Unix seconds), as far as this node knows.
    fn chain_now(&self) -> i64 {
        medshare_client::unix_now().saturating_add(self.clock_skew.load(Ordering::Relaxed))
    }

    /// Reads the chain's clock to correct [`Server::chain_now`]; on failure the last
    /// correction stays.
    async fn sync_clock(&self) {
        let Ok(clock) = CLOCK_SYSVAR.parse::<Address>() else { return };
        match self.link.once(self.link.connection.account_owned_by(&clock, &SYSVAR_OWNER)).await {
            Ok(Some(data)) => match clock_unix_timestamp(&data) {
                Some(chain) => {
                    let skew = chain - medshare_client::unix_now();
                    if (skew - self.clock_skew.swap(skew, Ordering::Relaxed)).abs() > 5 {
                        tracing::info!(chain_minus_local_seconds = skew, "the chain's clock differs from this machine's: expiry follows the chain's");
                    }
                }
                None => tracing::warn!("the Clock sysvar did not decode"),
            },
            Ok(None) => tracing::warn!("the Clock sysvar is missing"),
            Err(error) => tracing::warn!(error = scrub_urls(&error.to_string()), "could not read the chain's clock"),
        }
    }

    /// Serves until shutdown: keeps the websocket subscribed (reconnecting with backoff) and
    /// scans on the pacer's schedule, answering through the bounded queue; then lets the
    /// answers in flight finish (up to 10 s).
    pub async fn run(self: Arc<Self>, ws_url: String, backfill_every: Duration) -> Result<()> {
        tracing::info!(cluster = %self.cluster, "watching the cluster's share requests");
        let pacing = tokio::spawn(Arc::clone(&self).pace_backfills(backfill_every));
        self.subscriptions(&ws_url).await;
        let _ = pacing.await;
        self.queue.close();
        self.drain().await;
        Ok(())
    }

    /// Keeps the websocket subscribed until shutdown.
    async fn subscriptions(self: &Arc<Self>, ws_url: &str) {
        let shown = medshare_client::rpc::redact_url(ws_url);
        // down until the first subscription: the health grace starts now
        self.link.metrics.set_websocket(false, Instant::now());
        let mut backoff = Backoff::reconnects();
        while !self.link.stopping() {
            match self.subscribe_once(ws_url, &shown).await {
                Ok(lasted) => backoff.disconnected(lasted),
                Err(error) => {
                    self.link.metrics.errors.inc();
                    tracing::warn!(ws = %shown, error = scrub_urls(&format!("{error:#}")), "websocket subscription failed");
                }
            }
            if self.link.stopping() {
                break;
            }
            let delay = backoff.next_delay(&mut rand::thread_rng());
            tracing::info!(retry_in = ?delay, "reconnecting the websocket");
            if self.link.sleep(delay).await.is_err() {
                break;
            }
        }
        self.link.metrics.set_websocket(false, Instant::now());
    }

    /// Subscribes once and handles notifications until the stream ends or shutdown; returns
    /// how long the subscription was up.
    async fn subscribe_once(self: &Arc<Self>, ws_url: &str, shown: &str) -> Result<Duration> {
        use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
        let timed_out = || anyhow::anyhow!("no answer within {SUBSCRIBE_TIMEOUT:?}");
        let pubsub = tokio::time::timeout(SUBSCRIBE_TIMEOUT, PubsubClient::new(ws_url)).await.map_err(|_| timed_out())??;
        let (mut stream, unsubscribe) =
            tokio::time::timeout(SUBSCRIBE_TIMEOUT, pubsub.program_subscribe(&PROGRAM_ID, Some(self.pending_config()))).await.map_err(|_| timed_out())??;
        let up = Instant::now();
        self.link.metrics.subscriptions.inc();
        self.link.metrics.set_websocket(true, up);
        self.subscribed.notify_one();
        tracing::info!(ws = %shown, "subscribed to the cluster's pending share requests");
        let mut shutdown = self.link.shutdown.clone();
        loop {
            tokio::select! {
                // (the guard `wait_for` returns must not live across the other arm's awaits)
                _ = async { shutdown.wait_for(|stop| *stop).await.map(|_| ()) } => break,
                notification = stream.next() => match notification {
                    None => {
                        self.link.metrics.errors.inc();
                        tracing::warn!(up_for = ?up.elapsed(), "the account subscription closed; reconnecting");
                        break;
                    }
                    Some(notification) => self.on_account(&notification.value),
                },
            }
        }
        self.link.metrics.set_websocket(false, Instant::now());
        drop(stream);
        // on a dead connection the answer may never come
        let _ = tokio::time::timeout(Duration::from_secs(2), unsubscribe()).await;
        Ok(up.elapsed())
    }

    /// Scans (and polls the fee balance) when the pacer says, until shutdown.
    async fn pace_backfills(self: Arc<Self>, period: Duration) {
        let mut pacer = BackfillPacer::new(Instant::now(), period);
        let mut serving = self.serving.clone();
        let mut shutdown = self.link.shutdown.clone();
        loop {
            let due = tokio::time::Instant::from_std(pacer.next_due());
            tokio::select! {
                _ = async { shutdown.wait_for(|stop| *stop).await.map(|_| ()) } => break,
                _ = tokio::time::sleep_until(due) => {
                    pacer.on_backfill(Instant::now());
                    self.link.poll_fee_balance().await;
                    self.sync_clock().await;
                    self.backfill().await;
                }
                changed = serving.changed() => {
                    if changed.is_err() {
                        // the driver is gone: the node is stopping
                        break;
                    }
                    serving.borrow_and_update();
                    pacer.on_serving_changed(Instant::now());
                }
                _ = self.subscribed.notified() => pacer.on_subscribed(Instant::now()),
            }
        }
    }

    /// What selects this cluster's pending requests after the `ShareRequest` discriminator:
    /// `cluster`, and `status = PENDING` (for the subscription and the backfill alike).
    fn pending_filters(&self) -> [(usize, &[u8]); 2] {
        [(ShareRequest::CLUSTER_OFFSET, self.cluster.as_ref()), (ShareRequest::STATUS_OFFSET, &[ShareRequest::PENDING])]
    }

    /// The subscription's and the scan's configuration: [`Server::pending_filters`], and only
    /// the [`Summary`] slice of each account.
    fn pending_config(&self) -> RpcProgramAccountsConfig {
        use solana_commitment_config::CommitmentConfig;
        let mut config = medshare_client::rpc::program_accounts_config("ShareRequest", &self.pending_filters(), CommitmentConfig::confirmed());
        config.account_config.data_slice = Some(UiDataSliceConfig { offset: SUMMARY_OFFSET, length: SUMMARY_LEN });
        config
    }

    /// A pending request of this cluster was written (made, or another node's partial
    /// accepted): queue it if it is this node's to answer or expire. Whatever does not decode
    /// is counted and skipped, never fatal.
    fn on_account(self: &Arc<Self>, keyed: &solana_rpc_client_api::response::RpcKeyedAccount) {
        self.on_request_account(&keyed.pubkey, keyed.account.data.decode());
    }

    /// [`Server::on_account`] once the account's data is decoded from base64 (`None`: it
    /// was not).
    fn on_request_account(self: &Arc<Self>, pubkey: &str, data: Option<Vec<u8>>) {
        let Ok(address) = pubkey.parse::<Address>() else {
            self.link.metrics.errors.inc();
            tracing::warn!(pubkey, "notification for an unparsable address skipped");
            return;
        };
        self.consider(address, data);
    }

    /// Triage of one request from the stream or the scan; queues it when there is work.
    fn consider(self: &Arc<Self>, address: Address, data: Option<Vec<u8>>) -> Triage {
        let summary = data.ok_or_else(|| "data not in base64".to_owned()).and_then(|data| Summary::decode(&data));
        match summary {
            Ok(summary) => {
                let triage = triage(&summary, &self.cluster, self.current().as_deref(), self.chain_now());
                if matches!(triage, Triage::Answer | Triage::Expire) {
                    self.enqueue(address);
                }
                triage
            }
            Err(error) => {
                // another program version or garbage: never fatal
                self.link.metrics.errors.inc();
                tracing::warn!(%address, %error, "undecodable share request skipped");
                Triage::Ignore("undecodable")
            }
        }
    }

    /// Scans the cluster's pending requests (their summaries) and queues those this node
    /// must answer or expire.
    pub async fn backfill(self: &Arc<Self>) {
        if self.current().is_none() {
            return;
        }
        self.link.metrics.backfills.inc();
        match self.link.retry("getProgramAccounts", |_| true, || self.scan()).await {
            Ok(accounts) => {
                let (mut answer, mut expire) = (0, 0);
                let scanned = accounts.len();
                for (address, data) in accounts {
                    match self.consider(address, data) {
                        Triage::Answer => answer += 1,
                        Triage::Expire => expire += 1,
                        Triage::Ignore(_) => {}
                    }
                }
                self.link.metrics.last_backfill_timestamp_seconds.set(medshare_client::unix_now());
                tracing::debug!(scanned, answer, expire, "backfill scanned pending requests");
            }
            Err(error) => tracing::warn!(error = scrub_urls(&error.to_string()), "backfill scan failed; the next one retries"),
        }
    }

    /// One `getProgramAccounts` of this cluster's pending requests' summaries.
    async fn scan(&self) -> Result<Vec<(Address, Option<Vec<u8>>)>, medshare_client::rpc::ReadError> {
        let accounts = self.link.connection.rpc.get_program_ui_accounts_with_config(&PROGRAM_ID, self.pending_config()).await?;
        Ok(accounts.into_iter().map(|(address, account)| (address, account.data.decode())).collect())
    }

    /// Queues `request` (unless it is queued or in flight already).
    fn enqueue(self: &Arc<Self>, request: Address) {
        let server = Arc::clone(self);
        let work: Work = Arc::new(move |request| {
            let server = Arc::clone(&server);
            async move { server.handle(request).await }.boxed()
        });
        if !self.queue.push(request, work) {
            return;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.len() >= SEEN_CAPACITY {
            // bounded memory for a long-lived daemon; a request seen again is counted again
            seen.clear();
        }
        if seen.insert(request) {
            self.link.metrics.requests_seen.inc();
        }
    }

    /// Answers (or expires) one request and counts what became of it.
    async fn handle(&self, request: Address) {
        let started = Instant::now();
        let metrics = &self.link.metrics;
        match self.answer(&request).await {
            Ok(Answer::Posted) => {
                metrics.partials_posted.inc();
                metrics.latency.observe(started.elapsed().as_secs_f64());
                tracing::info!(%request, elapsed = ?started.elapsed(), "partial posted and accepted");
            }
            Ok(Answer::Rejected) => {
                metrics.partials_rejected.inc();
                tracing::warn!(%request, "the program rejected this node's partial");
            }
            Ok(Answer::Expired) => {
                metrics.requests_expired.inc();
                tracing::info!(%request, "the request was past its expiry: marked it expired (no partial)");
            }
            Ok(Answer::Lost(race)) => {
                metrics.requests_skipped.inc();
                metrics.race(race);
                tracing::info!(%request, race = race.label(), "nothing to post: an ordinary race");
            }
            Ok(Answer::Skipped(why)) => {
                metrics.requests_skipped.inc();
                tracing::info!(%request, why, "nothing to post");
            }
            Err(error) => {
                metrics.errors.inc();
                tracing::warn!(%request, error = scrub_urls(&format!("{error:#}")), "could not answer; the next backfill retries");
            }
        }
    }

    /// Answers one request, idempotently: the chain says whether this node's partial is in.
    pub async fn answer(&self, address: &Address) -> Result<Answer> {
        let Some(serving) = self.current() else { return Ok(Answer::Skipped("this node is not serving")) };
        let Some(request) = self.request(address).await? else { return Ok(Answer::Skipped("no such request")) };
        match decide(&request, &self.cluster, &serving, self.chain_now()) {
            Decision::Answer => {}
            Decision::Expire => return self.expire(address).await,
            Decision::Lost(race) => return Ok(Answer::Lost(race)),
            Decision::Skip(why) => return Ok(Answer::Skipped(why)),
        }
        #[cfg(feature = "fault-injection")]
        if self.fault.bad_proofs && !self.in_flight_first_attempt(address) {
            return Ok(Answer::Skipped("faulty node already cheated here"));
        }
        // Re-encrypt only a capsule labelled for this request's record, owner and version under
        // our own key: a capsule copied or re-randomised from another record is refused here,
        // before any partial exists to leak. (The recipient key still comes from the account
        // the RPC provider returns: docs/threat-model.md, L4.)
        if let Err(error) = medshare_client::context::verify_request_capsule(&request, &serving.cluster_key) {
            tracing::warn!(request = %address, %error, "the request's capsule is not labelled for its record: refusing to answer");
            return Ok(Answer::Skipped("its capsule's proof does not verify"));
        }
        // The partial names its share's epoch, so one that lands after an activation is refused
        // (`WrongEpoch`), not counted; reading the cluster once more still saves the fee.
        if !self.still_serving(&serving).await? {
            return Ok(Answer::Skipped("the serving epoch is changing (the next backfill answers with the new share)"));
        }
        let context = medshare_client::context::request_context(&self.cluster, address, serving.epoch);
        let capsule = Capsule::from_bytes(&request.capsule)?;
        let recipient = PublicKey::from_bytes(&request.recipient_key, "recipient key P_R")?;
        #[allow(unused_mut)]
        let mut partial = serving.share.reencrypt(&mut rand::rngs::OsRng, &context, &capsule, &recipient)?;
        #[cfg(feature = "fault-injection")]
        self.fault.tamper(&mut partial);
        let callback = ix::share_patient_data_callback(
            &self.link.authority_address(),
            &self.cluster,
            address,
            partial.a,
            partial.e,
            partial.proof.to_bytes(),
            serving.epoch,
        );
        let signature = match self.post(address, &serving, callback).await? {
            Ok(signature) => signature,
            Err(answer) => return Ok(answer),
        };
        // The program's verdict is in the transaction's events; a read of the request after it
        // may come from an RPC node behind the one that confirmed it, and must not make an
        // accepted partial look rejected.
        match self.link.connection.transaction(&signature).await {
            Ok(transaction) => {
                let events = medshare_client::rpc::transaction_events(signature, &transaction);
                match partial_verdict(&events.events, address, serving.index) {
                    Some(true) => return Ok(Answer::Posted),
                    Some(false) => return Ok(Answer::Rejected),
                    None => tracing::warn!(request = %address, %signature, "the partial's transaction names neither PartialAccepted nor PartialRejected"),
                }
            }
            Err(error) => tracing::warn!(request = %address, %signature, error = scrub_urls(&error.to_string()), "could not read the partial's transaction"),
        }
        let after = self.request(address).await?.ok_or_else(|| anyhow::anyhow!("the request vanished"))?;
        if after.epoch == serving.epoch && after.has_partial_from(serving.index) {
            return Ok(Answer::Posted);
        }
        // no verdict: a stale read is not a rejection; the next scan reads the request again
        Err(anyhow::anyhow!("transaction {signature} landed, but neither it nor the request (read from a node that may be behind) shows the verdict yet"))
    }

    /// Sends this node's partial (`callback`): `Ok(Ok(signature))` once it landed,
    /// `Ok(Err(answer))` when the program refused it or a read between attempts shows there is
    /// nothing left to send. A transient error may come after the transaction was broadcast,
    /// so before sending again the request is read: were the first attempt in, a second
    /// would only be refused (and, once confirmed at the same time, cost a fee).
    async fn post(
        &self,
        address: &Address,
        serving: &Serving,
        callback: solana_instruction::Instruction,
    ) -> Result<Result<solana_signature::Signature, Answer>> {
        let mut delay = Duration::from_millis(500);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.link.send_once("share_patient_data_callback", std::slice::from_ref(&callback)).await {
                Ok(signature) => return Ok(Ok(signature)),
                Err(error) => error,
            };
            let answer = match error.program_error() {
                Some("DuplicatePartial") => Answer::Lost(Race::AlreadyAnswered),
                Some("ShareAlreadyCompleted") => Answer::Lost(Race::AlreadyCompleted),
                Some("ShareRevoked") => Answer::Skipped("revoked"),
                Some("ShareExpired") => Answer::Lost(Race::Expired),
                Some("WrongEpoch") => Answer::Skipped("the serving epoch moved on, or the request is of an earlier cluster key"),
                Some("NodeSuspended") => Answer::Skipped("this node is suspended"),
                Some("NotAHolder") => Answer::Skipped("this node holds no share of the serving epoch"),
                Some("WrongClusterStatus") => Answer::Skipped("the cluster has no active key"),
                _ if error.is_transient() && attempt < POST_ATTEMPTS && !self.link.stopping() => {
                    if self.link.sleep(delay).await.is_err() {
                        return Err(error.into());
                    }
                    delay *= 2;
                    let Some(request) = self.request(address).await? else { return Ok(Err(Answer::Skipped("no such request"))) };
                    match decide(&request, &self.cluster, serving, self.chain_now()) {
                        Decision::Answer => continue,
                        // the attempt that failed landed after all (or the request moved on)
                        Decision::Expire => return Ok(Err(Answer::Lost(Race::Expired))),
                        Decision::Lost(race) => return Ok(Err(Answer::Lost(race))),
                        Decision::Skip(why) => return Ok(Err(Answer::Skipped(why))),
                    }
                }
                _ => return Err(error.into()),
            };
            return Ok(Err(answer));
        }
    }

    /// Marks the expired request expired (`expire_share_request`); another node (or the
    /// chain's clock, a little behind this machine's) refusing with `NotExpired` is a race.
    async fn expire(&self, address: &Address) -> Result<Answer> {
        match self.link.send("expire_share_request", &[ix::expire_share_request(address)]).await {
            Ok(_) => Ok(Answer::Expired),
            Err(error) => match error.program_error() {
                Some("NotExpired") => Ok(Answer::Lost(Race::Expired)),
                _ => Err(error.into()),
            },
        }
    }

    /// Whether the chain still serves `serving`'s epoch with this node's `S_i`.
    async fn still_serving(&self, serving: &Serving) -> Result<bool> {
        let cluster = self.link.cluster(&self.cluster).await?;
        let mine =
            cluster.member_at(serving.index).is_some_and(|m| m.authority == self.link.authority_address() && m.verification_share == serving.share_point);
        Ok(cluster.is_active() && cluster.epoch == serving.epoch && mine)
    }

    #[cfg(feature = "fault-injection")]
    fn in_flight_first_attempt(&self, address: &Address) -> bool {
        self.fault.cheated.lock().expect("lock").insert(*address)
    }

    async fn request(&self, address: &Address) -> Result<Option<ShareRequest>> {
        match self.link.account(address).await? {
            Some(data) => Ok(Some(ShareRequest::decode(&data)?)),
            None => Ok(None),
        }
    }

    /// Waits (up to 10 s) for running answers to finish.
    async fn drain(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.queue.in_flight() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{metrics::Metrics, node::Link};

    /// Node 1 serving epoch 5 of the key made in epoch 3.
    fn serving() -> Serving {
        let share = KeyShare::from_parts(1, &[1; 32]).expect("a share");
        let share_point = share.verification_share().to_bytes();
        Serving { epoch: 5, key_epoch: 3, index: 1, share, share_point, cluster_key: [7; 32] }
    }

    fn server(metrics: &Metrics, serving: Option<Serving>) -> Arc<Server> {
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        let link = Link::new("http://127.0.0.1:9", solana_keypair::Keypair::new(), metrics.clone(), shutdown);
        let (_publish, serving) = watch::channel(serving.map(Arc::new));
        Arc::new(Server::new(link, Address::new_from_array([3; 32]), serving, 8))
    }

    /// A `ShareRequest` account of `cluster`, pending, in `epoch`, with `accepted` as its bitmap.
    fn share_request(cluster: [u8; 32], epoch: u64, accepted: u16) -> Vec<u8> {
        let mut data = vec![0u8; ShareRequest::LEN];
        data[..8].copy_from_slice(&medshare_client::discriminator("account", "ShareRequest"));
        data[ShareRequest::CLUSTER_OFFSET..ShareRequest::CLUSTER_OFFSET + 32].copy_from_slice(&cluster);
        // `epoch` follows cluster and the capsule; `accepted` follows epoch, expires_at, created_at, record_version
        let epoch_at = ShareRequest::CLUSTER_OFFSET + 32 + 64;
        data[epoch_at..epoch_at + 8].copy_from_slice(&epoch.to_le_bytes());
        let accepted_at = epoch_at + 8 + 8 + 8 + 4;
        data[accepted_at..accepted_at + 2].copy_from_slice(&accepted.to_le_bytes());
        data[ShareRequest::STATUS_OFFSET] = ShareRequest::PENDING;
        data
    }

    /// `data` with `expires_at` set.
    fn expiring(mut data: Vec<u8>, expires_at: i64) -> Vec<u8> {
        let at = ShareRequest::CLUSTER_OFFSET + 32 + 64 + 8;
        data[at..at + 8].copy_from_slice(&expires_at.to_le_bytes());
        data
    }

    /// What `dataSlice` returns of `data`.
    fn slice(data: &[u8]) -> Vec<u8> {
        data[SUMMARY_OFFSET..SUMMARY_OFFSET + SUMMARY_LEN].to_vec()
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn the_summary_slice_decodes_as_the_full_account_does() {
        assert_eq!((SUMMARY_OFFSET, SUMMARY_LEN), (136, 131), "cluster through status");
        let full = expiring(share_request([3; 32], 5, 0b101), NOW + 60);
        let request = ShareRequest::decode(&full).unwrap();
        let summary = Summary::decode(&slice(&full)).unwrap();
        assert_eq!(
            summary,
            Summary { cluster: request.cluster, epoch: request.epoch, expires_at: request.expires_at, accepted: request.accepted, status: request.status }
        );
        assert_eq!((summary.epoch, summary.expires_at, summary.accepted), (5, NOW + 60, 0b101));
        assert_eq!(Summary::decode(&full).unwrap(), summary, "a provider ignoring dataSlice sends the whole account");
        assert_eq!(summary.has_partial_from(1), request.has_partial_from(1));
        assert_eq!(summary.has_partial_from(2), request.has_partial_from(2));
        assert!(!summary.has_partial_from(0) && !summary.has_partial_from(17));
        for expiry in [NOW - 1, NOW, NOW + 1, 0] {
            let request = ShareRequest::decode(&expiring(full.clone(), expiry)).unwrap();
            let summary = Summary::decode(&slice(&expiring(full.clone(), expiry))).unwrap();
            assert_eq!(summary.expired_at(NOW), request.expired_at(NOW), "expiry {expiry}");
        }
        assert!(Summary::decode(&full[..SUMMARY_LEN + 1]).unwrap_err().contains("neither a ShareRequest account nor its 131-byte slice"));
        let mut other = full.clone();
        other[..8].copy_from_slice(&medshare_client::discriminator("account", "Record"));
        assert!(Summary::decode(&other).is_err(), "another account type of the same size is refused");
    }

    #[test]
    fn the_partials_verdict_comes_from_its_transactions_events() {
        use medshare_client::events::{Event, PartialAccepted, PartialRejected, ShareCompleted};
        let (request, other, cluster, authority) =
            (Address::new_from_array([4; 32]), Address::new_from_array([5; 32]), Address::new_from_array([3; 32]), Address::new_from_array([6; 32]));
        let accepted = |request, index| Event::PartialAccepted(PartialAccepted { request, cluster, index, authority });
        let rejected = |request, index| Event::PartialRejected(PartialRejected { request, cluster, index, authority, faults: 1 });
        let completed = Event::ShareCompleted(ShareCompleted { request, record: other, recipient: other, accepted: 0b111 });
        assert_eq!(partial_verdict(&[accepted(request, 1), completed.clone()], &request, 1), Some(true));
        assert_eq!(partial_verdict(&[rejected(request, 1)], &request, 1), Some(false));
        // another node's or another request's verdict is not this one's
        assert_eq!(partial_verdict(&[accepted(request, 2), accepted(other, 1), completed], &request, 1), None);
        assert_eq!(partial_verdict(&[], &request, 1), None);
    }

    #[test]
    fn the_chains_clock_is_read_from_the_clock_sysvar() {
        let mut data = Vec::new();
        for field in [7_u64, 1_700_000_000, 3, 4] {
            data.extend_from_slice(&field.to_le_bytes());
        }
        data.extend_from_slice(&1_800_000_123_i64.to_le_bytes());
        assert_eq!(clock_unix_timestamp(&data), Some(1_800_000_123));
        assert_eq!(clock_unix_timestamp(&data[..39]), None, "short data is not a clock");
        assert!(CLOCK_SYSVAR.parse::<Address>().is_ok());
    }

    #[test]
    fn scans_and_the_subscription_ask_for_this_clusters_pending_summaries_only() {
        let metrics = Metrics::new();
        let server = server(&metrics, Some(serving()));
        let config = server.pending_config();
        let slice = config.account_config.data_slice.expect("a data slice");
        assert_eq!((slice.offset, slice.length), (SUMMARY_OFFSET, SUMMARY_LEN));
        let filters = serde_json::to_value(config.filters.expect("filters")).unwrap();
        let filters = filters.as_array().unwrap();
        assert_eq!(filters.len(), 3, "{filters:?}");
        let offsets: Vec<u64> = filters.iter().map(|f| f["memcmp"]["offset"].as_u64().unwrap()).collect();
        assert_eq!(offsets, [0, ShareRequest::CLUSTER_OFFSET as u64, ShareRequest::STATUS_OFFSET as u64], "discriminator, cluster, status");
        assert_eq!(filters[1]["memcmp"]["bytes"], serde_json::json!(vec![3u8; 32]), "this node's cluster");
        assert_eq!(filters[2]["memcmp"]["bytes"], serde_json::json!([ShareRequest::PENDING]), "pending");
    }

    #[test]
    fn expired_requests_are_expired_before_any_other_decision() {
        let serving = serving();
        let cluster = Address::new_from_array([3; 32]);
        let summary = |epoch, accepted, expires_at| Summary::decode(&slice(&expiring(share_request([3; 32], epoch, accepted), expires_at))).unwrap();
        // not yet expired (the program refuses partials only once `now > expires_at`)
        assert_eq!(triage(&summary(5, 0, NOW), &cluster, Some(&serving), NOW), Triage::Answer);
        assert_eq!(triage(&summary(5, 0, 0), &cluster, Some(&serving), NOW), Triage::Answer, "0 never expires");
        // expired: marked expired, whatever else holds — answerable, answered, or of an old key
        assert_eq!(triage(&summary(5, 0, NOW - 1), &cluster, Some(&serving), NOW), Triage::Expire);
        assert_eq!(triage(&summary(5, 0b1, NOW - 1), &cluster, Some(&serving), NOW), Triage::Expire);
        assert_eq!(triage(&summary(2, 0, NOW - 1), &cluster, Some(&serving), NOW), Triage::Expire);
        // but only a pending request of this cluster, by a serving node
        assert!(matches!(triage(&summary(5, 0, NOW - 1), &cluster, None, NOW), Triage::Ignore(_)));
        assert!(matches!(triage(&summary(5, 0, NOW - 1), &Address::new_from_array([9; 32]), Some(&serving), NOW), Triage::Ignore(_)));
        let mut completed = summary(5, 0, NOW - 1);
        completed.status = ShareRequest::COMPLETED;
        assert_eq!(triage(&completed, &cluster, Some(&serving), NOW), Triage::Ignore("not pending"));
        assert_eq!(triage(&summary(5, 0b1, NOW + 1), &cluster, Some(&serving), NOW), Triage::Ignore(PARTIAL_ALREADY_IN));

        // read in full before acting: expiry comes before the capsule, the proof and the partial
        let request = |status, accepted, expires_at| {
            let mut request = ShareRequest::decode(&expiring(share_request([3; 32], 5, accepted), expires_at)).unwrap();
            request.status = status;
            request
        };
        assert_eq!(decide(&request(ShareRequest::PENDING, 0, NOW - 1), &cluster, &serving, NOW), Decision::Expire);
        assert_eq!(decide(&request(ShareRequest::PENDING, 0b1, NOW - 1), &cluster, &serving, NOW), Decision::Expire);
        assert_eq!(decide(&request(ShareRequest::PENDING, 0, NOW + 1), &cluster, &serving, NOW), Decision::Answer);
        // what another member (or the clock) did between the scan and the read: races
        assert_eq!(decide(&request(ShareRequest::EXPIRED, 0, NOW - 1), &cluster, &serving, NOW), Decision::Lost(Race::Expired));
        assert_eq!(decide(&request(ShareRequest::COMPLETED, 0, NOW + 1), &cluster, &serving, NOW), Decision::Lost(Race::AlreadyCompleted));
        assert_eq!(decide(&request(ShareRequest::PENDING, 0b1, NOW + 1), &cluster, &serving, NOW), Decision::Lost(Race::AlreadyAnswered));
        assert_eq!(decide(&request(ShareRequest::REVOKED, 0, NOW + 1), &cluster, &serving, NOW), Decision::Skip("revoked"));
        assert_eq!(decide(&request(9, 0, NOW + 1), &cluster, &serving, NOW), Decision::Skip("unknown status"));
        assert!(matches!(decide(&request(ShareRequest::PENDING, 0, NOW + 1), &Address::new_from_array([9; 32]), &serving, NOW), Decision::Skip(_)));
    }

    #[tokio::test]
    async fn a_request_reported_again_is_queued_once() {
        let metrics = Metrics::new();
        let server = server(&metrics, Some(serving()));
        let address = Address::new_from_array([4; 32]).to_string();
        let expired = slice(&expiring(share_request([3; 32], 5, 0), 1));
        // the stream and two scans report it: one request seen, one in the queue
        for _ in 0..3 {
            server.on_request_account(&address, Some(expired.clone()));
        }
        assert_eq!(metrics.requests_seen.get(), 1);
        assert_eq!(metrics.pending_requests.get(), 1);
        assert_eq!(metrics.requests_in_flight.get(), 1, "its worker is reading it (from an RPC that is not there)");
        assert_eq!(metrics.errors.get(), 0);
    }

    #[test]
    fn requests_of_earlier_epochs_of_the_same_key_are_answered() {
        let serving = serving();
        let request = |epoch, accepted| ShareRequest::decode(&share_request([3; 32], epoch, accepted)).expect("decodes");
        assert_eq!(request(5, 0).epoch, 5, "the layout the test writes");
        assert_eq!(answerable(&request(5, 0), &serving), Ok(()));
        assert_eq!(answerable(&request(5, 0b1), &serving), Err("this node's partial is already in"));
        // epochs 3 and 4 are of the same key: the program moves them, clearing old partials
        assert_eq!(answerable(&request(4, 0b1), &serving), Ok(()));
        assert_eq!(answerable(&request(3, 0), &serving), Ok(()));
        assert!(answerable(&request(2, 0), &serving).unwrap_err().contains("re-keyed"));
        assert!(answerable(&request(6, 0), &serving).is_err(), "a node behind the chain waits for its driver");
    }

    #[test]
    fn a_node_without_a_serving_share_wants_nothing() {
        let metrics = Metrics::new();
        let server = server(&metrics, None);
        let address = Address::new_from_array([4; 32]).to_string();
        server.on_request_account(&address, Some(share_request([3; 32], 5, 0)));
        assert_eq!(metrics.requests_seen.get(), 0);
    }

    #[test]
    fn garbage_share_request_notifications_are_counted_not_fatal() {
        let metrics = Metrics::new();
        let server = server(&metrics, Some(serving()));
        let address = Address::new_from_array([4; 32]).to_string();
        server.on_request_account(&address, Some(b"not a share request".to_vec()));
        server.on_request_account(&address, Some(vec![0; ShareRequest::LEN]));
        server.on_request_account("not an address", Some(share_request([3; 32], 5, 0)));
        server.on_request_account(&address, None);
        assert_eq!(metrics.errors.get(), 4, "four undecodable notifications, counted");
        // well-formed, but another cluster's, or already holding this node's (index 1) partial
        let mine = share_request([3; 32], 5, 0b1);
        assert!(ShareRequest::decode(&mine).expect("decodes").has_partial_from(1), "the layout the test writes");
        server.on_request_account(&address, Some(share_request([9; 32], 5, 0)));
        server.on_request_account(&address, Some(mine));
        assert_eq!(metrics.errors.get(), 4);
        assert_eq!(metrics.requests_seen.get(), 0, "nothing was taken for a request to answer");
    }
}
