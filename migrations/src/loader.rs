//! Deploying and upgrading through the upgradeable loader (loader v3) the way a real
//! deployment needs it: the buffer's keypair is saved before the buffer exists, so a deploy
//! that fails half-way resumes where it stopped (only the chunks whose bytes differ on chain
//! are written again) or is reclaimed (`--close-buffer`); writes are paced and re-sent; the
//! upgrade authority may be a key other than the payer, or an address that cannot sign here
//! (a multisig), in which case the buffer is handed to it and the upgrade is left for it to
//! execute.

use anyhow::{Context, Result, anyhow, bail};
use medshare_client::{Address, rpc::Connection};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_loader_v3_interface::{get_program_data_address, instruction as loader, state::UpgradeableLoaderState};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

/// The upgradeable loader, owner of programs, program data and buffers.
const LOADER: Address = solana_sdk_ids::bpf_loader_upgradeable::ID;

/// Program bytes per write transaction (a transaction is at most 1,232 bytes).
pub const WRITE_CHUNK: usize = 950;

/// Rounds of writes before giving up (each round re-sends only what is not on chain).
const WRITE_ROUNDS: usize = 6;

/// Who may upgrade the program.
pub enum UpgradeAuthority {
    /// A key this process holds (the payer's, or another file).
    Signer(Keypair),
    /// An address that signs elsewhere (a multisig vault): deploys hand it the program,
    /// upgrades hand it the buffer.
    Remote(Address),
}

impl UpgradeAuthority {
    /// Its address.
    pub fn address(&self) -> Address {
        match self {
            UpgradeAuthority::Signer(keypair) => keypair.pubkey(),
            UpgradeAuthority::Remote(address) => *address,
        }
    }
}

/// What a deployment did, for the JSON report.
#[derive(Debug, Default, serde::Serialize)]
pub struct DeployReport {
    /// `unchanged`, `deployed`, `upgraded`, or `buffer_ready` (an upgrade the remote
    /// authority must execute).
    pub deployment: &'static str,
    /// The buffer used, if any.
    pub buffer: Option<String>,
    /// Whether an earlier run's buffer was resumed.
    pub resumed_buffer: bool,
    /// Write transactions sent (re-sends included).
    pub writes_sent: usize,
    /// Chunks already on chain when this run started writing.
    pub chunks_already_written: usize,
    /// The program's upgrade authority afterwards.
    pub upgrade_authority: Option<String>,

    /// For `buffer_ready`: the upgrade instruction the authority must sign, as base58 of
    /// its data, with its accounts in order.
    pub upgrade_instruction: Option<serde_json::Value>,
}

/// The default buffer keypair file for a program binary: next to it, `<name>-buffer.json`.
pub fn default_buffer_path(program: &Path) -> PathBuf {
    let stem = program.file_stem().and_then(|s| s.to_str()).unwrap_or("program");
    program.with_file_name(format!("{stem}-buffer.json"))
}

/// The upgrade authority recorded in a program data account, if any (`None` also for an
/// immutable program).
pub fn programdata_authority(data: &[u8]) -> Option<Address> {
    // ProgramData { slot: u64, upgrade_authority_address: Option<Pubkey> } after a u32 tag
    (data.len() >= 45 && data[..4] == 3u32.to_le_bytes() && data[12] == 1).then(|| Address::new_from_array(data[13..45].try_into().expect("32 bytes")))
}

/// The authority recorded in a buffer account, and its program bytes.
pub fn buffer_parts(data: &[u8]) -> Option<(Option<Address>, &[u8])> {
    let metadata = UpgradeableLoaderState::size_of_buffer_metadata();
    if data.len() < metadata || data[..4] != 1u32.to_le_bytes() {
        return None;
    }
    let authority = (data[4] == 1).then(|| Address::new_from_array(data[5..37].try_into().expect("32 bytes")));
    Some((authority, &data[metadata..]))
}

