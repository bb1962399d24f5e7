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

/// `create_cluster`: `admin` signs, pays and becomes the admin of a cluster with no members
/// and no key; returns the instruction and the cluster address.
pub fn create_cluster(admin: &Address, cluster_id: u64) -> (Instruction, Address) {
    let (cluster, _) = pda::cluster(admin, cluster_id);
    (build("create_cluster", vec![payer(admin), writable(&cluster), readonly(&SYSTEM)], &cluster_id), cluster)
}

/// `invite_node`: the admin offers the lowest free slot to `authority`.
pub fn invite_node(admin: &Address, cluster: &Address, authority: &Address) -> Instruction {
    build("invite_node", vec![signer(admin), writable(cluster)], &authority.to_bytes())
}

/// `accept_invitation`: the invited `authority` alone signs, with its transport key `T` and
/// the proof of possession `R ‖ z` (`encrypted_circuits::ceremony::TransportSecret::prove_possession`).
pub fn accept_invitation(authority: &Address, cluster: &Address, transport_key: [u8; 32], proof: [u8; 64]) -> Instruction {
    build("accept_invitation", vec![signer(authority), writable(cluster)], &(transport_key, proof))
}

/// `rotate_transport_key`: an active or suspended member replaces its transport key.
pub fn rotate_transport_key(authority: &Address, cluster: &Address, transport_key: [u8; 32], proof: [u8; 64]) -> Instruction {
    build("rotate_transport_key", vec![signer(authority), writable(cluster)], &(transport_key, proof))
}

/// `suspend_node`: active → suspended.
pub fn suspend_node(admin: &Address, cluster: &Address, index: u8) -> Instruction {
    build("suspend_node", vec![signer(admin), writable(cluster)], &index)
}

/// `remove_node`: invited → empty; active or suspended → removed.
pub fn remove_node(admin: &Address, cluster: &Address, index: u8) -> Instruction {
    build("remove_node", vec![signer(admin), writable(cluster)], &index)
}

fn start_ceremony(name: &str, admin: &Address, cluster: &Address, epoch: u64, threshold: u8, window_slots: u32, members: u16) -> Instruction {
    let ceremony = pda::ceremony(cluster, epoch);
    build(name, vec![payer(admin), writable(cluster), writable(&ceremony), readonly(&SYSTEM)], &(epoch, threshold, window_slots, members))
}

/// `start_epoch`: the admin starts a key generation (a new `PK`) for `members` (a bitmask of
/// active members, bit `i-1` for member `i`: [`crate::accounts::mask_of`]) with threshold
/// `t'`; `epoch` must be the cluster's `ceremony_epoch + 1`
/// ([`crate::accounts::Cluster::next_ceremony_epoch`]); each phase lasts `window_slots`.
pub fn start_epoch(admin: &Address, cluster: &Address, epoch: u64, threshold: u8, window_slots: u32, members: u16) -> Instruction {
    start_ceremony("start_epoch", admin, cluster, epoch, threshold, window_slots, members)
}

/// `reshare`: as [`start_epoch`], for a resharing of the same `PK` to `members` (dealt by
/// every active member holding a share of the serving epoch).
pub fn reshare(admin: &Address, cluster: &Address, epoch: u64, threshold: u8, window_slots: u32, members: u16) -> Instruction {
    start_ceremony("reshare", admin, cluster, epoch, threshold, window_slots, members)
}

/// `post_dealing`: dealer `dealer` writes `chunk` at `offset` of its dealing in ceremony
/// `epoch` (see [`dealing_chunks`] and [`post_dealing_transactions`]).
pub fn post_dealing(authority: &Address, cluster: &Address, epoch: u64, dealer: u8, offset: u16, chunk: &[u8]) -> Instruction {
    let accounts =
        vec![payer(authority), writable(cluster), writable(&pda::ceremony(cluster, epoch)), writable(&pda::dealing(cluster, epoch, dealer)), readonly(&SYSTEM)];
    build("post_dealing", accounts, &(epoch, dealer, offset, chunk.to_vec()))
}

/// `complain`: the signing receiver reveals `K_ij ‖ c ‖ z` (`encrypted_circuits::ceremony::complain`)
/// against dealer `dealer`'s dealing in ceremony `epoch`.
pub fn complain(authority: &Address, cluster: &Address, epoch: u64, dealer: u8, complaint: [u8; 96]) -> Instruction {
    let accounts = vec![signer(authority), writable(cluster), writable(&pda::ceremony(cluster, epoch)), readonly(&pda::dealing(cluster, epoch, dealer))];
    build("complain", accounts, &(epoch, dealer, complaint))
}

