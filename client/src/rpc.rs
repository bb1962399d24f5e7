//! The JSON-RPC plumbing the `medshare` CLI, `mpc-node` and the migrations share: sending
//! transactions with program errors named, reading and filtering the program's accounts,
//! and reading the program's events back from transaction history (what auditors use).

use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use crate::{Address, PROGRAM_ID, discriminator, errors, events::Event};

/// Why a transaction did not land.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The program refused it with one of its named errors.
    #[error("the program refused: {name} (error {code}): {message}")]
    Program {
        /// `6000 +` the position in `MedShareError`.
        code: u32,
        /// The error's name, e.g. `RecipientNotRegistered`.
        name: &'static str,
        /// What it means.
        message: &'static str,
        /// The simulation's log lines, if the node returned them.
        logs: Vec<String>,
    },
    /// The runtime refused it (signature, funds, account state, another program).
    #[error("the transaction failed: {error}")]
    Transaction {
        /// The runtime's reason.
        error: TransactionError,
        /// The simulation's log lines, if any.
        logs: Vec<String>,
    },
    /// The RPC node could not be reached or answered with an error: worth retrying.
    #[error("RPC error: {0}")]
    Rpc(String),
}

impl TxError {
    /// Whether retrying the same request later can succeed (transport trouble, an expired
    /// blockhash), as opposed to a refusal that will not change.
    pub fn is_transient(&self) -> bool {
        match self {
            TxError::Rpc(_) => true,
            TxError::Transaction { error, .. } => matches!(error, TransactionError::BlockhashNotFound),
            TxError::Program { .. } => false,
        }
    }

    /// The program error's name, if the program refused.
    pub fn program_error(&self) -> Option<&'static str> {
        match self {
            TxError::Program { name, .. } => Some(name),
            _ => None,
        }
    }

    fn from_client(error: ClientError) -> TxError {
        use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
        let logs = match error.kind() {
            ErrorKind::RpcError(RpcError::RpcResponseError { data: RpcResponseErrorData::SendTransactionPreflightFailure(result), .. }) => {
                result.logs.clone().unwrap_or_default()
            }
            _ => Vec::new(),
        };
        match error.get_transaction_error() {
            Some(TransactionError::InstructionError(_, solana_instruction::error::InstructionError::Custom(code))) => match errors::describe(code) {
                Some((name, message)) => TxError::Program { code, name, message, logs },
                None => TxError::Transaction { error: TransactionError::InstructionError(0, solana_instruction::error::InstructionError::Custom(code)), logs },
            },
            Some(error) => TxError::Transaction { error, logs },
            None => TxError::Rpc(error.to_string()),
        }
    }
}

/// A JSON-RPC connection at one commitment level.
pub struct Connection {
    /// The client.
    pub rpc: RpcClient,
}

/// An RPC read failed.
#[derive(Debug, thiserror::Error)]
#[error("RPC error: {0}")]
pub struct ReadError(pub String);

impl From<ClientError> for ReadError {
    fn from(error: ClientError) -> Self {
        ReadError(error.to_string())
    }
}

/// Expands the Solana CLI's URL monikers (`localhost`, `devnet`, `testnet`, `mainnet-beta`);
/// anything else is taken as a URL.
pub fn expand_url(url: &str) -> String {
    match url {
        "localhost" | "l" => "http://127.0.0.1:8899".into(),
        "devnet" | "d" => "https://api.devnet.solana.com".into(),
        "testnet" | "t" => "https://api.testnet.solana.com".into(),
        "mainnet-beta" | "m" => "https://api.mainnet-beta.solana.com".into(),
        other => other.into(),
    }
}

/// The websocket URL the Solana CLI derives from an RPC URL: `ws(s)://`, and port + 1 when
/// a port is given.
pub fn websocket_url(rpc_url: &str) -> String {
    let (scheme, rest) = match rpc_url.split_once("://") {
        Some(("https", rest)) => ("wss", rest),
        Some((_, rest)) => ("ws", rest),
        None => ("ws", rpc_url),
    };
    let (host_port, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let host_port = match host_port.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => format!("{host}:{}", port.parse::<u16>().unwrap_or(0).wrapping_add(1)),
        _ => host_port.to_owned(),
    };
    if path.is_empty() { format!("{scheme}://{host_port}") } else { format!("{scheme}://{host_port}/{path}") }
}

impl Connection {
    /// A connection to `url` (monikers allowed) at `commitment`.
    pub fn new(url: &str, commitment: CommitmentConfig) -> Connection {
        Connection { rpc: RpcClient::new_with_commitment(expand_url(url), commitment) }
    }

