//! A whole MedShare deployment inside LiteSVM, driven only through the program's
//! instructions on the real `.so`: a cluster whose nodes run the key ceremony from what
//! they read back from chain, patients and recipients with registered keys, records,
//! share requests and partials made with `encrypted-circuits`.

use encrypted_circuits::{
    ceremony::{self, CeremonyContext, DealingView, Finished, TransportSecret},
    keys::{KeyShare, UserSecretKey},
    record::{self, Capsule, RecordBinding},
    reencrypt::Partial,
};
use medshare_client::{Address, accounts, events::Event, instructions as ix, pda};
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::collections::BTreeMap;

use crate::chain::{Chain, Failure, Outcome, Rpc, Svm};

/// The outcome of one transaction, or its failure.
pub type Sent = Result<Outcome, Failure>;

/// One `mpc-node`'s keys.
pub struct Node {
    /// Signs its transactions.
    pub authority: Keypair,
    /// Its Ristretto255 transport key `τ` (`T = τ·G` is on chain).
    pub transport: TransportSecret,
    /// Its shares of the cluster key, by the epoch of the ceremony that made them.
    pub shares: BTreeMap<u64, KeyShare>,
}

/// Which ceremony the admin starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `start_epoch`: a new `PK`.
    KeyGeneration,
    /// `reshare`: the same `PK`, new holders.
    Resharing,
}

/// The phase length the worlds use unless a test picks another (slots).
pub const WINDOW_SLOTS: u32 = 50;

/// A patient or recipient.
pub struct User {
    /// The wallet.
    pub wallet: Keypair,
    /// The encryption key derived from the wallet's signature.
    pub key: UserSecretKey,
}

/// The deployment, on LiteSVM ([`Svm`], the default) or on a local validator ([`Rpc`]).
pub struct World<C: Chain = Svm> {
    /// Where it runs.
    pub chain: C,
    /// The consortium admin.
    pub admin: Keypair,
    /// The cluster account.
    pub cluster: Address,
    /// The member nodes, index `i` at `nodes[i-1]`.
    pub nodes: Vec<Node>,
    /// `t`.
    pub threshold: u8,
    /// Every event the program emitted, in order (what an auditor reads).
    pub events: Vec<Event>,
    /// Compute units of the last successful instruction of each name.
    pub compute_units: BTreeMap<String, u64>,
    rng: rand::rngs::StdRng,
}

impl World<Svm> {
    /// A cluster of `n` nodes with threshold `t` in LiteSVM, its ceremony run and circuit registered.
    pub fn new(threshold: u8, size: u8) -> World<Svm> {
        World::active(Svm(crate::svm::with_program()), threshold, size)
    }

    /// A cluster in LiteSVM with `n` members that accepted their invitations, no ceremony yet.
    pub fn registered(threshold: u8, size: u8) -> World<Svm> {
        World::registered_on(Svm(crate::svm::with_program()), threshold, size)
    }

    /// Moves the SVM `slots` slots forward (past a ceremony deadline).
    pub fn pass_slots(&mut self, slots: u64) {
        let clock: solana_clock::Clock = self.chain.0.get_sysvar();
        self.chain.0.warp_to_slot(clock.slot + slots);
    }

    /// Moves the SVM clock to `unix_timestamp`.
    pub fn set_time(&mut self, unix_timestamp: i64) {
        let mut clock: solana_clock::Clock = self.chain.0.get_sysvar();
        clock.unix_timestamp = unix_timestamp;
        self.chain.0.set_sysvar(&clock);
    }

    /// The SVM clock.
    pub fn now(&self) -> i64 {
        self.chain.0.get_sysvar::<solana_clock::Clock>().unix_timestamp
    }
}

impl World<Rpc> {
    /// A cluster of `n` nodes with threshold `t` on a fresh local validator.
    pub fn on_localnet(threshold: u8, size: u8) -> World<Rpc> {
        World::active(Rpc::start(), threshold, size)
    }
}

