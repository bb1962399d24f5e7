//! `store`, `list` and `open`.

use anyhow::{Context, Result, anyhow, bail};
use encrypted_circuits::{
    keys::PublicKey,
    record::{self, Capsule},
};
use medshare_client::{
    Address,
    accounts::{Record, ShareRequest},
    context::{record_binding, seal_version, verify_request_capsule},
    instructions as ix, pda,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use solana_signer::Signer;
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use crate::{
    output::{Report, table},
    session::{self, Session},
};

/// The most ciphertext a record account holds inline.
const INLINE_MAX: usize = 2048;
/// Blob URIs name the content: `blob://sha256/<hex>`.
const BLOB_URI_PREFIX: &str = "blob://sha256/";

/// `store` options.
#[derive(clap::Args, Debug)]
pub struct StoreArgs {
    /// The file to store.
    pub file: PathBuf,
    /// The cluster whose key seals the record.
    #[arg(long, env = "MEDSHARE_CLUSTER")]
    pub cluster: String,
    /// The record id (an existing id stores the next version; default: the next free id).
    #[arg(long)]
    pub id: Option<u64>,
    /// Store bytes that are not FHIR R4 JSON.
    #[arg(long)]
    pub raw: bool,
    /// The content-addressed blob store for records larger than an account holds.
    #[arg(long, env = "MEDSHARE_BLOB_DIR")]
    pub blob_dir: Option<PathBuf>,
}

/// Checks that `bytes` are a FHIR R4 resource: a JSON object with a non-empty `resourceType`.
pub fn check_fhir(bytes: &[u8]) -> Result<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).context("not FHIR R4 JSON (use --raw to store other bytes)")?;
    match value.get("resourceType").and_then(|t| t.as_str()) {
        Some(kind) if !kind.is_empty() => Ok(kind.to_owned()),
        _ => bail!("not a FHIR R4 resource: no \"resourceType\" (use --raw to store other bytes)"),
    }
}

/// Seals the file to the cluster key and the owner's key and stores it: inline in the
/// record account when it fits, else in the blob store with its digest and URI on chain.
pub async fn store(session: &Session, args: StoreArgs) -> Result<Report> {
    let wallet = session.wallet()?;
    let owner = wallet.pubkey();
    let plaintext = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let kind = if args.raw { None } else { Some(check_fhir(&plaintext)?) };
    let cluster_address = session::address(&args.cluster, "cluster")?;
    let record_id = match args.id {
        Some(id) => id,
        None => next_record_id(session, &owner).await?,
    };
    let what = format!("store {} as record id {record_id} of {owner}", args.file.display());
    let stored = store_version(session, wallet, &cluster_address, record_id, &plaintext, args.blob_dir.as_deref(), &what).await?;
    let json = json!({
        "record": stored.address.to_string(), "record_id": record_id, "version": stored.version, "owner": owner.to_string(),
        "cluster": cluster_address.to_string(), "storage": stored.storage(), "plaintext_len": plaintext.len(),
        "ciphertext_len": stored.ciphertext_len, "resource_type": kind, "blob": stored.blob, "signature": stored.signature.to_string(),
    });
    let text = format!(
        "stored record {} (id {record_id}, version {}, {}, {} bytes sealed{})\nsignature {}",
        stored.address,
        stored.version,
        stored.storage(),
        stored.ciphertext_len,
        kind.map(|k| format!(", FHIR {k}")).unwrap_or_default(),
        stored.signature
    );
    Ok(Report::new(json, text))
}

/// `rekey` options.
#[derive(clap::Args, Debug)]
pub struct RekeyArgs {
    /// The record (yours).
    pub record: String,
    /// The blob store, for records kept off chain (the new version is written there too).
    #[arg(long, env = "MEDSHARE_BLOB_DIR")]
    pub blob_dir: Option<PathBuf>,
}

