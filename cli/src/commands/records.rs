//! `store`, `list` and `open`.

use anyhow::{Context, Result, anyhow, bail};
use encrypted_circuits::{
    keys::PublicKey,
    record::{self, Capsule, RecordBinding, RecordKeyPoint},
    stream::{self, StreamSealer},
};
use medshare_client::{
    Address,
    accounts::{Record, ShareRequest},
    blob::{self, BlobStore, Fetcher, IPFS_BLOCK_MAX, Uploaded, cid_v1_raw},
    context::{record_binding, seal_version, verify_request_capsule},
    instructions as ix, pda, sealing,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use solana_signer::Signer;
use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    time::Duration,
};

use crate::{
    output::{Report, table},
    session::{self, Session},
};

/// The most ciphertext a record account holds inline.
const INLINE_MAX: usize = 2048;
/// A blob opened into a file (`open --out`) above this many sealed bytes is downloaded to a
/// private temporary file and opened chunk by chunk (bounded memory, no FHIR summary);
/// smaller ones are opened in memory.
const STREAM_OPEN_ABOVE: u64 = 32 << 20;
/// Chunks of up to 1 MiB between the sealer and the upload.
const PIPE_CHUNKS: usize = 4;

/// The bytes a new version seals: a file, streamed when it goes to a blob store, or bytes
/// already in memory.
enum Plaintext {
    File { path: PathBuf, len: u64 },
    Bytes(Vec<u8>),
}

impl Plaintext {
    fn len(&self) -> u64 {
        match self {
            Plaintext::File { len, .. } => *len,
            Plaintext::Bytes(bytes) => bytes.len() as u64,
        }
    }

    fn into_bytes(self) -> Result<Vec<u8>> {
        match self {
            Plaintext::File { path, .. } => std::fs::read(&path).with_context(|| format!("reading {}", path.display())),
            Plaintext::Bytes(bytes) => Ok(bytes),
        }
    }

    fn into_reader(self) -> Result<Box<dyn Read + Send>> {
        Ok(match self {
            Plaintext::File { path, .. } => {
                let file = std::fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
                Box::new(std::io::BufReader::with_capacity(1 << 20, file))
            }
            Plaintext::Bytes(bytes) => Box::new(std::io::Cursor::new(bytes)),
        })
    }
}

/// Where records larger than an account holds are kept, and read from.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct BlobArgs {
    /// The blob store for records larger than an account holds: file:///dir, s3://bucket/prefix
    /// (AWS S3 or any S3-compatible server), gs://bucket/prefix, az://container/prefix, or ipfs://
    /// (through the kubo RPC API in MEDSHARE_IPFS_API) [default: the local directory
    /// ~/.local/share/medshare/blobs]. Credentials and endpoint come from the store's usual
    /// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
    /// AWS_ALLOW_HTTP; GOOGLE_*; AZURE_*). Reading needs none of it: the URI on chain names the store.
    #[arg(long, env = "MEDSHARE_BLOB_STORE", value_name = "URL")]
    pub blob_store: Option<String>,
    /// A local blob directory: the same as --blob-store file://DIR (--blob-store wins when both are set).
    #[arg(long, env = "MEDSHARE_BLOB_DIR", value_name = "DIR")]
    pub blob_dir: Option<PathBuf>,
}

impl BlobArgs {
    /// The store new blobs go to: the one given, else `current` (the store the record's
    /// current version is in, for a new version of it), else the default directory.
    fn store(&self, current: Option<&str>) -> Result<BlobStore> {
        Ok(match (&self.blob_store, &self.blob_dir, current) {
            (Some(url), _, _) => BlobStore::from_url(url)?,
            (None, Some(dir), _) => BlobStore::directory(dir)?,
            (None, None, Some(url)) => BlobStore::from_url(url)?,
            (None, None, None) => BlobStore::directory(&medshare_client::blob::default_dir())?,
        })
    }

