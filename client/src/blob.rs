//! Blob stores: where a record's sealed bytes live when they exceed what an account holds.
//!
//! One interface, chosen by URL, on the [`object_store`] crate for the object stores:
//!
//! | store URL (`--blob-store`)   | where | credentials and endpoint |
//! |------------------------------|-------|--------------------------|
//! | `file:///dir` (the default)  | a local (or mounted) directory | none |
//! | `s3://bucket[/prefix]`       | AWS S3 or any S3-compatible server | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, ... |
//! | `gs://bucket[/prefix]`       | Google Cloud Storage | `GOOGLE_SERVICE_ACCOUNT`, `GOOGLE_APPLICATION_CREDENTIALS`, ... |
//! | `az://container[/prefix]`    | Azure Blob Storage | `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`, ... |
//! | `ipfs://`                    | IPFS, added through a kubo node's RPC API | `MEDSHARE_IPFS_API` (default `http://127.0.0.1:5001`) |
//!
//! A record version's blob has a deterministic key, `<prefix>/<owner>/<record id>/v<version>`,
//! so the upload can start before the digest of the sealed bytes is known (the digest goes on
//! chain with the URI once the upload finished). The on-chain URI (at most [`URI_MAX`] bytes)
//! names the store and the key — `s3://bucket/prefix/<owner>/<id>/v<N>`,
//! `file:///dir/<owner>/<id>/v<N>`, `ipfs://<cid>` — so a recipient's client fetches it with
//! its own credentials ([`Fetcher`]); `https://` (and `http://`) URLs, pre-signed or public,
//! are read too. Records stored before these stores existed name their blob
//! `blob://sha256/<hex>`, read from the reader's local blob directory.
//!
//! Every download is hashed as it streams and compared with the record's on-chain SHA-256
//! digest before a byte of it is handed on for decryption: a mismatch is
//! [`BlobError::Tampered`], a missing object [`BlobError::NotFound`]. A blob store is
//! untrusted; the digest is what makes it safe.
//!
//! Uploads stream in parts ([`PART_SIZE`], at most [`PARTS_IN_FLIGHT`] at once: bounded
//! memory whatever the record's size); an upload that fails or is interrupted is aborted, which
//! deletes the parts already sent, and re-running the store writes the same key again.

mod ipfs;

pub use ipfs::{IPFS_BLOCK_MAX, cid_v1_raw, kubo_api_from_env};

use futures_util::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart, path::Path as ObjectPath};
use sha2::{Digest, Sha256};
use solana_address::Address;
use std::{
    future::Future,
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::Arc,
};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The longest URI a record account holds (`Record.uri`).
pub const URI_MAX: usize = 128;
/// How records stored by earlier versions name their blob: `blob://sha256/<hex>`, a file of
/// that name in the reader's local blob directory.
pub const LEGACY_URI_PREFIX: &str = "blob://sha256/";
/// The size of one uploaded part: above S3's 5 MiB minimum, small enough to keep memory low.
pub const PART_SIZE: usize = 8 << 20;
/// How many parts may be in flight at once (so an upload holds about `PART_SIZE * (PARTS_IN_FLIGHT + 1)`).
pub const PARTS_IN_FLIGHT: usize = 2;
/// How much is read from a source or written to a sink at a time.
const IO_CHUNK: usize = 1 << 20;

