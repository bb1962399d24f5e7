//! The key ceremony (docs/protocol.md §3.5), run through the chain as a resumable state
//! machine beside serving: a resharing runs while the cluster keeps serving with the old
//! shares, so the node never stops answering to take part in one.
//!
//! Each tick the [`Driver`] reads the cluster, the latest ceremony, the slot and (while it
//! deals) its own dealing account, opens the sub-shares [`decide::dealers_to_open`] names,
//! and takes the one step [`decide::decide`] returns — accept the invitation, post the next
//! chunk of its dealing, complain, fold a qualified dealing into the ceremony's aggregate,
//! finish and confirm, advance past a deadline, rotate or promote the transport key — then
//! reads again. Nothing but the chain and the vault carries
//! state between steps (the in-memory cache of opened dealings only saves reads: dealings
//! are write-once), and everything a later step depends on is saved in the vault before
//! the transaction that commits to it is sent: the dealing bytes before the first chunk (a
//! restart posts the same bytes: the chain's dealing is write-once), the share before the
//! confirmation, the new transport secret before the rotation. So a node killed at any
//! point resumes correctly.
//!
//! Each tick also erases what the vault no longer needs (the dealing once the chain holds
//! it, shares below the serving epoch or of ceremonies that ended without serving) and
//! publishes the share the server answers with: the serving epoch's, only while this node
//! is an active member whose `S_i` on chain is that share's.

pub mod decide;

use anyhow::{Context, Result, bail};
use encrypted_circuits::{
    Error as CryptoError,
    ceremony::{self as dkg, CeremonyContext, DealingView},
};
use medshare_client::{
    Address, PROGRAM_ID,
    accounts::{self, CeremonyKind, Cluster, MemberStatus},
    instructions as ix,
};
use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::watch;

use crate::{
    node::{Chain, Link, ShuttingDown},
    serve::Serving,
    vault::{EpochShare, Vault},
};
use decide::{CeremonyView, ChainView, LocalView, Step, bit};

/// An error the node cannot outlive (it is not, or no longer, a member; its vault is not
/// the one the chain knows): `mpc-node run` exits with it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub String);

impl Fatal {
    /// The error, classified for `mpc-node`'s exit code.
    fn exit(self, kind: crate::exit::ExitKind) -> anyhow::Error {
        anyhow::Error::from(self).context(kind)
    }
}

/// How one tick ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// A transaction landed or the vault changed: decide again at once.
    Acted,
    /// Waiting for others (or a harmless race): poll again.
    Wait(String),
    /// No ceremony work.
    Idle,
    /// This node cannot move on by itself.
    Stuck(String),
}

/// Dealings already fetched and opened in the latest ceremony (dealings are write-once, so
/// nothing here goes stale within a ceremony).
#[derive(Default)]
struct Opened {
    epoch: u64,
    dealings: BTreeMap<u8, Vec<u8>>,
    good: u16,
    bad: u16,
}

/// The ceremony state machine of one node, reading and writing through `C` (the RPC
/// [`Link`] in the daemon).
pub struct Driver<C: Chain = Link> {
    link: Link,
    chain: C,
    cluster: Address,
    vault: Vault,
    serving: watch::Sender<Option<Arc<Serving>>>,
    poll: Duration,
    stuck_after: Duration,
    opened: Opened,
    /// `(epoch, Q)` for which the program rejected this node's confirmation.
    rejected: Option<(u64, u16)>,
    /// The highest `(epoch, ceremony_epoch)` read: a read below it is stale and skipped.
    seen: (u64, u64),
    failing_since: Option<Instant>,
    last: String,
    #[cfg(feature = "fault-injection")]
    fault: crate::fault::Fault,
}

impl Driver<Link> {
    /// A driver for `cluster` over the RPC link, keeping its secrets in `vault` and
    /// publishing the serving share on `serving`; it polls every `poll` and reports itself
    /// stuck after a step has failed for `stuck_after`.
    pub fn new(link: Link, cluster: Address, vault: Vault, serving: watch::Sender<Option<Arc<Serving>>>, poll: Duration, stuck_after: Duration) -> Driver {
        Driver::over(link.clone(), link, cluster, vault, serving, poll, stuck_after)
    }
}

