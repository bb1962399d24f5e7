//! A whole MedShare deployment inside LiteSVM, driven only through the program's
//! instructions on the real `.so`: a cluster whose nodes run the key ceremony from what
//! they read back from chain, patients and recipients with registered keys, records,
//! share requests and partials made with `encrypted-circuits`.

use encrypted_circuits::{
    ceremony::{CeremonyOutput, CeremonyParams, Participant, TransportSecret},
    keys::UserSecretKey,
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
    /// Its X25519 transport key.
    pub transport: TransportSecret,
    /// Its share of the cluster key, once the ceremony is done.
    pub output: Option<CeremonyOutput>,
}

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

    /// A cluster in LiteSVM with all `n` nodes registered and its ceremony not yet run.
    pub fn registered(threshold: u8, size: u8) -> World<Svm> {
        World::registered_on(Svm(crate::svm::with_program()), threshold, size)
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
    /// A cluster of `n` nodes with threshold `t` on `chain`, its ceremony run and circuit registered.
    pub fn active(chain: C, threshold: u8, size: u8) -> World<C> {
        let mut world = World::registered_on(chain, threshold, size);
        world.run_ceremony();
        let admin = world.admin.insecure_clone();
        world.ok("init_share_patient_data_comp_def", &admin, &[], &[ix::init_share_patient_data_comp_def(&admin.pubkey(), &world.cluster)]);
        world
    }

    /// A cluster on `chain` with all `n` nodes registered and its ceremony not yet run.
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
        for _ in 0..size {
            let authority = world.funded_wallet(10);
            let transport = TransportSecret::random(&mut world.rng);
            world.nodes.push(Node { authority, transport, output: None });
        }
        let (create, cluster) = ix::create_cluster(&world.admin.pubkey(), ix::CreateClusterArgs { cluster_id: 1, threshold, size });
        world.cluster = cluster;
        let admin = world.admin.insecure_clone();
        world.ok("create_cluster", &admin, &[], &[create]);
        for i in 0..world.nodes.len() {
            let authority = world.nodes[i].authority.insecure_clone();
            let register = ix::register_node(&admin.pubkey(), &authority.pubkey(), &cluster, world.nodes[i].transport.public_key());
            world.ok("register_node", &admin, &[&authority], &[register]);
        }
        world
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

    /// The current ceremony epoch.
    pub fn epoch(&self) -> u64 {
        self.cluster_account().epoch
    }

    /// Runs the key ceremony of the current epoch through the program: every node deals
    /// (round 1 in chunks), reads the others' packages back from chain, posts its sealed
    /// round-2 packages, reads those sealed to it, finishes and confirms.
    pub fn run_ceremony(&mut self) {
        let epoch = self.epoch();
        self.run_ceremony_until_confirmations();
        for i in 1..=self.nodes.len() as u8 {
            self.confirm(i, epoch).expect("confirm");
        }
    }

    /// [`World::run_ceremony`] up to, not including, the confirmations.
    pub fn run_ceremony_until_confirmations(&mut self) {
        let epoch = self.epoch();
        let params = self.ceremony_params();
        let n = self.nodes.len() as u8;
        let mut participants = Vec::new();
        for i in 1..=n {
            let (participant, package) = Participant::round1(&mut self.rng, params, u16::from(i)).expect("round 1");
            participants.push(participant);
            self.post_round1(i, &package);
        }
        let round1 = self.read_round1(epoch);
        let transport_keys = self.transport_keys();
        for i in 1..=n {
            let node = &self.nodes[usize::from(i) - 1];
            let sealed = participants[usize::from(i) - 1].round2(&mut self.rng, &node.transport, &round1, &transport_keys).expect("round 2");
            let authority = node.authority.insecure_clone();
            for (to, package) in sealed {
                let package: [u8; 65] = package.try_into().expect("65-byte sealed package");
                self.ok("post_round2", &authority, &[], &[ix::post_round2(&authority.pubkey(), &self.cluster, epoch, i, to as u8, package)]);
            }
        }
        for (i, participant) in (1..=n).zip(participants) {
            let inbox = self.read_round2_to(epoch, i);
            let node = &self.nodes[usize::from(i) - 1];
            let output = participant.finish(&node.transport, &transport_keys, &inbox).expect("finish");
            self.nodes[usize::from(i) - 1].output = Some(output);
        }
    }

    /// The parameters every node of the current epoch agrees on.
    pub fn ceremony_params(&self) -> CeremonyParams {
        let cluster = self.cluster_account();
        CeremonyParams { cluster: self.cluster.to_bytes(), epoch: cluster.epoch, size: u16::from(cluster.size), threshold: u16::from(cluster.threshold) }
    }

    /// Posts node `i`'s round-1 package in two chunks (so the chunked path always runs).
    pub fn post_round1(&mut self, i: u8, package: &[u8]) {
        let epoch = self.epoch();
        let authority = self.nodes[usize::from(i) - 1].authority.insecure_clone();
        let half = package.len() / 2;
        for (offset, chunk) in [(0, &package[..half]), (half, &package[half..])] {
            let post = ix::post_round1(&authority.pubkey(), &self.cluster, epoch, i, package.len() as u16, offset as u16, chunk);
            self.ok("post_round1", &authority, &[], &[post]);
        }
    }

    /// Node `i` confirms the `PK` and `S_j` its ceremony output holds.
    pub fn confirm(&mut self, i: u8, epoch: u64) -> Sent {
        let node = &self.nodes[usize::from(i) - 1];
        let output = node.output.as_ref().expect("finished");
        let shares: Vec<[u8; 32]> = output.verification_shares.values().map(|s| s.to_bytes()).collect();
        let authority = node.authority.insecure_clone();
        let confirm = ix::confirm_ceremony(&authority.pubkey(), &self.cluster, epoch, i, output.cluster_key.to_bytes(), shares);
        self.send("confirm_ceremony", &authority, &[], &[confirm])
    }

    /// Every node's round-1 package of `epoch`, as the chain holds it.
    pub fn read_round1(&self, epoch: u64) -> BTreeMap<u16, Vec<u8>> {
        (1..=self.nodes.len() as u8)
            .map(|i| {
                let dealing = self.dealing(epoch, i);
                assert!(dealing.round1_complete, "node {i}'s round 1 is complete on chain");
                (u16::from(i), dealing.round1)
            })
            .collect()
    }

    /// The round-2 packages sealed to node `to` in `epoch`, by dealer, from chain.
    pub fn read_round2_to(&self, epoch: u64, to: u8) -> BTreeMap<u16, Vec<u8>> {
        (1..=self.nodes.len() as u8)
            .filter(|&dealer| dealer != to)
            .map(|dealer| {
                let sealed = self.dealing(epoch, dealer).round2[usize::from(to) - 1].expect("posted");
                (u16::from(dealer), sealed.to_vec())
            })
            .collect()
    }

    /// Node `dealer`'s dealing account of `epoch`.
    pub fn dealing(&self, epoch: u64, dealer: u8) -> accounts::Dealing {
        let address = pda::dealing(&self.cluster, epoch, dealer);
        accounts::Dealing::decode(&self.account(&address).expect("dealing")).expect("a Dealing")
    }

    /// Every node's X25519 key, from the cluster account.
    pub fn transport_keys(&self) -> BTreeMap<u16, [u8; 32]> {
        self.cluster_account().members.iter().map(|m| (u16::from(m.index), m.transport_key)).collect()
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

    /// Node `i`'s honest partial for `request`, computed from the request as on chain.
    pub fn partial(&mut self, i: u8, request: &Address) -> Partial {
        let on_chain = self.request(request);
        let context = medshare_client::context::request_context(&self.cluster, request, on_chain.epoch);
        let capsule = Capsule::from_bytes(&on_chain.capsule).expect("capsule");
        let recipient = encrypted_circuits::keys::PublicKey::from_bytes(&on_chain.recipient_key, "P_R").expect("P_R");
        let share = &self.nodes[usize::from(i) - 1].output.as_ref().expect("ceremony done").share;
        share.reencrypt(&mut self.rng, &context, &capsule, &recipient).expect("partial")
    }

    /// Node `i` posts `partial` for `request`.
    pub fn post_partial(&mut self, i: u8, request: &Address, partial: &Partial) -> Sent {
        let authority = self.nodes[usize::from(i) - 1].authority.insecure_clone();
        let callback = ix::share_patient_data_callback(&authority.pubkey(), &self.cluster, request, partial.a, partial.e, partial.proof.to_bytes());
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