/// What can go wrong storing or fetching a blob.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// Nothing is stored under the URI.
    #[error("blob not found at {uri}")]
    NotFound {
        /// Where it was looked for.
        uri: String,
    },
    /// The bytes fetched do not hash to the digest on chain: refused before decryption.
    #[error("tampered blob at {uri}: it is not the {expected} bytes the record says ({actual})")]
    WrongLength {
        /// The blob.
        uri: String,
        /// The record's `ciphertext_len`.
        expected: u64,
        /// What came: "more" (refused as soon as it passed `expected`) or "N bytes".
        actual: String,
    },
    #[error("tampered blob at {uri}: it does not match the digest on chain (its SHA-256 is {actual}, the record's is {expected})")]
    Tampered {
        /// Where it came from.
        uri: String,
        /// The record's on-chain digest, hex.
        expected: String,
        /// The fetched bytes' digest, hex.
        actual: String,
    },
    /// A store URL this client cannot use.
    #[error("blob store {url}: {reason}")]
    BadStore {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A URI on chain this client cannot read.
    #[error("blob URI {uri}: {reason}")]
    BadUri {
        /// The URI.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The store's URI for this record would not fit in the record account.
    #[error("the blob URI {uri} is {len} bytes, more than the {URI_MAX} a record holds: use a shorter bucket, directory or prefix")]
    UriTooLong {
        /// The URI.
        uri: String,
        /// Its length.
        len: usize,
    },
    /// The upload was interrupted (Ctrl-C); the parts sent were deleted.
    #[error("upload to {uri} interrupted: the partial upload was aborted (store again to retry)")]
    Interrupted {
        /// Where it was going.
        uri: String,
    },
    /// The store refused or failed an operation.
    #[error("{operation} {uri}: {source}")]
    Store {
        /// What was being done (`uploading`, `fetching`, ...).
        operation: &'static str,
        /// Where.
        uri: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },
    /// An HTTP request (a public URL, an IPFS gateway, kubo's RPC API) failed.
    #[error("{operation} {uri}: {message}")]
    Http {
        /// What was being done.
        operation: &'static str,
        /// Where.
        uri: String,
        /// What went wrong (status and body, or the transport error).
        message: String,
    },
    /// Reading the source or writing the sink failed.
    #[error("{operation}: {source}")]
    Io {
        /// What was being done.
        operation: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A blob store to upload to, chosen by URL (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct BlobStore {
    url: String,
    target: Target,
}

#[derive(Debug, Clone)]
enum Target {
    /// An `object_store` store; keys are `prefix/<owner>/<id>/v<N>` and URIs `uri_base/<key>`.
    Objects { store: Arc<dyn ObjectStore>, uri_base: String, prefix: String, local_dir: Option<PathBuf> },
    /// A kubo node's RPC API: URIs are `ipfs://<cid>`.
    Kubo { api: url::Url },
}

/// What [`BlobStore::upload`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// The URI to put on chain.
    pub uri: String,
    /// SHA-256 of the bytes stored (the record's on-chain digest).
    pub digest: [u8; 32],
    /// How many bytes.
    pub len: u64,
    /// For a local directory store, the file written.
    pub local_path: Option<PathBuf>,
}

/// The local directory used when no store is given: `$XDG_DATA_HOME/medshare/blobs`, else
/// `~/.local/share/medshare/blobs` (needs no setup; created on first use).
pub fn default_dir() -> PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME").filter(|dir| !dir.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        home.join(".local").join("share")
    });
    data.join("medshare").join("blobs")
}

/// The key of a record version's blob under a store's prefix: `<owner>/<record id>/v<version>`.
pub fn record_key(owner: &Address, record_id: u64, version: u32) -> String {
    format!("{owner}/{record_id}/v{version}")
}

impl BlobStore {
    /// The store a URL names: `file:///dir`, `s3://bucket/prefix`, `gs://bucket/prefix`,
    /// `az://container/prefix` or `ipfs://`. Credentials and endpoints come from the
    /// environment each ecosystem uses (read now). `https://` URLs are read-only: they can be
    /// fetched ([`Fetcher`]) but not stored to.
    pub fn from_url(url: &str) -> Result<BlobStore, BlobError> {
        BlobStore::from_url_with(url, &[])
    }