impl<C: Chain> Driver<C> {
    /// A driver reading and writing through `chain` (the link still provides the authority,
    /// metrics and shutdown signal).
    pub fn over(
        chain: C,
        link: Link,
        cluster: Address,
        vault: Vault,
        serving: watch::Sender<Option<Arc<Serving>>>,
        poll: Duration,
        stuck_after: Duration,
    ) -> Driver<C> {
        Driver {
            link,
            chain,
            cluster,
            vault,
            serving,
            poll,
            stuck_after,
            opened: Opened::default(),
            rejected: None,
            seen: (0, 0),
            failing_since: None,
            last: String::new(),
            #[cfg(feature = "fault-injection")]
            fault: crate::fault::Fault::default(),
        }
    }

    /// Sets the test-only misbehaviour.
    #[cfg(feature = "fault-injection")]
    pub fn with_fault(mut self, fault: crate::fault::Fault) -> Driver<C> {
        self.fault = fault;
        self
    }

    /// Runs until shutdown (`Ok`) or a [`Fatal`] error.
    pub async fn run(mut self) -> Result<()> {
        loop {
            if self.link.stopping() {
                return Ok(());
            }
            let outcome = self.tick().await;
            let pause = match outcome {
                Ok(outcome) => {
                    self.failing_since = None;
                    let pause = match &outcome {
                        Outcome::Acted => Duration::ZERO,
                        Outcome::Wait(_) => self.poll,
                        Outcome::Idle => self.poll * 2,
                        Outcome::Stuck(_) => self.poll * 5,
                    };
                    self.report(outcome);
                    pause
                }
                Err(error) if error.is::<ShuttingDown>() || self.link.stopping() => return Ok(()),
                Err(error) if error.is::<Fatal>() => return Err(error),
                Err(error) => {
                    // a refusal the step did not expect (transient failures were counted as
                    // they were retried)
                    if error.downcast_ref::<medshare_client::rpc::TxError>().is_some_and(|e| !e.is_transient()) {
                        self.link.metrics.errors.inc();
                    }
                    let since = *self.failing_since.get_or_insert_with(Instant::now);
                    tracing::warn!(error = format!("{error:#}"), failing_for = ?since.elapsed(), "ceremony step failed; retrying");
                    if since.elapsed() >= self.stuck_after {
                        self.link.metrics.set_ceremony_stuck(Some(format!("a ceremony step has failed for {}s: {error:#}", since.elapsed().as_secs())));
                    }
                    self.poll
                }
            };
            if !pause.is_zero() && self.link.sleep(pause).await.is_err() {
                return Ok(());
            }
        }
    }

    /// Logs what changed and sets the health report.
    fn report(&mut self, outcome: Outcome) {
        let (stuck, text) = match &outcome {
            Outcome::Stuck(why) => (Some(why.clone()), format!("stuck: {why}")),
            Outcome::Wait(why) => (None, format!("waiting for {why}")),
            Outcome::Idle => (None, "idle".to_owned()),
            Outcome::Acted => (None, String::new()),
        };
        self.link.metrics.set_ceremony_stuck(stuck.clone());
        if !text.is_empty() && text != self.last {
            match stuck {
                Some(_) => tracing::warn!("ceremony: {text}"),
                None => tracing::info!("ceremony: {text}"),
            }
            self.last = text;
        }
    }