impl<C: Chain> World<C> {
    /// A cluster of `n` nodes with threshold `t` on `chain`, its key generated and circuit registered.
    pub fn active(chain: C, threshold: u8, size: u8) -> World<C> {
        let mut world = World::registered_on(chain, threshold, size);
        world.start(Kind::KeyGeneration, threshold, WINDOW_SLOTS).expect("start_epoch");
        world.run_ceremony();
        let admin = world.admin.insecure_clone();
        world.ok("init_share_patient_data_comp_def", &admin, &[], &[ix::init_share_patient_data_comp_def(&admin.pubkey(), &world.cluster)]);
        world
    }

    /// A cluster on `chain` whose `n` members were invited and accepted; no ceremony yet.
    pub fn registered_on(chain: C, threshold: u8, size: u8) -> World<C> {
        use rand::SeedableRng;
        // wallets from a seeded generator: the same PDA bumps, so the same compute units, every run
        let rng = rand::rngs::StdRng::seed_from_u64(u64::from(threshold) << 8 | u64::from(size));
        let mut world = World {
            chain,
            admin: Keypair::new(),
            cluster: Address::default(),
            nodes: Vec::new(),
            threshold,
            events: Vec::new(),
            compute_units: BTreeMap::new(),
            rng,
        };
        world.admin = world.funded_wallet(100);
        let (create, cluster) = ix::create_cluster(&world.admin.pubkey(), 1);
        world.cluster = cluster;
        let admin = world.admin.insecure_clone();
        world.ok("create_cluster", &admin, &[], &[create]);
        for _ in 0..size {
            world.add_member();
        }
        world
    }

    /// A new node: the admin invites its authority and the node accepts with its own
    /// transport key. Returns its index.
    pub fn add_member(&mut self) -> u8 {
        let authority = self.funded_wallet(10);
        let transport = TransportSecret::random(&mut self.rng);
        let admin = self.admin.insecure_clone();
        self.ok("invite_node", &admin, &[], &[ix::invite_node(&admin.pubkey(), &self.cluster, &authority.pubkey())]);
        let index = self.cluster_account().member(&authority.pubkey()).expect("invited").index;
        let proof =
            transport.prove_possession(&mut self.rng, &medshare_client::PROGRAM_ID.to_bytes(), &self.cluster.to_bytes(), &authority.pubkey().to_bytes());
        let accept = ix::accept_invitation(&authority.pubkey(), &self.cluster, transport.public_key(), proof);
        self.ok("accept_invitation", &authority, &[], &[accept]);
        let node = Node { authority, transport, shares: BTreeMap::new() };
        let slot = usize::from(index) - 1;
        if slot < self.nodes.len() {
            self.nodes[slot] = node;
        } else {
            assert_eq!(slot, self.nodes.len(), "slots fill in order");
            self.nodes.push(node);
        }
        index
    }