    /// [`BlobStore::from_url`] with settings that override the environment's, named as the
    /// store's variables are in lowercase (`aws_access_key_id`, `aws_endpoint_url`,
    /// `google_service_account`, `azure_storage_account_key`, ...): for a process that serves
    /// several users, or a test.
    pub fn from_url_with(url: &str, options: &[(String, String)]) -> Result<BlobStore, BlobError> {
        let bad = |reason: &str| BlobError::BadStore { url: url.to_owned(), reason: reason.to_owned() };
        let parsed = url::Url::parse(url).map_err(|e| bad(&format!("not a URL ({e}); expected file:///dir, s3://bucket/prefix, gs://, az:// or ipfs://")))?;
        let prefix = parsed.path().trim_matches('/').to_owned();
        let bucket = || parsed.host_str().filter(|h| !h.is_empty()).map(str::to_owned).ok_or_else(|| bad("no bucket (container) name"));
        let built = |source: object_store::Error| BlobError::Store { operation: "configuring", uri: url.to_owned(), source };
        let target = match parsed.scheme() {
            "file" => {
                if parsed.host_str().is_some_and(|h| !h.is_empty() && h != "localhost") {
                    return Err(bad("a file:// URL names a local directory: file:///absolute/dir"));
                }
                let dir = parsed.to_file_path().map_err(|()| bad("not an absolute directory"))?;
                return BlobStore::directory(&dir);
            }
            "s3" | "s3a" | "gs" | "az" | "azure" => {
                let container = bucket()?;
                let store = cloud_store(parsed.scheme(), &container, options).map_err(|error| match error {
                    CloudError::Option(reason) => bad(&reason),
                    CloudError::Store(source) => built(source),
                })?;
                let scheme = if parsed.scheme() == "s3a" {
                    "s3"
                } else if parsed.scheme() == "azure" {
                    "az"
                } else {
                    parsed.scheme()
                };
                Target::Objects { store: store.into(), uri_base: format!("{scheme}://{container}"), prefix, local_dir: None }
            }
            "ipfs" => Target::Kubo { api: kubo_api_from_env().map_err(|reason| bad(&reason))? },
            "http" | "https" => {
                return Err(bad("an http(s) URL is read-only (a pre-signed or public URL to fetch from); store to s3://, gs://, az://, file:// or ipfs://"));
            }
            other => return Err(bad(&format!("unknown scheme {other}:// (expected file, s3, gs, az or ipfs)"))),
        };
        Ok(BlobStore { url: url.to_owned(), target })
    }

    /// A local directory store (created if missing), as `file://<dir>`.
    pub fn directory(dir: &Path) -> Result<BlobStore, BlobError> {
        let io = |operation: String| move |source| BlobError::Io { operation, source };
        std::fs::create_dir_all(dir).map_err(io(format!("creating blob directory {}", dir.display())))?;
        let dir = std::fs::canonicalize(dir).map_err(io(format!("resolving blob directory {}", dir.display())))?;
        let url = url::Url::from_directory_path(&dir)
            .map_err(|()| BlobError::BadStore { url: dir.display().to_string(), reason: "not an absolute directory".into() })?;
        let uri_base = url.as_str().trim_end_matches('/').to_owned();
        let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
            .map_err(|source| BlobError::Store { operation: "opening", uri: uri_base.clone(), source })?
            .with_fsync(true);
        Ok(BlobStore { url: url.to_string(), target: Target::Objects { store: Arc::new(store), uri_base, prefix: String::new(), local_dir: Some(dir) } })
    }

    /// The URL this store was made from.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The local directory, for a `file://` store.
    pub fn local_dir(&self) -> Option<&Path> {
        match &self.target {
            Target::Objects { local_dir, .. } => local_dir.as_deref(),
            Target::Kubo { .. } => None,
        }
    }

    /// The object key and on-chain URI of a record version's blob, checked to fit on chain;
    /// `None` for IPFS, whose URI is the content's CID, known once added.
    pub fn location(&self, owner: &Address, record_id: u64, version: u32) -> Result<Option<(ObjectPath, String)>, BlobError> {
        let Target::Objects { uri_base, prefix, .. } = &self.target else { return Ok(None) };
        let key = record_key(owner, record_id, version);
        let key = if prefix.is_empty() { key } else { format!("{prefix}/{key}") };
        let path = ObjectPath::parse(&key).map_err(|e| BlobError::BadStore { url: self.url.clone(), reason: format!("prefix {prefix:?}: {e}") })?;
        let uri = format!("{uri_base}/{path}");
        if uri.len() > URI_MAX {
            return Err(BlobError::UriTooLong { len: uri.len(), uri });
        }
        Ok(Some((path, uri)))
    }

