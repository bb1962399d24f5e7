//! Real drivers, real cryptography and real vault files against a simulated program (the
//! state transitions of `programs/medical-records` with the same `encrypted_circuits`
//! checks), killed at every point that matters: a "crash" makes the transaction fail
//! before it is applied, or after (the node never hears it landed), then the node is
//! dropped and restarted from its vault file alone, as after a SIGKILL.

use super::*;
use encrypted_circuits::ceremony::{
    ComplaintVerdict, fold_dealing, judge_complaint, share_weights, verify_dealing, verify_folded_confirmation, verify_transport_key,
};
use medshare_client::{
    accounts::{CeremonyPhase, Member, indices},
    discriminator,
    rpc::TxError,
};
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use std::sync::Mutex;

const PASSPHRASE: &str = "test-only vault passphrase";

fn refuse(name: &'static str) -> TxError {
    TxError::Program { code: 0, name, message: "", logs: Vec::new() }
}

/// The program's ceremony state, as the client decodes it.
#[derive(Clone)]
struct Program {
    address: Address,
    cluster: Cluster,
    ceremonies: BTreeMap<u64, accounts::Ceremony>,
    dealings: BTreeMap<(u64, u8), accounts::Dealing>,
    slot: u64,
    events: Vec<String>,
}

struct Args<'a>(&'a [u8]);

impl Args<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        head.try_into().unwrap()
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    fn vec(&mut self) -> Vec<u8> {
        let len = u32::from_le_bytes(self.take()) as usize;
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        head.to_vec()
    }
}

impl Program {
    fn new() -> Program {
        let address = Address::new_from_array([42; 32]);
        let cluster = Cluster {
            admin: Address::new_from_array([1; 32]),
            cluster_id: 0,
            epoch: 0,
            key_epoch: 0,
            ceremony_epoch: 0,
            public_key: [0; 32],
            threshold: 0,
            size: 0,
            status: Cluster::REGISTERING,
            bump: 0,
            members: Vec::new(),
        };
        Program { address, cluster, ceremonies: BTreeMap::new(), dealings: BTreeMap::new(), slot: 1, events: Vec::new() }
    }

    fn context(&self, epoch: u64) -> CeremonyContext {
        CeremonyContext { program_id: PROGRAM_ID.to_bytes(), cluster: self.address.to_bytes(), epoch }
    }

    fn member_mut(&mut self, index: u8) -> &mut Member {
        self.cluster.members.iter_mut().find(|m| m.index == index).unwrap()
    }

    fn fault(&mut self, index: u8) {
        self.member_mut(index).faults += 1;
    }

    fn invite(&mut self, authority: Address) -> u8 {
        let index = (1..=16).find(|i| self.cluster.member_at(*i).is_none()).unwrap();
        self.cluster.members.push(Member { authority, transport_key: [0; 32], verification_share: [0; 32], faults: 0, index, status: MemberStatus::Invited });
        self.cluster.members.sort_by_key(|m| m.index);
        index
    }

    /// `start_epoch` / `reshare` for every active member.
    fn start(&mut self, kind: CeremonyKind, threshold: u8, window: u64) -> u64 {
        let members = self.cluster.members_with(MemberStatus::Active);
        self.start_for(kind, threshold, window, members)
    }

    /// `start_epoch` / `reshare` for `members`.
    fn start_for(&mut self, kind: CeremonyKind, threshold: u8, window: u64, members: u16) -> u64 {
        let epoch = self.cluster.ceremony_epoch + 1;
        assert_eq!(members & !self.cluster.members_with(MemberStatus::Active), 0);
        let receivers = members;
        assert!(threshold >= 2 && u32::from(threshold) <= receivers.count_ones());
        let dealers = match kind {
            CeremonyKind::KeyGeneration => receivers,
            CeremonyKind::Resharing => self.cluster.serving_holders(),
        };
        let mut transport_keys = [[0; 32]; 16];
        for j in indices(receivers) {
            transport_keys[usize::from(j - 1)] = self.cluster.member_at(j).unwrap().transport_key;
        }
        let ceremony = accounts::Ceremony {
            cluster: self.address,
            epoch,
            deal_deadline: self.slot + window,
            confirm_deadline: self.slot + 2 * window,
            kind,
            phase: CeremonyPhase::Dealing,
            threshold,
            old_threshold: self.cluster.threshold,
            bump: 0,
            dealers,
            receivers,
            dealt: 0,
            disqualified: 0,
            qualified: 0,
            confirmed: 0,
            folded: 0,
            aggregate: [[0; 32]; 16],
            transport_keys,
            verification_shares: [[0; 32]; 16],
        };
        self.ceremonies.insert(epoch, ceremony);
        self.cluster.ceremony_epoch = epoch;
        if kind == CeremonyKind::KeyGeneration {
            self.cluster.status = Cluster::CEREMONY;
            self.cluster.public_key = [0; 32];
        }
        self.events.push(format!("CeremonyStarted {epoch}"));
        epoch
    }

    fn ceremony(&self) -> &accounts::Ceremony {
        &self.ceremonies[&self.cluster.ceremony_epoch]
    }

    fn close_dealing(&mut self, epoch: u64) {
        let c = self.ceremonies.get_mut(&epoch).unwrap();
        c.qualified = c.dealt & !c.disqualified;
        c.phase = CeremonyPhase::Confirming;
        self.events.push(format!("DealingClosed {epoch} q={:b} absent={:b}", c.qualified, c.undealt()));
        if c.qualified.count_ones() < u32::from(c.fewest_qualified()) {
            self.fail(epoch);
        }
    }

