//! Serving share requests: a `programSubscribe` stream of the cluster's pending
//! `ShareRequest` accounts (the same filters as the backfill: discriminator, cluster,
//! status pending), a backfill scan of those requests on every (re)connect, periodically
//! and whenever the serving share changes, and one task per request that posts this node's
//! proven partial unless the chain already holds it. The node reads accounts, not logs or
//! events: nothing a transaction's builder does to its logs can hide a request from it.
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
use futures_util::StreamExt;
use medshare_client::{Address, PROGRAM_ID, accounts::ShareRequest, instructions as ix};
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::watch;

use crate::node::Link;

/// How many request addresses the node remembers for `requests_seen`.
const SEEN_CAPACITY: usize = 100_000;

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

/// Whether a pending request of this cluster is this node's to answer with `serving`.
pub fn answerable(request: &ShareRequest, serving: &Serving) -> Result<(), &'static str> {
    if request.epoch == serving.epoch {
        return if request.has_partial_from(serving.index) { Err("this node's partial is already in") } else { Ok(()) };
    }
    if request.epoch > serving.epoch {
        return Err("made in a later epoch than this node serves");
    }
    // its partials so far are of old shares: the program moves it to the serving epoch
    if request.epoch >= serving.key_epoch { Ok(()) } else { Err("made under an earlier cluster key (the record must be re-keyed)") }
}

/// What became of one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The partial is accepted on chain.
    Posted,
    /// The program rejected the partial (its proof did not verify).
    Rejected,
    /// Nothing to do, and why.
    Skipped(&'static str),
}

/// A node serving its cluster with the share the ceremony driver publishes.
pub struct Server {
    link: Link,
    cluster: Address,
    serving: watch::Receiver<Option<Arc<Serving>>>,
    /// Requests with a task running.
    in_flight: Mutex<HashSet<Address>>,
    /// Every request counted in `requests_seen`.
    seen: Mutex<HashSet<Address>>,
    #[cfg(feature = "fault-injection")]
    fault: crate::fault::Fault,
}

impl Server {
    /// A server for `cluster` answering with what `serving` holds.
    pub fn new(link: Link, cluster: Address, serving: watch::Receiver<Option<Arc<Serving>>>) -> Server {
        Server {
            link,
            cluster,
            serving,
            in_flight: Mutex::new(HashSet::new()),
            seen: Mutex::new(HashSet::new()),
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

    /// Serves until shutdown: subscribe, backfill, answer; reconnect with backoff when the
    /// websocket drops; backfill again whenever the serving share changes (a ceremony
    /// activated: the requests of the old epoch are this node's to move and answer now).
    pub async fn run(self: Arc<Self>, ws_url: String, backfill_every: Duration) -> Result<()> {
        use solana_commitment_config::CommitmentConfig;
        use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;

        let mut shutdown = self.link.shutdown.clone();
        let mut serving = self.serving.clone();
        let mut reconnect_delay = Duration::from_millis(250);
        tracing::info!(cluster = %self.cluster, "watching the cluster's share requests");
        while !self.link.stopping() {
            let pubsub = match PubsubClient::new(&ws_url).await {
                Ok(pubsub) => pubsub,
                Err(error) => {
                    self.link.metrics.errors.inc();
                    tracing::warn!(%error, retry_in = ?reconnect_delay, "websocket connect failed");
                    if self.link.sleep(reconnect_delay).await.is_err() {
                        break;
                    }
                    reconnect_delay = (reconnect_delay * 2).min(Duration::from_secs(10));
                    continue;
                }
            };
            let config = medshare_client::rpc::program_accounts_config("ShareRequest", &self.pending_filters(), CommitmentConfig::confirmed());
            let (mut stream, unsubscribe) = match pubsub.program_subscribe(&PROGRAM_ID, Some(config)).await {
                Ok(subscription) => subscription,
                Err(error) => {
                    self.link.metrics.errors.inc();
                    tracing::warn!(%error, "programSubscribe failed");
                    if self.link.sleep(reconnect_delay).await.is_err() {
                        break;
                    }
                    continue;
                }
            };
            self.link.metrics.subscriptions.inc();
            reconnect_delay = Duration::from_millis(250);
            tracing::info!(%ws_url, "subscribed to the cluster's pending share requests");
            // after subscribing, so that no request falls between the scan and the stream
            self.backfill().await;
            let mut backfill = tokio::time::interval_at(tokio::time::Instant::now() + backfill_every, backfill_every);
            loop {
                tokio::select! {
                    // (the guard `wait_for` returns must not live across the other arms' awaits)
                    _ = async { shutdown.wait_for(|stop| *stop).await.map(|_| ()) } => break,
                    _ = backfill.tick() => self.backfill().await,
                    changed = serving.changed() => {
                        if changed.is_err() {
                            // the driver is gone: the node is stopping
                            break;
                        }
                        serving.borrow_and_update();
                        self.backfill().await;
                    }
                    notification = stream.next() => match notification {
                        None => {
                            self.link.metrics.errors.inc();
                            tracing::warn!("the account subscription closed; reconnecting");
                            break;
                        }
                        Some(notification) => self.on_account(&notification.value),
                    },
                }
            }
            drop(stream);
            // on a dead connection the answer may never come
            let _ = tokio::time::timeout(Duration::from_secs(2), unsubscribe()).await;
            if serving.has_changed().is_err() {
                break;
            }
        }
        self.drain().await;
        Ok(())
    }

    /// What selects this cluster's pending requests after the `ShareRequest` discriminator:
    /// `cluster`, and `status = PENDING` (for the subscription and the backfill alike).
    fn pending_filters(&self) -> [(usize, &[u8]); 2] {
        [(ShareRequest::CLUSTER_OFFSET, self.cluster.as_ref()), (ShareRequest::STATUS_OFFSET, &[ShareRequest::PENDING])]
    }

    /// A pending request of this cluster was written (made, or another node's partial
    /// accepted): answer it unless this node's partial is in. Whatever does not decode is
    /// counted and skipped, never fatal.
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
        let decoded = data.ok_or_else(|| "data not in base64".to_owned()).and_then(|data| ShareRequest::decode(&data).map_err(|e| e.to_string()));
        match decoded {
            Ok(request) => {
                if self.wants(&request) {
                    self.spawn_answer(address);
                }
            }
            Err(error) => {
                // another program version or garbage: never fatal
                self.link.metrics.errors.inc();
                tracing::warn!(%address, %error, "undecodable share request notification skipped");
            }
        }
    }

    /// Whether `request` is this cluster's, pending, and [`answerable`] with the current share.
    fn wants(&self, request: &ShareRequest) -> bool {
        let Some(serving) = self.current() else { return false };
        request.cluster == self.cluster && request.status == ShareRequest::PENDING && answerable(request, &serving).is_ok()
    }

    /// Scans the cluster's pending requests this node has not answered.
    pub async fn backfill(self: &Arc<Self>) {
        if self.current().is_none() {
            return;
        }
        self.link.metrics.backfills.inc();
        let filters = self.pending_filters();
        match self.link.retry("getProgramAccounts", |_| true, || self.link.connection.program_accounts("ShareRequest", &filters)).await {
            Ok(accounts) => {
                let mut queued = 0;
                for (address, data) in accounts {
                    match ShareRequest::decode(&data) {
                        Ok(request) if self.wants(&request) => {
                            self.spawn_answer(address);
                            queued += 1;
                        }
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%address, %error, "undecodable share request skipped"),
                    }
                }
                tracing::debug!(queued, "backfill scanned pending requests");
            }
            Err(error) => {
                self.link.metrics.errors.inc();
                tracing::warn!(%error, "backfill scan failed; the next one retries");
            }
        }
    }