    /// Streams `source` to the store as the blob of `owner`'s record `record_id` version
    /// `version`, in parts, hashing it as it goes; `progress` is told each byte count sent.
    /// When `interrupt` completes first (e.g. Ctrl-C), or reading or a part fails, the
    /// multipart upload is aborted: the parts already sent are deleted and nothing is left
    /// under the key (a later run writes the same key again).
    pub async fn upload<R: AsyncRead + Unpin>(
        &self,
        owner: &Address,
        record_id: u64,
        version: u32,
        source: R,
        progress: &mut dyn FnMut(u64),
        interrupt: impl Future<Output = ()>,
    ) -> Result<Uploaded, BlobError> {
        match (&self.target, self.location(owner, record_id, version)?) {
            (Target::Objects { store, local_dir, .. }, Some((path, uri))) => {
                let (digest, len) = upload_parts(store.as_ref(), &path, &uri, source, progress, interrupt).await?;
                let local_path = local_dir.as_ref().map(|dir| path.parts().fold(dir.clone(), |p, part| p.join(part.as_ref())));
                Ok(Uploaded { uri, digest, len, local_path })
            }
            (Target::Kubo { api }, _) => ipfs::add(api, source, progress, interrupt).await,
            (Target::Objects { .. }, None) => unreachable!("object stores always have a location"),
        }
    }
}

/// Why [`cloud_store`] could not build a store.
enum CloudError {
    /// An option the store does not know.
    Option(String),
    /// The store's builder refused.
    Store(object_store::Error),
}

/// An S3 (`s3`, `s3a`), GCS (`gs`) or Azure (`az`, `azure`) store for `container`, configured
/// from the environment, then `options`.
fn cloud_store(scheme: &str, container: &str, options: &[(String, String)]) -> Result<Box<dyn ObjectStore>, CloudError> {
    use object_store::{aws, azure, gcp};
    let unknown = |key: &str| CloudError::Option(format!("unknown option {key} for {scheme}://"));
    Ok(match scheme {
        "gs" => {
            let mut builder = gcp::GoogleCloudStorageBuilder::from_env().with_bucket_name(container);
            for (key, value) in options {
                builder = builder.with_config(key.parse::<gcp::GoogleConfigKey>().map_err(|_| unknown(key))?, value);
            }
            Box::new(builder.build().map_err(CloudError::Store)?)
        }
        "az" | "azure" => {
            let mut builder = azure::MicrosoftAzureBuilder::from_env().with_container_name(container);
            for (key, value) in options {
                builder = builder.with_config(key.parse::<azure::AzureConfigKey>().map_err(|_| unknown(key))?, value);
            }
            Box::new(builder.build().map_err(CloudError::Store)?)
        }
        _ => {
            let mut builder = aws::AmazonS3Builder::from_env().with_bucket_name(container);
            for (key, value) in options {
                builder = builder.with_config(key.parse::<aws::AmazonS3ConfigKey>().map_err(|_| unknown(key))?, value);
            }
            Box::new(builder.build().map_err(CloudError::Store)?)
        }
    })
}

/// The store URL a blob's on-chain URI was written to (what [`BlobStore::from_url`] takes),
/// when its key follows this module's scheme: the URI without its `<owner>/<id>/v<N>` tail,
/// or `ipfs://` for IPFS. `None` for `blob://sha256/...` names and `http(s)://` URLs. A new
/// version of a record (`rekey`) goes where the current one is unless told otherwise.
pub fn store_url_of(uri: &str) -> Option<String> {
    if uri.starts_with("ipfs://") {
        return Some("ipfs://".to_owned());
    }
    let (scheme, rest) = uri.split_once("://")?;
    if !matches!(scheme, "file" | "s3" | "s3a" | "gs" | "az" | "azure") {
        return None;
    }
    let mut parts = rest.rsplitn(4, '/');
    let (version, id, owner, base) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let well_formed = version.strip_prefix('v').is_some_and(|v| v.parse::<u32>().is_ok())
        && id.parse::<u64>().is_ok()
        && owner.parse::<Address>().is_ok()
        && !(base.is_empty() && scheme != "file");
    well_formed.then(|| format!("{scheme}://{}", if base.is_empty() { "/" } else { base }))
}