/// Re-keys one's own record: opens the current version with the owner capsule and stores the
/// same bytes as the next version, under a fresh record key sealed to the cluster's current
/// key. Needed after the cluster's key changed (`medshare cluster new-epoch`), and the remedy
/// when partials were already posted for a revoked share.
pub async fn rekey(session: &Session, args: RekeyArgs) -> Result<Report> {
    let wallet = session.wallet()?;
    let address = session::address(&args.record, "record")?;
    let record = session.record(&address).await?;
    session::require_signer(wallet, &record.owner, "record owner")?;
    let plaintext = open_as_owner(session, wallet, &record, args.blob_dir.as_deref())?;
    let what = format!("re-key record {address} (version {} -> {})", record.version, record.version + 1);
    let stored = store_version(session, wallet, &record.cluster, record.record_id, &plaintext, args.blob_dir.as_deref(), &what).await?;
    let json = json!({
        "record": address.to_string(), "previous_version": record.version, "version": stored.version,
        "previous_epoch": record.sealed_epoch, "storage": stored.storage(), "signature": stored.signature.to_string(),
    });
    let text = format!(
        "re-keyed record {address}: version {} (epoch {} key) -> version {} under the cluster's current key\nsignature {}",
        record.version, record.sealed_epoch, stored.version, stored.signature
    );
    Ok(Report::new(json, text))
}

/// What [`store_version`] wrote.
struct Stored {
    address: Address,
    version: u32,
    ciphertext_len: usize,
    blob: Option<PathBuf>,
    signature: solana_signature::Signature,
}

impl Stored {
    fn storage(&self) -> &'static str {
        if self.blob.is_some() { "blob" } else { "inline" }
    }
}

/// Seals `plaintext` as the next version of the wallet's record `record_id` (version 1 when
/// it does not exist) under the cluster's current key, and writes it. Writing that takes more
/// than one transaction (a sealed record over one chunk, stored inline: up to four
/// transactions and their fees) is the costly kind of store: it asks first (`what` says
/// what it is), unless `--yes`.
async fn store_version(
    session: &Session,
    wallet: &dyn Signer,
    cluster_address: &Address,
    record_id: u64,
    plaintext: &[u8],
    blob_dir: Option<&std::path::Path>,
    what: &str,
) -> Result<Stored> {
    let owner = wallet.pubkey();
    let cluster = session.cluster(cluster_address).await?;
    if cluster.status != medshare_client::accounts::Cluster::ACTIVE {
        bail!("cluster {cluster_address} is not active yet (its key ceremony has not finished)");
    }
    let cluster_key = PublicKey::from_bytes(&cluster.public_key, "cluster key")?;
    let owner_key = session.sealing_key(wallet).await?.1.public_key();
    let address = pda::record(&owner, record_id);
    let version = match session.connection.account(&address).await? {
        Some(data) => Record::decode(&data)?.version + 1,
        None => 1,
    };
    let sealed = seal_version(&mut rand::rngs::OsRng, &owner, record_id, version, cluster_address, &cluster_key, &owner_key, plaintext);
    let ciphertext = sealed.ciphertext;
    let mut store_args = ix::StoreArgs {
        version,
        cluster_capsule: sealed.cluster_capsule.to_bytes(),
        capsule_proof: sealed.capsule_proof.to_bytes(),
        owner_capsule: sealed.owner_capsule.to_bytes(),
        storage: Record::INLINE,
        ciphertext_len: ciphertext.len() as u32,
        digest: [0; 32],
        uri: Vec::new(),
        chunk: Vec::new(),
    };
    let mut blob = None;
    if ciphertext.len() > INLINE_MAX {
        let dir =
            blob_dir.ok_or_else(|| anyhow!("the sealed record is {} bytes, more than an account holds ({INLINE_MAX}): give --blob-dir", ciphertext.len()))?;
        let digest: [u8; 32] = Sha256::digest(&ciphertext).into();
        blob = Some(write_blob(dir, &digest, &ciphertext)?);
        store_args.storage = Record::BLOB;
        store_args.digest = digest;
        store_args.uri = format!("{BLOB_URI_PREFIX}{}", hex::encode(digest)).into_bytes();
    }

    let instructions = match blob {
        Some(_) => vec![ix::store_patient_data(&owner, cluster_address, record_id, &store_args).0],
        None => ix::store_inline(&owner, cluster_address, record_id, &store_args, &ciphertext).0,
    };
    if instructions.len() > 1 {
        let rent = if version == 1 {
            let lamports = session.connection.rpc.get_minimum_balance_for_rent_exemption(Record::LEN).await?;
            format!("; the new record account locks {} SOL of rent from {owner} (returned by `medshare close-record`)", sol(lamports))
        } else {
            String::new()
        };
        session.confirm(&format!("{what}: {} bytes sealed, written in {} transactions, each paying a fee{rent}", ciphertext.len(), instructions.len()))?;
    }
    let progress = progress_bar(ciphertext.len() as u64, "writing the record on chain");
    let mut signature = None;
    for (i, instruction) in instructions.into_iter().enumerate() {
        signature = Some(session.send(&[instruction]).await?);
        progress.set_position(((i + 1) * ix::INLINE_CHUNK).min(ciphertext.len()) as u64);
    }
    progress.finish_and_clear();
    let signature = signature.expect("at least the store instruction");
    Ok(Stored { address, version, ciphertext_len: ciphertext.len(), blob, signature })
}

