//! The JSON-RPC plumbing the `medshare` CLI, `mpc-node` and the migrations share: sending
//! transactions with program errors named, reading and filtering the program's accounts,
//! and reading the program's events back from transaction history (what auditors use):
//! `getTransaction` in JSON, events taken from the recorded inner instructions
//! ([`transaction_events`]). Transactions are landed by [`crate::landing`] (compute budget,
//! priority fee, re-broadcast, re-signing) over a fail-over sender.

use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_signature::Signature;
use solana_signer::{Signer, signers::Signers};
use solana_transaction_error::TransactionError;

use solana_rpc_client_api::config::RpcProgramAccountsConfig;
use solana_transaction_status_client_types::EncodedConfirmedTransactionWithStatusMeta;

use crate::{Address, PROGRAM_ID, discriminator, errors, events::TransactionEvents};

pub use crate::landing::{ComputeUnitPrice, LandingOptions, LandingStats};
use crate::landing::{Counters, FailoverSender};

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
    /// A signer could not sign (a missing or mistyped key, a hardware wallet that refused).
    #[error("signing failed: {0}")]
    Signing(String),
    /// Broadcast, but not seen at the connection's commitment before
    /// [`LandingOptions::confirm_timeout`]: it may still land, so sending the same request
    /// again could do it twice.
    #[error("transaction {signature} not confirmed in time; it may still land: look it up before retrying")]
    Timeout {
        /// The last signature broadcast (the one whose blockhash may still be valid).
        signature: Signature,
    },
}

impl TxError {
    /// Whether retrying the same request later can succeed (transport trouble, an expired
    /// blockhash), as opposed to a refusal that will not change.
    pub fn is_transient(&self) -> bool {
        match self {
            TxError::Rpc(_) => true,
            TxError::Transaction { error, .. } => matches!(error, TransactionError::BlockhashNotFound),
            TxError::Program { .. } | TxError::Signing(_) | TxError::Timeout { .. } => false,
        }
    }

    /// The program error's name, if the program refused.
    pub fn program_error(&self) -> Option<&'static str> {
        match self {
            TxError::Program { name, .. } => Some(name),
            _ => None,
        }
    }

    /// A failed RPC call as a `TxError`: a preflight refusal named (with its logs), anything
    /// else an RPC error.
    pub(crate) fn from_client(error: ClientError) -> TxError {
        use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
        let logs = match error.kind() {
            ErrorKind::RpcError(RpcError::RpcResponseError { data: RpcResponseErrorData::SendTransactionPreflightFailure(result), .. }) => {
                result.logs.clone().unwrap_or_default()
            }
            _ => Vec::new(),
        };
        match error.get_transaction_error() {
            Some(error) => TxError::from_transaction_error(error, logs),
            None => TxError::Rpc(error.to_string()),
        }
    }

    /// The runtime's verdict on a transaction as a `TxError`: the program's own errors by
    /// name.
    pub(crate) fn from_transaction_error(error: TransactionError, logs: Vec<String>) -> TxError {
        match error {
            TransactionError::InstructionError(_, solana_instruction::error::InstructionError::Custom(code)) => match errors::describe(code) {
                Some((name, message)) => TxError::Program { code, name, message, logs },
                None => TxError::Transaction { error: TransactionError::InstructionError(0, solana_instruction::error::InstructionError::Custom(code)), logs },
            },
            error => TxError::Transaction { error, logs },
        }
    }
}