/// The multipart upload of [`BlobStore::upload`] to an object store.
async fn upload_parts<R: AsyncRead + Unpin>(
    store: &dyn ObjectStore,
    path: &ObjectPath,
    uri: &str,
    mut source: R,
    progress: &mut dyn FnMut(u64),
    interrupt: impl Future<Output = ()>,
) -> Result<([u8; 32], u64), BlobError> {
    let store_error = |operation, source| BlobError::Store { operation, uri: uri.to_owned(), source };
    let upload = store.put_multipart(path).await.map_err(|e| store_error("starting the upload to", e))?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
    let mut interrupt = std::pin::pin!(interrupt);
    let mut hasher = Sha256::new();
    let mut len = 0u64;
    let mut buffer = vec![0u8; IO_CHUNK];
    let outcome: Result<(), BlobError> = async {
        loop {
            // `biased`: an interrupt wins over bytes that are ready too
            let read = tokio::select! {
                biased;
                () = &mut interrupt => return Err(BlobError::Interrupted { uri: uri.to_owned() }),
                read = source.read(&mut buffer) => read.map_err(|source| BlobError::Io { operation: format!("reading what goes to {uri}"), source })?,
            };
            if read == 0 {
                return Ok(());
            }
            tokio::select! {
                biased;
                () = &mut interrupt => return Err(BlobError::Interrupted { uri: uri.to_owned() }),
                ready = writer.wait_for_capacity(PARTS_IN_FLIGHT) => ready.map_err(|e| store_error("uploading a part to", e))?,
            }
            writer.write(&buffer[..read]);
            hasher.update(&buffer[..read]);
            len += read as u64;
            progress(read as u64);
        }
    }
    .await;
    if let Err(error) = outcome {
        // deletes the parts sent; a failure to abort is secondary to why we stopped
        let _ = writer.abort().await;
        return Err(error);
    }
    // not interruptible: it only waits for the parts in flight and completes the upload
    // (a failure there aborts it); stopping it half-way would leave parts behind
    writer.finish().await.map_err(|e| store_error("finishing the upload to", e))?;
    Ok((hasher.finalize().into(), len))
}

/// A pipe from synchronous code on a blocking thread (a sealer writing a [`Write`]) to an
/// upload ([`BlobStore::upload`] reads an [`AsyncRead`]): the record is sealed as it is
/// uploaded, with `chunks_in_flight` chunks of up to 1 MiB between the two. The stream ends
/// only by [`PipeWriter::finish`]; a writer that fails ([`PipeWriter::fail`]) or is dropped
/// unfinished makes the reader fail, so the upload is aborted rather than completed short.
pub fn pipe(chunks_in_flight: usize) -> (PipeWriter, PipeReader) {
    let (sender, receiver) = tokio::sync::mpsc::channel(chunks_in_flight.max(1));
    (PipeWriter { sender, buffer: Vec::with_capacity(IO_CHUNK) }, PipeReader { receiver, current: bytes::Bytes::new(), ended: false })
}

/// What goes through a [`pipe`].
enum PipeMessage {
    Data(bytes::Bytes),
    End,
    Failed(std::io::Error),
}

/// The writing end of a [`pipe`]: use it on a blocking thread (`tokio::task::spawn_blocking`),
/// never inside an async task (it blocks while the reader is behind).
pub struct PipeWriter {
    sender: tokio::sync::mpsc::Sender<PipeMessage>,
    buffer: Vec<u8>,
}