    /// One read–decide–act round.
    async fn tick(&mut self) -> Result<Outcome> {
        let me = self.link.authority_address();
        let cluster = self.chain.cluster(&self.cluster).await?;
        let Some(member) = cluster.member(&me).cloned() else {
            return Err(Fatal(format!("authority {me} is not a member of cluster {}: ask the admin to invite it (medshare cluster invite)", self.cluster))
                .exit(crate::exit::ExitKind::Config));
        };
        self.link.metrics.set_member_status(member.status);
        if member.status == MemberStatus::Removed {
            return Err(
                Fatal(format!("the admin removed this node (member {}) from cluster {}", member.index, self.cluster)).exit(crate::exit::ExitKind::Config)
            );
        }
        self.link.metrics.set_index(member.index);
        if cluster.epoch < self.seen.0 || cluster.ceremony_epoch < self.seen.1 {
            return Ok(Outcome::Wait("a fresher read of the cluster (the RPC node is behind)".into()));
        }
        self.seen = (cluster.epoch, cluster.ceremony_epoch);
        let latest = cluster.ceremony_epoch;
        let ceremony = match latest {
            0 => None,
            epoch => match self.chain.ceremony(&self.cluster, epoch).await? {
                Some(ceremony) => Some(ceremony),
                None => return Ok(Outcome::Wait(format!("ceremony {epoch}'s account (the RPC node is behind)"))),
            },
        };
        let slot = self.chain.slot().await?;
        let dealing_open = ceremony.as_ref().is_some_and(|c| c.phase == accounts::CeremonyPhase::Dealing && c.is_dealer(member.index));
        let my_dealing = if dealing_open { self.chain.dealing(&self.cluster, latest, member.index).await? } else { None };
        let chain = chain_view(&cluster, &member, ceremony.as_ref(), my_dealing.as_ref(), slot);
        self.link.metrics.set_ceremony(latest, ceremony.as_ref().map(|c| c.phase));

        self.housekeeping(&cluster, &chain)?;
        self.publish_serving(&cluster, &member);

        let Some(ceremony) = ceremony else {
            return self.act(&cluster, &member, None, None, decide::decide(&chain, &self.local(&chain, 0))).await;
        };
        if self.opened.epoch != latest {
            self.opened = Opened { epoch: latest, ..Opened::default() };
        }
        let to_open = decide::dealers_to_open(&chain) & !(self.opened.good | self.opened.bad);
        for dealer in accounts::indices(to_open) {
            if let Some(stuck) = self.open(&ceremony, member.index, dealer).await? {
                return Ok(stuck);
            }
        }
        let step = decide::decide(&chain, &self.local(&chain, ceremony.qualified));
        if let Some(stuck) = overdue(&chain, &ceremony, self.stuck_after) {
            // still take the step (an advance, maybe), but say so
            let outcome = self.act(&cluster, &member, Some(&ceremony), my_dealing.as_ref(), step).await?;
            return Ok(if outcome == Outcome::Acted { outcome } else { Outcome::Stuck(stuck) });
        }
        self.act(&cluster, &member, Some(&ceremony), my_dealing.as_ref(), step).await
    }

    fn local(&self, chain: &ChainView, qualified: u16) -> LocalView {
        let epoch = chain.ceremony.as_ref().map_or(0, |c| c.epoch);
        let secrets = &self.vault.secrets;
        LocalView {
            transport: secrets.transport().map(|t| t.public_key()).unwrap_or_default(),
            pending: secrets.pending_transport().ok().flatten().map(|t| t.public_key()),
            complained: secrets.complained(&self.cluster, epoch),
            bad: if self.opened.epoch == epoch { self.opened.bad } else { 0 },
            confirmation_rejected: self.rejected == Some((epoch, qualified)),
        }
    }

    fn context(&self, epoch: u64) -> CeremonyContext {
        CeremonyContext { program_id: PROGRAM_ID.to_bytes(), cluster: self.cluster.to_bytes(), epoch }
    }

    /// Erases the dealing once the chain holds it, and the shares and ceremony state that
    /// are over (saving the vault if anything went).
    fn housekeeping(&mut self, cluster: &Cluster, chain: &ChainView) -> Result<()> {
        let latest = cluster.ceremony_epoch;
        let phase = chain.ceremony.as_ref().map(|c| c.phase);
        let secrets = &mut self.vault.secrets;
        let mut changed = false;
        if !decide::keeps_dealing(chain) && secrets.erase_dealing(&self.cluster, latest) {
            tracing::info!(epoch = latest, "this node's dealing is complete on chain (or dealing closed): erased from the vault");
            changed = true;
        }
        let (shares, ceremonies) = secrets.retain(&self.cluster, latest, |epoch| decide::share_is_dead(epoch, cluster.epoch, latest, phase));
        if !shares.is_empty() {
            tracing::info!(epochs = ?shares, serving_epoch = cluster.epoch, "erased the shares of epochs that no longer serve");
        }
        if !(shares.is_empty() && ceremonies.is_empty()) {
            changed = true;
        }
        if changed {
            self.vault.save()?;
        }
        Ok(())
    }