/// `fold_dealing`: anyone (the fee payer signs, nobody else) folds qualified dealer
/// `dealer`'s commitments into ceremony `epoch`'s aggregate, once dealing has closed; every
/// dealing of `Q` ([`crate::accounts::Ceremony::unfolded`]) must be folded before receivers
/// confirm.
pub fn fold_dealing(cluster: &Address, epoch: u64, dealer: u8) -> Instruction {
    let accounts = vec![readonly(cluster), writable(&pda::ceremony(cluster, epoch)), readonly(&pda::dealing(cluster, epoch, dealer))];
    build("fold_dealing", accounts, &(epoch, dealer))
}

/// `confirm_ceremony`: the signing receiver's `S'_j` and proof of possession, checked against
/// the ceremony's folded commitments (every qualified dealing folded first: [`fold_dealing`]).
pub fn confirm_ceremony(authority: &Address, cluster: &Address, epoch: u64, verification_share: [u8; 32], proof: [u8; 64]) -> Instruction {
    let accounts = vec![signer(authority), writable(cluster), writable(&pda::ceremony(cluster, epoch))];
    build("confirm_ceremony", accounts, &(epoch, verification_share, proof))
}

/// `advance_ceremony`: anyone (the fee payer signs, nobody else) moves ceremony `epoch`
/// past a deadline.
pub fn advance_ceremony(cluster: &Address, epoch: u64) -> Instruction {
    build("advance_ceremony", vec![writable(cluster), writable(&pda::ceremony(cluster, epoch))], &epoch)
}

/// Dealing bytes per `post_dealing` transaction: with the compute-budget instruction in
/// the same transaction it stays under the 1,232-byte packet (a test checks it).
pub const DEALING_CHUNK: usize = 800;

/// A dealing split into `(offset, chunk)` of at most [`DEALING_CHUNK`] bytes, in order.
pub fn dealing_chunks(bytes: &[u8]) -> Vec<(u16, &[u8])> {
    bytes.chunks(DEALING_CHUNK).enumerate().map(|(k, chunk)| ((k * DEALING_CHUNK) as u16, chunk)).collect()
}

/// The compute budget program's `SetComputeUnitLimit(units)`.
pub fn set_compute_unit_limit(units: u32) -> Instruction {
    solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(units)
}

/// `instruction` preceded by the compute-unit limit the client's table gives it
/// ([`crate::compute::compute_unit_limit`]): one transaction's instructions, so that a test
/// sending it outside [`crate::rpc::Connection::send`] runs under the limit a real send
/// requests.
pub fn with_compute_unit_limit(instruction: Instruction) -> Vec<Instruction> {
    vec![set_compute_unit_limit(crate::compute::compute_unit_limit(std::slice::from_ref(&instruction))), instruction]
}

/// A whole dealing as the transactions that write it, in order, one `post_dealing` each;
/// the last (which has the program check the dealing) with its compute-unit limit.
pub fn post_dealing_transactions(authority: &Address, cluster: &Address, epoch: u64, dealer: u8, bytes: &[u8]) -> Vec<Vec<Instruction>> {
    let chunks = dealing_chunks(bytes);
    let last = chunks.len().saturating_sub(1);
    chunks
        .into_iter()
        .enumerate()
        .map(|(k, (offset, chunk))| {
            let instruction = post_dealing(authority, cluster, epoch, dealer, offset, chunk);
            if k == last { with_compute_unit_limit(instruction) } else { vec![instruction] }
        })
        .collect()
}

/// `fold_dealing` with its compute-unit limit: one transaction's instructions.
pub fn fold_dealing_transaction(cluster: &Address, epoch: u64, dealer: u8) -> Vec<Instruction> {
    with_compute_unit_limit(fold_dealing(cluster, epoch, dealer))
}