/// One past the highest record id the owner has.
async fn next_record_id(session: &Session, owner: &Address) -> Result<u64> {
    let records = session.connection.program_accounts("Record", &[(Record::OWNER_OFFSET, owner.as_ref())]).await?;
    let highest = records.iter().filter_map(|(_, data)| Record::decode(data).ok()).map(|r| r.record_id).max();
    Ok(highest.map_or(1, |id| id + 1))
}

/// Writes `bytes` to `dir/<sha256 hex>` with a progress bar; the name is the content's digest.
fn write_blob(dir: &std::path::Path, digest: &[u8; 32], bytes: &[u8]) -> Result<PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(dir).with_context(|| format!("creating blob store {}", dir.display()))?;
    let path = dir.join(hex::encode(digest));
    let temporary = path.with_extension("partial");
    let mut file = std::fs::File::create(&temporary).with_context(|| format!("writing {}", temporary.display()))?;
    let progress = progress_bar(bytes.len() as u64, "writing the blob");
    for chunk in bytes.chunks(1 << 20) {
        file.write_all(chunk)?;
        progress.inc(chunk.len() as u64);
    }
    file.sync_all()?;
    std::fs::rename(&temporary, &path)?;
    progress.finish_and_clear();
    Ok(path)
}

fn progress_bar(len: u64, message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar
}

/// Lists `owner`'s records (default: the wallet's).
pub async fn list(session: &Session, owner: Option<String>) -> Result<Report> {
    let owner = match owner {
        Some(owner) => session::address(&owner, "owner")?,
        None => session.wallet()?.pubkey(),
    };
    let accounts = session.connection.program_accounts("Record", &[(Record::OWNER_OFFSET, owner.as_ref())]).await?;
    let mut records: Vec<(Address, Record)> = accounts.into_iter().filter_map(|(address, data)| Some((address, Record::decode(&data).ok()?))).collect();
    records.sort_by_key(|(_, r)| r.record_id);
    let json: Vec<_> = records
        .iter()
        .map(|(address, r)| {
            json!({
                "record": address.to_string(), "record_id": r.record_id, "version": r.version, "cluster": r.cluster.to_string(),
                "storage": if r.storage == Record::BLOB { "blob" } else { "inline" }, "ciphertext_len": r.ciphertext_len,
                "complete": r.written == r.ciphertext_len || r.storage == Record::BLOB, "shares": r.share_count,
                "created_at": crate::time::rfc3339(r.created_at), "updated_at": crate::time::rfc3339(r.updated_at),
                "created_at_unix": r.created_at, "updated_at_unix": r.updated_at,
                "uri": (r.storage == Record::BLOB).then(|| String::from_utf8_lossy(&r.uri).into_owned()),
            })
        })
        .collect();
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|(address, r)| {
            let storage = if r.storage == Record::BLOB { "blob" } else { "inline" };
            vec![
                address.to_string(),
                r.record_id.to_string(),
                r.version.to_string(),
                storage.to_owned(),
                r.ciphertext_len.to_string(),
                r.share_count.to_string(),
                crate::time::human(r.updated_at),
            ]
        })
        .collect();
    let text = format!("{} record(s) of {owner}\n{}", records.len(), table(&["RECORD", "ID", "VERSION", "STORAGE", "BYTES", "SHARES", "UPDATED"], &rows));
    Ok(Report::new(json!({ "owner": owner.to_string(), "records": json }), text))
}