/// The chunk offsets whose bytes in `on_chain` differ from `bytes`.
pub fn chunks_to_write(bytes: &[u8], on_chain: &[u8]) -> Vec<usize> {
    (0..bytes.len())
        .step_by(WRITE_CHUNK)
        .filter(|&offset| {
            let end = (offset + WRITE_CHUNK).min(bytes.len());
            on_chain.get(offset..end) != Some(&bytes[offset..end])
        })
        .collect()
}

/// Everything a deployment needs.
pub struct Deployer<'a> {
    /// The connection.
    pub connection: &'a Connection,
    /// Pays fees, rent and owns the buffer while it is written.
    pub payer: &'a Keypair,
    /// The program id.
    pub program_id: Address,
    /// The program's keypair: needed for a first deployment only.
    pub program_keypair: Option<&'a Keypair>,
    /// Who may upgrade the program afterwards.
    pub authority: &'a UpgradeAuthority,
    /// Where the buffer's keypair is kept between runs.
    pub buffer_path: PathBuf,
    /// Write transactions per second at most.
    pub writes_per_second: u32,
    /// Compute-unit price (micro-lamports) of the write transactions.
    pub compute_unit_price: u64,
}

impl Deployer<'_> {
    /// Deploys (or upgrades to) `bytes`.
    pub async fn deploy(&self, bytes: &[u8]) -> Result<DeployReport> {
        let programdata = get_program_data_address(&self.program_id);
        let program_exists = self.connection.account_owned_by(&self.program_id, &LOADER).await?.is_some();
        let programdata_bytes = if program_exists { self.connection.account_owned_by(&programdata, &LOADER).await? } else { None };
        if let Some(data) = &programdata_bytes {
            let offset = UpgradeableLoaderState::size_of_programdata_metadata();
            let current = programdata_authority(data);
            if data.len() >= offset + bytes.len() && data[offset..offset + bytes.len()] == *bytes && data[offset + bytes.len()..].iter().all(|b| *b == 0) {
                return Ok(DeployReport { deployment: "unchanged", upgrade_authority: current.map(|a| a.to_string()), ..DeployReport::default() });
            }
            match current {
                None => bail!("program {} is immutable (no upgrade authority): it cannot be upgraded", self.program_id),
                Some(current) if current != self.authority.address() => {
                    bail!("program {}'s upgrade authority is {current}, not {}: pass it with --upgrade-authority", self.program_id, self.authority.address())
                }
                Some(_) => {}
            }
        }
        if !program_exists && self.program_keypair.is_none() {
            bail!("program {} is not deployed yet: a first deployment needs its keypair (--program-keypair)", self.program_id);
        }

        let (buffer, mut report) = self.write_buffer(bytes).await?;
        report.buffer = Some(buffer.pubkey().to_string());
        let payer = self.payer.pubkey();
        let signature = match (program_exists, self.authority) {
            (false, authority) => {
                let program = self.program_keypair.expect("checked above");
                // the loader wants the buffer's authority to sign the deploy as the new
                // upgrade authority: the payer deploys, then hands the program over
                let lamports = self.connection.rpc.get_minimum_balance_for_rent_exemption(UpgradeableLoaderState::size_of_program()).await?;
                let mut instructions = loader::deploy_with_max_program_len(&payer, &self.program_id, &buffer.pubkey(), &payer, lamports, bytes.len() * 2)?;
                let mut signers = vec![program];
                match authority {
                    UpgradeAuthority::Signer(key) if key.pubkey() != payer => {
                        // checked: the new authority signs, so a key that is not held cannot be named
                        instructions.push(loader::set_upgrade_authority_checked(&self.program_id, &payer, &key.pubkey()));
                        signers.push(key);
                    }
                    // a multisig cannot sign here: the address was confirmed by the operator
                    UpgradeAuthority::Remote(address) => instructions.push(loader::set_upgrade_authority(&self.program_id, &payer, Some(address))),
                    UpgradeAuthority::Signer(_) => {}
                }
                report.deployment = "deployed";
                self.connection.send(self.payer, &signers, &instructions).await?
            }
            (true, UpgradeAuthority::Signer(authority)) => {
                let mut instructions = Vec::new();
                if authority.pubkey() != payer {
                    instructions.push(loader::set_buffer_authority(&buffer.pubkey(), &payer, &authority.pubkey()));
                }
                instructions.push(loader::upgrade(&self.program_id, &buffer.pubkey(), &authority.pubkey(), &payer));
                report.deployment = "upgraded";
                let others: Vec<&Keypair> = if authority.pubkey() == payer { vec![] } else { vec![authority] };
                self.connection.send(self.payer, &others, &instructions).await?
            }
            (true, UpgradeAuthority::Remote(authority)) => {
                self.connection.send(self.payer, &[], &[loader::set_buffer_authority(&buffer.pubkey(), &payer, authority)]).await?;
                let upgrade = loader::upgrade(&self.program_id, &buffer.pubkey(), authority, &payer);
                report.deployment = "buffer_ready";
                report.upgrade_authority = Some(authority.to_string());
                report.upgrade_instruction = Some(serde_json::json!({
                    "program_id": upgrade.program_id.to_string(),
                    "accounts": upgrade.accounts.iter().map(|m| serde_json::json!({"address": m.pubkey.to_string(), "signer": m.is_signer, "writable": m.is_writable})).collect::<Vec<_>>(),
                    "data_base58": bs58::encode(&upgrade.data).into_string(),
                }));
                // the buffer is the authority's now: this payer can neither resume nor close it
                self.forget_buffer()?;
                return Ok(report);
            }
        };
        self.forget_buffer()?;
        // a program (re)deployed in slot s runs from slot s + 1 on
        let slot = self.connection.rpc.get_signature_statuses(&[signature]).await?.value[0].as_ref().map_or(0, |status| status.slot);
        while self.connection.rpc.get_slot().await? <= slot + 1 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let data =
            self.connection.account_owned_by(&programdata, &LOADER).await?.ok_or_else(|| anyhow!("program data {programdata} missing after the deployment"))?;
        report.upgrade_authority = programdata_authority(&data).map(|a| a.to_string());
        Ok(report)
    }

    /// Closes the buffer an earlier run left (its keypair file), returning its rent to the
    /// payer. Returns the buffer and the lamports reclaimed (`None` if there was nothing).
    pub async fn close_buffer(&self) -> Result<Option<(Address, u64)>> {
        if !self.buffer_path.exists() {
            return Ok(None);
        }
        let buffer = read_keypair(&self.buffer_path)?;
        let account = self.connection.rpc.get_account_with_commitment(&buffer.pubkey(), CommitmentConfig::confirmed()).await?.value;
        let Some(account) = account else {
            self.forget_buffer()?;
            return Ok(None);
        };
        let (authority, _) = buffer_parts(&account.data).ok_or_else(|| anyhow!("{} is not a loader buffer", buffer.pubkey()))?;
        if authority != Some(self.payer.pubkey()) {
            bail!("buffer {}'s authority is {authority:?}, not this payer: it cannot be closed from here", buffer.pubkey());
        }
        let payer = self.payer.pubkey();
        self.connection.send(self.payer, &[], &[loader::close_any(&buffer.pubkey(), &payer, Some(&payer), None)]).await?;
        self.forget_buffer()?;
        Ok(Some((buffer.pubkey(), account.lamports)))
    }

    fn forget_buffer(&self) -> Result<()> {
        match std::fs::remove_file(&self.buffer_path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error).with_context(|| format!("removing {}", self.buffer_path.display())),
            _ => Ok(()),
        }
    }

    /// Creates the buffer (or takes up the one an earlier run left) and writes `bytes` in
    /// it, paced, round after round, each round sending only the chunks not yet on chain.
    async fn write_buffer(&self, bytes: &[u8]) -> Result<(Keypair, DeployReport)> {
        let rpc = &self.connection.rpc;
        let payer = self.payer.pubkey();
        let mut report = DeployReport::default();
        let buffer = if self.buffer_path.exists() {
            let buffer = read_keypair(&self.buffer_path)?;
            report.resumed_buffer = true;
            buffer
        } else {
            let buffer = Keypair::new();
            // kept before the account exists, so that no run leaves a buffer it cannot close
            write_secret_file(&self.buffer_path, &buffer)?;
            buffer
        };
        let expected_len = UpgradeableLoaderState::size_of_buffer(bytes.len());
        match self.connection.account_owned_by(&buffer.pubkey(), &LOADER).await? {
            Some(data) => {
                let (authority, _) =
                    buffer_parts(&data).ok_or_else(|| anyhow!("{} ({}) is not a loader buffer", buffer.pubkey(), self.buffer_path.display()))?;
                if authority != Some(payer) || data.len() != expected_len {
                    bail!(
                        "buffer {} from {} does not fit this program (authority {authority:?}, {} bytes for {expected_len}): reclaim it with --close-buffer",
                        buffer.pubkey(),
                        self.buffer_path.display(),
                        data.len()
                    );
                }
            }
            None => {
                report.resumed_buffer = false;
                let lamports = rpc.get_minimum_balance_for_rent_exemption(expected_len).await?;
                let create = loader::create_buffer(&payer, &buffer.pubkey(), &payer, lamports, bytes.len())?;
                self.connection.send(self.payer, &[&buffer], &create).await?;
            }
        }

        let pace = Duration::from_secs(1) / self.writes_per_second.max(1);
        let total = bytes.len().div_ceil(WRITE_CHUNK);
        for round in 0..WRITE_ROUNDS {
            let on_chain = self.buffer_bytes(&buffer.pubkey()).await?;
            let pending = chunks_to_write(bytes, &on_chain);
            if round == 0 {
                report.chunks_already_written = total - pending.len();
            }
            if pending.is_empty() {
                return Ok((buffer, report));
            }
            if round > 0 {
                eprintln!("medshare-migrations: {} of {total} chunks not on chain after round {round}; sending them again", pending.len());
            }
            let blockhash = rpc.get_latest_blockhash().await?;
            let mut sent: Vec<Signature> = Vec::with_capacity(pending.len());
            for offset in pending {
                let end = (offset + WRITE_CHUNK).min(bytes.len());
                let instructions = [
                    solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(medshare_client::compute::compute_unit_limit(&[
                        loader::write(&buffer.pubkey(), &payer, 0, vec![]),
                    ])),
                    solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_price(self.compute_unit_price),
                    loader::write(&buffer.pubkey(), &payer, offset as u32, bytes[offset..end].to_vec()),
                ];
                let tx = Transaction::new_signed_with_payer(&instructions, Some(&payer), &[self.payer], blockhash);
                let started = Instant::now();
                // a write that fails to send is left for the next round (the account is the truth)
                match rpc.send_transaction(&tx).await {
                    Ok(signature) => sent.push(signature),
                    Err(error) => eprintln!("medshare-migrations: sending the write at {offset} failed ({error}); it is retried"),
                }
                report.writes_sent += 1;
                tokio::time::sleep(pace.saturating_sub(started.elapsed())).await;
            }
            self.await_writes(&sent).await;
        }
        let left = chunks_to_write(bytes, &self.buffer_bytes(&buffer.pubkey()).await?).len();
        bail!("{left} of {total} buffer writes never landed; run again to resume the buffer in {}", self.buffer_path.display())
    }

    /// Waits (30 s at most) for the signatures to be confirmed or to fail.
    async fn await_writes(&self, signatures: &[Signature]) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut waiting: Vec<Signature> = signatures.to_vec();
        while !waiting.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let mut still = Vec::new();
            for batch in waiting.chunks(200) {
                match self.connection.rpc.get_signature_statuses(batch).await {
                    Ok(statuses) => {
                        for (signature, status) in batch.iter().zip(statuses.value) {
                            if !status.is_some_and(|s| s.err.is_some() || s.satisfies_commitment(CommitmentConfig::confirmed())) {
                                still.push(*signature);
                            }
                        }
                    }
                    Err(_) => still.extend_from_slice(batch),
                }
            }
            waiting = still;
        }
    }

    async fn buffer_bytes(&self, buffer: &Address) -> Result<Vec<u8>> {
        let data = self.connection.account_owned_by(buffer, &LOADER).await?.ok_or_else(|| anyhow!("buffer {buffer} disappeared"))?;
        Ok(buffer_parts(&data).map(|(_, bytes)| bytes.to_vec()).unwrap_or_default())
    }
}