    fn disqualify(&mut self, epoch: u64, dealer: u8) {
        let c = self.ceremonies.get_mut(&epoch).unwrap();
        c.disqualified |= bit(dealer);
        if c.phase == CeremonyPhase::Confirming {
            c.qualified &= !bit(dealer);
            c.folded = 0;
            c.aggregate = [[0; 32]; 16];
            c.confirmed = 0;
            c.verification_shares = [[0; 32]; 16];
            if c.qualified.count_ones() < u32::from(c.fewest_qualified()) {
                self.fail(epoch);
            }
        }
    }

    fn fail(&mut self, epoch: u64) {
        self.ceremonies.get_mut(&epoch).unwrap().phase = CeremonyPhase::Failed;
        self.events.push(format!("CeremonyFailed {epoch}"));
    }

    fn activate(&mut self, epoch: u64) {
        let c = self.ceremonies.get_mut(&epoch).unwrap();
        c.phase = CeremonyPhase::Done;
        let c = c.clone();
        let mut size = 0;
        for member in &mut self.cluster.members {
            let keeps = c.has_confirmed(member.index) && matches!(member.status, MemberStatus::Active | MemberStatus::Suspended);
            member.verification_share = if keeps { c.verification_shares[usize::from(member.index - 1)] } else { [0; 32] };
            size += u8::from(keeps);
        }
        self.cluster.epoch = epoch;
        self.cluster.threshold = c.threshold;
        self.cluster.size = size;
        if c.kind == CeremonyKind::KeyGeneration {
            self.cluster.public_key = c.aggregate[0];
            self.cluster.key_epoch = epoch;
        }
        self.cluster.status = Cluster::ACTIVE;
        self.events.push(format!("ClusterActivated {epoch} holders={:b}", c.confirmed));
    }

    fn signer_member(&self, signer: &Address) -> Result<Member, TxError> {
        self.cluster.member(signer).cloned().ok_or(refuse("NotAMember"))
    }