    /// What reads blobs: the URI on chain with this user's environment credentials, and this
    /// user's local directory for blobs named by digest (`blob://sha256/...`) or kept on a
    /// directory mounted elsewhere.
    fn fetcher(&self) -> Result<Fetcher> {
        let local_file_store = self.blob_store.as_deref().and_then(|url| url::Url::parse(url).ok()).filter(|url| url.scheme() == "file");
        let local_dir = match (&self.blob_dir, local_file_store) {
            (_, Some(url)) => url.to_file_path().ok(),
            (Some(dir), None) => Some(dir.clone()),
            (None, None) => Some(medshare_client::blob::default_dir()),
        };
        Ok(Fetcher::from_env(local_dir)?)
    }
}

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
    /// Where a record larger than an account holds goes.
    #[command(flatten)]
    pub blobs: BlobArgs,
}

/// Checks that `bytes` are a valid FHIR R4 resource ([`crate::fhir::validate`]): its type, or
/// an error naming the element path (`Bundle.entry[2].resource.birthDate: invalid value ...`).
pub fn check_fhir(bytes: &[u8]) -> Result<String> {
    match crate::fhir::validate(bytes) {
        Ok(summary) => Ok(summary.resource_type),
        Err(error) => bail!("not FHIR R4 JSON: {error} (use --raw to store other bytes)"),
    }
}