    /// Publishes the share the server answers with (or none, and why).
    fn publish_serving(&mut self, cluster: &Cluster, member: &accounts::Member) {
        let serving = match self.serving_share(cluster, member) {
            Ok(serving) => Some(Arc::new(serving)),
            Err(why) => {
                self.link.metrics.set_serving(false, &why);
                None
            }
        };
        if let Some(serving) = &serving {
            self.link.metrics.set_serving(true, "");
            self.link.metrics.epoch.set(serving.epoch as i64);
        }
        self.serving.send_if_modified(|current| {
            let same = match (current.as_ref(), serving.as_ref()) {
                (Some(a), Some(b)) => a.epoch == b.epoch && a.index == b.index && a.key_epoch == b.key_epoch && a.share_point == b.share_point,
                (None, None) => true,
                _ => false,
            };
            if !same {
                match &serving {
                    Some(s) => tracing::info!(epoch = s.epoch, index = s.index, verification_share = %hex::encode(s.share_point), "serving share requests with this epoch's share"),
                    None => tracing::info!(why = self.link.metrics.serving_reason(), "not serving share requests"),
                }
                *current = serving.clone();
            }
            !same
        });
    }

    fn serving_share(&self, cluster: &Cluster, member: &accounts::Member) -> Result<Serving, String> {
        if !cluster.is_active() {
            return Err(format!("the cluster has no active key (status {})", cluster.status_name()));
        }
        if member.status != MemberStatus::Active {
            return Err(format!("this node is {}", member.status));
        }
        if !member.holds_share() {
            return Err(format!("this node holds no share of the serving epoch {} on chain", cluster.epoch));
        }
        let held =
            self.vault.secrets.share(&self.cluster, cluster.epoch).ok_or_else(|| format!("the vault holds no share of the serving epoch {}", cluster.epoch))?;
        let share = held.key_share().map_err(|e| format!("the vault's share of epoch {}: {e}", cluster.epoch))?;
        let cluster_key = held.cluster_key().map_err(|e| e.to_string())?;
        let share_point = share.verification_share().to_bytes();
        if share_point != member.verification_share || cluster_key != cluster.public_key || share.index() != u16::from(member.index) {
            return Err(format!("the vault's share of epoch {} does not match S_{} and PK on chain", cluster.epoch, member.index));
        }
        Ok(Serving { epoch: cluster.epoch, key_epoch: cluster.key_epoch, index: member.index, share, share_point, cluster_key })
    }

    /// Fetches dealer `dealer`'s dealing and opens this node's sub-share of it.
    async fn open(&mut self, ceremony: &accounts::Ceremony, index: u8, dealer: u8) -> Result<Option<Outcome>> {
        let Some(bytes) = self.dealing_bytes(ceremony, dealer).await? else { return Ok(None) };
        let Some(key) = ceremony.transport_key(index) else { return Ok(None) };
        let Some(transport) = self.vault.secrets.transport_for(&key)? else {
            return Ok(Some(Outcome::Stuck(format!("the vault holds no transport key {} that ceremony {} encrypted to", hex::encode(key), ceremony.epoch))));
        };
        let view = DealingView::parse(&bytes, ceremony.threshold)?;
        match dkg::open_sub_share(&self.context(ceremony.epoch), u16::from(dealer), u16::from(index), &transport, &view) {
            Ok(_) => self.opened.good |= bit(dealer),
            Err(error) => {
                tracing::warn!(epoch = ceremony.epoch, dealer, %error, "the sub-share this node was dealt does not open");
                self.opened.bad |= bit(dealer);
            }
        }
        Ok(None)
    }

    /// Dealer `dealer`'s complete dealing in the latest ceremony (cached), or `None` if the
    /// chain does not hold all of it.
    async fn dealing_bytes(&mut self, ceremony: &accounts::Ceremony, dealer: u8) -> Result<Option<Vec<u8>>> {
        if let Some(bytes) = self.opened.dealings.get(&dealer) {
            return Ok(Some(bytes.clone()));
        }
        let Some(account) = self.chain.dealing(&self.cluster, ceremony.epoch, dealer).await? else { return Ok(None) };
        let Some(bytes) = account.complete() else { return Ok(None) };
        if bytes.len() != ceremony.dealing_len() {
            bail!("dealer {dealer}'s dealing is {} bytes, not {}", bytes.len(), ceremony.dealing_len());
        }
        self.opened.dealings.insert(dealer, bytes.to_vec());
        Ok(Some(bytes.to_vec()))
    }

