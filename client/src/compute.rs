//! Compute budgets: the compute-unit limit a transaction asks for, from a table of the
//! program's instructions (their measured worst case plus a margin), and the
//! compute-budget instructions [`crate::rpc::Connection::send`] puts in front of a
//! transaction.
//!
//! Why a limit at all: without one the runtime reserves 200,000 CU per instruction, and a
//! priority fee is paid per CU *requested*, so a small honest limit makes the same priority
//! cheaper and lets a leader pack the transaction sooner.
//!
//! How the table was made: `tests/tests/program_cu.rs` (`cargo xtask cu`) runs every
//! instruction on the real `.so`, in a 3-of-5 cluster and in the largest ceremony
//! (16 members, `t' = 16`); [`MEASURED`] holds the worst of those runs. An instruction's
//! limit is that plus [`MARGIN_PERCENT`], at least [`FLOOR`], plus [`BUMP_SEARCH_ALLOWANCE`]
//! for the instructions whose accounts the runtime finds with a bump search (its cost
//! depends on the wallet: about 1,500 CU per `create_program_address` try).
//! `program_cu.rs` asserts that every measured transaction used less than the limit the
//! client would request for it, so a program change that outgrows a limit fails the tests.

use solana_instruction::Instruction;

use crate::{Address, PROGRAM_ID, discriminator};

/// The most a transaction may ask for (the runtime's `MAX_COMPUTE_UNIT_LIMIT`).
pub const MAX_TRANSACTION_LIMIT: u32 = 1_400_000;
/// Margin over the measured worst case, in percent (rounded up).
pub const MARGIN_PERCENT: u32 = 25;
/// The least limit any of the program's instructions gets, so that a small change (a log
/// line, an extra check) to a cheap instruction does not make it fail.
pub const FLOOR: u32 = 10_000;
/// Room for the runtime's PDA bump search of an account created with a searched bump:
/// 16 extra `create_program_address` tries at 1,500 CU (a wallet needs more with
/// probability 2⁻¹⁶).
pub const BUMP_SEARCH_ALLOWANCE: u32 = 16 * 1_500;
/// What the runtime gives an instruction of a program other than the builtins when a
/// transaction sets no limit (`DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT`): the limit of
/// another program's instruction and of an instruction of this program the table does not
/// know (a newer program than this client).
pub const UNKNOWN_INSTRUCTION_LIMIT: u32 = 200_000;
/// What the runtime gives a builtin's instruction (system program, loaders, signature
/// precompiles) when a transaction sets no limit (`MAX_BUILTIN_ALLOCATION_COMPUTE_UNIT_LIMIT`),
/// so a limit from this module never starves a transaction that ran without one.
pub const BUILTIN_INSTRUCTION_LIMIT: u32 = 3_000;
/// What one compute-budget instruction itself consumes (the compute budget program's
/// `DEFAULT_COMPUTE_UNITS`).
pub const COMPUTE_BUDGET_INSTRUCTION_COST: u32 = 150;

/// The worst compute units measured for each of the program's instructions (by name), and
/// whether the runtime searches a PDA bump for one of its accounts. Source: `cargo xtask cu`
/// (docs/BENCHMARKS.md), the worst of the 3-of-5 run and the 16-member, `t' = 16` ceremony,
/// the program's own use (the compute-budget instructions' 150 CU each are added per
/// transaction by [`compute_unit_limit`]).
pub const MEASURED: &[(&str, u32, bool)] = &[
    ("accept_invitation", 5_741, false),
    // when it activates with 3 of 4 receivers (activation walks the members)
    ("advance_ceremony", 1_420, false),
    ("append_patient_data", 394, false),
    ("close_dealing", 786, false),
    ("close_record", 688, false),
    ("close_share_request", 698, false),
    // t' = 16, upheld: the sub-share is checked against 16 commitments
    ("complain", 29_523, false),
    // t' = 16, the confirmation that activates
    ("confirm_ceremony", 25_086, false),
    ("create_cluster", 2_373, true),
    ("expire_share_request", 699, false),
    // t' = 16: 16 commitments folded
    ("fold_dealing", 57_067, false),
    ("init_share_patient_data_comp_def", 2_469, true),
    ("invite_node", 887, false),
    // the last chunk of a 16-member dealing, which checks the whole dealing
    ("post_dealing", 11_677, true),
    ("register_user_key", 6_668, true),
    ("remove_node", 647, false),
    ("reshare", 2_938, true),
    ("revoke_share", 665, false),
    ("rotate_transport_key", 5_675, false),
    ("share_patient_data", 3_937, true),
    // the partial that completes the share
    ("share_patient_data_callback", 14_029, false),
    ("start_epoch", 2_887, true),
    // a new record with 1 KiB inline (a transaction holds no more)
    ("store_patient_data", 8_592, true),
    ("suspend_node", 597, false),
];