/// Seals the file to the cluster key and the owner's key and stores it: inline in the
/// record account when it fits, else in the blob store with its digest and URI on chain.
pub async fn store(session: &Session, args: StoreArgs) -> Result<Report> {
    let wallet = session.wallet()?;
    let owner = wallet.pubkey();
    // raw bytes are sealed straight from the file; FHIR is read whole for its check
    let (plaintext, kind) = if args.raw {
        let len = std::fs::metadata(&args.file).with_context(|| format!("reading {}", args.file.display()))?.len();
        (Plaintext::File { path: args.file.clone(), len }, None)
    } else {
        let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
        let kind = check_fhir(&bytes)?;
        (Plaintext::Bytes(bytes), Some(kind))
    };
    let plaintext_len = plaintext.len();
    let cluster_address = session::address(&args.cluster, "cluster")?;
    let record_id = match args.id {
        Some(id) => id,
        None => next_record_id(session, &owner).await?,
    };
    let what = format!("store {} as record id {record_id} of {owner}", args.file.display());
    let stored = store_version(session, wallet, &cluster_address, record_id, plaintext, &args.blobs, None, &what).await?;
    let json = json!({
        "record": stored.address.to_string(), "record_id": record_id, "version": stored.version, "owner": owner.to_string(),
        "cluster": cluster_address.to_string(), "storage": stored.storage(), "plaintext_len": plaintext_len,
        "ciphertext_len": stored.ciphertext_len, "resource_type": kind, "blob": stored.blob_json(), "uri": stored.blob.as_ref().map(|b| &b.uri),
        "cid": stored.blob.as_ref().and_then(|b| blob_cid(b.len, &b.digest)), "signature": stored.signature.to_string(),
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
    /// Where the record is read from and the new version written (a blob is read by the URI on chain).
    #[command(flatten)]
    pub blobs: BlobArgs,
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
    let plaintext = Plaintext::Bytes(open_as_owner(session, wallet, &record, &args.blobs.fetcher()?, None).await?);
    let what = format!("re-key record {address} (version {} -> {})", record.version, record.version + 1);
    // the new version goes where the current one is, unless told otherwise
    let current_store = (record.storage == Record::BLOB).then(|| medshare_client::blob::store_url_of(&String::from_utf8_lossy(&record.uri))).flatten();
    let stored = store_version(session, wallet, &record.cluster, record.record_id, plaintext, &args.blobs, current_store.as_deref(), &what).await?;
    let json = json!({
        "record": address.to_string(), "previous_version": record.version, "version": stored.version,
        "previous_epoch": record.sealed_epoch, "storage": stored.storage(), "uri": stored.blob.as_ref().map(|b| &b.uri),
        "signature": stored.signature.to_string(),
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
    blob: Option<Uploaded>,
    signature: solana_signature::Signature,
}

impl Stored {
    fn storage(&self) -> &'static str {
        if self.blob.is_some() { "blob" } else { "inline" }
    }

    /// Where the blob is: the file written for a local directory store, else its URI.
    fn blob_json(&self) -> Option<serde_json::Value> {
        self.blob.as_ref().map(|blob| match &blob.local_path {
            Some(path) => json!(path),
            None => json!(blob.uri),
        })
    }
}

/// The CIDv1 (raw, sha2-256) a blob of one IPFS block has, derived from its digest.
fn blob_cid(len: u64, digest: &[u8; 32]) -> Option<String> {
    (len <= IPFS_BLOCK_MAX).then(|| cid_v1_raw(digest))
}

/// Seals `plaintext` as the next version of the wallet's record `record_id` (version 1 when
/// it does not exist) under the cluster's current key, and writes it. Writing that takes more
/// than one transaction (a sealed record over one chunk, stored inline: up to four
/// transactions and their fees) is the costly kind of store: it asks first (`what` says
/// what it is), unless `--yes`.
#[allow(clippy::too_many_arguments)]
async fn store_version(
    session: &Session,
    wallet: &dyn Signer,
    cluster_address: &Address,
    record_id: u64,
    plaintext: Plaintext,
    blobs: &BlobArgs,
    current_store: Option<&str>,
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
    let sealed_len = stream::ciphertext_len(plaintext.len())?;
    let ciphertext_len = u32::try_from(sealed_len).map_err(|_| anyhow!("the record is {sealed_len} bytes sealed: a record holds at most 4 GiB (u32)"))?;
    let mut store_args = ix::StoreArgs {
        version,
        cluster_capsule: [0; 64],
        capsule_proof: [0; 64],
        owner_capsule: [0; 64],
        storage: Record::INLINE,
        ciphertext_len,
        digest: [0; 32],
        uri: Vec::new(),
        chunk: Vec::new(),
    };
    let (ciphertext, blob) = if sealed_len <= INLINE_MAX as u64 {
        let plaintext = plaintext.into_bytes()?;
        let sealed = seal_version(&mut rand::rngs::OsRng, &owner, record_id, version, cluster_address, &cluster_key, &owner_key, &plaintext);
        store_args.cluster_capsule = sealed.cluster_capsule.to_bytes();
        store_args.capsule_proof = sealed.capsule_proof.to_bytes();
        store_args.owner_capsule = sealed.owner_capsule.to_bytes();
        if sealed.ciphertext.len() as u64 != sealed_len {
            bail!("sealed {} bytes, not the {sealed_len} of the record format", sealed.ciphertext.len());
        }
        (sealed.ciphertext, None)
    } else {
        // sealed chunk by chunk straight into the upload: the key is the record version's,
        // and the digest goes on chain once the upload is done
        let rng = &mut rand::rngs::OsRng;
        let binding = record_binding(&owner, record_id, version);
        let m = RecordKeyPoint::random(rng);
        let capsules = record::encapsulate(rng, &binding, &cluster_address.to_bytes(), &m, &cluster_key, &owner_key);
        let store = blobs.store(current_store)?;
        let uploaded = seal_and_upload(&store, &owner, record_id, version, record::sealer(&binding, &m, rng), plaintext, sealed_len).await?;
        store_args.cluster_capsule = capsules.cluster_capsule.to_bytes();
        store_args.capsule_proof = capsules.capsule_proof.to_bytes();
        store_args.owner_capsule = capsules.owner_capsule.to_bytes();
        store_args.storage = Record::BLOB;
        store_args.digest = uploaded.digest;
        store_args.uri = uploaded.uri.clone().into_bytes();
        (Vec::new(), Some(uploaded))
    };

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
        session.confirm(&format!("{what}: {sealed_len} bytes sealed, written in {} transactions, each paying a fee{rent}", instructions.len()))?;
    }
    let progress = progress_bar(ciphertext.len() as u64, "writing the record on chain");
    let mut signature = None;
    for (i, instruction) in instructions.into_iter().enumerate() {
        signature = Some(session.send(&[instruction]).await?);
        progress.set_position(((i + 1) * ix::INLINE_CHUNK).min(ciphertext.len()) as u64);
    }
    progress.finish_and_clear();
    let signature = signature.expect("at least the store instruction");
    Ok(Stored { address, version, ciphertext_len: sealed_len as usize, blob, signature })
}

/// One past the highest record id the owner has.
async fn next_record_id(session: &Session, owner: &Address) -> Result<u64> {
    let records = session.connection.program_accounts("Record", &[(Record::OWNER_OFFSET, owner.as_ref())]).await?;
    let highest = records.iter().filter_map(|(_, data)| Record::decode(data).ok()).map(|r| r.record_id).max();
    Ok(highest.map_or(1, |id| id + 1))
}

/// Seals `plaintext` with `sealer` on a blocking thread into a [`blob::pipe`] that the
/// upload reads: memory stays bounded (a few MiB) whatever the size. Returns what was stored,
/// checked to be the `sealed_len` bytes the sealer wrote, with the sealer's digest.
async fn seal_and_upload(
    store: &BlobStore,
    owner: &Address,
    record_id: u64,
    version: u32,
    sealer: StreamSealer,
    plaintext: Plaintext,
    sealed_len: u64,
) -> Result<Uploaded> {
    let input = plaintext.into_reader()?;
    let (mut writer, reader) = blob::pipe(PIPE_CHUNKS);
    let sealing = tokio::task::spawn_blocking(move || match sealing::seal(sealer, input, &mut writer, |_| {}) {
        Ok(summary) => writer.finish().map(|()| summary).map_err(|e| anyhow!("handing the sealed record to the upload: {e}")),
        Err(error) => {
            let message = error.to_string();
            writer.fail(std::io::Error::other(message));
            Err(anyhow!(error).context("sealing the record"))
        }
    });
    let uploaded = upload_blob(store, owner, record_id, version, reader, sealed_len).await;
    let sealed = sealing.await.map_err(|e| anyhow!("the sealer stopped: {e}"))?;
    // the upload's error first: a sealer whose reader went away only says "broken pipe"
    let (uploaded, sealed) = (uploaded?, sealed?);
    if (uploaded.len, uploaded.digest) != (sealed.sealed_len, sealed.digest) || sealed.sealed_len != sealed_len {
        bail!("the upload to {} holds {} bytes, not the {} sealed ones (of {sealed_len} expected)", uploaded.uri, uploaded.len, sealed.sealed_len);
    }
    Ok(uploaded)
}

/// Streams `source` (`len` bytes) to the blob store with a progress bar; Ctrl-C aborts the
/// upload (its parts are deleted) before the process exits.
async fn upload_blob(
    store: &BlobStore,
    owner: &Address,
    record_id: u64,
    version: u32,
    source: impl tokio::io::AsyncRead + Unpin,
    len: u64,
) -> Result<Uploaded> {
    let progress = progress_bar(len, "uploading the blob");
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // no signal handling here: never interrupt
            std::future::pending::<()>().await;
        }
    };
    let uploaded = store.upload(owner, record_id, version, source, &mut |n| progress.inc(n), interrupt).await;
    progress.finish_and_clear();
    // the handler installed for the upload replaced the default one: Ctrl-C still ends the
    // process while the record goes on chain
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted");
            std::process::exit(130);
        }
    });
    Ok(uploaded?)
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
                "cid": (r.storage == Record::BLOB).then(|| blob_cid(u64::from(r.ciphertext_len), &r.digest)).flatten(),
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
    /// For a record kept off chain: the local blob directory (for blobs named by digest,
    /// `blob://sha256/...`); the blob is otherwise read from the URI on chain with your own
    /// environment's credentials.
    #[command(flatten)]
    pub blobs: BlobArgs,
    /// Fetch the blob from this URL instead of the URI on chain (e.g. a pre-signed or public
    /// URL the owner sent); it is still checked against the digest on chain.
    #[arg(long, value_name = "URL")]
    pub blob_url: Option<String>,
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
    let fetcher = args.blobs.fetcher()?;
    let blob_url = args.blob_url.as_deref();
    let (record_address, record, opened, opened_as) = if let Ok(record) = Record::decode(&data) {
        session::require_signer(wallet, &record.owner, "record owner")?;
        // sealed to whichever of the wallet's keys was registered when this version was stored
        let sealed = fetch_sealed(&record, &fetcher, blob_url, args.out.as_deref()).await?;
        let binding = record_binding(&record.owner, record.record_id, record.version);
        let m = owner_key_point(session, wallet, &record, &binding, &sealed)?;
        let opened = sealed.open(&binding, &m, args.out.as_deref().map(|out| (out, args.force)))?;
        (address, record, opened, "owner")
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
        let sealed = fetch_sealed(&record, &fetcher, blob_url, args.out.as_deref()).await?;
        let binding = record_binding(&record.owner, record.record_id, record.version);
        let opened = sealed.open(&binding, &key_point, args.out.as_deref().map(|out| (out, args.force)))?;
        (request.record, record, opened, "recipient")
    } else {
        bail!("{address} is neither a record nor a share request");
    };
    let mut json = json!({
        "record": record_address.to_string(), "version": record.version, "opened_as": opened_as, "plaintext_len": opened.len,
        "sha256": hex::encode(opened.sha256),
    });
    // in memory unless a large blob was opened chunk by chunk into --out
    let plaintext = opened.plaintext.unwrap_or_default();
    let text = match &args.out {
        Some(path) => {
            json["out"] = json!(path);
            format!("opened record {record_address} v{} as {opened_as}: {} bytes written to {}", record.version, opened.len, path.display())
        }
        None => {
            json["plaintext"] = match std::str::from_utf8(&plaintext) {
                Ok(text) => json!(text),
                Err(_) => json!({ "hex": hex::encode(&plaintext) }),
            };
            String::from_utf8_lossy(&plaintext).into_owned()
        }
    };
    // what the record holds, when it is FHIR: in the JSON, and for a person reading (never
    // in front of plaintext piped elsewhere, which stays byte-exact)
    let fhir = crate::fhir::validate(&plaintext).ok();
    json["fhir"] = fhir.as_ref().map_or(serde_json::Value::Null, crate::fhir::Summary::json);
    let text = match fhir {
        Some(summary) if args.out.is_some() || std::io::IsTerminal::is_terminal(&std::io::stdout()) => format!("{}\n{text}", summary.line()),
        _ => text,
    };
    Ok(Report::new(json, text))
}