impl PipeWriter {
    fn send(&self, message: PipeMessage) -> std::io::Result<()> {
        self.sender.blocking_send(message).map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the upload stopped reading"))
    }

    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(IO_CHUNK));
        self.send(PipeMessage::Data(chunk.into()))
    }

    /// Ends the stream: everything written is the whole of it.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.send_buffer()?;
        self.send(PipeMessage::End)
    }

    /// Ends the stream with `error`: the reader returns it and the upload is aborted.
    pub fn fail(self, error: std::io::Error) {
        // a reader that already stopped has its own error
        let _ = self.send(PipeMessage::Failed(error));
    }
}

impl Write for PipeWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= IO_CHUNK {
            self.send_buffer()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buffer()
    }
}

/// The reading end of a [`pipe`].
pub struct PipeReader {
    receiver: tokio::sync::mpsc::Receiver<PipeMessage>,
    current: bytes::Bytes,
    ended: bool,
}

impl AsyncRead for PipeReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        loop {
            if !self.current.is_empty() {
                let n = self.current.len().min(buf.remaining());
                let chunk = self.current.split_to(n);
                buf.put_slice(&chunk);
                return Poll::Ready(Ok(()));
            }
            if self.ended {
                return Poll::Ready(Ok(()));
            }
            match std::task::ready!(self.receiver.poll_recv(cx)) {
                Some(PipeMessage::Data(chunk)) => self.current = chunk,
                Some(PipeMessage::End) => self.ended = true,
                Some(PipeMessage::Failed(error)) => return Poll::Ready(Err(error)),
                None => return Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the writer stopped before the end"))),
            }
        }
    }
}

/// Reads blobs named by on-chain URIs, with the reader's own credentials (from the
/// environment), and checks each against the record's digest.
#[derive(Debug, Clone, Default)]
pub struct Fetcher {
    /// The reader's local blob directory: where `blob://sha256/<hex>` blobs are, and where a
    /// `file://` blob whose path is absent here is looked for by its key.
    pub local_dir: Option<PathBuf>,
    /// An IPFS gateway (`MEDSHARE_IPFS_GATEWAY`, e.g. `http://127.0.0.1:8080`) for `ipfs://` URIs.
    pub ipfs_gateway: Option<url::Url>,
    /// Settings over the environment's for `s3://`, `gs://` and `az://` URIs (see
    /// [`BlobStore::from_url_with`]).
    pub store_options: Vec<(String, String)>,
}

impl Fetcher {
    /// A fetcher with `local_dir` and the gateway in `MEDSHARE_IPFS_GATEWAY`, if set.
    pub fn from_env(local_dir: Option<PathBuf>) -> Result<Fetcher, BlobError> {
        let ipfs_gateway = match std::env::var("MEDSHARE_IPFS_GATEWAY") {
            Ok(gateway) if !gateway.is_empty() => Some(
                url::Url::parse(&gateway)
                    .map_err(|e| BlobError::BadStore { url: gateway.clone(), reason: format!("MEDSHARE_IPFS_GATEWAY is not a URL: {e}") })?,
            ),
            _ => None,
        };
        Ok(Fetcher { local_dir, ipfs_gateway, store_options: Vec::new() })
    }