    async fn act(
        &mut self,
        cluster: &Cluster,
        member: &accounts::Member,
        ceremony: Option<&accounts::Ceremony>,
        my_dealing: Option<&accounts::Dealing>,
        step: Step,
    ) -> Result<Outcome> {
        let needs = || ceremony.context("this step needs the ceremony");
        match step {
            Step::Idle => Ok(Outcome::Idle),
            Step::Wait(why) => Ok(Outcome::Wait(why.into())),
            Step::Stuck(why) => Ok(Outcome::Stuck(why)),
            Step::AcceptInvitation => self.accept_invitation(member).await,
            Step::PromoteTransport => {
                self.vault.secrets.promote_pending();
                self.vault.save()?;
                tracing::info!(transport_key = %hex::encode(member.transport_key), "transport key rotated: the new key is current, the old one is erased");
                Ok(Outcome::Acted)
            }
            Step::Rotate => self.rotate(member, ceremony.map_or(0, |c| c.epoch)).await,
            Step::Deal { offset } => self.deal(cluster, member, needs()?, my_dealing, offset).await,
            Step::Complain { dealer } => self.complain(member, needs()?, dealer).await,
            Step::Fold { dealer } => self.fold(needs()?, dealer).await,
            Step::Confirm { late } => self.confirm(cluster, member, needs()?, late).await,
            Step::Advance => self.advance(needs()?).await,
        }
    }

    async fn accept_invitation(&mut self, member: &accounts::Member) -> Result<Outcome> {
        let transport = self.vault.secrets.transport()?;
        let proof =
            transport.prove_possession(&mut rand::rngs::OsRng, &PROGRAM_ID.to_bytes(), &self.cluster.to_bytes(), &self.link.authority_address().to_bytes());
        let instruction = ix::accept_invitation(&self.link.authority_address(), &self.cluster, transport.public_key(), proof);
        match self.chain.send("accept_invitation", &[instruction]).await {
            Ok(signature) => {
                tracing::info!(index = member.index, transport_key = %hex::encode(transport.public_key()), %signature, "accepted the cluster's invitation: this node is an active member");
                Ok(Outcome::Acted)
            }
            Err(error) => match error.program_error() {
                Some("NotInvited") => Ok(Outcome::Wait("the invitation to show as accepted".into())),
                Some(name @ ("DuplicateTransportKey" | "InvalidTransportKey" | "InvalidTransportKeyProof")) => {
                    Err(Fatal(format!("the cluster refused this vault's transport key ({name}): make a new vault with `mpc-node init`"))
                        .exit(crate::exit::ExitKind::Vault))
                }
                _ => Err(error.into()),
            },
        }
    }

    async fn rotate(&mut self, member: &accounts::Member, epoch: u64) -> Result<Outcome> {
        let fresh = self.vault.secrets.pending_transport()?.is_none();
        let secret = self.vault.secrets.begin_rotation()?;
        if fresh {
            // on disk before it can be on chain
            self.vault.save()?;
        }
        let proof =
            secret.prove_possession(&mut rand::rngs::OsRng, &PROGRAM_ID.to_bytes(), &self.cluster.to_bytes(), &self.link.authority_address().to_bytes());
        let instruction = ix::rotate_transport_key(&self.link.authority_address(), &self.cluster, secret.public_key(), proof);
        match self.chain.send("rotate_transport_key", &[instruction]).await {
            Ok(signature) => {
                self.link.metrics.transport_rotations.inc();
                tracing::info!(index = member.index, after_ceremony = epoch, transport_key = %hex::encode(secret.public_key()), %signature, "rotated the transport key on chain");
                Ok(Outcome::Acted)
            }
            Err(error) => match error.program_error() {
                Some(name) => Ok(Outcome::Stuck(format!("the program refused the transport key rotation: {name}"))),
                None => Err(error.into()),
            },
        }
    }