/// The plaintext of one's own record, from its owner capsule, in memory (`rekey`).
async fn open_as_owner(session: &Session, wallet: &dyn Signer, record: &Record, fetcher: &Fetcher, blob_url: Option<&str>) -> Result<Vec<u8>> {
    let sealed = fetch_sealed(record, fetcher, blob_url, None).await?;
    let binding = record_binding(&record.owner, record.record_id, record.version);
    let m = owner_key_point(session, wallet, record, &binding, &sealed)?;
    Ok(sealed.open(&binding, &m, None)?.plaintext.unwrap_or_default())
}

/// The record key point of one's own record version: its owner capsule opened with
/// whichever of the wallet's keys was registered when the version was stored (the one under
/// which `sealed` opens).
fn owner_key_point(session: &Session, wallet: &dyn Signer, record: &Record, binding: &RecordBinding, sealed: &Sealed) -> Result<RecordKeyPoint> {
    let capsule = Capsule::from_bytes(&record.owner_capsule)?;
    let found = session.find_key(wallet, |key| {
        let m = capsule.open(key)?;
        Ok(sealed.opens_with(binding, &m).then_some(m))
    })?;
    found.map(|(_, _, m)| m).ok_or_else(|| anyhow!("the record does not decrypt with {}: wrong key or tampered ciphertext", session.keys_searched()))
}