/// `open` options.
#[derive(clap::Args, Debug)]
pub struct OpenArgs {
    /// A share request (as its recipient) or a record (as its owner).
    pub address: String,
    /// Where to write the plaintext (default: stdout; with --output json it goes in the JSON).
    /// The file is created readable by you alone (mode 0600); an existing file is kept unless --force.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists (the new file is still created with mode 0600).
    #[arg(long, requires = "out")]
    pub force: bool,
    /// The blob store, for records kept off chain.
    #[arg(long, env = "MEDSHARE_BLOB_DIR")]
    pub blob_dir: Option<PathBuf>,
    /// Wait up to this long for a share to complete (e.g. 30s).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
    pub wait: Duration,
}

/// Opens a completed share as its recipient, or a record as its owner.
pub async fn open(session: &Session, args: OpenArgs) -> Result<Report> {
    let wallet = session.wallet()?;
    let address = session::address(&args.address, "record or share request")?;
    if let Some(out) = &args.out {
        // fail before any work rather than after the wait and the decryption
        refuse_existing(out, args.force)?;
    }
    let data = session.account(&address, "account").await?;
    let (record_address, record, plaintext, opened_as) = if let Ok(record) = Record::decode(&data) {
        session::require_signer(wallet, &record.owner, "record owner")?;
        let plaintext = open_as_owner(session, wallet, &record, args.blob_dir.as_deref())?;
        (address, record, plaintext, "owner")
    } else if ShareRequest::decode(&data).is_ok() {
        let request = wait_for_completion(session, &address, args.wait).await?;
        session::require_signer(wallet, &request.recipient, "share's recipient")?;
        let record = session.record(&request.record).await?;
        if record.version != request.record_version {
            bail!("the record is at version {} now; this share was for version {}, whose ciphertext is gone", record.version, request.record_version);
        }
        // the capsule must be the one this record version's owner sealed, for this record
        verify_request_capsule(&request, &record.cluster_key)
            .map_err(|e| anyhow!("share request {address} carries a capsule that is not this record's ({e}): refusing to combine"))?;
        let (_, key) = session.key_matching(wallet, &request.recipient_key)?.ok_or_else(|| {
            anyhow!("share request {address} was made to key {}, which is none of {}", hex::encode(request.recipient_key), session.keys_searched())
        })?;
        let key_point = medshare_client::context::combine_accepted(&request)?.open(&key)?;
        let plaintext = decrypt(&record, &key_point, args.blob_dir.as_deref())?;
        (request.record, record, plaintext, "recipient")
    } else {
        bail!("{address} is neither a record nor a share request");
    };
    let digest = hex::encode(Sha256::digest(&plaintext));
    let mut json =
        json!({ "record": record_address.to_string(), "version": record.version, "opened_as": opened_as, "plaintext_len": plaintext.len(), "sha256": digest });
    let text = match &args.out {
        Some(path) => {
            write_private(path, &plaintext, args.force)?;
            json["out"] = json!(path);
            format!("opened record {record_address} v{} as {opened_as}: {} bytes written to {}", record.version, plaintext.len(), path.display())
        }
        None => {
            json["plaintext"] = match std::str::from_utf8(&plaintext) {
                Ok(text) => json!(text),
                Err(_) => json!({ "hex": hex::encode(&plaintext) }),
            };
            String::from_utf8_lossy(&plaintext).into_owned()
        }
    };
    Ok(Report::new(json, text))
}

/// The plaintext of one's own record, from its owner capsule.
fn open_as_owner(session: &Session, wallet: &dyn Signer, record: &Record, blob_dir: Option<&std::path::Path>) -> Result<Vec<u8>> {
    // sealed to whichever of the wallet's keys was registered when this version was stored
    let capsule = Capsule::from_bytes(&record.owner_capsule)?;
    let (binding, ciphertext) = sealed_version(record, blob_dir)?;
    let opened = session.find_key(wallet, |key| Ok(record::open(&binding, &capsule.open(key)?, &ciphertext).ok()))?;
    opened
        .map(|(_, _, plaintext)| plaintext)
        .ok_or_else(|| anyhow!("the record does not decrypt with {}: wrong key or tampered ciphertext", session.keys_searched()))
}