/// The limit one instruction of the program gets: measured worst case plus
/// [`MARGIN_PERCENT`] (rounded up), at least [`FLOOR`], plus [`BUMP_SEARCH_ALLOWANCE`] when
/// the runtime searches a bump.
pub const fn limit_from_measurement(measured: u32, bump_search: bool) -> u32 {
    let with_margin = (measured * (100 + MARGIN_PERCENT)).div_ceil(100);
    let limit = if with_margin < FLOOR { FLOOR } else { with_margin };
    if bump_search { limit + BUMP_SEARCH_ALLOWANCE } else { limit }
}

/// The limit of the program's instruction called `name` (as in the IDL), if the table
/// knows it.
pub fn instruction_limit(name: &str) -> Option<u32> {
    MEASURED.iter().find(|(known, _, _)| *known == name).map(|(_, measured, bump)| limit_from_measurement(*measured, *bump))
}

/// The table keyed by Anchor discriminator, built once.
fn by_discriminator() -> &'static [([u8; 8], u32)] {
    static TABLE: std::sync::OnceLock<Vec<([u8; 8], u32)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| MEASURED.iter().map(|(name, measured, bump)| (discriminator("global", name), limit_from_measurement(*measured, *bump))).collect())
}

/// Whether `program_id` is one of the runtime's builtins that are budgeted at
/// [`BUILTIN_INSTRUCTION_LIMIT`] when a transaction sets no limit.
fn is_builtin(program_id: &Address) -> bool {
    use solana_sdk_ids::*;
    [system_program::ID, bpf_loader_upgradeable::ID, bpf_loader_deprecated::ID, bpf_loader::ID, loader_v4::ID, secp256k1_program::ID, ed25519_program::ID]
        .contains(program_id)
}

/// The limit of one instruction that is not a compute-budget instruction: the table's for
/// the program's own, the runtime's default for everything else.
fn one_instruction_limit(instruction: &Instruction) -> u32 {
    if instruction.program_id == PROGRAM_ID {
        let known = instruction.data.get(..8).and_then(|tag| by_discriminator().iter().find(|(d, _)| d[..] == *tag));
        known.map_or(UNKNOWN_INSTRUCTION_LIMIT, |(_, limit)| *limit)
    } else if is_builtin(&instruction.program_id) {
        BUILTIN_INSTRUCTION_LIMIT
    } else {
        UNKNOWN_INSTRUCTION_LIMIT
    }
}

/// The compute-unit limit for a transaction of `instructions` (without or with
/// compute-budget instructions): the sum of each instruction's limit, plus what the
/// compute-budget instructions consume (the caller's and the limit and price instructions
/// [`with_compute_budget`] may add), capped at [`MAX_TRANSACTION_LIMIT`].
pub fn compute_unit_limit(instructions: &[Instruction]) -> u32 {
    let mut budget_instructions = 2u32;
    let mut sum = 0u32;
    for instruction in instructions {
        if is_compute_budget(instruction) {
            budget_instructions += 1;
        } else {
            sum = sum.saturating_add(one_instruction_limit(instruction));
        }
    }
    sum.saturating_add(budget_instructions * COMPUTE_BUDGET_INSTRUCTION_COST).min(MAX_TRANSACTION_LIMIT)
}