    fn spawn_answer(self: &Arc<Self>, request: Address) {
        if !self.in_flight.lock().expect("lock").insert(request) {
            return;
        }
        let mut seen = self.seen.lock().expect("lock");
        if seen.len() >= SEEN_CAPACITY {
            // bounded memory for a long-lived daemon; a request seen again is counted again
            seen.clear();
        }
        if seen.insert(request) {
            self.link.metrics.requests_seen.inc();
        }
        drop(seen);
        let server = Arc::clone(self);
        tokio::spawn(async move {
            let started = Instant::now();
            match server.answer(&request).await {
                Ok(Answer::Posted) => {
                    server.link.metrics.partials_posted.inc();
                    server.link.metrics.latency.observe(started.elapsed().as_secs_f64());
                    tracing::info!(%request, elapsed = ?started.elapsed(), "partial posted and accepted");
                }
                Ok(Answer::Rejected) => {
                    server.link.metrics.partials_rejected.inc();
                    tracing::warn!(%request, "the program rejected this node's partial");
                }
                Ok(Answer::Skipped(why)) => {
                    server.link.metrics.requests_skipped.inc();
                    tracing::info!(%request, why, "nothing to post");
                }
                Err(error) => {
                    server.link.metrics.errors.inc();
                    tracing::warn!(%request, %error, "could not answer; the next backfill retries");
                }
            }
            server.in_flight.lock().expect("lock").remove(&request);
        });
    }

    /// Answers one request, idempotently: the chain says whether this node's partial is in.
    pub async fn answer(&self, address: &Address) -> Result<Answer> {
        let Some(serving) = self.current() else { return Ok(Answer::Skipped("this node is not serving")) };
        let Some(request) = self.request(address).await? else { return Ok(Answer::Skipped("no such request")) };
        if request.cluster != self.cluster {
            return Ok(Answer::Skipped("another cluster's request"));
        }
        match request.status {
            ShareRequest::COMPLETED => return Ok(Answer::Skipped("already completed")),
            ShareRequest::REVOKED => return Ok(Answer::Skipped("revoked")),
            _ => {}
        }
        if let Err(why) = answerable(&request, &serving) {
            return Ok(Answer::Skipped(why));
        }
        if request.expired_at(medshare_client::unix_now()) {
            return Ok(Answer::Skipped("expired"));
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
        if let Err(error) = self.link.send("share_patient_data_callback", &[callback]).await {
            return match error.program_error() {
                Some("DuplicatePartial") => Ok(Answer::Skipped("this node's partial is already in")),
                Some("ShareAlreadyCompleted") => Ok(Answer::Skipped("already completed")),
                Some("ShareRevoked") => Ok(Answer::Skipped("revoked")),
                Some("ShareExpired") => Ok(Answer::Skipped("expired")),
                Some("WrongEpoch") => Ok(Answer::Skipped("the serving epoch moved on, or the request is of an earlier cluster key")),
                Some("NodeSuspended") => Ok(Answer::Skipped("this node is suspended")),
                Some("NotAHolder") => Ok(Answer::Skipped("this node holds no share of the serving epoch")),
                Some("WrongClusterStatus") => Ok(Answer::Skipped("the cluster has no active key")),
                _ => Err(error.into()),
            };
        }
        let after = self.request(address).await?.ok_or_else(|| anyhow::anyhow!("the request vanished"))?;
        if after.epoch == serving.epoch && after.has_partial_from(serving.index) {
            return Ok(Answer::Posted);
        }
        Ok(if self.still_serving(&serving).await? { Answer::Rejected } else { Answer::Skipped("the serving epoch moved while answering") })
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
        while !self.in_flight.lock().expect("lock").is_empty() && Instant::now() < deadline {
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
        Arc::new(Server::new(link, Address::new_from_array([3; 32]), serving))
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
