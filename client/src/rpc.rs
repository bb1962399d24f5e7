//! The JSON-RPC plumbing the `medshare` CLI, `mpc-node` and the migrations share: sending
//! transactions with program errors named, reading and filtering the program's accounts,
//! and reading the program's events back from transaction history (what auditors use):
//! `getTransaction` in JSON, events taken from the recorded inner instructions
//! ([`transaction_events`]).

use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use solana_rpc_client_api::config::RpcProgramAccountsConfig;
use solana_transaction_status_client_types::EncodedConfirmedTransactionWithStatusMeta;

use crate::{
    Address, PROGRAM_ID, discriminator, errors,
    events::{InnerInstruction, TransactionEvents},
};

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

/// The program's events in one transaction as `getTransaction` returns it in JSON (legacy
/// or v0: inner instruction account indexes refer to the message's keys, then the
/// addresses a v0 message loaded from lookup tables, writable before read-only). Events
/// come from `meta.innerInstructions` only, never from top-level instructions; a failed
/// transaction has none (its effects were rolled back). Never fails: what cannot be read
/// is a [`crate::events::Problem`] of the result.
pub fn transaction_events(signature: Signature, tx: &EncodedConfirmedTransactionWithStatusMeta) -> TransactionEvents {
    use solana_transaction_status_client_types::option_serializer::OptionSerializer;
    let Some(meta) = &tx.transaction.meta else { return TransactionEvents::unreadable(signature, "the node returned no status (meta)") };
    let logs: &[String] = match &meta.log_messages {
        OptionSerializer::Some(logs) => logs,
        _ => &[],
    };
    if meta.err.is_some() {
        return TransactionEvents::read(signature, &[], logs);
    }
    let keys = match account_keys(tx) {
        Ok(keys) => keys,
        Err(why) => return TransactionEvents::unreadable(signature, why),
    };
    let OptionSerializer::Some(groups) = &meta.inner_instructions else {
        return TransactionEvents::unreadable(signature, "the node did not record its inner instructions");
    };
    let mut inner = Vec::new();
    let mut unresolved = Vec::new();
    for group in groups {
        for (position, instruction) in group.instructions.iter().enumerate() {
            match resolve(instruction, &keys) {
                Ok(Some((program_id, accounts, data))) => inner.push(InnerInstruction { top_level: group.index, position, program_id, accounts, data }),
                Ok(None) => {}
                Err(why) => unresolved.push(crate::events::Problem::Unreadable(format!("instruction {}, inner instruction {position}: {why}", group.index))),
            }
        }
    }
    inner.sort_by_key(|i| (i.top_level, i.position));
    let mut read = TransactionEvents::read(signature, &inner, logs);
    read.problems.extend(unresolved);
    read
}

/// Every account address the transaction's instructions can index: the message's keys, then
/// (v0) the loaded addresses.
fn account_keys(tx: &EncodedConfirmedTransactionWithStatusMeta) -> Result<Vec<Address>, String> {
    use solana_transaction_status_client_types::{EncodedTransaction, UiMessage, option_serializer::OptionSerializer};
    let EncodedTransaction::Json(ui) = &tx.transaction.transaction else { return Err("the node did not answer in JSON encoding".into()) };
    let keys: Vec<&str> = match &ui.message {
        UiMessage::Raw(message) => {
            let mut keys: Vec<&str> = message.account_keys.iter().map(String::as_str).collect();
            let looked_up = message.address_table_lookups.as_ref().is_some_and(|lookups| !lookups.is_empty());
            match tx.transaction.meta.as_ref().map(|m| &m.loaded_addresses) {
                Some(OptionSerializer::Some(loaded)) => keys.extend(loaded.writable.iter().chain(&loaded.readonly).map(String::as_str)),
                _ if looked_up => return Err("a v0 transaction without its loaded addresses".into()),
                _ => {}
            }
            keys
        }
        // jsonParsed lists every key, loaded ones included
        UiMessage::Parsed(message) => message.account_keys.iter().map(|a| a.pubkey.as_str()).collect(),
    };
    keys.into_iter().map(|key| key.parse().map_err(|_| format!("bad account key {key:?}"))).collect()
}