fn is_compute_budget(instruction: &Instruction) -> bool {
    instruction.program_id == solana_sdk_ids::compute_budget::ID
}

/// The compute budget program's instruction tags (its borsh enum's variant index).
const SET_COMPUTE_UNIT_LIMIT: u8 = 2;
const SET_COMPUTE_UNIT_PRICE: u8 = 3;

fn has_budget_instruction(instructions: &[Instruction], tag: u8) -> bool {
    instructions.iter().any(|ix| is_compute_budget(ix) && ix.data.first() == Some(&tag))
}

/// The compute-unit limit a transaction of `instructions` runs with once
/// [`with_compute_budget`] has prepared it: the caller's own `SetComputeUnitLimit` if it has
/// one, [`compute_unit_limit`] otherwise.
pub fn requested_compute_unit_limit(instructions: &[Instruction]) -> u32 {
    instructions
        .iter()
        .filter(|ix| is_compute_budget(ix) && ix.data.first() == Some(&SET_COMPUTE_UNIT_LIMIT))
        .find_map(|ix| ix.data.get(1..5).map(|units| u32::from_le_bytes(units.try_into().expect("four bytes"))))
        .unwrap_or_else(|| compute_unit_limit(instructions))
}

/// `instructions` as sent: preceded by `SetComputeUnitLimit(`[`compute_unit_limit`]`)` and,
/// when `micro_lamports_per_cu` is not zero, `SetComputeUnitPrice`. **The caller's own
/// compute-budget instructions win**: a limit (or price) instruction already among
/// `instructions` is kept and none is added for that kind (two of a kind would make the
/// runtime refuse the transaction as a duplicate).
pub fn with_compute_budget(instructions: &[Instruction], micro_lamports_per_cu: u64) -> Vec<Instruction> {
    use solana_compute_budget_interface::ComputeBudgetInstruction;
    let mut prepared = Vec::with_capacity(instructions.len() + 2);
    if !has_budget_instruction(instructions, SET_COMPUTE_UNIT_LIMIT) {
        prepared.push(ComputeBudgetInstruction::set_compute_unit_limit(compute_unit_limit(instructions)));
    }
    if micro_lamports_per_cu > 0 && !has_budget_instruction(instructions, SET_COMPUTE_UNIT_PRICE) {
        prepared.push(ComputeBudgetInstruction::set_compute_unit_price(micro_lamports_per_cu));
    }
    prepared.extend_from_slice(instructions);
    prepared
}

/// The most bytes a transaction may have on the wire (`PACKET_DATA_SIZE`).
pub const PACKET_LIMIT: usize = 1232;

/// The wire size of a legacy transaction of `instructions` paid by `fee_payer`, signed.
pub fn transaction_size(instructions: &[Instruction], fee_payer: &Address) -> usize {
    let message = solana_message::Message::new(instructions, Some(fee_payer));
    let signatures = usize::from(message.header.num_required_signatures);
    // the signature count is a compact-u16: one byte below 128
    let count_len = if signatures < 0x80 { 1 } else { 2 };
    count_len + 64 * signatures + message.serialize().len()
}

/// [`with_compute_budget`], for a transaction paid by `fee_payer`, within [`PACKET_LIMIT`]:
/// a transaction too large for both budget instructions (up to 52 bytes: the compute budget
/// program's address and two instructions) goes without the price, and one too large for
/// the limit as well goes as the caller made it (the runtime's default limit, no priority
/// fee) rather than not at all.
pub fn prepare(instructions: &[Instruction], fee_payer: &Address, micro_lamports_per_cu: u64) -> Vec<Instruction> {
    let full = with_compute_budget(instructions, micro_lamports_per_cu);
    if transaction_size(&full, fee_payer) <= PACKET_LIMIT {
        return full;
    }
    let limit_only = with_compute_budget(instructions, 0);
    if transaction_size(&limit_only, fee_payer) <= PACKET_LIMIT {
        return limit_only;
    }
    instructions.to_vec()
}