    /// Streams the blob at `uri` into `sink`, hashing it, and returns once it is exactly
    /// `len` bytes (the record's `ciphertext_len`) whose SHA-256 equals `digest`. The URI is
    /// the record owner's to choose, so a blob longer than `len` is refused as soon as it
    /// passes it ([`BlobError::WrongLength`]: an endless or huge source cannot fill the
    /// reader's memory or disk). On any error — [`BlobError::Tampered`] included — what was
    /// written to `sink` must be discarded: it is not the record's.
    pub async fn fetch(&self, uri: &str, digest: &[u8; 32], len: u64, sink: &mut dyn Write, progress: &mut dyn FnMut(u64)) -> Result<u64, BlobError> {
        let mut verifying = Verifying { sink, hasher: Sha256::new(), len: 0, expected_len: len, uri };
        if let Some(name) = uri.strip_prefix(LEGACY_URI_PREFIX) {
            let dir = self.local_dir.as_ref().ok_or_else(|| BlobError::BadUri {
                uri: uri.to_owned(),
                reason: "a blob kept in a local directory: give --blob-dir DIR (or --blob-store file://DIR) where it is".into(),
            })?;
            if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(BlobError::BadUri { uri: uri.to_owned(), reason: "not a SHA-256 hex name".into() });
            }
            read_file(&dir.join(name), &mut verifying, progress)?;
            return verifying.verified(digest);
        }
        let parsed = url::Url::parse(uri).map_err(|e| BlobError::BadUri { uri: uri.to_owned(), reason: e.to_string() })?;
        match parsed.scheme() {
            "file" => {
                let path = parsed.to_file_path().map_err(|()| BlobError::BadUri { uri: uri.to_owned(), reason: "not an absolute path".into() })?;
                let path = match &self.local_dir {
                    // the writer's directory is not here: look for the key in the reader's own
                    Some(dir) if !path.exists() => key_under(&path).map(|key| dir.join(key)).filter(|p| p.exists()).unwrap_or(path),
                    _ => path,
                };
                read_file(&path, &mut verifying, progress)?;
            }
            "s3" | "s3a" | "gs" | "az" | "azure" => {
                let container =
                    parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| BlobError::BadUri { uri: uri.to_owned(), reason: "no bucket".into() })?;
                let store = cloud_store(parsed.scheme(), container, &self.store_options).map_err(|error| match error {
                    CloudError::Option(reason) => BlobError::BadUri { uri: uri.to_owned(), reason },
                    CloudError::Store(source) => BlobError::Store { operation: "configuring the store of", uri: uri.to_owned(), source },
                })?;
                let key =
                    ObjectPath::parse(parsed.path().trim_start_matches('/')).map_err(|e| BlobError::BadUri { uri: uri.to_owned(), reason: e.to_string() })?;
                let fetched = store.get(&key).await.map_err(|source| not_found_or(uri, "fetching", source))?;
                let mut stream = fetched.into_stream();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|source| not_found_or(uri, "fetching", source))?;
                    verifying.write(&chunk, progress)?;
                }
            }
            "http" | "https" => http_get(&parsed, uri, &mut verifying, progress).await?,
            "ipfs" => {
                let gateway = self.ipfs_gateway.as_ref().ok_or_else(|| BlobError::BadUri {
                    uri: uri.to_owned(),
                    reason: "an IPFS blob: set MEDSHARE_IPFS_GATEWAY to a gateway URL (e.g. http://127.0.0.1:8080)".into(),
                })?;
                let cid = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| BlobError::BadUri { uri: uri.to_owned(), reason: "no CID".into() })?;
                http_get(&ipfs::gateway_url(gateway, cid), uri, &mut verifying, progress).await?;
            }
            other => return Err(BlobError::BadUri { uri: uri.to_owned(), reason: format!("unknown scheme {other}://") }),
        }
        verifying.verified(digest)
    }

    /// [`Fetcher::fetch`] into memory: the verified bytes.
    pub async fn fetch_to_vec(&self, uri: &str, digest: &[u8; 32], len: u64, progress: &mut dyn FnMut(u64)) -> Result<Vec<u8>, BlobError> {
        let mut bytes = Vec::new();
        self.fetch(uri, digest, len, &mut bytes, progress).await?;
        Ok(bytes)
    }
}

/// The `<owner>/<id>/v<N>` tail of a blob's path (its key under any store's prefix).
fn key_under(path: &Path) -> Option<PathBuf> {
    let parts: Vec<_> = path.iter().collect();
    let tail = parts.get(parts.len().checked_sub(3)?..)?;
    tail[2].to_str().filter(|v| v.starts_with('v')).map(|_| tail.iter().collect())
}