/// A JSON-RPC connection at one commitment level, over one or more endpoints.
pub struct Connection {
    /// The client (its sender fails over between the connection's endpoints).
    pub rpc: RpcClient,
    options: LandingOptions,
    counters: std::sync::Arc<Counters>,
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

/// `url` with only its scheme, host and port: the path and query, where RPC providers put
/// API keys, become `/…` (and user information before the host is dropped). For logs and
/// messages.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let tail = if end < rest.len() { "/…" } else { "" };
    match scheme {
        Some(scheme) => format!("{scheme}://{host}{tail}"),
        None => format!("{host}{tail}"),
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

/// `address`'s owner must be `expected`: [`ReadError`] naming both otherwise.
fn check_owner(address: &Address, owner: &Address, expected: &Address) -> Result<(), ReadError> {
    if owner == expected { Ok(()) } else { Err(ReadError(format!("account {address} is owned by {owner}, not {expected}: it is not what it claims to be"))) }
}

impl Connection {
    /// A connection to `url` (monikers allowed) at `commitment`, landing transactions with
    /// the default [`LandingOptions`].
    pub fn new(url: &str, commitment: CommitmentConfig) -> Connection {
        Connection::with_options(&[url.to_owned()], commitment, LandingOptions::default())
    }

    /// A connection to `urls[0]` (the primary) that fails over to the others in order
    /// (monikers allowed; an empty list means `localhost`), at `commitment`, landing
    /// transactions with `options`.
    pub fn with_options(urls: &[String], commitment: CommitmentConfig, options: LandingOptions) -> Connection {
        use solana_rpc_client::rpc_client::RpcClientConfig;
        let counters = std::sync::Arc::new(Counters::default());
        let sender = FailoverSender::new(urls, counters.clone());
        Connection { rpc: RpcClient::new_sender(sender, RpcClientConfig::with_commitment(commitment)), options, counters }
    }

    /// This connection's landing counters so far.
    pub fn stats(&self) -> LandingStats {
        self.counters.snapshot()
    }

    /// How this connection lands transactions.
    pub fn landing_options(&self) -> &LandingOptions {
        &self.options
    }

    /// Signs with `payer` (fee payer) and `others`, sends, and waits for the connection's
    /// commitment: [`Connection::send_with`] for the common case of keypairs in memory.
    pub async fn send(&self, payer: &Keypair, others: &[&Keypair], instructions: &[Instruction]) -> Result<Signature, TxError> {
        let mut signers = vec![payer];
        signers.extend_from_slice(others);
        self.send_with(&payer.pubkey(), &signers, instructions).await
    }

    /// Signs with every signer in `signers` (any [`Signer`]: a keypair, a hardware wallet,
    /// a prompted seed phrase), `fee_payer` among them, sends, and waits for the
    /// connection's commitment.
    ///
    /// `instructions` are preceded by `SetComputeUnitLimit` (from [`crate::compute`]'s
    /// table) and `SetComputeUnitPrice` (per [`LandingOptions::compute_unit_price`]; none when
    /// the price is 0); **a compute-budget instruction of the caller's wins**: a limit or
    /// price already among `instructions` is kept and none of that kind is added. The
    /// transaction is re-broadcast until it lands and signed again with a fresh blockhash
    /// when its blockhash expires unseen ([`crate::landing`]); a signer is asked to sign once
    /// per signing. Gives up with [`TxError::Timeout`] after
    /// [`LandingOptions::confirm_timeout`].
    pub async fn send_with<T: Signers + ?Sized>(&self, fee_payer: &Address, signers: &T, instructions: &[Instruction]) -> Result<Signature, TxError> {
        crate::landing::land(&self.rpc, &self.counters, &self.options, fee_payer, signers, instructions).await
    }

    /// An account's data, if it exists and holds any.
    ///
    /// Only this program's accounts are read: an account at `address` owned by another
    /// program (a look-alike a stranger made, with any bytes it likes) is refused by name
    /// rather than decoded. [`Connection::account_owned_by`] reads another program's.
    pub async fn account(&self, address: &Address) -> Result<Option<Vec<u8>>, ReadError> {
        self.account_owned_by(address, &PROGRAM_ID).await
    }

    /// An account's data, if it exists and holds any, refused unless `owner` owns it.
    pub async fn account_owned_by(&self, address: &Address, owner: &Address) -> Result<Option<Vec<u8>>, ReadError> {
        let Some(account) = self.rpc.get_account_with_commitment(address, self.rpc.commitment()).await?.value else {
            return Ok(None);
        };
        if account.data.is_empty() {
            return Ok(None);
        }
        check_owner(address, &account.owner, owner)?;
        Ok(Some(account.data))
    }

    /// Every program account of type `name` (Anchor discriminator) whose bytes at each
    /// `(offset, bytes)` match.
    pub async fn program_accounts(&self, name: &str, matches: &[(usize, &[u8])]) -> Result<Vec<(Address, Vec<u8>)>, ReadError> {
        let config = RpcProgramAccountsConfig { sort_results: Some(true), ..program_accounts_config(name, matches, self.rpc.commitment()) };
        let accounts = self.rpc.get_program_ui_accounts_with_config(&PROGRAM_ID, config).await?;
        Ok(accounts.into_iter().filter_map(|(address, account)| Some((address, account.data.decode()?))).collect())
    }

    /// The program's events from every successful transaction that mentions `address`
    /// (the program id for all of them), oldest first, one [`TransactionEvents`] per
    /// transaction as transaction history holds them. Only listing the history can fail as a
    /// whole: a transaction that cannot be fetched (after retries) or read comes back with
    /// its [`crate::events::Problem`], and the others are read.
    pub async fn events_mentioning(&self, address: &Address) -> Result<Vec<TransactionEvents>, ReadError> {
        use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
        let commitment = Some(self.history_commitment());
        let mut signatures = Vec::new();
        let mut before = None;
        loop {
            let config = GetConfirmedSignaturesForAddress2Config { before, until: None, limit: Some(1000), commitment };
            let page = self.rpc.get_signatures_for_address_with_config(address, config).await?;
            let Some(last) = page.last() else { break };
            before = Some(last.signature.parse().map_err(|_| ReadError(format!("bad signature {}", last.signature)))?);
            for status in page.into_iter().filter(|s| s.err.is_none()) {
                let signature: Signature = status.signature.parse().map_err(|_| ReadError(format!("bad signature {}", status.signature)))?;
                signatures.push(signature);
            }
        }
        let mut transactions = Vec::with_capacity(signatures.len());
        // newest first from the node: walk oldest first
        for signature in signatures.into_iter().rev() {
            transactions.push(match self.transaction(&signature).await {
                Ok(tx) => transaction_events(signature, &tx),
                Err(error) => TransactionEvents::unreadable(signature, error.to_string()),
            });
        }
        Ok(transactions)
    }

    /// `getTransaction` in JSON at the history commitment, retried on failure (4 attempts,
    /// 250 ms doubling).
    pub async fn transaction(&self, signature: &Signature) -> Result<EncodedConfirmedTransactionWithStatusMeta, ReadError> {
        use solana_rpc_client_api::config::RpcTransactionConfig;
        use solana_transaction_status_client_types::UiTransactionEncoding;
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Json),
            commitment: Some(self.history_commitment()),
            max_supported_transaction_version: Some(0),
        };
        let mut delay = std::time::Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            match self.rpc.get_transaction_with_config(signature, config).await {
                Ok(tx) => return Ok(tx),
                Err(_) if attempt < 4 => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(error) => return Err(ReadError(format!("getTransaction failed {attempt} times: {error}"))),
            }
        }
    }

    /// History methods accept `confirmed` or `finalized`, not `processed`.
    fn history_commitment(&self) -> CommitmentConfig {
        let commitment = self.rpc.commitment();
        if commitment.is_finalized() { commitment } else { CommitmentConfig::confirmed() }
    }
}