/// The accounts `instructions` write (deduplicated, in order, at most 128: what
/// `getRecentPrioritizationFees` accepts): the fees paid recently for them are what a
/// transaction competing for them has to beat.
pub fn writable_accounts(instructions: &[Instruction]) -> Vec<Address> {
    let mut accounts: Vec<Address> = Vec::new();
    for meta in instructions.iter().flat_map(|ix| &ix.accounts).filter(|meta| meta.is_writable) {
        if !accounts.contains(&meta.pubkey) && accounts.len() < 128 {
            accounts.push(meta.pubkey);
        }
    }
    accounts
}

/// The priority fee (micro-lamports per CU) from the recent fees `samples` of the written
/// accounts: the 75th percentile (nearest rank) of the non-zero ones, 0 when all are zero
/// or there are none, at most `max`.
pub fn priority_fee_from_samples(samples: &[u64], max: u64) -> u64 {
    let mut paid: Vec<u64> = samples.iter().copied().filter(|fee| *fee > 0).collect();
    if paid.is_empty() {
        return 0;
    }
    paid.sort_unstable();
    let rank = (paid.len() * 3).div_ceil(4); // 1-based nearest rank of the 75th percentile
    paid[rank - 1].min(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{instructions as ix, pda};
    use solana_compute_budget_interface::ComputeBudgetInstruction;

    fn a(byte: u8) -> Address {
        Address::new_from_array([byte; 32])
    }

    /// Inline store arguments for a ciphertext of `ciphertext_len` bytes, no chunk yet.
    fn store_args(ciphertext_len: u32) -> ix::StoreArgs {
        ix::StoreArgs {
            version: 1,
            cluster_capsule: [1; 64],
            capsule_proof: [2; 64],
            owner_capsule: [3; 64],
            storage: 0,
            ciphertext_len,
            digest: [0; 32],
            uri: Vec::new(),
            chunk: Vec::new(),
        }
    }

    /// One instruction from every builder of `crate::instructions`, named as the program
    /// names it.
    fn every_builder() -> Vec<(&'static str, Instruction)> {
        let args = ix::StoreArgs { chunk: vec![1, 2, 3], ..store_args(3) };
        vec![
            ("create_cluster", ix::create_cluster(&a(1), 1).0),
            ("invite_node", ix::invite_node(&a(1), &a(2), &a(3))),
            ("accept_invitation", ix::accept_invitation(&a(3), &a(2), [4; 32], [5; 64])),
            ("rotate_transport_key", ix::rotate_transport_key(&a(3), &a(2), [4; 32], [5; 64])),
            ("suspend_node", ix::suspend_node(&a(1), &a(2), 1)),
            ("remove_node", ix::remove_node(&a(1), &a(2), 1)),
            ("start_epoch", ix::start_epoch(&a(1), &a(2), 1, 2, 150, 0b11)),
            ("reshare", ix::reshare(&a(1), &a(2), 2, 2, 150, 0b11)),
            ("post_dealing", ix::post_dealing(&a(3), &a(2), 1, 1, 0, &[7; 10])),
            ("complain", ix::complain(&a(3), &a(2), 1, 2, [6; 96])),
            ("fold_dealing", ix::fold_dealing(&a(2), 1, 1)),
            ("confirm_ceremony", ix::confirm_ceremony(&a(3), &a(2), 1, [8; 32], [9; 64])),
            ("advance_ceremony", ix::advance_ceremony(&a(2), 1)),
            ("init_share_patient_data_comp_def", ix::init_share_patient_data_comp_def(&a(1), &a(2))),
            ("register_user_key", ix::register_user_key(&a(4), [1; 32], [2; 64])),
            ("store_patient_data", ix::store_patient_data(&a(4), &a(2), 1, &args).0),
            ("append_patient_data", ix::append_patient_data(&a(4), &a(5), 1, 600, &[1; 10])),
            ("share_patient_data", ix::share_patient_data(&a(4), &a(5), 0, &a(2), &a(6), 0).0),
            ("share_patient_data_callback", ix::share_patient_data_callback(&a(3), &a(2), &a(7), [1; 32], [2; 32], [3; 96], 1)),
            ("revoke_share", ix::revoke_share(&a(4), &a(7))),
            ("close_record", ix::close_record(&a(4), &a(5))),
            ("close_share_request", ix::close_share_request(&a(4), &a(7))),
            ("close_dealing", ix::close_dealing(&a(3), &a(2), 1, 1)),
            ("expire_share_request", ix::expire_share_request(&a(7))),
        ]
    }

    #[test]
    fn every_instruction_builder_maps_to_its_measured_limit() {
        for (name, instruction) in every_builder() {
            let expected = instruction_limit(name).unwrap_or_else(|| panic!("{name} has no entry in the table"));
            assert!((FLOOR..UNKNOWN_INSTRUCTION_LIMIT).contains(&expected), "{name}: {expected}");
            assert_eq!(one_instruction_limit(&instruction), expected, "{name} is found by its discriminator");
            assert_eq!(compute_unit_limit(&[instruction]), expected + 2 * COMPUTE_BUDGET_INSTRUCTION_COST, "{name}");
        }
        // every table entry is an instruction the program has
        let built: Vec<&str> = every_builder().iter().map(|(name, _)| *name).collect();
        for (name, _, _) in MEASURED {
            assert!(built.contains(name), "{name} is in the table but has no builder");
        }
        assert_eq!(built.len(), MEASURED.len());
    }

    #[test]
    fn a_limit_is_the_measurement_plus_a_quarter_a_floor_and_the_bump_search() {
        assert_eq!(limit_from_measurement(57_067, false), 71_334, "57,067 × 1.25 = 71,333.75, rounded up");
        assert_eq!(limit_from_measurement(16_000, false), 20_000);
        assert_eq!(limit_from_measurement(394, false), FLOOR);
        assert_eq!(limit_from_measurement(8_592, true), 10_740 + BUMP_SEARCH_ALLOWANCE);
        assert_eq!(limit_from_measurement(100, true), FLOOR + BUMP_SEARCH_ALLOWANCE);
        assert_eq!(instruction_limit("fold_dealing"), Some(71_334));
        assert_eq!(instruction_limit("no_such_instruction"), None);
    }

    #[test]
    fn other_programs_and_unknown_instructions_get_the_runtimes_defaults() {
        let transfer = Instruction { program_id: solana_sdk_ids::system_program::ID, accounts: vec![], data: vec![2, 0, 0, 0] };
        let other = Instruction { program_id: a(9), accounts: vec![], data: vec![1] };
        let newer = Instruction { program_id: PROGRAM_ID, accounts: vec![], data: discriminator("global", "a_later_instruction").to_vec() };
        let short = Instruction { program_id: PROGRAM_ID, accounts: vec![], data: vec![1, 2] };
        assert_eq!(one_instruction_limit(&transfer), BUILTIN_INSTRUCTION_LIMIT);
        assert_eq!(one_instruction_limit(&other), UNKNOWN_INSTRUCTION_LIMIT);
        assert_eq!(one_instruction_limit(&newer), UNKNOWN_INSTRUCTION_LIMIT);
        assert_eq!(one_instruction_limit(&short), UNKNOWN_INSTRUCTION_LIMIT);
        // the sum, with the budget instructions' own cost; the caller's one counts as well
        let revoke = ix::revoke_share(&a(4), &a(7));
        let expected = BUILTIN_INSTRUCTION_LIMIT + FLOOR + 3 * COMPUTE_BUDGET_INSTRUCTION_COST;
        assert_eq!(compute_unit_limit(&[ComputeBudgetInstruction::set_compute_unit_price(5), transfer.clone(), revoke]), expected);
        // capped at the runtime's maximum
        assert_eq!(compute_unit_limit(&vec![other; 8]), MAX_TRANSACTION_LIMIT);
        assert_eq!(compute_unit_limit(&[]), 2 * COMPUTE_BUDGET_INSTRUCTION_COST);
    }

    #[test]
    fn the_callers_compute_budget_instructions_win() {
        let fold = ix::fold_dealing(&a(2), 1, 1);
        let limit = compute_unit_limit(std::slice::from_ref(&fold));
        // nothing of the caller's: a limit from the table, and the price when there is one
        let prepared = with_compute_budget(std::slice::from_ref(&fold), 7);
        assert_eq!(prepared, [ComputeBudgetInstruction::set_compute_unit_limit(limit), ComputeBudgetInstruction::set_compute_unit_price(7), fold.clone()]);
        assert_eq!(requested_compute_unit_limit(&prepared), limit);
        assert_eq!(with_compute_budget(std::slice::from_ref(&fold), 0), [ComputeBudgetInstruction::set_compute_unit_limit(limit), fold.clone()]);
        // the caller's limit is kept, the price added
        let callers = vec![ix::set_compute_unit_limit(123_456), fold.clone()];
        let prepared = with_compute_budget(&callers, 7);
        assert_eq!(prepared, [ComputeBudgetInstruction::set_compute_unit_price(7), callers[0].clone(), callers[1].clone()]);
        assert_eq!(requested_compute_unit_limit(&prepared), 123_456);
        // the caller's price is kept, the limit added
        let priced = vec![ComputeBudgetInstruction::set_compute_unit_price(1), fold.clone()];
        let prepared = with_compute_budget(&priced, 7);
        assert_eq!(prepared.len(), 3);
        assert_eq!(prepared[0], ComputeBudgetInstruction::set_compute_unit_limit(compute_unit_limit(&priced)));
        assert_eq!(prepared[1..], priced[..]);
    }

    #[test]
    fn every_transaction_the_builders_make_fits_a_packet_with_both_budget_instructions() {
        let mut largest = vec![
            ("post_dealing, a full chunk", ix::post_dealing(&a(1), &a(2), 3, 4, 0, &[0xab; ix::DEALING_CHUNK])),
            ("append_patient_data, a full chunk", ix::append_patient_data(&a(4), &a(5), 1, 600, &[1; ix::INLINE_CHUNK])),
        ];
        let inline = store_args(5_000);
        let (store, _) = ix::store_inline(&a(4), &a(2), 1, &inline, &[7; 5_000]);
        largest.push(("store_patient_data, a full inline chunk", store[0].clone()));
        let blob = ix::StoreArgs { storage: 1, uri: vec![b'u'; 128], digest: [9; 32], ..inline };
        largest.push(("store_patient_data, a blob with the longest URI", ix::store_patient_data(&a(4), &a(2), 1, &blob).0));
        largest.extend(every_builder());
        for (name, instruction) in largest {
            // paid by its signer, as the CLI and the nodes do; by someone else when it has none
            let payer = instruction.accounts.iter().find(|meta| meta.is_signer).map_or(a(99), |meta| meta.pubkey);
            let size = transaction_size(&with_compute_budget(&[instruction], u64::MAX), &payer);
            assert!(size <= PACKET_LIMIT, "{name}: {size} bytes");
        }
    }

    #[test]
    fn a_transaction_too_large_for_the_budget_instructions_goes_without_them() {
        let inline = store_args(5_000);
        let payer = a(4);
        let store = |chunk: usize| ix::store_patient_data(&payer, &a(2), 1, &ix::StoreArgs { chunk: vec![7; chunk], ..inline.clone() }).0;
        // both budget instructions add 52 bytes, the limit alone 40
        let bare = transaction_size(&[store(500)], &payer);
        assert_eq!(transaction_size(&with_compute_budget(&[store(500)], 1), &payer), bare + 52);
        assert_eq!(transaction_size(&with_compute_budget(&[store(500)], 0), &payer), bare + 40);
        // room for both; for the limit only; for neither
        let chunk_for = |room: usize| 500 + (PACKET_LIMIT - bare) - room;
        assert_eq!(prepare(&[store(chunk_for(52))], &payer, 1).len(), 3);
        assert_eq!(prepare(&[store(chunk_for(52) + 1)], &payer, 1), with_compute_budget(&[store(chunk_for(52) + 1)], 0));
        assert_eq!(prepare(&[store(chunk_for(40))], &payer, 1).len(), 2);
        assert_eq!(prepare(&[store(chunk_for(40) + 1)], &payer, 1), [store(chunk_for(40) + 1)]);
        assert_eq!(prepare(&[store(ix::INLINE_CHUNK)], &payer, 1).len(), 3, "a full inline chunk has room for both");
        // the size is the real wire size
        let mut tx = solana_transaction::Transaction::new_unsigned(solana_message::Message::new(&[store(100)], Some(&payer)));
        tx.signatures = vec![solana_signature::Signature::default(); 1];
        assert_eq!(transaction_size(&[store(100)], &payer), wire_bytes(&tx).len());
    }

    /// A transaction's wire bytes (`bincode` of `Transaction`), assembled by hand: the
    /// compact-u16 signature count, the signatures, the message.
    fn wire_bytes(tx: &solana_transaction::Transaction) -> Vec<u8> {
        let mut bytes = vec![tx.signatures.len() as u8];
        for signature in &tx.signatures {
            bytes.extend_from_slice(signature.as_ref());
        }
        bytes.extend(tx.message.serialize());
        bytes
    }

    #[test]
    fn the_priority_fee_is_the_75th_percentile_of_paid_fees_capped() {
        assert_eq!(priority_fee_from_samples(&[], 100_000), 0);
        assert_eq!(priority_fee_from_samples(&[0, 0, 0], 100_000), 0);
        assert_eq!(priority_fee_from_samples(&[0, 0, 0, 5_000], 100_000), 5_000, "zeros are slots nobody competed in");
        // 1..=8: nearest rank ⌈0.75·8⌉ = 6
        assert_eq!(priority_fee_from_samples(&[8, 1, 7, 2, 6, 3, 5, 4, 0, 0], 100_000), 6);
        // 1..=4: ⌈3⌉ = 3; 1..=5: ⌈3.75⌉ = 4
        assert_eq!(priority_fee_from_samples(&[4, 3, 2, 1], 100_000), 3);
        assert_eq!(priority_fee_from_samples(&[5, 4, 3, 2, 1], 100_000), 4);
        assert_eq!(priority_fee_from_samples(&[9], 100_000), 9);
        assert_eq!(priority_fee_from_samples(&[200_000, 300_000, 400_000], 100_000), 100_000, "capped at max");
        assert_eq!(priority_fee_from_samples(&[u64::MAX; 3], 0), 0);
    }

    #[test]
    fn the_fees_are_asked_for_the_written_accounts() {
        let request = pda::share_request(&a(5), 0);
        let (share, _) = ix::share_patient_data(&a(4), &a(5), 0, &a(2), &a(6), 0);
        let revoke = ix::revoke_share(&a(4), &request);
        assert_eq!(writable_accounts(&[share, revoke]), [a(4), a(5), request]);
        let many: Vec<Instruction> = (0..200u32)
            .map(|k| Instruction {
                program_id: a(9),
                accounts: vec![solana_instruction::AccountMeta::new(Address::new_from_array([k as u8; 32]), false)],
                data: vec![],
            })
            .collect();
        assert_eq!(writable_accounts(&many).len(), 128);
    }
}