/// A store error, or [`BlobError::NotFound`] when it is one.
fn not_found_or(uri: &str, operation: &'static str, source: object_store::Error) -> BlobError {
    match source {
        object_store::Error::NotFound { .. } => BlobError::NotFound { uri: uri.to_owned() },
        source => BlobError::Store { operation, uri: uri.to_owned(), source },
    }
}

/// A sink that hashes what goes through it.
struct Verifying<'a> {
    sink: &'a mut dyn Write,
    hasher: Sha256,
    len: u64,
    /// The length the record says; nothing past it is written to the sink.
    expected_len: u64,
    uri: &'a str,
}

impl Verifying<'_> {
    fn write(&mut self, chunk: &[u8], progress: &mut dyn FnMut(u64)) -> Result<(), BlobError> {
        if self.len + chunk.len() as u64 > self.expected_len {
            return Err(BlobError::WrongLength { uri: self.uri.to_owned(), expected: self.expected_len, actual: "more".into() });
        }
        self.hasher.update(chunk);
        self.sink.write_all(chunk).map_err(|source| BlobError::Io { operation: format!("writing what came from {}", self.uri), source })?;
        self.len += chunk.len() as u64;
        progress(chunk.len() as u64);
        Ok(())
    }

    /// The length, if the digest is `expected`; else [`BlobError::Tampered`].
    fn verified(self, expected: &[u8; 32]) -> Result<u64, BlobError> {
        if self.len != self.expected_len {
            return Err(BlobError::WrongLength { uri: self.uri.to_owned(), expected: self.expected_len, actual: format!("{} bytes", self.len) });
        }
        let actual: [u8; 32] = self.hasher.finalize().into();
        if &actual != expected {
            return Err(BlobError::Tampered { uri: self.uri.to_owned(), expected: hex::encode(expected), actual: hex::encode(actual) });
        }
        Ok(self.len)
    }
}

fn read_file(path: &Path, verifying: &mut Verifying<'_>, progress: &mut dyn FnMut(u64)) -> Result<(), BlobError> {
    let mut file = std::fs::File::open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => BlobError::NotFound { uri: verifying.uri.to_owned() },
        _ => BlobError::Io { operation: format!("opening {}", path.display()), source },
    })?;
    // a `file://` URI is the record owner's choice: only a regular file is a blob (not a
    // device, a FIFO or a terminal, which could hang or flood the reader)
    let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
    if !regular {
        return Err(BlobError::BadUri { uri: verifying.uri.to_owned(), reason: format!("{} is not a regular file", path.display()) });
    }
    let mut buffer = vec![0u8; IO_CHUNK];
    loop {
        let read = file.read(&mut buffer).map_err(|source| BlobError::Io { operation: format!("reading {}", path.display()), source })?;
        if read == 0 {
            return Ok(());
        }
        verifying.write(&buffer[..read], progress)?;
    }
}

/// The HTTP client for public URLs, gateways and kubo. An `http(s)://` URI on chain is the
/// record owner's to choose: no redirects (a public blob URL answers itself; a redirect
/// could lead the reader's machine to another host of the owner's choosing), and bounded
/// waits, so a server that never answers cannot hang the reader.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("medshare/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(15))
        .read_timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap_or_default()
}

async fn http_get(url: &url::Url, uri: &str, verifying: &mut Verifying<'_>, progress: &mut dyn FnMut(u64)) -> Result<(), BlobError> {
    let failed = |message: String| BlobError::Http { operation: "fetching", uri: uri.to_owned(), message };
    let response = http_client().get(url.as_str()).send().await.map_err(|e| failed(e.to_string()))?;
    match response.status() {
        status if status.is_success() => {}
        reqwest::StatusCode::NOT_FOUND => return Err(BlobError::NotFound { uri: uri.to_owned() }),
        status => {
            let body = response.text().await.unwrap_or_default();
            return Err(failed(format!("{status}: {}", body.chars().take(300).collect::<String>())));
        }
    }
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        verifying.write(&chunk.map_err(|e| failed(e.to_string()))?, progress)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
