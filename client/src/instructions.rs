//! Instruction builders: accounts in the program's order, Anchor-encoded data
//! (`sha256("global:<name>")[..8]` then the borsh arguments).

use borsh::BorshSerialize;
use solana_instruction::{AccountMeta, Instruction};

use crate::{Address, PROGRAM_ID, discriminator, pda};

/// The system program, which every instruction that creates an account lists.
const SYSTEM: Address = solana_sdk_ids::system_program::ID;

fn build(name: &str, accounts: Vec<AccountMeta>, args: &impl BorshSerialize) -> Instruction {
    let mut data = discriminator("global", name).to_vec();
    args.serialize(&mut data).expect("writing to a Vec cannot fail");
    Instruction { program_id: PROGRAM_ID, accounts, data }
}

fn signer(address: &Address) -> AccountMeta {
    AccountMeta::new_readonly(*address, true)
}
fn payer(address: &Address) -> AccountMeta {
    AccountMeta::new(*address, true)
}
fn writable(address: &Address) -> AccountMeta {
    AccountMeta::new(*address, false)
}
fn readonly(address: &Address) -> AccountMeta {
    AccountMeta::new_readonly(*address, false)
}

/// Arguments of `create_cluster`.
#[derive(BorshSerialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateClusterArgs {
    /// Admin-chosen id, part of the cluster's seeds.
    pub cluster_id: u64,
    /// `t`, with `2 ≤ t ≤ n`.
    pub threshold: u8,
    /// `n`, with `2 ≤ n ≤ 16`.
    pub size: u8,
}

/// `create_cluster`: `admin` signs and pays; returns the instruction and the cluster address.
pub fn create_cluster(admin: &Address, args: CreateClusterArgs) -> (Instruction, Address) {
    let (cluster, _) = pda::cluster(admin, args.cluster_id);
    (build("create_cluster", vec![payer(admin), writable(&cluster), readonly(&SYSTEM)], &args), cluster)
}

/// `register_node`: the admin and the node's authority both sign.
pub fn register_node(admin: &Address, node_authority: &Address, cluster: &Address, transport_key: [u8; 32]) -> Instruction {
    build("register_node", vec![signer(admin), signer(node_authority), writable(cluster)], &transport_key)
}

/// `post_round1`: one chunk of node `dealer`'s round-1 package of `total_len` bytes.
pub fn post_round1(authority: &Address, cluster: &Address, epoch: u64, dealer: u8, total_len: u16, offset: u16, chunk: &[u8]) -> Instruction {
    let dealing = pda::dealing(cluster, epoch, dealer);
    build("post_round1", vec![payer(authority), writable(cluster), writable(&dealing), readonly(&SYSTEM)], &(epoch, dealer, total_len, offset, chunk.to_vec()))
}

/// `post_round2`: the package node `dealer` sealed to node `receiver`.
pub fn post_round2(authority: &Address, cluster: &Address, epoch: u64, dealer: u8, receiver: u8, sealed: [u8; 65]) -> Instruction {
    let dealing = pda::dealing(cluster, epoch, dealer);
    build("post_round2", vec![signer(authority), readonly(cluster), writable(&dealing)], &(receiver, sealed))
}

/// `confirm_ceremony`: node `index` confirms `PK` and `S_1..S_n`.
pub fn confirm_ceremony(authority: &Address, cluster: &Address, epoch: u64, index: u8, public_key: [u8; 32], shares: Vec<[u8; 32]>) -> Instruction {
    build("confirm_ceremony", vec![signer(authority), writable(cluster)], &(epoch, index, public_key, shares))
}

/// `suspend_node`.
pub fn suspend_node(admin: &Address, cluster: &Address, index: u8) -> Instruction {
    build("suspend_node", vec![signer(admin), writable(cluster)], &index)
}

/// `start_epoch`.
pub fn start_epoch(admin: &Address, cluster: &Address) -> Instruction {
    build("start_epoch", vec![signer(admin), writable(cluster)], &())
}

/// `init_share_patient_data_comp_def`: registers the share circuit with the cluster.
pub fn init_share_patient_data_comp_def(admin: &Address, cluster: &Address) -> Instruction {
    let circuit = pda::circuit(cluster);
    build("init_share_patient_data_comp_def", vec![payer(admin), readonly(cluster), writable(&circuit), readonly(&SYSTEM)], &())
}

/// `register_user_key`: `wallet` registers `public_key` with its proof of possession.
pub fn register_user_key(wallet: &Address, public_key: [u8; 32], proof: [u8; 64]) -> Instruction {
    build("register_user_key", vec![payer(wallet), writable(&pda::user_key(wallet)), readonly(&SYSTEM)], &(public_key, proof))
}