/// A record version's sealed bytes, checked against the digest on chain when they come
/// from a blob store: in memory, or in a private temporary file.
enum Sealed {
    Memory(Vec<u8>),
    /// A downloaded blob and the digest it was verified against: checked again as it is
    /// decrypted, since the file was re-read from disk after the download's check.
    File(TemporaryFile, [u8; 32]),
}

/// A file removed when dropped.
struct TemporaryFile(PathBuf);

impl Drop for TemporaryFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What [`Sealed::open`] produced.
#[derive(Debug)]
struct Opened {
    /// The plaintext, unless it was opened chunk by chunk into a file.
    plaintext: Option<Vec<u8>>,
    len: u64,
    sha256: [u8; 32],
}

/// The record's sealed bytes: inline, or its blob fetched from the URI on chain (or
/// `blob_url`) with a progress bar and checked against the digest on chain before anything
/// decrypts it. A large blob opened into `out` is downloaded to a 0600 temporary file next to it.
async fn fetch_sealed(record: &Record, fetcher: &Fetcher, blob_url: Option<&str>, out: Option<&Path>) -> Result<Sealed> {
    if record.storage != Record::BLOB {
        return Ok(Sealed::Memory(record.inline.clone()));
    }
    let on_chain = String::from_utf8_lossy(&record.uri);
    let uri = blob_url.unwrap_or(&on_chain);
    let progress = progress_bar(u64::from(record.ciphertext_len), "downloading the blob");
    let sealed = match out.filter(|_| u64::from(record.ciphertext_len) > STREAM_OPEN_ABOVE) {
        None => {
            let mut bytes = Vec::new();
            fetcher.fetch(uri, &record.digest, u64::from(record.ciphertext_len), &mut bytes, &mut |n| progress.inc(n)).await?;
            Sealed::Memory(bytes)
        }
        Some(out) => {
            use std::os::unix::fs::OpenOptionsExt;
            let temporary = TemporaryFile(sibling(out, "sealed")?);
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temporary.0)
                .with_context(|| format!("creating {}", temporary.0.display()))?;
            let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
            fetcher.fetch(uri, &record.digest, u64::from(record.ciphertext_len), &mut writer, &mut |n| progress.inc(n)).await?;
            writer.flush().with_context(|| format!("writing {}", temporary.0.display()))?;
            Sealed::File(temporary, record.digest)
        }
    };
    progress.finish_and_clear();
    Ok(sealed)
}