    async fn deal(
        &mut self,
        cluster: &Cluster,
        member: &accounts::Member,
        ceremony: &accounts::Ceremony,
        account: Option<&accounts::Dealing>,
        offset: u16,
    ) -> Result<Outcome> {
        let epoch = ceremony.epoch;
        let len = ceremony.dealing_len();
        let bytes = match self.vault.secrets.dealing(&self.cluster, epoch)? {
            Some(bytes) if bytes.len() == len => bytes,
            Some(bytes) => bail!("the vault's dealing of ceremony {epoch} is {} bytes, not {len}", bytes.len()),
            None if offset != 0 => {
                return Ok(Outcome::Stuck(format!(
                    "the chain holds {offset} bytes of this node's dealing in ceremony {epoch} but the vault lost them: it cannot finish this dealing"
                )));
            }
            None => {
                if self.skip_dealing() {
                    return Ok(Outcome::Wait("nothing: fault injection withholds this node's dealing".into()));
                }
                let reshared = match ceremony.kind {
                    CeremonyKind::KeyGeneration => None,
                    CeremonyKind::Resharing => {
                        let Some(held) = self.vault.secrets.share(&self.cluster, cluster.epoch) else {
                            return Ok(Outcome::Stuck(format!(
                                "a resharing needs this node's share of epoch {}, which the vault does not hold",
                                cluster.epoch
                            )));
                        };
                        let share = held.key_share()?;
                        if share.verification_share().to_bytes() != member.verification_share {
                            return Ok(Outcome::Stuck(format!(
                                "the vault's share of epoch {} is not S_{} on chain: a dealing of it would be rejected",
                                cluster.epoch, member.index
                            )));
                        }
                        Some(share)
                    }
                };
                #[allow(unused_mut)]
                let mut bytes = dkg::deal(
                    &mut rand::rngs::OsRng,
                    &self.context(epoch),
                    u16::from(member.index),
                    ceremony.threshold,
                    &ceremony.receiver_keys(),
                    reshared.as_ref(),
                )?;
                #[cfg(feature = "fault-injection")]
                self.fault.tamper_dealing(ceremony.threshold, ceremony.receivers, &mut bytes);
                self.vault.secrets.set_dealing(&self.cluster, epoch, &bytes);
                self.vault.save()?;
                tracing::info!(
                    epoch,
                    index = member.index,
                    kind = ceremony.kind.name(),
                    threshold = ceremony.threshold,
                    "dealing computed and saved in the vault"
                );
                bytes
            }
        };
        let written = usize::from(offset).min(len);
        if let Some(account) = account
            && account.bytes[..] != bytes[..written.min(account.bytes.len())]
        {
            return Ok(Outcome::Stuck(format!("the chain holds another dealing of this node in ceremony {epoch} than the vault: it cannot finish it")));
        }
        let end = (written + ix::DEALING_CHUNK).min(len);
        let instruction = ix::post_dealing(&self.link.authority_address(), &self.cluster, epoch, member.index, offset, &bytes[written..end]);
        let transaction = if end == len { ix::with_compute_unit_limit(instruction) } else { vec![instruction] };
        match self.chain.send("post_dealing", &transaction).await {
            Ok(signature) => {
                self.link.metrics.dealing_chunks_posted.inc();
                tracing::info!(epoch, index = member.index, from = written, to = end, of = len, %signature, "posted a chunk of this node's dealing");
                Ok(Outcome::Acted)
            }
            Err(error) => match error.program_error() {
                Some(name @ ("ChunkOutOfOrder" | "DeadlinePassed" | "WrongCeremonyPhase" | "WrongEpoch")) => {
                    Ok(Outcome::Wait(format!("a fresh read after {name}")))
                }
                _ => Err(error.into()),
            },
        }
    }

    async fn complain(&mut self, member: &accounts::Member, ceremony: &accounts::Ceremony, dealer: u8) -> Result<Outcome> {
        let epoch = ceremony.epoch;
        let bytes = self.dealing_bytes(ceremony, dealer).await?.with_context(|| format!("dealer {dealer}'s dealing is not complete"))?;
        let key = ceremony.transport_key(member.index).context("not a receiver")?;
        let transport = self.vault.secrets.transport_for(&key)?.context("no transport key for this ceremony")?;
        let view = DealingView::parse(&bytes, ceremony.threshold)?;
        let complaint = dkg::complain(&mut rand::rngs::OsRng, &self.context(epoch), u16::from(dealer), u16::from(member.index), &transport, &view)?;
        let transaction = ix::complain_transaction(&self.link.authority_address(), &self.cluster, epoch, dealer, complaint);
        let outcome = match self.chain.send("complain", &transaction).await {
            Ok(signature) => {
                self.link.metrics.complaints_sent.inc();
                tracing::warn!(epoch, dealer, index = member.index, %signature, "complained against a dealer whose sub-share to this node does not open");
                Outcome::Acted
            }
            Err(error) => match error.program_error() {
                Some(name @ ("WrongEpoch" | "WrongCeremonyPhase")) => return Ok(Outcome::Wait(format!("a fresh read after {name}"))),
                Some("DealerDisqualified") => Outcome::Acted,
                Some(name) => {
                    tracing::error!(epoch, dealer, name, "the program refused this node's complaint; it will not complain again");
                    Outcome::Acted
                }
                None => return Err(error.into()),
            },
        };
        self.vault.secrets.add_complaint(&self.cluster, epoch, dealer);
        self.vault.save()?;
        Ok(outcome)
    }