/// What a record version consists of (the program's `StoreArgs`).
#[derive(BorshSerialize, Debug, Clone, PartialEq, Eq)]
pub struct StoreArgs {
    /// 1 for a new record, then the current version + 1.
    pub version: u32,
    /// `C1 ‖ C2` to the cluster key.
    pub cluster_capsule: [u8; 64],
    /// `c ‖ z`: the cluster capsule's proof for its label (`encrypted_circuits::capsule`).
    pub capsule_proof: [u8; 64],
    /// `C1 ‖ C2` to the owner's key.
    pub owner_capsule: [u8; 64],
    /// 0 inline, 1 blob.
    pub storage: u8,
    /// Bytes of the sealed ciphertext.
    pub ciphertext_len: u32,
    /// SHA-256 of the blob (zero for inline).
    pub digest: [u8; 32],
    /// The blob's URI (empty for inline).
    pub uri: Vec<u8>,
    /// The first inline bytes.
    pub chunk: Vec<u8>,
}

/// `store_patient_data`: returns the instruction and the record address.
pub fn store_patient_data(owner: &Address, cluster: &Address, record_id: u64, args: &StoreArgs) -> (Instruction, Address) {
    let record = pda::record(owner, record_id);
    (build("store_patient_data", vec![payer(owner), readonly(cluster), writable(&record), readonly(&SYSTEM)], &(record_id, args)), record)
}

/// Ciphertext bytes per transaction when a record is written inline.
pub const INLINE_CHUNK: usize = 600;

/// An inline record version as the transactions that write it, one instruction each:
/// `store_patient_data` with the first [`INLINE_CHUNK`] bytes of `ciphertext` (whatever
/// `args.chunk` holds is replaced), then `append_patient_data` for the rest. Returns them
/// and the record's address.
pub fn store_inline(owner: &Address, cluster: &Address, record_id: u64, args: &StoreArgs, ciphertext: &[u8]) -> (Vec<Instruction>, Address) {
    let first = ciphertext.len().min(INLINE_CHUNK);
    let args = StoreArgs { chunk: ciphertext[..first].to_vec(), ..args.clone() };
    let (store, record) = store_patient_data(owner, cluster, record_id, &args);
    let mut instructions = vec![store];
    for offset in (first..ciphertext.len()).step_by(INLINE_CHUNK) {
        let end = (offset + INLINE_CHUNK).min(ciphertext.len());
        instructions.push(append_patient_data(owner, &record, args.version, offset as u32, &ciphertext[offset..end]));
    }
    (instructions, record)
}

/// `append_patient_data`: the next inline chunk.
pub fn append_patient_data(owner: &Address, record: &Address, version: u32, offset: u32, chunk: &[u8]) -> Instruction {
    build("append_patient_data", vec![signer(owner), writable(record)], &(version, offset, chunk.to_vec()))
}

/// `share_patient_data`: the record's `share_count`-th request; returns it and its address.
pub fn share_patient_data(
    owner: &Address,
    record: &Address,
    share_count: u32,
    cluster: &Address,
    recipient: &Address,
    expires_at: i64,
) -> (Instruction, Address) {
    let request = pda::share_request(record, share_count);
    let accounts = vec![
        payer(owner),
        writable(record),
        readonly(cluster),
        readonly(&pda::circuit(cluster)),
        readonly(recipient),
        readonly(&pda::user_key(recipient)),
        writable(&request),
        readonly(&SYSTEM),
    ];
    (build("share_patient_data", accounts, &expires_at), request)
}

/// `share_patient_data_callback`: a node's `(A_i, E_i, proof)`.
pub fn share_patient_data_callback(authority: &Address, cluster: &Address, request: &Address, a: [u8; 32], e: [u8; 32], proof: [u8; 96]) -> Instruction {
    build("share_patient_data_callback", vec![signer(authority), writable(cluster), writable(request)], &(a, e, proof))
}

/// `revoke_share`.
pub fn revoke_share(owner: &Address, request: &Address) -> Instruction {
    build("revoke_share", vec![signer(owner), writable(request)], &())
}

/// `close_record`: rent back to the owner.
pub fn close_record(owner: &Address, record: &Address) -> Instruction {
    build("close_record", vec![payer(owner), writable(record)], &())
}

/// `close_share_request`: rent back to the owner.
pub fn close_share_request(owner: &Address, request: &Address) -> Instruction {
    build("close_share_request", vec![payer(owner), writable(request)], &())
}

/// `close_dealing`: rent back to the dealer.
pub fn close_dealing(authority: &Address, cluster: &Address, epoch: u64, dealer: u8) -> Instruction {
    build("close_dealing", vec![payer(authority), readonly(cluster), writable(&pda::dealing(cluster, epoch, dealer))], &())
}