/// An inner instruction's program, accounts and data (`None` for one a known program's
/// parser already decoded: never ours).
#[allow(clippy::type_complexity)]
fn resolve(instruction: &solana_transaction_status_client_types::UiInstruction, keys: &[Address]) -> Result<Option<(Address, Vec<Address>, Vec<u8>)>, String> {
    use solana_transaction_status_client_types::{UiInstruction, UiParsedInstruction};
    let key = |index: u8| keys.get(usize::from(index)).copied().ok_or_else(|| format!("account index {index} out of range"));
    match instruction {
        UiInstruction::Compiled(compiled) => {
            let program_id = key(compiled.program_id_index)?;
            let accounts = compiled.accounts.iter().map(|&index| key(index)).collect::<Result<_, _>>()?;
            Ok(Some((program_id, accounts, base58(&compiled.data)?)))
        }
        UiInstruction::Parsed(UiParsedInstruction::PartiallyDecoded(decoded)) => {
            let address = |text: &String| text.parse::<Address>().map_err(|_| format!("bad address {text:?}"));
            let accounts = decoded.accounts.iter().map(address).collect::<Result<_, _>>()?;
            Ok(Some((address(&decoded.program_id)?, accounts, base58(&decoded.data)?)))
        }
        UiInstruction::Parsed(UiParsedInstruction::Parsed(_)) => Ok(None),
    }
}