impl Sealed {
    /// Whether `m` opens it: all of it in memory; the first chunk of a file (the others are
    /// checked as they are opened).
    fn opens_with(&self, binding: &RecordBinding, m: &RecordKeyPoint) -> bool {
        match self {
            Sealed::Memory(ciphertext) => record::open(binding, m, ciphertext).is_ok(),
            Sealed::File(file, _) => first_chunk_opens(binding, m, &file.0).unwrap_or(false),
        }
    }

    /// Opens it with `m`: into memory, or into `out` (created 0600; an existing file is
    /// refused unless `force`), which appears only once every chunk opened.
    fn open(self, binding: &RecordBinding, m: &RecordKeyPoint, out: Option<(&Path, bool)>) -> Result<Opened> {
        let refused = || anyhow!("the record does not decrypt: wrong key or tampered ciphertext");
        match self {
            Sealed::Memory(ciphertext) => {
                let plaintext = record::open(binding, m, &ciphertext).map_err(|_| refused())?;
                if let Some((path, force)) = out {
                    write_private(path, &plaintext, force)?;
                }
                Ok(Opened { len: plaintext.len() as u64, sha256: Sha256::digest(&plaintext).into(), plaintext: Some(plaintext) })
            }
            Sealed::File(file, digest) => {
                let (path, force) = out.ok_or_else(|| anyhow!("a blob in a file opens into a file"))?;
                let input = std::fs::File::open(&file.0).with_context(|| format!("reading {}", file.0.display()))?;
                let progress = progress_bar(input.metadata().map(|m| m.len()).unwrap_or(0), "decrypting");
                let opened = write_private_with(path, force, |output| {
                    let mut hashing = HashingWriter { inner: std::io::BufWriter::with_capacity(1 << 20, output), hasher: Sha256::new(), len: 0 };
                    let reader = std::io::BufReader::with_capacity(1 << 20, input);
                    sealing::open(binding, m, reader, &mut hashing, Some(&digest), |done| progress.set_position(done))
                        .map_err(|e| anyhow!("{}: {e}", refused()))?;
                    hashing.inner.flush()?;
                    Ok((hashing.len, hashing.hasher.finalize().into()))
                });
                progress.finish_and_clear();
                let (len, sha256) = opened?;
                Ok(Opened { plaintext: None, len, sha256 })
            }
        }
    }
}

/// Whether the first chunk of the sealed stream in `path` opens under `m`.
fn first_chunk_opens(binding: &RecordBinding, m: &RecordKeyPoint, path: &Path) -> Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let first = (stream::HEADER_LEN + stream::SEALED_CHUNK_LEN).min(len as usize);
    let mut head = vec![0; first];
    file.read_exact(&mut head)?;
    let (header, chunk) = head.split_at(stream::HEADER_LEN.min(first));
    let Ok(mut opener) = record::opener(binding, m, header) else { return Ok(false) };
    let mut plaintext = Vec::new();
    // the stream's only chunk is its last, sealed as such
    Ok(if len as usize == first { opener.open_last(chunk, &mut plaintext).is_ok() } else { opener.open_chunk(chunk, &mut plaintext).is_ok() })
}