/// The record version's AEAD binding and its ciphertext (inline, or its blob checked
/// against the digest).
fn sealed_version(record: &Record, blob_dir: Option<&std::path::Path>) -> Result<(encrypted_circuits::record::RecordBinding, Vec<u8>)> {
    let ciphertext = match record.storage {
        Record::BLOB => read_blob(record, blob_dir)?,
        _ => record.inline.clone(),
    };
    Ok((record_binding(&record.owner, record.record_id, record.version), ciphertext))
}

/// Reads the record's ciphertext and opens it with `key_point`.
fn decrypt(record: &Record, key_point: &encrypted_circuits::record::RecordKeyPoint, blob_dir: Option<&std::path::Path>) -> Result<Vec<u8>> {
    let (binding, ciphertext) = sealed_version(record, blob_dir)?;
    record::open(&binding, key_point, &ciphertext).map_err(|_| anyhow!("the record does not decrypt: wrong key or tampered ciphertext"))
}

/// The request once completed, polling up to `wait`; a clear error for revoked, expired or
/// still-pending requests.
async fn wait_for_completion(session: &Session, address: &Address, wait: Duration) -> Result<ShareRequest> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let request = session.request(address).await?;
        match request.status {
            ShareRequest::COMPLETED => return Ok(request),
            ShareRequest::REVOKED => bail!("share request {address} was revoked by the owner"),
            ShareRequest::EXPIRED => bail!("share request {address} expired at {} before it completed", crate::time::human(request.expires_at)),
            _ if request.expired_at(medshare_client::unix_now()) => {
                bail!("share request {address} expired at {} before it completed", crate::time::human(request.expires_at))
            }
            _ if std::time::Instant::now() >= deadline => {
                bail!("share request {address} is pending: {} of {} partials in (try --wait 30s)", request.accepted_count, request.threshold)
            }
            _ => tokio::time::sleep(Duration::from_millis(400)).await,
        }
    }
}

/// Fails when `path` exists and `force` is not given.
fn refuse_existing(path: &Path, force: bool) -> Result<()> {
    if !force && std::fs::symlink_metadata(path).is_ok() {
        bail!("{} exists: refusing to overwrite it (pass --force to replace it)", path.display());
    }
    Ok(())
}

/// Writes decrypted bytes to `path`, readable by the user alone: the file is created with
/// mode 0600 (never created wider and then narrowed, so no other user can open it in
/// between). Without `force` an existing file (or symlink) is refused, atomically
/// (`O_CREAT | O_EXCL`). With `force` the bytes go to a new 0600 file next to it, renamed
/// over `path`: the old file's wider mode, or a symlink's target, is never written to.
pub fn write_private(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let create = |target: &Path| std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(target);
    if !force {
        let mut file = create(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow!("{} exists: refusing to overwrite it (pass --force to replace it)", path.display()),
            _ => anyhow!("creating {}: {error}", path.display()),
        })?;
        file.write_all(bytes).and_then(|()| file.sync_all()).with_context(|| format!("writing {}", path.display()))?;
        return Ok(());
    }
    let name = path.file_name().ok_or_else(|| anyhow!("--out {} is not a file name", path.display()))?;
    let temporary = path.with_file_name(format!(".{}.medshare-{}.partial", name.to_string_lossy(), std::process::id()));
    let written = create(&temporary).and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()));
    if let Err(error) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        bail!("writing {}: {error}", path.display());
    }
    Ok(())
}

/// Lamports as SOL, for people.
pub fn sol(lamports: u64) -> String {
    format!("{}.{:09}", lamports / solana_native_token::LAMPORTS_PER_SOL, lamports % solana_native_token::LAMPORTS_PER_SOL)
}