    async fn fold(&mut self, ceremony: &accounts::Ceremony, dealer: u8) -> Result<Outcome> {
        match self.chain.send("fold_dealing", &ix::fold_dealing_transaction(&self.cluster, ceremony.epoch, dealer)).await {
            Ok(signature) => {
                self.link.metrics.folds_sent.inc();
                tracing::info!(epoch = ceremony.epoch, dealer, %signature, "folded a qualified dealing into the ceremony");
                Ok(Outcome::Acted)
            }
            Err(error) => match error.program_error() {
                // another member folded it first: an ordinary race
                Some("AlreadyFolded") => {
                    self.link.metrics.race(crate::metrics::Race::AlreadyFolded);
                    Ok(Outcome::Wait("a fresh read after AlreadyFolded (another member folded it first)".into()))
                }
                // Q changed, or the ceremony moved on
                Some(name @ ("DealingsNotFolded" | "NotADealer" | "WrongCeremonyPhase" | "WrongEpoch")) => {
                    Ok(Outcome::Wait(format!("a fresh read after {name}")))
                }
                _ => Err(error.into()),
            },
        }
    }

    async fn confirm(&mut self, cluster: &Cluster, member: &accounts::Member, ceremony: &accounts::Ceremony, late: bool) -> Result<Outcome> {
        let epoch = ceremony.epoch;
        if self.withholds_confirmation(epoch) {
            return Ok(Outcome::Wait("nothing: fault injection withholds this node's confirmation".into()));
        }
        let dealers = ceremony.qualified_dealers();
        let mut all = Vec::with_capacity(dealers.len());
        for &dealer in &dealers {
            let bytes = self.dealing_bytes(ceremony, dealer).await?.with_context(|| format!("qualified dealer {dealer}'s dealing is not complete"))?;
            all.push((dealer, bytes));
        }
        let views = all.iter().map(|(dealer, bytes)| Ok((u16::from(*dealer), DealingView::parse(bytes, ceremony.threshold)?))).collect::<Result<Vec<_>>>()?;
        let key = ceremony.transport_key(member.index).context("not a receiver")?;
        let transport = self.vault.secrets.transport_for(&key)?.context("no transport key for this ceremony")?;
        let resharing = ceremony.is_resharing();
        let finished = match dkg::finish(&mut rand::rngs::OsRng, &self.context(epoch), u16::from(member.index), &transport, &views, resharing) {
            Ok(finished) => finished,
            Err(CryptoError::BadDealing { dealer }) => {
                self.opened.bad |= bit(dealer as u8);
                return Ok(Outcome::Acted);
            }
            Err(error) => return Err(error.into()),
        };
        let cluster_key = if resharing { self.resharing_key(cluster) } else { dkg::group_key(&views)?.to_bytes() };
        if !resharing && ceremony.folded == ceremony.qualified && cluster_key != ceremony.aggregate[0] {
            tracing::warn!(epoch, "PK from the qualified dealings differs from the ceremony's folded aggregate on chain");
        }
        let share_point = finished.share.verification_share().to_bytes();
        let stored = self.vault.secrets.share(&self.cluster, epoch).map(|s| s.verification_share().ok());
        if stored != Some(Some(share_point)) {
            // in the vault before the chain can count on it
            self.vault.secrets.insert_share(&self.cluster, epoch, EpochShare::new(&finished.share, cluster_key));
            self.vault.save()?;
            tracing::info!(epoch, index = member.index, verification_share = %hex::encode(share_point), "new share stored in the vault");
        }
        #[allow(unused_mut)]
        let mut proof = finished.proof;
        #[cfg(feature = "fault-injection")]
        self.fault.tamper_confirmation(epoch, &mut proof);
        let instruction = ix::confirm_ceremony(&self.link.authority_address(), &self.cluster, epoch, share_point, proof);
        match self.chain.send("confirm_ceremony", &[instruction]).await {
            Ok(signature) => {
                let after = self.chain.ceremony(&self.cluster, epoch).await?;
                if after.as_ref().is_some_and(|c| c.has_confirmed(member.index)) {
                    self.link.metrics.confirmations_sent.inc();
                    tracing::info!(epoch, index = member.index, late, %signature, "confirmed this node's new share");
                } else if after.as_ref().is_some_and(|c| c.qualified == ceremony.qualified) {
                    tracing::error!(epoch, index = member.index, %signature, "the program rejected this node's confirmation");
                    self.rejected = Some((epoch, ceremony.qualified));
                }
                Ok(Outcome::Acted)
            }
            Err(error) => match error.program_error() {
                Some("AlreadyConfirmed") => Ok(Outcome::Acted),
                Some(name @ ("DealingsNotFolded" | "WrongEpoch" | "WrongCeremonyPhase")) => Ok(Outcome::Wait(format!("a fresh read after {name}"))),
                _ => Err(error.into()),
            },
        }
    }