/// A writer that hashes and counts what goes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        self.len += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// `.<name>.medshare-<pid>-<random>.<what>` next to `path`: hidden, unique per attempt, on the
/// same file system (so renaming it into place is atomic).
fn sibling(path: &Path, what: &str) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| anyhow!("--out {} is not a file name", path.display()))?;
    Ok(path.with_file_name(format!(".{}.medshare-{}-{:016x}.{what}", name.to_string_lossy(), std::process::id(), rand::random::<u64>())))
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

/// Writes decrypted bytes to `path`, readable by the user alone (see [`write_private_with`]).
pub fn write_private(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    write_private_with(path, force, |file| Ok(file.write_all(bytes)?))
}

/// Writes decrypted bytes to `path` with `write`, readable by the user alone: they go to a
/// new file next to it created with mode 0600 (never created wider and then narrowed, so no
/// other user can open it in between), which takes the name `path` only once `write`
/// succeeded — a failed decryption leaves nothing. Without `force` an existing file (or
/// symlink) is refused, atomically (a hard link, which never replaces). With `force` the new
/// file is renamed over `path`: the old file's wider mode, or a symlink's target, is never
/// written to.
pub fn write_private_with<T>(path: &Path, force: bool, write: impl FnOnce(&mut std::fs::File) -> Result<T>) -> Result<T> {
    use std::os::unix::fs::OpenOptionsExt;
    let exists = || anyhow!("{} exists: refusing to overwrite it (pass --force to replace it)", path.display());
    let temporary = sibling(path, "partial")?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(|error| anyhow!("creating {}: {error}", path.display()))?;
    let written = write(&mut file).and_then(|value| {
        file.sync_all()?;
        Ok(value)
    });
    drop(file);
    let placed = written.with_context(|| format!("writing {}", path.display())).and_then(|value| {
        if force {
            std::fs::rename(&temporary, path).map_err(|error| anyhow!("writing {}: {error}", path.display()))?;
            return Ok(value);
        }
        match std::fs::hard_link(&temporary, path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
            // a file system without hard links: check, then rename (not atomic)
            Err(_) if std::fs::symlink_metadata(path).is_ok() => return Err(exists()),
            Err(_) => std::fs::rename(&temporary, path).map_err(|error| anyhow!("writing {}: {error}", path.display()))?,
        }
        Ok(value)
    });
    let _ = std::fs::remove_file(&temporary);
    placed
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

#[cfg(test)]
mod tests {
    use super::{BlobArgs, blob_cid, check_fhir, sol, write_private};
    use medshare_client::blob::{IPFS_BLOCK_MAX, cid_v1_raw};
    use sha2::Digest;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_blob_store_flag_wins_over_the_directory_and_the_reader_uses_its_local_directory() {
        let dir = std::env::temp_dir().join(format!("medshare-blob-args-{}", std::process::id()));
        let other = dir.join("other");
        let both = BlobArgs { blob_store: Some(format!("file://{}", dir.join("store").display())), blob_dir: Some(other.clone()) };
        let store = both.store(None).unwrap();
        assert_eq!(store.local_dir(), Some(std::fs::canonicalize(dir.join("store")).unwrap().as_path()), "--blob-store wins");
        assert_eq!(both.fetcher().unwrap().local_dir, Some(dir.join("store")), "blob://sha256 names are looked up in the same directory");
        let dir_only = BlobArgs { blob_store: None, blob_dir: Some(other.clone()) };
        assert_eq!(dir_only.store(None).unwrap().local_dir(), Some(std::fs::canonicalize(&other).unwrap().as_path()), "--blob-dir DIR is file://DIR");
        assert_eq!(dir_only.fetcher().unwrap().local_dir, Some(other));
        // an object store reads blob://sha256 names from the default directory
        let s3 = BlobArgs { blob_store: Some("s3://bucket/prefix".into()), blob_dir: None };
        assert_eq!(s3.store(None).unwrap().url(), "s3://bucket/prefix");
        assert_eq!(s3.fetcher().unwrap().local_dir, Some(medshare_client::blob::default_dir()));
        // a new version goes where the current one is unless a store is given
        assert_eq!(BlobArgs::default().store(Some("s3://bucket/current")).unwrap().url(), "s3://bucket/current");
        assert_eq!(s3.store(Some("s3://bucket/current")).unwrap().url(), "s3://bucket/prefix");
        let error = BlobArgs { blob_store: Some("https://cdn.example/x".into()), blob_dir: None }.store(None).unwrap_err().to_string();
        assert!(error.contains("read-only"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_large_blob_opens_chunk_by_chunk_into_a_file_that_appears_only_when_all_of_it_opened() {
        use super::{Sealed, TemporaryFile};
        use encrypted_circuits::record::{self, RecordBinding, RecordKeyPoint};
        let dir = std::env::temp_dir().join(format!("medshare-stream-open-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rng = &mut rand::rngs::OsRng;
        let binding = RecordBinding { program_id: [1; 32], owner: [2; 32], record_id: 3, version: 1, address: [4; 32] };
        let (m, other) = (RecordKeyPoint::random(rng), RecordKeyPoint::random(rng));
        // several 64 KiB chunks and a short last one
        let plaintext: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 9) as u8).collect();
        let sealed_path = dir.join("sealed");
        let mut sealed = Vec::new();
        medshare_client::sealing::seal(record::sealer(&binding, &m, rng), &plaintext[..], &mut sealed, |_| {}).unwrap();
        std::fs::write(&sealed_path, &sealed).unwrap();

        let file = Sealed::File(TemporaryFile(sealed_path.clone()), sha2::Sha256::digest(&sealed).into());
        assert!(file.opens_with(&binding, &m) && !file.opens_with(&binding, &other), "the first chunk tells the key");
        let out = dir.join("scan.bin");
        let opened = file.open(&binding, &m, Some((&out, false))).unwrap();
        assert!(opened.plaintext.is_none() && opened.len == plaintext.len() as u64);
        assert_eq!(opened.sha256, <[u8; 32]>::from(sha2::Sha256::digest(&plaintext)));
        assert_eq!(std::fs::read(&out).unwrap(), plaintext);
        assert!(!sealed_path.exists(), "the downloaded blob is removed once opened");

        // the last chunk tampered: refused, and no output file (not even a partial one)
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        std::fs::write(&sealed_path, &tampered).unwrap();
        let out = dir.join("tampered.bin");
        // (verified at download, then changed on disk before decryption: the digest is checked again)
        let file = Sealed::File(TemporaryFile(sealed_path.clone()), sha2::Sha256::digest(&sealed).into());
        assert!(file.opens_with(&binding, &m), "its first chunk is intact");
        let error = file.open(&binding, &m, Some((&out, false))).unwrap_err();
        assert!(format!("{error:#}").contains("wrong key or tampered ciphertext"), "{error:#}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "only the first output: nothing partial left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn blobs_of_one_ipfs_block_carry_the_cid_derived_from_their_digest() {
        let digest = [0x5a; 32];
        assert_eq!(blob_cid(IPFS_BLOCK_MAX, &digest), Some(cid_v1_raw(&digest)));
        assert_eq!(blob_cid(IPFS_BLOCK_MAX + 1, &digest), None, "a larger blob's CID is kubo's DAG root, not derivable");
    }

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
    fn fhir_is_validated_by_the_model_and_refused_with_the_element_path() {
        assert_eq!(check_fhir(br#"{"resourceType":"Patient","id":"p1","birthDate":"1974-12-25"}"#).unwrap(), "Patient");
        let error = check_fhir(br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","birthDate":"1990-13-01"}}]}"#)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with(r#"not FHIR R4 JSON: Bundle.entry[0].resource.birthDate: invalid value "1990-13-01""#), "{error}");
        for bad in [&br#"{"id":"p1"}"#[..], br#"{"resourceType":""}"#, br#"{"resourceType":7}"#, br#"["Patient"]"#, b"not json", b""] {
            let error = check_fhir(bad).unwrap_err().to_string();
            assert!(error.starts_with("not FHIR R4 JSON: ") && error.ends_with("(use --raw to store other bytes)"), "{error}");
        }
    }
}