    fn execute(&mut self, signer: &Address, instruction: &Instruction) -> Result<(), TxError> {
        let (tag, data) = instruction.data.split_at(8);
        let name = ["accept_invitation", "rotate_transport_key", "post_dealing", "complain", "fold_dealing", "confirm_ceremony", "advance_ceremony"]
            .into_iter()
            .find(|name| discriminator("global", name) == tag)
            .expect("an instruction the simulation knows");
        let mut args = Args(data);
        match name {
            "accept_invitation" | "rotate_transport_key" => {
                let (key, proof) = (args.take::<32>(), args.take::<64>());
                let member = self.signer_member(signer)?;
                let allowed = match name {
                    "accept_invitation" => member.status == MemberStatus::Invited,
                    _ => matches!(member.status, MemberStatus::Active | MemberStatus::Suspended),
                };
                if !allowed {
                    return Err(refuse(if name == "accept_invitation" { "NotInvited" } else { "WrongMemberStatus" }));
                }
                if self.cluster.members.iter().any(|m| m.authority != *signer && m.transport_key == key) {
                    return Err(refuse("DuplicateTransportKey"));
                }
                verify_transport_key(&PROGRAM_ID.to_bytes(), &self.address.to_bytes(), &signer.to_bytes(), &key, &proof)
                    .map_err(|_| refuse("InvalidTransportKeyProof"))?;
                let index = member.index;
                let member = self.member_mut(index);
                member.transport_key = key;
                member.status = MemberStatus::Active;
                self.events.push(format!("{name} {index}"));
            }
            "post_dealing" => {
                let (epoch, dealer, offset, chunk) = (args.u64(), args.u8(), args.u16(), args.vec());
                let member = self.signer_member(signer)?;
                if member.index != dealer {
                    return Err(refuse("NotAMember"));
                }
                let c = self.ceremonies.get(&epoch).ok_or(refuse("WrongEpoch"))?.clone();
                if self.cluster.ceremony_epoch != epoch {
                    return Err(refuse("WrongEpoch"));
                }
                if c.phase != CeremonyPhase::Dealing {
                    return Err(refuse("WrongCeremonyPhase"));
                }
                if self.slot > c.deal_deadline {
                    return Err(refuse("DeadlinePassed"));
                }
                if !c.is_dealer(dealer) {
                    return Err(refuse("NotADealer"));
                }
                if (c.dealt | c.disqualified) & bit(dealer) != 0 {
                    return Err(refuse("ChunkOutOfOrder"));
                }
                let total = c.dealing_len();
                let dealing = self.dealings.entry((epoch, dealer)).or_insert_with(|| accounts::Dealing {
                    cluster: c.cluster,
                    epoch,
                    dealer,
                    threshold: c.threshold,
                    len: total as u16,
                    written: 0,
                    bytes: Vec::new(),
                });
                let end = usize::from(offset) + chunk.len();
                if usize::from(dealing.written) != usize::from(offset) || end > total || chunk.is_empty() {
                    return Err(refuse("ChunkOutOfOrder"));
                }
                dealing.bytes.extend_from_slice(&chunk);
                dealing.written = end as u16;
                if end < total {
                    return Ok(());
                }
                let bytes = dealing.bytes.clone();
                let view = DealingView::parse(&bytes, c.threshold).unwrap();
                let reshared = c.is_resharing().then_some(member.verification_share);
                match verify_dealing(&self.context(epoch), u16::from(dealer), &view, c.receivers, reshared.as_ref()) {
                    Ok(()) => {
                        self.ceremonies.get_mut(&epoch).unwrap().dealt |= bit(dealer);
                        self.events.push(format!("DealingPosted {epoch} {dealer}"));
                    }
                    Err(_) => {
                        self.ceremonies.get_mut(&epoch).unwrap().disqualified |= bit(dealer);
                        self.fault(dealer);
                        self.events.push(format!("DealingRejected {epoch} {dealer}"));
                    }
                }
                if self.ceremonies[&epoch].every_dealer_is_in() {
                    self.close_dealing(epoch);
                }
            }
            "complain" => {
                let (epoch, dealer, complaint) = (args.u64(), args.u8(), args.take::<96>());
                let c = self.ceremonies.get(&epoch).ok_or(refuse("WrongEpoch"))?.clone();
                if self.cluster.ceremony_epoch != epoch {
                    return Err(refuse("WrongEpoch"));
                }
                if !c.is_running() {
                    return Err(refuse("WrongCeremonyPhase"));
                }
                let receiver = self.signer_member(signer)?.index;
                if !c.is_receiver(receiver) {
                    return Err(refuse("NotAReceiver"));
                }
                if c.is_disqualified(dealer) {
                    return Err(refuse("DealerDisqualified"));
                }
                if !c.has_dealt(dealer) {
                    return Err(refuse("DealingIncomplete"));
                }
                let bytes = self.dealings[&(epoch, dealer)].bytes.clone();
                let view = DealingView::parse(&bytes, c.threshold).unwrap();
                let key = c.transport_keys[usize::from(receiver - 1)];
                let verdict = judge_complaint(&self.context(epoch), u16::from(dealer), u16::from(receiver), &key, &view, &complaint)
                    .map_err(|_| refuse("InvalidComplaintProof"))?;
                match verdict {
                    ComplaintVerdict::Upheld => {
                        self.fault(dealer);
                        self.events.push(format!("ComplaintUpheld {epoch} {dealer} by {receiver}"));
                        self.disqualify(epoch, dealer);
                    }
                    ComplaintVerdict::Dismissed => {
                        self.fault(receiver);
                        self.events.push(format!("ComplaintDismissed {epoch} {dealer} by {receiver}"));
                    }
                }
            }
            "fold_dealing" => {
                let (epoch, dealer) = (args.u64(), args.u8());
                let c = self.ceremonies.get(&epoch).ok_or(refuse("WrongEpoch"))?.clone();
                if self.cluster.ceremony_epoch != epoch {
                    return Err(refuse("WrongEpoch"));
                }
                if c.phase != CeremonyPhase::Confirming {
                    return Err(refuse("WrongCeremonyPhase"));
                }
                if !c.is_qualified(dealer) {
                    return Err(refuse("NotADealer"));
                }
                if c.folded & bit(dealer) != 0 {
                    return Err(refuse("AlreadyFolded"));
                }
                let qualified: Vec<u16> = c.qualified_dealers().into_iter().map(u16::from).collect();
                let (_, weights) = share_weights(&qualified, c.is_resharing()).unwrap();
                let position = qualified.iter().position(|i| *i == u16::from(dealer)).unwrap();
                let bytes = self.dealings[&(epoch, dealer)].bytes.clone();
                let view = DealingView::parse(&bytes, c.threshold).unwrap();
                let t = usize::from(c.threshold);
                let c = self.ceremonies.get_mut(&epoch).unwrap();
                fold_dealing(&mut c.aggregate[..t], &view, weights[position]).unwrap();
                c.folded |= bit(dealer);
            }
            "confirm_ceremony" => {
                let (epoch, share, proof) = (args.u64(), args.take::<32>(), args.take::<64>());
                let c = self.ceremonies.get(&epoch).ok_or(refuse("WrongEpoch"))?.clone();
                let late = match c.phase {
                    CeremonyPhase::Confirming if self.cluster.ceremony_epoch == epoch => false,
                    CeremonyPhase::Done if self.cluster.epoch == epoch => true,
                    CeremonyPhase::Confirming | CeremonyPhase::Done => return Err(refuse("WrongEpoch")),
                    _ => return Err(refuse("WrongCeremonyPhase")),
                };
                let member = self.signer_member(signer)?;
                if member.status != MemberStatus::Active {
                    return Err(refuse("WrongMemberStatus"));
                }
                let receiver = member.index;
                if !c.is_receiver(receiver) {
                    return Err(refuse("NotAReceiver"));
                }
                if c.has_confirmed(receiver) {
                    return Err(refuse("AlreadyConfirmed"));
                }
                if c.folded != c.qualified {
                    return Err(refuse("DealingsNotFolded"));
                }
                let qualified: Vec<u16> = c.qualified_dealers().into_iter().map(u16::from).collect();
                let (denominator, _) = share_weights(&qualified, c.is_resharing()).unwrap();
                let aggregate = &c.aggregate[..usize::from(c.threshold)];
                if verify_folded_confirmation(&self.context(epoch), u16::from(receiver), &share, &proof, aggregate, denominator).is_err() {
                    self.fault(receiver);
                    self.events.push(format!("ConfirmationRejected {epoch} {receiver}"));
                    return Ok(());
                }
                let c = self.ceremonies.get_mut(&epoch).unwrap();
                c.confirmed |= bit(receiver);
                c.verification_shares[usize::from(receiver - 1)] = share;
                let complete = c.required() & !c.confirmed == 0;
                self.events.push(format!("CeremonyConfirmed {epoch} {receiver}"));
                if late {
                    let member = self.member_mut(receiver);
                    let held = member.holds_share();
                    member.verification_share = share;
                    if !held {
                        self.cluster.size += 1;
                    }
                } else if complete {
                    self.activate(epoch);
                }
            }
            "advance_ceremony" => {
                let epoch = args.u64();
                let c = self.ceremonies.get(&epoch).ok_or(refuse("WrongEpoch"))?.clone();
                if self.cluster.ceremony_epoch != epoch {
                    return Err(refuse("WrongEpoch"));
                }
                match c.phase {
                    CeremonyPhase::Dealing if self.slot > c.deal_deadline => self.close_dealing(epoch),
                    CeremonyPhase::Confirming if self.slot > c.confirm_deadline => {
                        if c.confirmed.count_ones() >= u32::from(c.threshold) {
                            self.activate(epoch);
                        } else {
                            self.fail(epoch);
                        }
                    }
                    _ => return Err(refuse("NothingToAdvance")),
                }
            }
            _ => unreachable!(),
        }
        Ok(())
    }
}