    /// `PK` of a resharing: the one the vault's serving share belongs to (what this node
    /// already trusts), else the chain's (a new member).
    fn resharing_key(&self, cluster: &Cluster) -> [u8; 32] {
        match self.vault.secrets.share(&self.cluster, cluster.epoch).and_then(|held| held.cluster_key().ok()) {
            Some(key) => {
                if key != cluster.public_key {
                    tracing::warn!("the cluster's PK on chain differs from the one this node's share belongs to; keeping the vault's");
                }
                key
            }
            None => cluster.public_key,
        }
    }

    async fn advance(&mut self, ceremony: &accounts::Ceremony) -> Result<Outcome> {
        match self.chain.send("advance_ceremony", &[ix::advance_ceremony(&self.cluster, ceremony.epoch)]).await {
            Ok(signature) => {
                self.link.metrics.advances_sent.inc();
                tracing::info!(epoch = ceremony.epoch, phase = ceremony.phase.name(), %signature, "advanced the ceremony past its deadline");
                Ok(Outcome::Acted)
            }
            Err(error) => match error.program_error() {
                Some(name @ ("NothingToAdvance" | "WrongEpoch" | "WrongCeremonyPhase")) => {
                    Ok(Outcome::Wait(format!("a fresh read after {name} (another node advanced)")))
                }
                _ => Err(error.into()),
            },
        }
    }

    fn skip_dealing(&self) -> bool {
        #[cfg(feature = "fault-injection")]
        if self.fault.skip_dealing {
            tracing::warn!("fault injection: not dealing");
            return true;
        }
        false
    }

    fn withholds_confirmation(&self, _epoch: u64) -> bool {
        #[cfg(feature = "fault-injection")]
        if self.fault.withholds_confirmation(_epoch) {
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests;

/// The ceremony this node takes part in is past a deadline by more than `bound` (in slots of
/// 400 ms) and nobody has advanced it: `Some(why)`.
fn overdue(chain: &ChainView, ceremony: &accounts::Ceremony, bound: Duration) -> Option<String> {
    let me = bit(chain.index);
    if (ceremony.dealers | ceremony.receivers) & me == 0 {
        return None;
    }
    let grace = bound.as_millis() as u64 / 400;
    let deadline = match ceremony.phase {
        accounts::CeremonyPhase::Dealing => ceremony.deal_deadline,
        accounts::CeremonyPhase::Confirming => ceremony.confirm_deadline,
        _ => return None,
    };
    (chain.slot > deadline.saturating_add(grace))
        .then(|| format!("ceremony {} is {} slots past its {} deadline and not advanced", ceremony.epoch, chain.slot - deadline, ceremony.phase.name()))
}

/// What [`decide::decide`] needs from the accounts.
fn chain_view(
    cluster: &Cluster,
    member: &accounts::Member,
    ceremony: Option<&accounts::Ceremony>,
    my_dealing: Option<&accounts::Dealing>,
    slot: u64,
) -> ChainView {
    ChainView {
        index: member.index,
        status: member.status,
        transport_key: member.transport_key,
        serving_epoch: cluster.epoch,
        slot,
        ceremony: ceremony.map(|c| CeremonyView {
            epoch: c.epoch,
            phase: c.phase,
            resharing: c.is_resharing(),
            deal_deadline: c.deal_deadline,
            confirm_deadline: c.confirm_deadline,
            dealers: c.dealers,
            receivers: c.receivers,
            dealt: c.dealt,
            disqualified: c.disqualified,
            qualified: c.qualified,
            confirmed: c.confirmed,
            folded: c.folded,
            my_transport_key: c.transport_key(member.index),
        }),
        my_dealing: my_dealing.filter(|d| d.dealer == member.index).map(|d| (d.written, d.len)),
    }
}
