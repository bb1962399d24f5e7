//! Where a [`crate::world::World`] runs: the real `.so` in LiteSVM ([`Svm`]), or a real
//! local validator over JSON-RPC ([`Rpc`]). The same deployment code drives both, and both
//! read the program's events as clients do: from the transaction's logs, read back.

use litesvm::{LiteSVM, types::TransactionMetadata};
use medshare_client::{
    Address, PROGRAM_ID,
    events::{Event, Problem, TransactionEvents},
};
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

/// A successful transaction.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Its log lines.
    pub logs: Vec<String>,
    /// Compute units the program consumed.
    pub compute_units_consumed: u64,
    /// The program's events, from its logs, in order.
    pub events: Vec<Event>,
    /// What could not be read (truncated logs, an event that does not decode).
    pub problems: Vec<Problem>,
}

impl Outcome {
    fn new(logs: Vec<String>, compute_units_consumed: u64, read: TransactionEvents) -> Outcome {
        Outcome { logs, compute_units_consumed, events: read.events, problems: read.problems }
    }
}

/// A failed transaction.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Why.
    pub err: TransactionError,
    /// Its log lines (as far as known).
    pub logs: Vec<String>,
}

impl Failure {
    /// The custom error code, if the program failed with one.
    pub fn custom_error(&self) -> Option<u32> {
        match &self.err {
            TransactionError::InstructionError(_, solana_instruction::error::InstructionError::Custom(code)) => Some(*code),
            _ => None,
        }
    }
}

/// What a deployment needs from a chain.
pub trait Chain {
    /// Signs with `payer` (and `others`), sends, and waits for the outcome.
    fn send(&mut self, payer: &Keypair, others: &[&Keypair], instructions: &[Instruction]) -> Result<Outcome, Failure>;
    /// An account's data, if it exists with data.
    fn account(&self, address: &Address) -> Option<Vec<u8>>;
    /// Gives `address` `lamports`.
    fn fund(&mut self, address: &Address, lamports: u64);
}

/// LiteSVM with the program loaded.
pub struct Svm(pub LiteSVM);

/// The program's events in a transaction LiteSVM ran, paid by `payer`, from its logs.
pub fn svm_events(payer: &Address, meta: &TransactionMetadata) -> TransactionEvents {
    TransactionEvents::read(meta.signature, payer, &meta.logs)
}

impl Chain for Svm {
    fn send(&mut self, payer: &Keypair, others: &[&Keypair], instructions: &[Instruction]) -> Result<Outcome, Failure> {
        crate::svm::send(&mut self.0, payer, others, instructions)
            .map(|meta| {
                let read = svm_events(&payer.pubkey(), &meta);
                Outcome::new(meta.logs, meta.compute_units_consumed, read)
            })
            .map_err(|failure| Failure { err: failure.err, logs: failure.meta.logs })
    }

    fn account(&self, address: &Address) -> Option<Vec<u8>> {
        self.0.get_account(address).map(|a| a.data).filter(|d| !d.is_empty())
    }

    fn fund(&mut self, address: &Address, lamports: u64) {
        self.0.airdrop(address, lamports).expect("airdrop");
    }
}

/// A local validator reached over JSON-RPC (blocking client); each transaction sent is read
/// back with `getTransaction`, so that events are read as a real client reads them.
pub struct Rpc {
    /// The validator (stopped on drop).
    pub localnet: crate::localnet::BlockingLocalnet,
}

impl Rpc {
    /// Starts a validator with the program.
    pub fn start() -> Rpc {
        Rpc { localnet: crate::localnet::BlockingLocalnet::start() }
    }
}

/// The compute units our program's top-level invocation reported in `logs`.
fn consumed(logs: &[String]) -> u64 {
    let prefix = format!("Program {PROGRAM_ID} consumed ");
    logs.iter().rev().find_map(|l| l.strip_prefix(&prefix).and_then(|rest| rest.split(' ').next()).and_then(|n| n.parse().ok())).unwrap_or(0)
}

impl Chain for Rpc {
    fn send(&mut self, payer: &Keypair, others: &[&Keypair], instructions: &[Instruction]) -> Result<Outcome, Failure> {
        let mut signers = vec![payer];
        signers.extend_from_slice(others);
        let rpc = &self.localnet.rpc;
        let blockhash = rpc.get_latest_blockhash().expect("blockhash");
        let tx = Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &signers, blockhash);
        match rpc.send_and_confirm_transaction(&tx) {
            Ok(signature) => {
                let tx = crate::localnet::confirmed_transaction(rpc, &signature);
                let read = medshare_client::rpc::transaction_events(signature, &tx);
                let logs = crate::localnet::logs(&tx);
                Ok(Outcome::new(logs.clone(), consumed(&logs), read))
            }
            Err(error) => {
                use solana_rpc_client_api::{client_error::ErrorKind, request::RpcError, request::RpcResponseErrorData};
                let logs = match error.kind() {
                    ErrorKind::RpcError(RpcError::RpcResponseError { data: RpcResponseErrorData::SendTransactionPreflightFailure(result), .. }) => {
                        result.logs.clone().unwrap_or_default()
                    }
                    _ => Vec::new(),
                };
                let err = error.get_transaction_error().unwrap_or_else(|| panic!("not a transaction error: {error}"));
                Err(Failure { err, logs })
            }
        }
    }

    fn account(&self, address: &Address) -> Option<Vec<u8>> {
        use solana_commitment_config::CommitmentConfig;
        let account = self.localnet.rpc.get_account_with_commitment(address, CommitmentConfig::confirmed()).expect("getAccountInfo").value?;
        Some(account.data).filter(|d| !d.is_empty())
    }

    fn fund(&mut self, address: &Address, lamports: u64) {
        let mint = self.localnet.mint.insecure_clone();
        let transfer = solana_system_interface::instruction::transfer(&mint.pubkey(), address, lamports);
        let rpc = &self.localnet.rpc;
        let tx = Transaction::new_signed_with_payer(&[transfer], Some(&mint.pubkey()), &[&mint], rpc.get_latest_blockhash().expect("blockhash"));
        rpc.send_and_confirm_transaction(&tx).expect("fund a wallet");
    }
}