    /// A new wallet (from the seeded generator) holding `sol` SOL.
    pub fn funded_wallet(&mut self, sol: u64) -> Keypair {
        use rand::Rng;
        let wallet = Keypair::new_from_array(self.rng.r#gen());
        self.chain.fund(&wallet.pubkey(), sol * 1_000_000_000);
        wallet
    }

    /// An account's data, if it exists.
    pub fn account(&self, address: &Address) -> Option<Vec<u8>> {
        self.chain.account(address)
    }

    /// Sends instructions; on success records events (from the transaction's logs) and CU
    /// under `name`. A test transaction whose events cannot all be read is a failure here
    /// (tests of truncation send through [`Chain::send`] directly).
    pub fn send(&mut self, name: &str, payer: &Keypair, others: &[&Keypair], instructions: &[Instruction]) -> Sent {
        let sent = self.chain.send(payer, others, instructions);
        if let Ok(meta) = &sent {
            assert!(meta.problems.is_empty(), "{name}: the program's events are all read: {:?}", meta.problems);
            self.events.extend(meta.events.iter().cloned());
            self.compute_units.insert(name.to_owned(), meta.compute_units_consumed);
        }
        sent
    }

    /// [`World::send`] that must succeed.
    pub fn ok(&mut self, name: &str, payer: &Keypair, others: &[&Keypair], instructions: &[Instruction]) -> Outcome {
        self.send(name, payer, others, instructions).unwrap_or_else(|e| panic!("{name} failed: {:?}\n{}", e.err, e.logs.join("\n")))
    }

    /// The decoded cluster account.
    pub fn cluster_account(&self) -> accounts::Cluster {
        accounts::Cluster::decode(&self.account(&self.cluster).expect("cluster")).expect("a Cluster")
    }

    /// The serving epoch.
    pub fn epoch(&self) -> u64 {
        self.cluster_account().epoch
    }

    /// The admin starts a ceremony of `kind` with threshold `threshold` for every active
    /// member; returns its epoch.
    pub fn start(&mut self, kind: Kind, threshold: u8, window_slots: u32) -> Result<u64, Failure> {
        let active = self.cluster_account().members_with(accounts::MemberStatus::Active);
        self.start_for(kind, threshold, window_slots, active)
    }

    /// [`World::start`] for the members of the bitmask `members`.
    pub fn start_for(&mut self, kind: Kind, threshold: u8, window_slots: u32, members: u16) -> Result<u64, Failure> {
        let epoch = self.cluster_account().ceremony_epoch + 1;
        let admin = self.admin.insecure_clone();
        let (name, start) = match kind {
            Kind::KeyGeneration => ("start_epoch", ix::start_epoch(&admin.pubkey(), &self.cluster, epoch, threshold, window_slots, members)),
            Kind::Resharing => ("reshare", ix::reshare(&admin.pubkey(), &self.cluster, epoch, threshold, window_slots, members)),
        };
        self.send(name, &admin, &[], &[start]).map(|_| epoch)
    }

    /// The latest ceremony.
    pub fn ceremony(&self) -> accounts::Ceremony {
        let epoch = self.cluster_account().ceremony_epoch;
        accounts::Ceremony::decode(&self.account(&pda::ceremony(&self.cluster, epoch)).expect("ceremony")).expect("a Ceremony")
    }

    /// The context of every proof of ceremony `epoch`.
    pub fn ceremony_context(&self, epoch: u64) -> CeremonyContext {
        CeremonyContext { program_id: medshare_client::PROGRAM_ID.to_bytes(), cluster: self.cluster.to_bytes(), epoch }
    }

    /// Node `i`'s honest dealing for the latest ceremony (its share of the serving epoch as
    /// the constant term when resharing).
    pub fn dealing_bytes(&mut self, i: u8) -> Vec<u8> {
        let ceremony = self.ceremony();
        let context = self.ceremony_context(ceremony.epoch);
        let serving = self.epoch();
        let reshared = ceremony.is_resharing().then(|| self.nodes[usize::from(i) - 1].shares.get(&serving).expect("a share of the serving epoch").clone());
        ceremony::deal(&mut self.rng, &context, u16::from(i), ceremony.threshold, &ceremony.receiver_keys(), reshared.as_ref()).expect("deal")
    }

    /// Node `i` writes `bytes` as its dealing, chunk by chunk; the last transaction's result.
    pub fn post_dealing(&mut self, i: u8, bytes: &[u8]) -> Sent {
        let epoch = self.ceremony().epoch;
        let authority = self.nodes[usize::from(i) - 1].authority.insecure_clone();
        let mut last = None;
        for instructions in ix::post_dealing_transactions(&authority.pubkey(), &self.cluster, epoch, i, bytes) {
            let sent = self.send("post_dealing", &authority, &[], &instructions);
            if sent.is_err() {
                return sent;
            }
            last = Some(sent);
        }
        last.expect("a dealing has at least one chunk")
    }

    /// Node `i` deals honestly.
    pub fn deal(&mut self, i: u8) -> Sent {
        let bytes = self.dealing_bytes(i);
        self.post_dealing(i, &bytes)
    }

    /// The qualified dealings of the latest ceremony, as the chain holds them.
    pub fn qualified_dealings(&self) -> Vec<(u16, Vec<u8>)> {
        let ceremony = self.ceremony();
        ceremony.qualified_dealers().into_iter().map(|dealer| (u16::from(dealer), self.dealing(ceremony.epoch, dealer).bytes)).collect()
    }

    /// Node `j`'s share and proof of possession from the qualified dealings on chain.
    pub fn finish(&mut self, j: u8) -> encrypted_circuits::Result<Finished> {
        let ceremony = self.ceremony();
        let context = self.ceremony_context(ceremony.epoch);
        let dealings = self.qualified_dealings();
        let views =
            dealings.iter().map(|(i, bytes)| Ok((*i, DealingView::parse(bytes, ceremony.threshold)?))).collect::<encrypted_circuits::Result<Vec<_>>>()?;
        let transport = &self.nodes[usize::from(j) - 1].transport;
        ceremony::finish(&mut self.rng, &context, u16::from(j), transport, &views, ceremony.is_resharing())
    }

    /// Folds every qualified dealing not folded yet into the latest ceremony (anyone may; the admin pays).
    pub fn fold_all(&mut self) {
        let ceremony = self.ceremony();
        let admin = self.admin.insecure_clone();
        for dealer in ceremony.unfolded() {
            self.ok("fold_dealing", &admin, &[], &ix::fold_dealing_transaction(&self.cluster, ceremony.epoch, dealer));
        }
    }

    /// Node `j` confirms `verification_share` with `proof` in the latest ceremony (after folding what is not folded).
    pub fn confirm_with(&mut self, j: u8, verification_share: [u8; 32], proof: [u8; 64]) -> Sent {
        if self.ceremony().phase == accounts::CeremonyPhase::Confirming {
            self.fold_all();
        }
        let epoch = self.ceremony().epoch;
        let authority = self.nodes[usize::from(j) - 1].authority.insecure_clone();
        let confirm = ix::confirm_ceremony(&authority.pubkey(), &self.cluster, epoch, verification_share, proof);
        self.send("confirm_ceremony", &authority, &[], &[confirm])
    }

    /// Node `j` finishes, keeps its share and confirms honestly.
    pub fn confirm(&mut self, j: u8) -> Sent {
        let epoch = self.ceremony().epoch;
        let finished = self.finish(j).expect("finish");
        let sent = self.confirm_with(j, finished.share.verification_share().to_bytes(), finished.proof);
        if sent.is_ok() {
            self.nodes[usize::from(j) - 1].shares.insert(epoch, finished.share);
        }
        sent
    }

    /// Receiver `j`'s complaint (`K ‖ c ‖ z`, with a genuine revealed key) against `dealer` in
    /// the latest ceremony, whether or not the sub-share is bad.
    pub fn complaint(&mut self, j: u8, dealer: u8) -> [u8; 96] {
        let on_chain = self.ceremony();
        let bytes = self.dealing(on_chain.epoch, dealer).bytes;
        let view = DealingView::parse(&bytes, on_chain.threshold).expect("a complete dealing");
        let context = self.ceremony_context(on_chain.epoch);
        ceremony::complain(&mut self.rng, &context, u16::from(dealer), u16::from(j), &self.nodes[usize::from(j) - 1].transport, &view).expect("complaint")
    }

    /// Receiver `j` sends `complaint` against `dealer` in the latest ceremony.
    pub fn complain(&mut self, j: u8, dealer: u8, complaint: [u8; 96]) -> Sent {
        let epoch = self.ceremony().epoch;
        let authority = self.nodes[usize::from(j) - 1].authority.insecure_clone();
        self.send("complain", &authority, &[], &ix::complain_transaction(&authority.pubkey(), &self.cluster, epoch, dealer, complaint))
    }

    /// Anyone advances the latest ceremony past a deadline.
    pub fn advance(&mut self) -> Sent {
        let epoch = self.ceremony().epoch;
        let admin = self.admin.insecure_clone();
        self.send("advance_ceremony", &admin, &[], &[ix::advance_ceremony(&self.cluster, epoch)])
    }

    /// Runs the latest ceremony through the program: every dealer deals (in chunks), then
    /// every receiver reads the qualified dealings back, finishes and confirms.
    pub fn run_ceremony(&mut self) {
        let ceremony = self.ceremony();
        for i in medshare_client::accounts::indices(ceremony.dealers) {
            self.deal(i).expect("deal");
        }
        for j in medshare_client::accounts::indices(self.ceremony().receivers) {
            self.confirm(j).expect("confirm");
        }
        assert_eq!(self.epoch(), ceremony.epoch, "the ceremony activated");
    }

    /// Node `i`'s dealing account of `epoch`.
    pub fn dealing(&self, epoch: u64, dealer: u8) -> accounts::Dealing {
        let address = pda::dealing(&self.cluster, epoch, dealer);
        accounts::Dealing::decode(&self.account(&address).expect("dealing")).expect("a Dealing")
    }

    /// Node `i`'s share of the serving epoch.
    pub fn key_share(&self, i: u8) -> &KeyShare {
        let epoch = self.epoch();
        self.nodes[usize::from(i) - 1].shares.get(&epoch).unwrap_or_else(|| panic!("node {i} holds a share of epoch {epoch}"))
    }

    /// A funded wallet that registered the encryption key its signature derives.
    pub fn user(&mut self) -> User {
        let user = self.unregistered_user();
        let proof = user.key.prove_possession(&mut self.rng, &user.wallet.pubkey().to_bytes());
        let wallet = user.wallet.insecure_clone();
        self.ok("register_user_key", &wallet, &[], &[ix::register_user_key(&wallet.pubkey(), user.key.public_key().to_bytes(), proof.to_bytes())]);
        user
    }

    /// A funded wallet with its derived key, not registered.
    pub fn unregistered_user(&mut self) -> User {
        let wallet = self.funded_wallet(10);
        User { key: medshare_client::context::user_key(&wallet, 0).expect("derived key"), wallet }
    }

    /// Seals `plaintext` as `version` of the record and stores it inline (first chunk with
    /// the store, the rest appended), returning the record's address.
    pub fn store(&mut self, owner: &User, record_id: u64, version: u32, plaintext: &[u8]) -> Address {
        let args = self.sealed_args(owner, record_id, version, plaintext);
        let wallet = owner.wallet.insecure_clone();
        let (instructions, record) = ix::store_inline(&wallet.pubkey(), &self.cluster, record_id, &args, &args.chunk);
        for (i, instruction) in instructions.into_iter().enumerate() {
            let name = if i == 0 { "store_patient_data" } else { "append_patient_data" };
            self.ok(name, &wallet, &[], &[instruction]);
        }
        record
    }

    /// The store arguments for sealing `plaintext` (with the whole ciphertext as `chunk`).
    pub fn sealed_args(&mut self, owner: &User, record_id: u64, version: u32, plaintext: &[u8]) -> ix::StoreArgs {
        let cluster_key = encrypted_circuits::keys::PublicKey::from_bytes(&self.cluster_account().public_key, "PK").expect("active cluster");
        let owner_address = owner.wallet.pubkey();
        let sealed = medshare_client::context::seal_version(
            &mut self.rng,
            &owner_address,
            record_id,
            version,
            &self.cluster,
            &cluster_key,
            &owner.key.public_key(),
            plaintext,
        );
        ix::StoreArgs {
            version,
            cluster_capsule: sealed.cluster_capsule.to_bytes(),
            capsule_proof: sealed.capsule_proof.to_bytes(),
            owner_capsule: sealed.owner_capsule.to_bytes(),
            storage: 0,
            ciphertext_len: sealed.ciphertext.len() as u32,
            digest: [0; 32],
            uri: Vec::new(),
            chunk: sealed.ciphertext,
        }
    }

    /// The decoded record.
    pub fn record(&self, record: &Address) -> accounts::Record {
        accounts::Record::decode(&self.account(record).expect("record")).expect("a Record")
    }

    /// `owner` shares `record` with `recipient`; returns the request address or the failure.
    pub fn share(&mut self, owner: &User, record: &Address, recipient: &Address, expires_at: i64) -> Result<Address, Failure> {
        let share_count = self.record(record).share_count;
        let wallet = owner.wallet.insecure_clone();
        let (share, request) = ix::share_patient_data(&wallet.pubkey(), record, share_count, &self.cluster, recipient, expires_at);
        self.send("share_patient_data", &wallet, &[], &[share]).map(|_| request)
    }

    /// The decoded share request.
    pub fn request(&self, request: &Address) -> accounts::ShareRequest {
        accounts::ShareRequest::decode(&self.account(request).expect("request")).expect("a ShareRequest")
    }

    /// Node `i`'s honest partial for `request` with its share of the serving epoch, in that
    /// epoch's context (the program moves a request of an earlier epoch to it).
    pub fn partial(&mut self, i: u8, request: &Address) -> Partial {
        let on_chain = self.request(request);
        let epoch = self.epoch();
        let context = medshare_client::context::request_context(&self.cluster, request, epoch);
        let capsule = Capsule::from_bytes(&on_chain.capsule).expect("capsule");
        let recipient = encrypted_circuits::keys::PublicKey::from_bytes(&on_chain.recipient_key, "P_R").expect("P_R");
        let share = self.key_share(i).clone();
        share.reencrypt(&mut self.rng, &context, &capsule, &recipient).expect("partial")
    }

    /// Node `i` posts `partial` for `request`.
    pub fn post_partial(&mut self, i: u8, request: &Address, partial: &Partial) -> Sent {
        let authority = self.nodes[usize::from(i) - 1].authority.insecure_clone();
        let epoch = self.epoch();
        let callback = ix::share_patient_data_callback(&authority.pubkey(), &self.cluster, request, partial.a, partial.e, partial.proof.to_bytes(), epoch);
        self.send("share_patient_data_callback", &authority, &[], &[callback])
    }

    /// Node `i` answers `request` honestly.
    pub fn answer(&mut self, i: u8, request: &Address) -> Sent {
        let partial = self.partial(i, request);
        self.post_partial(i, request, &partial)
    }

    /// The recipient combines the accepted partials on chain and opens the record version
    /// the request names, with the ciphertext read back from the record account.
    pub fn open_as_recipient(&self, recipient: &User, request: &Address, owner: &User, record_id: u64) -> Result<Vec<u8>, encrypted_circuits::Error> {
        let on_chain = self.request(request);
        let record = self.record(&pda::record(&owner.wallet.pubkey(), record_id));
        medshare_client::context::verify_request_capsule(&on_chain, &record.cluster_key)?;
        let combined = medshare_client::context::combine_accepted(&on_chain)?;
        let binding = binding(owner, record_id, on_chain.record_version);
        record::open(&binding, &combined.open(&recipient.key)?, &record.inline)
    }
}

/// Where `owner`'s record `record_id` at `version` lives, for the AEAD.
pub fn binding(owner: &User, record_id: u64, version: u32) -> RecordBinding {
    medshare_client::context::record_binding(&owner.wallet.pubkey(), record_id, version)
}

/// Asserts that `sent` failed with the program error `name`, and returns its code.
pub fn expect_error(sent: Sent, name: &str) -> u32 {
    let failure = match sent {
        Ok(meta) => panic!("expected {name}, but it succeeded:\n{}", meta.logs.join("\n")),
        Err(failure) => failure,
    };
    let code = failure.custom_error().unwrap_or_else(|| panic!("expected {name}, got {:?}\n{}", failure.err, failure.logs.join("\n")));
    let (got, _) = medshare_client::errors::describe(code).unwrap_or_else(|| panic!("expected {name}, got unknown code {code}"));
    assert_eq!(got, name, "wrong error");
    code
}