/// Instruction data as RPC nodes encode it (base58), decoded.
fn base58(text: &str) -> Result<Vec<u8>, String> {
    // the account decoder's bs58 decoding of legacy binary data: any length
    solana_account_decoder_client_types::UiAccountData::LegacyBinary(text.to_owned()).decode().ok_or_else(|| "instruction data is not base58".to_owned())
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

    use crate::events::{EVENT_IX_TAG, Event, EventError, Problem};
    use serde_json::json;
    use solana_transaction::CompiledInstruction;
    use solana_transaction_status_client_types::UiCompiledInstruction;

    fn cluster_created() -> Vec<u8> {
        let mut data = EVENT_IX_TAG.to_vec();
        data.extend(discriminator("event", "ClusterCreated"));
        data.extend([1; 32]);
        data.extend([2; 32]);
        data.extend(7u64.to_le_bytes());
        data.extend([2, 3]);
        data.extend(0u64.to_le_bytes());
        data
    }

    fn compiled(program: u8, accounts: &[u8], data: &[u8], stack_height: u32) -> serde_json::Value {
        serde_json::to_value(UiCompiledInstruction::from(
            &CompiledInstruction::new_from_raw_parts(program, data.to_vec(), accounts.to_vec()),
            Some(stack_height),
        ))
        .unwrap()
    }

    /// `getTransaction`'s JSON answer for a transaction with `keys` (static), `top` level
    /// instructions, `inner` instructions by top-level index and, for v0, `loaded` addresses.
    fn answer(
        keys: &[Address],
        top: Vec<serde_json::Value>,
        inner: serde_json::Value,
        loaded: Option<(&[Address], &[Address])>,
        logs: &[&str],
    ) -> serde_json::Value {
        let strings = |a: &[Address]| a.iter().map(ToString::to_string).collect::<Vec<_>>();
        let mut message = json!({
            "header": { "numRequiredSignatures": 1, "numReadonlySignedAccounts": 0, "numReadonlyUnsignedAccounts": 1 },
            "accountKeys": strings(keys), "recentBlockhash": "11111111111111111111111111111111", "instructions": top,
        });
        let mut meta = json!({
            "err": null, "status": { "Ok": null }, "fee": 5000, "preBalances": [], "postBalances": [],
            "innerInstructions": inner, "logMessages": logs,
        });
        if let Some((writable, readonly)) = loaded {
            message["addressTableLookups"] =
                json!([{ "accountKey": Address::new_from_array([8; 32]).to_string(), "writableIndexes": [0], "readonlyIndexes": [1] }]);
            meta["loadedAddresses"] = json!({ "writable": strings(writable), "readonly": strings(readonly) });
        }
        json!({
            "slot": 9, "blockTime": null, "version": if loaded.is_some() { json!(0) } else { json!("legacy") }, "meta": meta,
            "transaction": { "signatures": [Signature::default().to_string()], "message": message },
        })
    }

    fn read(answer: serde_json::Value) -> TransactionEvents {
        transaction_events(Signature::default(), &serde_json::from_value(answer).expect("a getTransaction answer"))
    }

    #[test]
    fn events_come_from_inner_instructions_never_top_level_ones() {
        let payer = Address::new_from_array([1; 32]);
        let keys = [payer, crate::pda::event_authority(), PROGRAM_ID];
        // a top-level instruction to the program carrying the tag, the event authority first
        let forged = compiled(2, &[1], &cluster_created(), 1);
        let tx = read(answer(&keys, vec![forged.clone()], json!([]), None, &[]));
        assert_eq!((tx.events.len(), tx.problems.len()), (0, 0), "a top-level instruction is never an event");
        // the same bytes invoked by the program on itself are one
        let tx = read(answer(&keys, vec![compiled(2, &[0], b"ix", 1)], json!([{ "index": 0, "instructions": [forged] }]), None, &[]));
        assert!(tx.problems.is_empty(), "{:?}", tx.problems);
        assert!(matches!(&tx.events[..], [Event::ClusterCreated(e)] if e.cluster_id == 7));
    }

    #[test]
    fn v0_indexes_reach_the_loaded_addresses_and_problems_stay_per_transaction() {
        let payer = Address::new_from_array([1; 32]);
        let writable = [Address::new_from_array([4; 32])];
        let readonly = [Address::new_from_array([5; 32]), crate::pda::event_authority()];
        // keys: 0 payer, 1 program; loaded: 2 writable, 3 and 4 read-only (4: the event authority)
        let keys = [payer, PROGRAM_ID];
        let mut short = cluster_created();
        short.pop();
        let inner = json!([{ "index": 0, "instructions": [
            compiled(1, &[3], &cluster_created(), 2),
            compiled(1, &[4], &short, 2),
            compiled(1, &[4], &cluster_created(), 2),
        ] }]);
        let tx = read(answer(&keys, vec![compiled(1, &[0, 2], b"ix", 1)], inner.clone(), Some((&writable, &readonly)), &["Program log: hi", "Log truncated"]));
        assert_eq!(tx.events.len(), 1, "the first is not signed by the event authority; the third is an event");
        assert_eq!(
            tx.problems,
            vec![Problem::LogsTruncated, Problem::BadEvent { top_level: 0, position: 1, error: EventError::MalformedBody { name: "ClusterCreated" } }]
        );
        // a v0 transaction whose loaded addresses the node left out cannot be read
        let mut missing = answer(&keys, vec![compiled(1, &[0, 2], b"ix", 1)], inner, Some((&writable, &readonly)), &[]);
        missing["meta"].as_object_mut().unwrap().remove("loadedAddresses");
        let tx = read(missing);
        assert!(matches!(&tx.problems[..], [Problem::Unreadable(why)] if why.contains("loaded addresses")), "{:?}", tx.problems);
        // an index past every key is reported, not fatal
        let tx = read(answer(&keys, vec![], json!([{ "index": 0, "instructions": [compiled(9, &[], b"x", 2)] }]), None, &[]));
        assert!(matches!(&tx.problems[..], [Problem::Unreadable(why)] if why.contains("index 9")), "{:?}", tx.problems);
    }

    #[test]
    fn failed_transactions_have_no_events_and_missing_records_are_reported() {
        let keys = [Address::new_from_array([1; 32]), crate::pda::event_authority(), PROGRAM_ID];
        let inner = json!([{ "index": 0, "instructions": [compiled(2, &[1], &cluster_created(), 2)] }]);
        let mut failed = answer(&keys, vec![compiled(2, &[0], b"ix", 1)], inner.clone(), None, &[]);
        failed["meta"]["err"] = json!({ "InstructionError": [0, { "Custom": 6000 }] });
        failed["meta"]["status"] = json!({ "Err": { "InstructionError": [0, { "Custom": 6000 }] } });
        let tx = read(failed);
        assert_eq!((tx.events.len(), tx.problems.len()), (0, 0));
        let mut unrecorded = answer(&keys, vec![], inner, None, &[]);
        unrecorded["meta"]["innerInstructions"] = serde_json::Value::Null;
        assert_eq!(read(unrecorded).problems[0].kind(), "unreadable");
        let mut no_meta = answer(&keys, vec![], json!([]), None, &[]);
        no_meta["meta"] = serde_json::Value::Null;
        assert_eq!(read(no_meta).problems[0].kind(), "unreadable");
    }
}