    /// Signs with `payer` (fee payer) and `others`, sends, and waits for the connection's
    /// commitment.
    pub async fn send(&self, payer: &Keypair, others: &[&Keypair], instructions: &[Instruction]) -> Result<Signature, TxError> {
        let mut signers = vec![payer];
        signers.extend_from_slice(others);
        let blockhash = self.rpc.get_latest_blockhash().await.map_err(TxError::from_client)?;
        let tx = Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &signers, blockhash);
        self.rpc.send_and_confirm_transaction(&tx).await.map_err(TxError::from_client)
    }

    /// An account's data, if it exists and holds any.
    pub async fn account(&self, address: &Address) -> Result<Option<Vec<u8>>, ReadError> {
        let account = self.rpc.get_account_with_commitment(address, self.rpc.commitment()).await?.value;
        Ok(account.map(|a| a.data).filter(|d| !d.is_empty()))
    }

    /// Every program account of type `name` (Anchor discriminator) whose bytes at each
    /// `(offset, bytes)` match.
    pub async fn program_accounts(&self, name: &str, matches: &[(usize, &[u8])]) -> Result<Vec<(Address, Vec<u8>)>, ReadError> {
        use solana_account_decoder_client_types::UiAccountEncoding;
        use solana_rpc_client_api::{
            config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
            filter::{Memcmp, RpcFilterType},
        };
        let mut filters = vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, discriminator("account", name).to_vec()))];
        filters.extend(matches.iter().map(|(offset, bytes)| RpcFilterType::Memcmp(Memcmp::new_raw_bytes(*offset, bytes.to_vec()))));
        let config = RpcProgramAccountsConfig {
            filters: Some(filters),
            account_config: RpcAccountInfoConfig { encoding: Some(UiAccountEncoding::Base64), commitment: Some(self.rpc.commitment()), ..Default::default() },
            with_context: None,
            sort_results: Some(true),
        };
        let accounts = self.rpc.get_program_ui_accounts_with_config(&PROGRAM_ID, config).await?;
        Ok(accounts.into_iter().filter_map(|(address, account)| Some((address, account.data.decode()?))).collect())
    }

    /// The program's events from every successful transaction that mentions `address`
    /// (the program id for all of them), oldest first, as transaction history holds them.
    pub async fn events_mentioning(&self, address: &Address) -> Result<Vec<Event>, ReadError> {
        use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
        use solana_rpc_client_api::config::RpcTransactionConfig;
        use solana_transaction_status_client_types::{UiTransactionEncoding, option_serializer::OptionSerializer};
        let commitment = Some(self.history_commitment());
        let mut signatures = Vec::new();
        let mut before = None;
        loop {
            let config = GetConfirmedSignaturesForAddress2Config { before, until: None, limit: Some(1000), commitment };
            let page = self.rpc.get_signatures_for_address_with_config(address, config).await?;
            let Some(last) = page.last() else { break };
            before = Some(last.signature.parse().map_err(|_| ReadError(format!("bad signature {}", last.signature)))?);
            signatures.extend(page.into_iter().filter(|s| s.err.is_none()).map(|s| s.signature));
        }
        let mut events = Vec::new();
        // newest first from the node: walk oldest first
        for signature in signatures.iter().rev() {
            let signature: Signature = signature.parse().map_err(|_| ReadError(format!("bad signature {signature}")))?;
            let config = RpcTransactionConfig { encoding: Some(UiTransactionEncoding::Json), commitment, max_supported_transaction_version: Some(0) };
            let tx = self.rpc.get_transaction_with_config(&signature, config).await?;
            let logs = match tx.transaction.meta.map(|m| m.log_messages) {
                Some(OptionSerializer::Some(logs)) => logs,
                _ => continue,
            };
            events.extend(crate::events::from_logs(&logs).map_err(|e| ReadError(format!("transaction {signature}: {e}")))?);
        }
        Ok(events)
    }

    /// History methods accept `confirmed` or `finalized`, not `processed`.
    fn history_commitment(&self) -> CommitmentConfig {
        let commitment = self.rpc.commitment();
        if commitment.is_finalized() { commitment } else { CommitmentConfig::confirmed() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monikers_and_websocket_urls_follow_the_solana_cli() {
        assert_eq!(expand_url("localhost"), "http://127.0.0.1:8899");
        assert_eq!(expand_url("devnet"), "https://api.devnet.solana.com");
        assert_eq!(expand_url("http://10.0.0.1:9000"), "http://10.0.0.1:9000");
        assert_eq!(websocket_url("http://127.0.0.1:8899"), "ws://127.0.0.1:8900");
        assert_eq!(websocket_url("https://api.devnet.solana.com"), "wss://api.devnet.solana.com");
        assert_eq!(websocket_url("https://rpc.example/abc"), "wss://rpc.example/abc");
    }
}