/// `complain` with its compute-unit limit: one transaction's instructions.
pub fn complain_transaction(authority: &Address, cluster: &Address, epoch: u64, dealer: u8, complaint: [u8; 96]) -> Vec<Instruction> {
    with_compute_unit_limit(complain(authority, cluster, epoch, dealer, complaint))
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

/// `share_patient_data_callback`: a node's `(A_i, E_i, proof)`, made with its share of the
/// serving epoch `epoch` (in that epoch's context).
pub fn share_patient_data_callback(
    authority: &Address,
    cluster: &Address,
    request: &Address,
    a: [u8; 32],
    e: [u8; 32],
    proof: [u8; 96],
    epoch: u64,
) -> Instruction {
    build("share_patient_data_callback", vec![signer(authority), writable(cluster), writable(request)], &(a, e, proof, epoch))
}

/// `revoke_share`.
pub fn revoke_share(owner: &Address, request: &Address) -> Instruction {
    build("revoke_share", vec![signer(owner), writable(request)], &())
}

/// `expire_share_request`: anyone (the fee payer signs the transaction, not the instruction)
/// marks a pending request past its expiry as expired.
pub fn expire_share_request(request: &Address) -> Instruction {
    build("expire_share_request", vec![writable(request)], &())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn a(byte: u8) -> Address {
        Address::new_from_array([byte; 32])
    }

    /// The wire size of a legacy transaction holding `instructions`, paid by `payer`.
    fn transaction_size(payer: &Address, instructions: &[Instruction]) -> usize {
        fn compact(n: usize) -> usize {
            if n < 0x80 {
                1
            } else if n < 0x4000 {
                2
            } else {
                3
            }
        }
        let tx = solana_transaction::Transaction::new_with_payer(instructions, Some(payer));
        let message = &tx.message;
        let body: usize =
            message.instructions.iter().map(|ix| 1 + compact(ix.accounts.len()) + ix.accounts.len() + compact(ix.data.len()) + ix.data.len()).sum();
        compact(tx.signatures.len())
            + 64 * tx.signatures.len()
            + 3
            + compact(message.account_keys.len())
            + 32 * message.account_keys.len()
            + 32
            + compact(message.instructions.len())
            + body
    }

    #[test]
    fn the_longest_dealing_goes_in_two_transactions_that_fit_a_packet() {
        let bytes: Vec<u8> = (0..crate::accounts::MAX_DEALING_LEN).map(|i| i as u8).collect();
        let chunks = dealing_chunks(&bytes);
        assert_eq!(chunks.iter().map(|(offset, chunk)| (*offset, chunk.len())).collect::<Vec<_>>(), [(0, 800), (800, 320)]);
        assert_eq!(chunks.iter().flat_map(|(_, chunk)| chunk.iter().copied()).collect::<Vec<u8>>(), bytes);
        let transactions = post_dealing_transactions(&a(1), &a(2), 3, 4, &bytes);
        assert_eq!(transactions.len(), 2);
        assert_eq!(transactions[0].len(), 1, "only the last chunk has the dealing checked");
        assert_eq!(transactions[1][0], set_compute_unit_limit(crate::compute::compute_unit_limit(&transactions[1][1..])));
        // a full first chunk, with the compute-budget instruction as well, still fits
        let worst = with_compute_unit_limit(post_dealing(&a(1), &a(2), 3, 4, 0, &bytes[..DEALING_CHUNK]));
        let size = transaction_size(&a(1), &worst);
        assert!(size <= 1232, "{size} bytes");
        // the shortest dealing is one transaction
        let short = vec![0u8; crate::accounts::dealing_len(2)];
        assert_eq!(post_dealing_transactions(&a(1), &a(2), 3, 4, &short).len(), 1);
        assert!(dealing_chunks(&[]).is_empty());
    }

    #[test]
    fn a_fold_names_the_ceremony_and_one_dealing() {
        let instructions = fold_dealing_transaction(&a(2), 5, 7);
        assert_eq!(instructions[0], set_compute_unit_limit(crate::compute::compute_unit_limit(&instructions[1..])));
        let fold = &instructions[1];
        assert_eq!(
            fold.accounts.iter().map(|m| (m.pubkey, m.is_signer, m.is_writable)).collect::<Vec<_>>(),
            [(a(2), false, false), (pda::ceremony(&a(2), 5), false, true), (pda::dealing(&a(2), 5, 7), false, false)]
        );
        assert_eq!(fold.data[8..], [5, 0, 0, 0, 0, 0, 0, 0, 7]);
    }

    #[test]
    fn arguments_are_borsh_in_the_programs_order() {
        let (ix, cluster) = create_cluster(&a(5), 0x0102);
        assert_eq!((ix.data.len(), &ix.data[8..]), (16, &[2, 1, 0, 0, 0, 0, 0, 0][..]));
        assert_eq!(cluster, pda::cluster(&a(5), 0x0102).0);
        assert_eq!(invite_node(&a(1), &a(2), &a(9)).data[8..], [9; 32]);
        let ix = start_epoch(&a(1), &a(2), 1, 3, 150, 0b101);
        assert_eq!(ix.data[8..], [1, 0, 0, 0, 0, 0, 0, 0, 3, 150, 0, 0, 0, 5, 0]);
        assert_eq!(ix.data[..8], crate::discriminator("global", "start_epoch"));
        assert_eq!(reshare(&a(1), &a(2), 1, 3, 150, 0b11).data[..8], crate::discriminator("global", "reshare"));
        let ix = post_dealing(&a(1), &a(2), 7, 3, 800, &[0xaa, 0xbb]);
        assert_eq!(ix.data[8..], [7, 0, 0, 0, 0, 0, 0, 0, 3, 0x20, 0x03, 2, 0, 0, 0, 0xaa, 0xbb]);
        assert_eq!(ix.accounts[3].pubkey, pda::dealing(&a(2), 7, 3));
        let ix = complain(&a(1), &a(2), 7, 3, [5; 96]);
        assert_eq!((ix.data.len(), ix.data[16], ix.accounts[3].is_writable), (8 + 8 + 1 + 96, 3, false));
        let ix = advance_ceremony(&a(2), 7);
        assert!(ix.accounts.iter().all(|m| !m.is_signer), "anyone may advance");
        assert_eq!(set_compute_unit_limit(400_000).data, [2, 0x80, 0x1a, 0x06, 0]);
    }
}