/// The `getProgramAccounts` / `programSubscribe` configuration selecting the program's
/// accounts of type `name` (Anchor discriminator at offset 0) whose bytes at each
/// `(offset, bytes)` match, in base64, at `commitment`.
pub fn program_accounts_config(name: &str, matches: &[(usize, &[u8])], commitment: CommitmentConfig) -> RpcProgramAccountsConfig {
    use solana_account_decoder_client_types::UiAccountEncoding;
    use solana_rpc_client_api::{
        config::RpcAccountInfoConfig,
        filter::{Memcmp, RpcFilterType},
    };
    let mut filters = vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, discriminator("account", name).to_vec()))];
    filters.extend(matches.iter().map(|(offset, bytes)| RpcFilterType::Memcmp(Memcmp::new_raw_bytes(*offset, bytes.to_vec()))));
    RpcProgramAccountsConfig {
        filters: Some(filters),
        account_config: RpcAccountInfoConfig { encoding: Some(UiAccountEncoding::Base64), commitment: Some(commitment), ..Default::default() },
        with_context: None,
        sort_results: None,
    }
}

/// The program's events in one transaction as `getTransaction` returns it in JSON, from its
/// log messages ([`crate::events::from_logs`]); a failed transaction has none (its effects
/// were rolled back). Never fails: what cannot be read is a [`crate::events::Problem`] of
/// the result.
pub fn transaction_events(signature: Signature, tx: &EncodedConfirmedTransactionWithStatusMeta) -> TransactionEvents {
    use solana_transaction_status_client_types::{EncodedTransaction, UiMessage, option_serializer::OptionSerializer};
    let Some(meta) = &tx.transaction.meta else { return TransactionEvents::unreadable(signature, "the node returned no status (meta)") };
    let OptionSerializer::Some(logs) = &meta.log_messages else { return TransactionEvents::unreadable(signature, "the node did not return its logs") };
    let fee_payer = match &tx.transaction.transaction {
        EncodedTransaction::Json(ui) => match &ui.message {
            UiMessage::Raw(message) => message.account_keys.first().cloned(),
            UiMessage::Parsed(message) => message.account_keys.first().map(|a| a.pubkey.clone()),
        },
        _ => None,
    };
    let Some(fee_payer) = fee_payer.and_then(|key| key.parse::<Address>().ok()) else {
        return TransactionEvents::unreadable(signature, "the node did not answer with the message's account keys in JSON");
    };
    if meta.err.is_some() {
        return TransactionEvents { signature, events: Vec::new(), problems: Vec::new() };
    }
    TransactionEvents::read(signature, &fee_payer, logs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_look_alike_account_of_another_program_is_refused_by_name() {
        let address = Address::new_from_array([5; 32]);
        let stranger = Address::new_from_array([6; 32]);
        assert!(check_owner(&address, &PROGRAM_ID, &PROGRAM_ID).is_ok());
        let refused = check_owner(&address, &stranger, &PROGRAM_ID).unwrap_err().to_string();
        assert!(refused.contains(&address.to_string()) && refused.contains(&stranger.to_string()) && refused.contains("not what it claims"), "{refused}");
    }

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

    #[test]
    fn redacted_urls_keep_scheme_host_and_port_only() {
        assert_eq!(redact_url("https://mainnet.helius-rpc.com/?api-key=abcdef"), "https://mainnet.helius-rpc.com/…");
        assert_eq!(redact_url("https://solana-mainnet.g.alchemy.com/v2/SECRETKEY"), "https://solana-mainnet.g.alchemy.com/…");
        assert_eq!(redact_url("https://rpc.example:8443?token=x"), "https://rpc.example:8443/…");
        assert_eq!(redact_url("https://user:password@rpc.example/key"), "https://rpc.example/…");
        assert_eq!(redact_url("http://127.0.0.1:8899"), "http://127.0.0.1:8899");
        assert_eq!(redact_url("http://127.0.0.1:8899/"), "http://127.0.0.1:8899/…");
        assert_eq!(redact_url("rpc.example/abc"), "rpc.example/…");
        for url in ["https://a.example/v2/SECRETKEY", "https://a.example/?api-key=SECRETKEY", "https://SECRETKEY@a.example"] {
            assert!(!redact_url(url).contains("SECRETKEY"), "{url}");
        }
    }

    use crate::events::{Event, Problem};
    use base64::Engine;
    use serde_json::json;

    fn cluster_created() -> String {
        let mut data = discriminator("event", "ClusterCreated").to_vec();
        data.extend([1; 32]);
        data.extend([2; 32]);
        data.extend(7u64.to_le_bytes());
        format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(data))
    }

    /// `getTransaction`'s JSON answer for a transaction paid by `payer` with `logs`.
    fn answer(payer: &Address, err: serde_json::Value, logs: &[String]) -> serde_json::Value {
        json!({
            "slot": 9, "blockTime": null, "version": "legacy",
            "meta": { "err": err, "status": { "Ok": null }, "fee": 5000, "preBalances": [], "postBalances": [], "logMessages": logs },
            "transaction": { "signatures": [Signature::default().to_string()], "message": {
                "header": { "numRequiredSignatures": 1, "numReadonlySignedAccounts": 0, "numReadonlyUnsignedAccounts": 1 },
                "accountKeys": [payer.to_string(), PROGRAM_ID.to_string()], "recentBlockhash": "11111111111111111111111111111111", "instructions": [],
            }},
        })
    }

    fn read(answer: serde_json::Value) -> TransactionEvents {
        transaction_events(Signature::default(), &serde_json::from_value(answer).expect("a getTransaction answer"))
    }

    #[test]
    fn events_come_from_the_logs_and_truncation_names_the_fee_payer() {
        let payer = Address::new_from_array([3; 32]);
        let logs = vec![format!("Program {PROGRAM_ID} invoke [1]"), cluster_created(), format!("Program {PROGRAM_ID} success")];
        let tx = read(answer(&payer, serde_json::Value::Null, &logs));
        assert!(tx.problems.is_empty(), "{:?}", tx.problems);
        assert!(matches!(&tx.events[..], [Event::ClusterCreated(e)] if e.cluster_id == 7));
        let truncated = vec![format!("Program {PROGRAM_ID} invoke [1]"), "Log truncated".to_owned()];
        let tx = read(answer(&payer, serde_json::Value::Null, &truncated));
        assert_eq!(tx.problems, vec![Problem::LogsTruncated { fee_payer: payer.to_string() }]);
    }

    #[test]
    fn failed_transactions_have_no_events_and_missing_records_are_reported() {
        let payer = Address::new_from_array([3; 32]);
        let logs = vec![format!("Program {PROGRAM_ID} invoke [1]"), cluster_created(), format!("Program {PROGRAM_ID} failed: custom program error: 0x1770")];
        let tx = read(answer(&payer, json!({ "InstructionError": [0, { "Custom": 6000 }] }), &logs));
        assert_eq!((tx.events.len(), tx.problems.len()), (0, 0), "a failed transaction changed nothing");
        let mut no_meta = answer(&payer, serde_json::Value::Null, &logs);
        no_meta["meta"] = serde_json::Value::Null;
        assert_eq!(read(no_meta).problems[0].kind(), "unreadable");
        let mut no_logs = answer(&payer, serde_json::Value::Null, &logs);
        no_logs["meta"]["logMessages"] = serde_json::Value::Null;
        assert_eq!(read(no_logs).problems[0].kind(), "unreadable");
    }
}