/// Reads a keypair file.
pub fn read_keypair(path: &Path) -> Result<Keypair> {
    solana_keypair::read_keypair_file(path).map_err(|e| anyhow!("cannot read keypair {}: {e}", path.display()))
}

/// Writes a keypair file readable by its owner only, refusing to replace one.
fn write_secret_file(path: &Path, keypair: &Keypair) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(serde_json::to_string(&keypair.to_bytes().to_vec())?.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_chunks_that_differ_are_written_again() {
        let bytes: Vec<u8> = (0..(WRITE_CHUNK * 3 + 10)).map(|i| i as u8).collect();
        assert_eq!(chunks_to_write(&bytes, &[]), vec![0, WRITE_CHUNK, 2 * WRITE_CHUNK, 3 * WRITE_CHUNK]);
        let mut on_chain = vec![0u8; bytes.len()];
        on_chain[WRITE_CHUNK..2 * WRITE_CHUNK].copy_from_slice(&bytes[WRITE_CHUNK..2 * WRITE_CHUNK]);
        on_chain[3 * WRITE_CHUNK..].copy_from_slice(&bytes[3 * WRITE_CHUNK..]);
        assert_eq!(chunks_to_write(&bytes, &on_chain), vec![0, 2 * WRITE_CHUNK]);
        assert!(chunks_to_write(&bytes, &bytes).is_empty());
        // a chunk whose first bytes happen to be right is still written
        on_chain[0] = bytes[0];
        assert_eq!(chunks_to_write(&bytes, &on_chain), vec![0, 2 * WRITE_CHUNK]);
    }

    #[test]
    fn loader_accounts_are_read_by_their_layout() {
        let authority = Address::new_from_array([7; 32]);
        let mut programdata = 3u32.to_le_bytes().to_vec();
        programdata.extend_from_slice(&42u64.to_le_bytes());
        programdata.push(1);
        programdata.extend_from_slice(authority.as_ref());
        assert_eq!(programdata.len(), UpgradeableLoaderState::size_of_programdata_metadata());
        assert_eq!(programdata_authority(&programdata), Some(authority));
        programdata[12] = 0;
        assert_eq!(programdata_authority(&programdata), None, "immutable");

        let mut buffer = 1u32.to_le_bytes().to_vec();
        buffer.push(1);
        buffer.extend_from_slice(authority.as_ref());
        buffer.extend_from_slice(b"elf");
        assert_eq!(buffer_parts(&buffer), Some((Some(authority), &b"elf"[..])));
        assert_eq!(buffer_parts(&programdata), None, "not a buffer");
    }

    #[test]
    fn the_buffer_keypair_sits_next_to_the_program() {
        assert_eq!(default_buffer_path(Path::new("target/deploy/medical_records.so")), PathBuf::from("target/deploy/medical_records-buffer.json"));
    }

    #[test]
    fn the_buffer_keypair_file_is_private_and_never_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::temp_dir().join(format!("medshare-buffer-test-{}.json", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let keypair = Keypair::new();
        write_secret_file(&path, &keypair).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(read_keypair(&path).unwrap().pubkey(), keypair.pubkey());
        assert!(write_secret_file(&path, &Keypair::new()).is_err(), "an existing buffer keypair is never overwritten");
        std::fs::remove_file(&path).unwrap();
    }
}
