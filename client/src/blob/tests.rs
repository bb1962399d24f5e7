//! The blob stores on local directories (the object-store servers are exercised by
//! `tests/tests/localnet_blobs.rs` against a real S3-compatible server).

use super::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!("medshare-blob-{name}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst)));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Every file under it, relative, sorted.
    fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &self.0, &mut out);
        out.sort();
        out
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Deterministic bytes that are not all alike (so a misplaced part changes the digest).
fn pattern(len: usize) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

/// A source that fails after `good` bytes, as a disk or a pipe from the sealer might.
struct FailingAfter {
    left: Vec<u8>,
}

impl AsyncRead for FailingAfter {
    fn poll_read(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>, buf: &mut tokio::io::ReadBuf<'_>) -> std::task::Poll<std::io::Result<()>> {
        if self.left.is_empty() {
            return std::task::Poll::Ready(Err(std::io::Error::other("the sealer failed")));
        }
        let n = self.left.len().min(buf.remaining()).min(IO_CHUNK);
        let chunk: Vec<u8> = self.left.drain(..n).collect();
        buf.put_slice(&chunk);
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_directory_store_streams_parts_and_reads_back_only_what_matches_the_digest() {
    let dir = TempDir::new("roundtrip");
    let store = BlobStore::from_url(&format!("file://{}", dir.0.display())).unwrap();
    let owner = Address::new_from_array([9; 32]);
    // three parts of PART_SIZE (the last one short)
    let bytes = pattern(2 * PART_SIZE + 12_345);
    let mut sent = 0;
    let uploaded = store.upload(&owner, 7, 3, &bytes[..], &mut |n| sent += n, never()).await.unwrap();
    let canonical = std::fs::canonicalize(&dir.0).unwrap();
    assert_eq!(uploaded.uri, format!("file://{}/{owner}/7/v3", canonical.display()), "the key names owner, record and version");
    assert_eq!((uploaded.len, sent), (bytes.len() as u64, bytes.len() as u64));
    assert_eq!(uploaded.digest, <[u8; 32]>::from(Sha256::digest(&bytes)));
    assert_eq!(uploaded.local_path.as_deref(), Some(canonical.join(owner.to_string()).join("7").join("v3").as_path()));
    assert_eq!(std::fs::read(uploaded.local_path.as_ref().unwrap()).unwrap(), bytes);
    assert_eq!(dir.files(), [format!("{owner}/7/v3")], "no staging file left");

    // a recipient on another machine (no local dir) reads it by the URI alone
    let fetcher = Fetcher::default();
    let mut received = 0;
    assert_eq!(fetcher.fetch_to_vec(&uploaded.uri, &uploaded.digest, uploaded.len, &mut |n| received += n).await.unwrap(), bytes);
    assert_eq!(received, bytes.len() as u64);

    // one flipped bit: refused by name, with both digests
    let mut tampered = bytes.clone();
    tampered[PART_SIZE + 1] ^= 0x10;
    std::fs::write(uploaded.local_path.as_ref().unwrap(), &tampered).unwrap();
    let error = fetcher.fetch_to_vec(&uploaded.uri, &uploaded.digest, uploaded.len, &mut |_| {}).await.unwrap_err();
    assert!(matches!(&error, BlobError::Tampered { actual, .. } if *actual == hex::encode(Sha256::digest(&tampered))), "{error:?}");
    assert!(error.to_string().starts_with("tampered blob at file://") && error.to_string().contains("does not match the digest on chain"), "{error}");

    // a version never stored: not found, with its URI
    let missing = uploaded.uri.replace("/v3", "/v4");
    let error = fetcher.fetch_to_vec(&missing, &uploaded.digest, uploaded.len, &mut |_| {}).await.unwrap_err();
    assert!(matches!(error, BlobError::NotFound { .. }), "{error:?}");
    assert_eq!(error.to_string(), format!("blob not found at {missing}"));
}

/// The URI is the record owner's: a source longer than the record says is cut off as soon as
/// it passes the length (an endless one cannot fill the reader's memory), a shorter one is
/// refused, and a device or FIFO is not a blob.
#[tokio::test]
async fn a_blob_is_exactly_the_records_length_and_a_regular_file() {
    let dir = TempDir::new("length");
    let bytes = pattern(3 * IO_CHUNK as usize + 5);
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    let path = dir.0.join("blob");
    std::fs::write(&path, &bytes).unwrap();
    let uri = format!("file://{}", path.display());
    let fetcher = Fetcher::default();
    assert_eq!(fetcher.fetch_to_vec(&uri, &digest, bytes.len() as u64, &mut |_| {}).await.unwrap(), bytes);

    let mut written = Vec::new();
    let error = fetcher.fetch(&uri, &digest, IO_CHUNK as u64, &mut written, &mut |_| {}).await.unwrap_err();
    assert!(matches!(&error, BlobError::WrongLength { actual, .. } if actual == "more"), "{error:?}");
    assert!(written.len() <= IO_CHUNK, "nothing past the record's length reached the sink: {}", written.len());
    let error = fetcher.fetch_to_vec(&uri, &digest, bytes.len() as u64 + 1, &mut |_| {}).await.unwrap_err();
    assert_eq!(error.to_string(), format!("tampered blob at {uri}: it is not the {} bytes the record says ({} bytes)", bytes.len() + 1, bytes.len()));

    let error = fetcher.fetch_to_vec("file:///dev/zero", &digest, 1 << 40, &mut |_| {}).await.unwrap_err();
    assert!(error.to_string().contains("/dev/zero is not a regular file"), "{error}");
}

#[tokio::test]
async fn a_failed_or_interrupted_upload_leaves_nothing_and_the_next_run_writes_the_same_key() {
    let dir = TempDir::new("abort");
    let store = BlobStore::directory(&dir.0).unwrap();
    let owner = Address::new_from_array([4; 32]);
    let bytes = pattern(PART_SIZE + PART_SIZE / 2);

    // the source fails after one whole part was sent
    let error = store.upload(&owner, 1, 1, FailingAfter { left: bytes[..PART_SIZE + 100].to_vec() }, &mut |_| {}, never()).await.unwrap_err();
    assert!(matches!(&error, BlobError::Io { operation, .. } if operation.contains("reading what goes to file://")), "{error:?}");
    assert_eq!(dir.files(), Vec::<String>::new(), "the aborted upload's parts are deleted");

    // interrupted (Ctrl-C) before the end
    let error = store.upload(&owner, 1, 1, &bytes[..], &mut |_| {}, async {}).await.unwrap_err();
    assert!(matches!(error, BlobError::Interrupted { .. }), "{error:?}");
    assert!(error.to_string().contains("the partial upload was aborted"), "{error}");
    assert_eq!(dir.files(), Vec::<String>::new());

    // running the store again writes the one key, whole
    let uploaded = store.upload(&owner, 1, 1, &bytes[..], &mut |_| {}, never()).await.unwrap();
    assert_eq!(dir.files(), [format!("{owner}/1/v1")]);
    assert_eq!(std::fs::read(uploaded.local_path.unwrap()).unwrap(), bytes);
}

#[tokio::test]
async fn records_of_earlier_versions_and_moved_directories_are_read_from_the_readers_directory() {
    let dir = TempDir::new("legacy");
    let bytes = pattern(5000);
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    std::fs::write(dir.0.join(hex::encode(digest)), &bytes).unwrap();
    let legacy = format!("{LEGACY_URI_PREFIX}{}", hex::encode(digest));
    let fetcher = Fetcher { local_dir: Some(dir.0.clone()), ..Fetcher::default() };
    assert_eq!(fetcher.fetch_to_vec(&legacy, &digest, bytes.len() as u64, &mut |_| {}).await.unwrap(), bytes);

    let error = Fetcher::default().fetch_to_vec(&legacy, &digest, bytes.len() as u64, &mut |_| {}).await.unwrap_err();
    assert!(error.to_string().contains("give --blob-dir DIR"), "{error}");
    let error = fetcher.fetch_to_vec("blob://sha256/../../etc/passwd", &digest, bytes.len() as u64, &mut |_| {}).await.unwrap_err();
    assert!(matches!(error, BlobError::BadUri { .. }), "a legacy name is a digest, never a path: {error:?}");

    // a file:// blob written elsewhere (another machine's mount point) is found by its key
    let owner = Address::new_from_array([2; 32]);
    std::fs::create_dir_all(dir.0.join(owner.to_string()).join("5")).unwrap();
    std::fs::write(dir.0.join(owner.to_string()).join("5").join("v2"), &bytes).unwrap();
    let elsewhere = format!("file:///srv/hospital-share/medshare/{owner}/5/v2");
    assert_eq!(fetcher.fetch_to_vec(&elsewhere, &digest, bytes.len() as u64, &mut |_| {}).await.unwrap(), bytes);
    let error = Fetcher::default().fetch_to_vec(&elsewhere, &digest, bytes.len() as u64, &mut |_| {}).await.unwrap_err();
    assert_eq!(error.to_string(), format!("blob not found at {elsewhere}"));
}

#[test]
fn store_urls_name_the_store_and_keys_fit_on_chain() {
    let owner = Address::new_from_array([1; 32]);
    let s3 = BlobStore::from_url("s3://hospital-records/medshare").unwrap();
    let (key, uri) = s3.location(&owner, 12, 3).unwrap().unwrap();
    assert_eq!(key.as_ref(), format!("medshare/{owner}/12/v3"));
    assert_eq!(uri, format!("s3://hospital-records/medshare/{owner}/12/v3"));
    let (_, uri) = BlobStore::from_url("s3://bucket").unwrap().location(&owner, 1, 1).unwrap().unwrap();
    assert_eq!(uri, format!("s3://bucket/{owner}/1/v1"));
    // Azure needs its account when the store is made (here as an option, else from AZURE_*)
    let account = [("azure_storage_account_name".to_owned(), "hospital".to_owned())];
    let (_, uri) = BlobStore::from_url_with("az://records/a/b", &account).unwrap().location(&owner, 1, 1).unwrap().unwrap();
    assert_eq!(uri, format!("az://records/a/b/{owner}/1/v1"));
    let error = BlobStore::from_url_with("s3://bucket", &[("aws_colour".to_owned(), "blue".to_owned())]).unwrap_err().to_string();
    assert_eq!(error, "blob store s3://bucket: unknown option aws_colour for s3://");
    assert!(BlobStore::from_url("ipfs://").unwrap().location(&owner, 1, 1).unwrap().is_none(), "an IPFS URI is its CID");

    // the longest record id and version still fit under a short bucket; a long prefix does not
    let (_, uri) = s3.location(&owner, u64::MAX, u32::MAX).unwrap().unwrap();
    assert!(uri.len() <= URI_MAX, "{} bytes", uri.len());
    let long = BlobStore::from_url(&format!("s3://{}/{}", "b".repeat(40), "p".repeat(40))).unwrap();
    let error = long.location(&owner, 1, 1).unwrap_err();
    assert!(matches!(error, BlobError::UriTooLong { len, .. } if len > URI_MAX), "{error:?}");
    assert!(error.to_string().contains("use a shorter bucket"), "{error}");

    for (url, says) in [
        ("https://example.org/blob", "read-only"),
        ("ftp://host/x", "unknown scheme ftp://"),
        ("s3:///prefix", "no bucket"),
        ("file://host/dir", "file:///absolute/dir"),
        ("relative/dir", "not a URL"),
    ] {
        let error = BlobStore::from_url(url).unwrap_err().to_string();
        assert!(error.starts_with(&format!("blob store {url}")) && error.contains(says), "{url}: {error}");
    }
}

#[tokio::test]
async fn unreadable_uris_get_named_errors() {
    let fetcher = Fetcher::default();
    let digest = [0; 32];
    for (uri, says) in [
        ("ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "set MEDSHARE_IPFS_GATEWAY"),
        ("gopher://host/x", "unknown scheme gopher://"),
        ("not a uri", "blob URI not a uri"),
    ] {
        let error = fetcher.fetch_to_vec(uri, &digest, 0, &mut |_| {}).await.unwrap_err().to_string();
        assert!(error.contains(says), "{uri}: {error}");
    }
}

#[test]
fn a_new_version_goes_to_the_store_the_current_one_is_in() {
    let owner = Address::new_from_array([1; 32]);
    for (uri, store) in [
        (format!("s3://hospital/medshare/{owner}/12/v3"), Some("s3://hospital/medshare".to_owned())),
        (format!("s3://bucket/{owner}/1/v1"), Some("s3://bucket".to_owned())),
        (format!("gs://b/p/q/{owner}/1/v9"), Some("gs://b/p/q".to_owned())),
        (format!("file:///var/lib/medshare/{owner}/4/v2"), Some("file:///var/lib/medshare".to_owned())),
        ("ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku".to_owned(), Some("ipfs://".to_owned())),
        (format!("{LEGACY_URI_PREFIX}{}", "ab".repeat(32)), None),
        (format!("https://cdn.example/{owner}/1/v1"), None),
        ("s3://bucket/not/a/key".to_owned(), None),
        (format!("s3://bucket/{owner}/x/v1"), None),
    ] {
        assert_eq!(store_url_of(&uri), store, "{uri}");
    }
    // and that store's key for the next version is the one the URI scheme gives
    let (_, uri) =
        BlobStore::from_url(&store_url_of(&format!("s3://hospital/medshare/{owner}/12/v3")).unwrap()).unwrap().location(&owner, 12, 4).unwrap().unwrap();
    assert_eq!(uri, format!("s3://hospital/medshare/{owner}/12/v4"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipe_uploads_what_a_blocking_writer_writes_and_a_failed_writer_aborts_the_upload() {
    let dir = TempDir::new("pipe");
    let store = BlobStore::directory(&dir.0).unwrap();
    let owner = Address::new_from_array([6; 32]);
    let bytes = pattern(PART_SIZE + 3 * IO_CHUNK + 17);

    let (mut writer, reader) = pipe(2);
    let source = bytes.clone();
    let writing = tokio::task::spawn_blocking(move || {
        // odd-sized writes, as a sealer's chunks are
        for piece in source.chunks(65_552) {
            writer.write_all(piece)?;
        }
        writer.finish()
    });
    let uploaded = store.upload(&owner, 2, 1, reader, &mut |_| {}, never()).await.unwrap();
    writing.await.unwrap().unwrap();
    assert_eq!(std::fs::read(uploaded.local_path.unwrap()).unwrap(), bytes);

    // the writer fails half-way: the upload fails with its error and leaves nothing
    let (mut writer, reader) = pipe(2);
    let source = bytes.clone();
    let writing = tokio::task::spawn_blocking(move || {
        writer.write_all(&source[..PART_SIZE + 5]).unwrap();
        writer.fail(std::io::Error::other("the plaintext file went away"));
    });
    let error = store.upload(&owner, 2, 2, reader, &mut |_| {}, never()).await.unwrap_err();
    writing.await.unwrap();
    assert!(error.to_string().contains("the plaintext file went away"), "{error}");
    // dropped unfinished (a panic on the writing thread): not a short blob either
    let (writer, reader) = pipe(2);
    let writing = tokio::task::spawn_blocking(move || drop(writer));
    let error = store.upload(&owner, 2, 3, reader, &mut |_| {}, never()).await.unwrap_err();
    writing.await.unwrap();
    assert!(error.to_string().contains("the writer stopped before the end"), "{error}");
    assert_eq!(dir.files(), [format!("{owner}/2/v1")], "only the finished upload is there");
}
