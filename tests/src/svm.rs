//! The real program binary in LiteSVM.

use litesvm::{
    LiteSVM,
    types::{FailedTransactionMetadata, TransactionMetadata},
};
use medshare_client::PROGRAM_ID;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;

/// A LiteSVM with `target/deploy/medical_records.so` loaded at the program id.
pub fn with_program() -> LiteSVM {
    let mut svm = LiteSVM::new();
    let bytes = std::fs::read(crate::program_so()).expect("read the program .so");
    svm.add_program(PROGRAM_ID, &bytes).expect("the .so loads and verifies");
    svm
}

/// A new random keypair holding `sol` SOL.
pub fn funded(svm: &mut LiteSVM, sol: u64) -> Keypair {
    fund(svm, Keypair::new(), sol)
}

/// `keypair`, given `sol` SOL.
pub fn fund(svm: &mut LiteSVM, keypair: Keypair, sol: u64) -> Keypair {
    svm.airdrop(&keypair.pubkey(), sol * 1_000_000_000).expect("airdrop");
    keypair
}

/// Signs `instructions` with `payer` (and `others`), sends them, and expires the blockhash
/// so that an identical later transaction is not a duplicate.
pub fn send(svm: &mut LiteSVM, payer: &Keypair, others: &[&Keypair], instructions: &[Instruction]) -> Result<TransactionMetadata, FailedTransactionMetadata> {
    let mut signers = vec![payer];
    signers.extend_from_slice(others);
    let tx = Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &signers, svm.latest_blockhash());
    let result = svm.send_transaction(tx);
    svm.expire_blockhash();
    result
}

/// The custom error code a failed transaction ended with, if any.
pub fn custom_error(failure: &FailedTransactionMetadata) -> Option<u32> {
    match &failure.err {
        solana_transaction_error::TransactionError::InstructionError(_, solana_instruction::error::InstructionError::Custom(code)) => Some(*code),
        _ => None,
    }
}