/// Where a node's next transaction of a kind dies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Crash {
    /// Killed before the transaction reaches the chain.
    Before(&'static str),
    /// Killed after it landed, before the node hears so.
    After(&'static str),
    /// A man in the middle flips a bit of the sub-share this dealer deals to `receiver`
    /// (the dealer is then a cheat the receiver must complain against).
    Garble { receiver: u8 },
}

/// One node's view of the simulated chain.
#[derive(Clone)]
struct Sim {
    program: Arc<Mutex<Program>>,
    signer: Address,
    crashes: Arc<Mutex<Vec<Crash>>>,
}

impl Sim {
    fn crash(&self, wanted: Crash) -> bool {
        let mut crashes = self.crashes.lock().unwrap();
        match crashes.iter().position(|c| *c == wanted) {
            Some(at) => {
                crashes.remove(at);
                true
            }
            None => false,
        }
    }
}

impl Chain for Sim {
    async fn cluster(&self, _: &Address) -> Result<Cluster> {
        Ok(self.program.lock().unwrap().cluster.clone())
    }
    async fn ceremony(&self, _: &Address, epoch: u64) -> Result<Option<accounts::Ceremony>> {
        Ok(self.program.lock().unwrap().ceremonies.get(&epoch).cloned())
    }
    async fn dealing(&self, _: &Address, epoch: u64, dealer: u8) -> Result<Option<accounts::Dealing>> {
        Ok(self.program.lock().unwrap().dealings.get(&(epoch, dealer)).cloned())
    }
    async fn slot(&self) -> Result<u64> {
        Ok(self.program.lock().unwrap().slot)
    }
    async fn send(&self, name: &str, instructions: &[Instruction]) -> Result<Signature, TxError> {
        let name: &'static str =
            ["accept_invitation", "rotate_transport_key", "post_dealing", "complain", "fold_dealing", "confirm_ceremony", "advance_ceremony"]
                .into_iter()
                .find(|known| *known == name)
                .expect("a known name");
        if self.crash(Crash::Before(name)) {
            return Err(TxError::Rpc(format!("killed before {name} was sent")));
        }
        let mut program = self.program.lock().unwrap();
        let mut next = program.clone();
        for instruction in instructions.iter().filter(|i| i.program_id == PROGRAM_ID) {
            let mut instruction = instruction.clone();
            let garble = self.crashes.lock().unwrap().iter().find_map(|c| match c {
                Crash::Garble { receiver } => Some(*receiver),
                _ => None,
            });
            if let (Some(receiver), "post_dealing") = (garble, name) {
                // the chunk holding y_receiver: flip its lowest bit (the Vec starts at 8 + 11 + 4)
                let threshold = next.ceremony().threshold;
                let offset = u16::from_le_bytes([instruction.data[17], instruction.data[18]]) as usize;
                let at = dkg::encrypted_share_offset(threshold, u16::from(receiver));
                let chunk_len = instruction.data.len() - 23;
                if (offset..offset + chunk_len).contains(&at) {
                    instruction.data[23 + at - offset] ^= 1;
                }
            }
            next.execute(&self.signer, &instruction)?;
        }
        *program = next;
        drop(program);
        if self.crash(Crash::After(name)) {
            return Err(TxError::Rpc(format!("killed after {name} landed")));
        }
        Ok(Signature::default())
    }
}

struct TestNode {
    keypair: Keypair,
    vault: std::path::PathBuf,
    sim: Sim,
    driver: Option<Driver<Sim>>,
    serving: watch::Receiver<Option<Arc<Serving>>>,
    restarts: u32,
    /// Killed, it stays down (until the test starts it).
    stays_down: bool,
    /// A cheat (fault injection): being stuck is what it earned, not a failure of the test.
    may_stick: bool,
    #[cfg(feature = "fault-injection")]
    fault: crate::fault::Fault,
}

impl TestNode {
    fn start(&mut self) {
        let (_stop, shutdown) = watch::channel(false);
        std::mem::forget(_stop);
        let link = Link::new("http://127.0.0.1:9", self.keypair.insecure_clone(), crate::metrics::Metrics::new(), shutdown);
        let vault = Vault::open(&self.vault, self.keypair.pubkey(), Zeroizing::new(PASSPHRASE.to_owned())).unwrap();
        let (publish, serving) = watch::channel(None);
        let cluster = self.sim.program.lock().unwrap().address;
        let driver = Driver::over(self.sim.clone(), link, cluster, vault, publish, Duration::from_millis(1), Duration::from_secs(3600));
        #[cfg(feature = "fault-injection")]
        let driver = driver.with_fault(self.fault.clone());
        self.driver = Some(driver);
        self.serving = serving;
    }

    /// SIGKILL and restart: nothing survives but the vault file (and the chain).
    fn restart(&mut self) {
        self.driver = None;
        self.restarts += 1;
        self.start();
    }
}

use zeroize::Zeroizing;

struct World {
    program: Arc<Mutex<Program>>,
    nodes: Vec<TestNode>,
    dir: std::path::PathBuf,
}

impl World {
    /// `n` invited nodes with fresh vaults (their daemons not started yet).
    fn new(name: &str, n: usize) -> World {
        let dir = std::env::temp_dir().join(format!("medshare-driver-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let program = Arc::new(Mutex::new(Program::new()));
        let nodes = (0..n)
            .map(|k| {
                let keypair = Keypair::new();
                let vault = dir.join(format!("node-{k}.json"));
                Vault::create(&vault, keypair.pubkey(), Zeroizing::new(PASSPHRASE.to_owned())).unwrap();
                program.lock().unwrap().invite(keypair.pubkey());
                let sim = Sim { program: Arc::clone(&program), signer: keypair.pubkey(), crashes: Arc::default() };
                let (_, serving) = watch::channel(None);
                TestNode {
                    keypair,
                    vault,
                    sim,
                    driver: None,
                    serving,
                    restarts: 0,
                    stays_down: false,
                    may_stick: false,
                    #[cfg(feature = "fault-injection")]
                    fault: crate::fault::Fault::default(),
                }
            })
            .collect();
        World { program, nodes, dir }
    }

    fn node(&mut self, index: u8) -> &mut TestNode {
        &mut self.nodes[usize::from(index - 1)]
    }

    fn crash(&mut self, index: u8, crash: Crash) {
        self.node(index).sim.crashes.lock().unwrap().push(crash);
    }

    fn program(&self) -> std::sync::MutexGuard<'_, Program> {
        self.program.lock().unwrap()
    }

    /// Ticks every running node once per slot until `done` (restarting a node whose step
    /// failed), at most `slots` slots; `Err` if not done by then.
    async fn run_until(&mut self, slots: u64, done: impl Fn(&Program) -> bool) -> Result<(), String> {
        for _ in 0..slots {
            for node in &mut self.nodes {
                let Some(driver) = node.driver.as_mut() else { continue };
                // a node acts until it waits (as its run loop does), then the slot moves on
                for _ in 0..8 {
                    match driver.tick().await {
                        Ok(Outcome::Acted) => continue,
                        Ok(Outcome::Stuck(why)) if !node.may_stick => panic!("node {} stuck: {why}", node.keypair.pubkey()),
                        Ok(_) => break,
                        Err(error) => {
                            assert!(!error.is::<Fatal>(), "fatal: {error:#}");
                            if node.stays_down {
                                node.driver = None;
                                node.stays_down = false;
                            } else {
                                node.restart();
                            }
                            break;
                        }
                    }
                }
            }
            if done(&self.program()) {
                return Ok(());
            }
            self.program().slot += 1;
        }
        Err(format!("not done after {slots} slots; events: {:#?}", self.program().events))
    }

    fn vault(&self, index: u8) -> Vault {
        let node = &self.nodes[usize::from(index - 1)];
        Vault::open(&node.vault, node.keypair.pubkey(), Zeroizing::new(PASSPHRASE.to_owned())).unwrap()
    }

    /// Every invariant a finished ceremony `epoch` leaves: each holder's vault holds exactly
    /// the serving share, matching `S_j` on chain and published for serving; no dealing
    /// bytes left; every receiver rotated its transport key away from the snapshot.
    fn check_after(&self, epoch: u64) {
        let program = self.program();
        let c = &program.ceremonies[&epoch];
        assert_eq!(c.phase, CeremonyPhase::Done, "{:#?}", program.events);
        assert_eq!(program.cluster.epoch, epoch);
        for (k, node) in self.nodes.iter().enumerate() {
            let index = k as u8 + 1;
            let member = program.cluster.member_at(index).unwrap();
            let vault = self.vault(index);
            let address = program.address;
            assert!(vault.secrets.dealing(&address, epoch).unwrap().is_none(), "node {index}'s dealing erased");
            if member.holds_share() {
                let held = vault.secrets.share(&address, epoch).unwrap_or_else(|| panic!("node {index} holds the share of epoch {epoch}"));
                assert_eq!(held.verification_share().unwrap(), member.verification_share);
                assert_eq!(held.cluster_key().unwrap(), program.cluster.public_key);
                let serving = node.serving.borrow().clone().unwrap_or_else(|| panic!("node {index} serves"));
                assert_eq!((serving.epoch, serving.share_point), (epoch, member.verification_share));
            }
            for old in 0..epoch {
                assert!(vault.secrets.share(&address, old).is_none(), "node {index}'s share of epoch {old} erased");
            }
            if c.is_receiver(index) {
                assert_ne!(member.transport_key, c.transport_keys[usize::from(index - 1)], "node {index} rotated its transport key");
                assert_eq!(vault.secrets.transport().unwrap().public_key(), member.transport_key);
                assert!(vault.secrets.pending_transport().unwrap().is_none());
                assert!(vault.secrets.transport_for(&c.transport_keys[usize::from(index - 1)]).unwrap().is_none(), "node {index}'s old transport key erased");
            }
        }
    }

    /// The receivers' shares interpolate to the secret of `PK` (any `t` of them).
    fn check_key(&self, epoch: u64) {
        let program = self.program();
        let address = program.address;
        let threshold = usize::from(program.cluster.threshold);
        let holders: Vec<u8> = program.cluster.holders().map(|m| m.index).collect();
        assert!(holders.len() >= threshold);
        for subset in [&holders[..threshold], &holders[holders.len() - threshold..]] {
            // S_i from each vault's s_i; Σ λ_i·S_i = (Σ λ_i·s_i)·G must be PK
            let points: Vec<_> = subset
                .iter()
                .map(|i| {
                    let share = self.vault(*i).secrets.share(&address, epoch).unwrap().key_share().unwrap();
                    encrypted_circuits::group::element(&share.verification_share().to_bytes(), "S_i").unwrap()
                })
                .collect();
            let indices: Vec<u16> = subset.iter().map(|i| u16::from(*i)).collect();
            let lambdas: Vec<[u8; 32]> = encrypted_circuits::threshold::lagrange_at_zero(&indices).unwrap().iter().map(|l| l.to_bytes()).collect();
            let refs: Vec<_> = points.iter().collect();
            let recovered = encrypted_circuits::group::combinations(&[(&lambdas, &refs)]).unwrap()[0];
            assert_eq!(recovered, program.cluster.public_key, "shares {subset:?} reconstruct PK");
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ceremony_done(epoch: u64) -> impl Fn(&Program) -> bool {
    move |p| {
        let c = &p.ceremonies[&epoch];
        c.phase == CeremonyPhase::Done
            && p.cluster.members.iter().all(|m| !c.is_receiver(m.index) || m.transport_key != c.transport_keys[usize::from(m.index - 1)])
    }
}

/// Three nodes accept by themselves, make a key and reshare it, each killed at a different
/// point of each ceremony.
#[tokio::test]
async fn key_generation_then_resharing_survive_kills_at_every_step() {
    let mut world = World::new("lifecycle", 3);
    // joining: killed after the acceptance landed, before hearing so
    world.crash(1, Crash::After("accept_invitation"));
    for node in &mut world.nodes {
        node.start();
    }
    world.run_until(20, |p| p.cluster.members.iter().all(|m| m.status == MemberStatus::Active)).await.unwrap();
    assert_eq!(world.nodes[0].restarts, 1);

    // key generation, t' = 2
    let epoch = world.program().start(CeremonyKind::KeyGeneration, 2, 30);
    world.crash(1, Crash::Before("post_dealing")); // the dealing is saved, never sent
    world.crash(2, Crash::After("post_dealing")); // landed, not heard
    world.crash(3, Crash::Before("confirm_ceremony")); // the share is saved, not confirmed
    world.crash(1, Crash::After("confirm_ceremony"));
    world.crash(2, Crash::Before("rotate_transport_key")); // the pending key is saved, not sent
    world.crash(3, Crash::After("rotate_transport_key")); // landed: the chain lists the pending key
    world.run_until(60, ceremony_done(epoch)).await.unwrap();
    world.check_after(epoch);
    world.check_key(epoch);
    assert!(world.nodes.iter().all(|n| n.restarts >= 2), "every node was killed twice");
    let key = world.program().cluster.public_key;

    // resharing to t' = 3 while the cluster serves
    let epoch = world.program().start(CeremonyKind::Resharing, 3, 30);
    world.crash(3, Crash::After("post_dealing"));
    world.crash(2, Crash::After("confirm_ceremony"));
    world.crash(1, Crash::Before("rotate_transport_key"));
    for index in 1..=3 {
        assert!(world.node(index).serving.borrow().is_some(), "node {index} serves during the resharing");
    }
    world.run_until(60, ceremony_done(epoch)).await.unwrap();
    world.check_after(epoch);
    world.check_key(epoch);
    assert_eq!(world.program().cluster.public_key, key, "a resharing keeps PK");
    assert_eq!(world.program().cluster.threshold, 3);
    assert!(world.program().cluster.members.iter().all(|m| m.faults == 0), "nobody was at fault: {:#?}", world.program().events);
}

/// Seven nodes with t' = 7: each dealing takes two chunks, and nodes die between them.
#[tokio::test]
async fn a_dealing_resumes_between_its_chunks() {
    let mut world = World::new("chunks", 7);
    for node in &mut world.nodes {
        node.start();
    }
    world.run_until(20, |p| p.cluster.members.iter().all(|m| m.status == MemberStatus::Active)).await.unwrap();
    assert!(dkg::dealing_len(7) > ix::DEALING_CHUNK);
    let epoch = world.program().start(CeremonyKind::KeyGeneration, 7, 40);
    // node 3 dies before its second chunk; node 4 after its first landed; node 5 after its last
    world.crash(3, Crash::After("post_dealing"));
    world.crash(3, Crash::Before("post_dealing"));
    world.crash(4, Crash::After("post_dealing"));
    world.crash(5, Crash::After("post_dealing"));
    world.crash(5, Crash::After("post_dealing"));
    world.run_until(80, ceremony_done(epoch)).await.unwrap();
    world.check_after(epoch);
    world.check_key(epoch);
    assert!(world.node(3).restarts >= 2 && world.node(4).restarts >= 1 && world.node(5).restarts >= 2);
}

/// A cheating dealer (its sub-share to node 2 garbled) is complained about by node 2 — killed
/// after the complaint landed — disqualified, and the ceremony activates without it.
#[tokio::test]
async fn a_bad_sub_share_is_complained_about_and_its_dealer_excluded() {
    let mut world = World::new("complaint", 4);
    for node in &mut world.nodes {
        node.start();
    }
    world.run_until(20, |p| p.cluster.members.iter().all(|m| m.status == MemberStatus::Active)).await.unwrap();
    let epoch = world.program().start(CeremonyKind::KeyGeneration, 3, 30);
    world.crash(4, Crash::Garble { receiver: 2 });
    world.crash(2, Crash::After("complain"));
    world.run_until(60, ceremony_done(epoch)).await.unwrap();
    let program = world.program();
    let c = &program.ceremonies[&epoch];
    assert_eq!((c.disqualified, c.qualified), (0b1000, 0b0111), "{:#?}", program.events);
    assert!(program.events.iter().any(|e| e == &format!("ComplaintUpheld {epoch} 4 by 2")));
    assert_eq!(program.events.iter().filter(|e| e.starts_with("Complaint")).count(), 1, "complained once: {:#?}", program.events);
    assert_eq!(program.cluster.member_at(4).unwrap().faults, 1);
    assert_eq!(program.cluster.member_at(2).unwrap().faults, 0);
    drop(program);
    world.check_after(epoch);
    world.check_key(epoch);
}

/// A node that sleeps through the whole confirmation window is activated without, then
/// confirms late and serves.
#[tokio::test]
async fn a_late_receiver_confirms_after_activation() {
    let mut world = World::new("late", 3);
    for node in &mut world.nodes {
        node.start();
    }
    world.run_until(20, |p| p.cluster.members.iter().all(|m| m.status == MemberStatus::Active)).await.unwrap();
    let epoch = world.program().start(CeremonyKind::KeyGeneration, 2, 10);
    // node 3 deals first, then is down until the ceremony activated without it
    world.node(1).driver = None;
    world.node(2).driver = None;
    world.run_until(12, |p| p.ceremonies[&epoch].dealt == 0b100).await.unwrap();
    world.node(3).driver = None;
    world.node(1).start();
    world.node(2).start();
    world.run_until(40, |p| p.ceremonies[&epoch].phase == CeremonyPhase::Done).await.unwrap();
    assert_eq!(world.program().ceremonies[&epoch].confirmed, 0b011);
    assert!(!world.program().cluster.member_at(3).unwrap().holds_share());
    world.node(3).start();
    world.run_until(20, ceremony_done(epoch)).await.unwrap();
    assert!(world.program().cluster.member_at(3).unwrap().holds_share(), "{:#?}", world.program().events);
    world.check_after(epoch);
    world.check_key(epoch);
}

async fn joined(name: &str, n: usize) -> World {
    let mut world = World::new(name, n);
    for node in &mut world.nodes {
        node.start();
    }
    world.run_until(20, |p| p.cluster.members.iter().all(|m| m.status == MemberStatus::Active)).await.unwrap();
    world
}

/// In a resharing (every receiver required), node 2 sleeps through dealing; the others fold
/// and confirm; node 2 then finds dealer 4's sub-share bad and complains: the folds and
/// confirmations are void, everyone folds and confirms again, and the key is kept.
#[tokio::test]
async fn an_upheld_complaint_while_confirming_voids_the_confirmations() {
    let mut world = joined("recomplain", 4).await;
    let first = world.program().start(CeremonyKind::KeyGeneration, 2, 20);
    world.run_until(60, ceremony_done(first)).await.unwrap();
    let key = world.program().cluster.public_key;

    let epoch = world.program().start(CeremonyKind::Resharing, 2, 20);
    world.node(2).driver = None;
    world.crash(4, Crash::Garble { receiver: 2 });
    world.run_until(80, |p| p.ceremonies[&epoch].confirmed == 0b1101).await.unwrap();
    assert_eq!(world.program().ceremonies[&epoch].qualified, 0b1101, "node 2 was absent");
    world.node(2).start();
    world.run_until(80, ceremony_done(epoch)).await.unwrap();
    let program = world.program();
    let c = &program.ceremonies[&epoch];
    assert_eq!((c.qualified, c.confirmed), (0b0101, 0b1111), "{:#?}", program.events);
    assert!(program.events.iter().any(|e| e == &format!("ComplaintUpheld {epoch} 4 by 2")));
    assert_eq!(program.cluster.public_key, key);
    drop(program);
    world.check_after(epoch);
    world.check_key(epoch);
}

/// A resharing that leaves node 3 out: it deals its share away, then holds none, erases it
/// and stops serving; its transport key (in no snapshot) stays.
#[tokio::test]
async fn a_member_left_out_of_a_resharing_deals_and_retires() {
    let mut world = joined("leave", 3).await;
    let first = world.program().start(CeremonyKind::KeyGeneration, 2, 20);
    world.run_until(60, ceremony_done(first)).await.unwrap();
    let key3 = world.program().cluster.member_at(3).unwrap().transport_key;
    let epoch = world.program().start_for(CeremonyKind::Resharing, 2, 20, 0b011);
    world.run_until(80, ceremony_done(epoch)).await.unwrap();
    {
        let program = world.program();
        assert!(program.ceremonies[&epoch].has_dealt(3), "the leaving holder dealt");
        assert!(!program.cluster.member_at(3).unwrap().holds_share());
        assert_eq!(program.cluster.member_at(3).unwrap().transport_key, key3);
    }
    // one more tick: node 3 sees it no longer serves and erases its old share
    world.run_until(2, |_| false).await.ok();
    assert!(world.node(3).serving.borrow().is_none());
    let address = world.program().address;
    assert!(world.vault(3).secrets.share(&address, first).is_none());
    world.check_after(epoch);
    world.check_key(epoch);
}

/// The transport rotation after a ceremony races the next one, both ways: node 1's rotation
/// landed before the new snapshot (which takes the new key, still pending in its vault when
/// it restarts); node 2's was saved but not sent when the snapshot took the old key (it must
/// keep the old key until that ceremony is over, then rotate).
#[tokio::test]
async fn transport_rotations_racing_a_new_ceremony() {
    let mut world = joined("race", 3).await;
    let first = world.program().start(CeremonyKind::KeyGeneration, 2, 20);
    world.crash(1, Crash::After("rotate_transport_key"));
    world.crash(2, Crash::Before("rotate_transport_key"));
    world.node(1).stays_down = true;
    world.node(2).stays_down = true;
    world.node(3).driver = None;
    world
        .run_until(60, |p| {
            p.ceremonies[&first].phase == CeremonyPhase::Done && p.cluster.member_at(1).unwrap().transport_key != p.ceremonies[&first].transport_keys[0]
        })
        .await
        .unwrap();
    world.run_until(5, |_| false).await.ok();
    assert!(world.node(1).driver.is_none() && world.node(2).driver.is_none(), "both killed at their rotation");
    let (snapshot1, snapshot2) = {
        let p = world.program();
        (p.ceremonies[&first].transport_keys[0], p.ceremonies[&first].transport_keys[1])
    };
    // node 1's rotation landed (its vault still calls the new key pending); node 2's never left
    assert_ne!(world.program().cluster.member_at(1).unwrap().transport_key, snapshot1);
    assert!(world.vault(1).secrets.pending_transport().unwrap().is_some());
    assert_eq!(world.program().cluster.member_at(2).unwrap().transport_key, snapshot2);
    assert!(world.vault(2).secrets.pending_transport().unwrap().is_some());
    // node 3 slept through the first ceremony: it confirms late
    world.node(3).start();
    world.run_until(20, |p| p.cluster.member_at(3).unwrap().holds_share()).await.unwrap();
    let second = world.program().start(CeremonyKind::Resharing, 2, 20);
    {
        let p = world.program();
        assert_ne!(p.ceremonies[&second].transport_keys[0], snapshot1, "node 1's new key is in the snapshot");
        assert_eq!(p.ceremonies[&second].transport_keys[1], snapshot2, "node 2's old key is in the snapshot");
    }
    world.node(1).start();
    world.node(2).start();
    world.run_until(80, ceremony_done(second)).await.unwrap();
    world.check_after(second);
    world.check_key(second);
}

/// The `[fault]` options with real drivers: node 4 deals garbage to node 2 (complained
/// about, disqualified), node 3 never deals (absent), node 1 confirms with a bad proof
/// (rejected, then excluded): the key is made by dealers 1 and 2 and held by 2, 3 and 4.
#[cfg(feature = "fault-injection")]
#[tokio::test]
async fn injected_faults_are_caught_and_named() {
    let mut world = World::new("faults", 4);
    world.node(4).fault.bad_dealing_to = Some(2);
    world.node(3).fault.skip_dealing = true;
    world.node(1).fault.bad_confirmation = true;
    world.node(1).may_stick = true;
    for node in &mut world.nodes {
        node.start();
    }
    world.run_until(20, |p| p.cluster.members.iter().all(|m| m.status == MemberStatus::Active)).await.unwrap();
    let epoch = world.program().start(CeremonyKind::KeyGeneration, 2, 20);
    world.run_until(80, |p| p.ceremonies[&epoch].phase == CeremonyPhase::Done).await.unwrap();
    let program = world.program();
    let c = &program.ceremonies[&epoch];
    assert_eq!((c.dealt, c.disqualified, c.qualified), (0b1011, 0b1000, 0b0011), "{:#?}", program.events);
    assert_eq!(c.confirmed, 0b1110, "{:#?}", program.events);
    assert!(program.events.iter().any(|e| e == &format!("ComplaintUpheld {epoch} 4 by 2")));
    assert!(program.events.iter().any(|e| e == &format!("ConfirmationRejected {epoch} 1")));
    assert!(program.events.iter().any(|e| e.starts_with(&format!("DealingClosed {epoch}")) && e.ends_with("absent=100")), "{:#?}", program.events);
    let faults: Vec<u32> = (1..=4).map(|i| program.cluster.member_at(i).unwrap().faults).collect();
    assert_eq!(faults, vec![1, 0, 0, 1]);
    assert!(!program.cluster.member_at(1).unwrap().holds_share());
    drop(program);
    world.check_key(epoch);
}