/// `close-record`: the owner closes a record and gets its rent back. The ciphertext leaves
/// the chain (a blob stays wherever it is kept); share requests of it can no longer be opened.
pub async fn close_record(session: &Session, record: &str) -> Result<Report> {
    let wallet = session.wallet()?;
    let address = session::address(record, "record")?;
    let on_chain = session.record(&address).await?;
    session::require_signer(wallet, &on_chain.owner, "record owner")?;
    let lamports = session.connection.rpc.get_balance(&address).await?;
    let pending = session.connection.program_accounts("ShareRequest", &[(ShareRequest::RECORD_OFFSET, address.as_ref())]).await?;
    let pending = pending.iter().filter_map(|(_, data)| ShareRequest::decode(data).ok()).filter(|r| r.status == ShareRequest::PENDING).count();
    let unopenable = if pending > 0 { format!("; {pending} pending share request(s) of it can then never be opened") } else { String::new() };
    session.confirm(&format!(
        "close record {address} (id {}, version {}): its ciphertext is deleted from the chain and {} SOL of rent goes back to {}{unopenable}",
        on_chain.record_id,
        on_chain.version,
        sol(lamports),
        on_chain.owner
    ))?;
    let signature = session.send(&[ix::close_record(&wallet.pubkey(), &address)]).await?;
    let json = json!({
        "record": address.to_string(), "record_id": on_chain.record_id, "version": on_chain.version, "lamports_returned": lamports,
        "returned_to": on_chain.owner.to_string(), "pending_requests": pending, "signature": signature.to_string(),
    });
    let text = format!("closed record {address}: {} SOL ({lamports} lamports) returned to {}\nsignature {signature}", sol(lamports), on_chain.owner);
    Ok(Report::new(json, text))
}

fn read_blob(record: &Record, dir: Option<&std::path::Path>) -> Result<Vec<u8>> {
    let uri = String::from_utf8_lossy(&record.uri);
    let name = uri.strip_prefix(BLOB_URI_PREFIX).ok_or_else(|| anyhow!("unknown blob URI {uri}"))?;
    let dir = dir.ok_or_else(|| anyhow!("the record is kept off chain at {uri}: give --blob-dir"))?;
    let path = dir.join(name);
    let bytes = std::fs::read(&path).with_context(|| format!("reading blob {}", path.display()))?;
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    if digest != record.digest {
        bail!("blob {} does not match the digest on chain", path.display());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::{check_fhir, sol, write_private};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn out_files_are_created_0600_and_never_overwritten_without_force() {
        let dir = std::env::temp_dir().join(format!("medshare-out-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let path = dir.join("record.json");
        write_private(&path, b"secret", false).unwrap();
        assert_eq!((std::fs::read(&path).unwrap(), mode(&path)), (b"secret".to_vec(), 0o600));
        let error = write_private(&path, b"other", false).unwrap_err().to_string();
        assert!(error.contains("refusing to overwrite") && error.contains("--force"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"secret", "kept");

        // --force replaces a world-readable file by a 0600 one, and never writes through a symlink
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, b"replaced", true).unwrap();
        assert_eq!((std::fs::read(&path).unwrap(), mode(&path)), (b"replaced".to_vec(), 0o600));
        let target = dir.join("target");
        std::fs::write(&target, b"untouched").unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(write_private(&link, b"x", false).is_err(), "a symlink is an existing file");
        write_private(&link, b"through", true).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"untouched");
        assert_eq!((std::fs::read(&link).unwrap(), mode(&link)), (b"through".to_vec(), 0o600));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3, "no temporary file left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn lamports_print_as_sol() {
        assert_eq!(sol(0), "0.000000000");
        assert_eq!(sol(17_616_480), "0.017616480");
        assert_eq!(sol(2_500_000_000), "2.500000000");
    }

    #[test]
    fn fhir_resources_need_a_resource_type() {
        assert_eq!(check_fhir(br#"{"resourceType":"Patient","id":"p1"}"#).unwrap(), "Patient");
        for bad in [&br#"{"id":"p1"}"#[..], br#"{"resourceType":""}"#, br#"{"resourceType":7}"#, br#"["Patient"]"#, b"not json", b""] {
            let error = check_fhir(bad).unwrap_err().to_string();
            assert!(error.contains("--raw"), "{error}");
        }
    }
}
