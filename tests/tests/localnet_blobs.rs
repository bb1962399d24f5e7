//! Records as hospitals keep them: in S3-compatible object storage, against a real server
//! (`s3s-fs`, `medshare_tests::s3`).
//!
//! - `a_large_record_in_s3_is_opened_with_the_doctors_own_credentials`: real daemons, the real
//!   CLI. A 50 MiB record stored by the patient to the S3 server with her credentials, shared,
//!   fetched and opened byte-equal by the doctor from another working directory with his own
//!   (another access key, at his own endpoint of the same store), and through a public URL
//!   with none; credentials the endpoint does not know are refused; a tampered object is
//!   refused by the digest on chain; a missing one is reported as such.
//! - `s3_uploads_stream_in_parts_and_an_aborted_upload_leaves_nothing`: the client library
//!   alone against the server: multipart uploads, and aborted ones cleaned up.
//! - `ipfs_blobs_are_read_through_a_gateway_and_checked_by_their_digest`: `ipfs://<cid>`
//!   read over HTTP as from a trustless gateway (`GET /ipfs/<cid>?format=raw`). No IPFS
//!   implementation is packaged where these machines install from (Debian has no kubo), so the
//!   gateway is the S3 server without a key serving the block's bytes at that path: the HTTP
//!   exchange, the CID the URL names and the digest check are real; kubo's own answers are not
//!   (uploading through kubo's RPC API is not exercised here).
//!
//! `s3s-fs` authenticates one key pair per process: two servers over one root directory serve
//! the same objects, each to its own user (and a third with no key stands for a public
//! endpoint). The recipient's client never sees the patient's keys.

use medshare_client::{
    Address,
    blob::{BlobError, BlobStore, Fetcher, PART_SIZE, cid_v1_raw},
};
use medshare_tests::{
    deployment::{Binary, Deployment, Options, Run, Wallet},
    s3::{Credentials, S3Server},
};
use sha2::{Digest, Sha256};
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

/// The bucket the hospital keeps records in, and the prefix of MedShare's keys in it.
const BUCKET: &str = "hospital";
const STORE_URL: &str = "s3://hospital/medshare";

/// Deterministic bytes that are not all alike (a misplaced part changes the digest).
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 11) as u8).collect()
}

/// A fresh directory under the temp dir (a user's home, or the S3 server's root).
fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medshare-blobs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create dir");
    dir
}

/// `medshare` as `wallet` on `d`'s validator, run from `home` (also its `HOME`) with `env`
/// and none of the ambient `AWS_*` / `MEDSHARE_*` settings: one user on their own machine.
fn medshare_at(d: &Deployment, wallet: &Wallet, home: &Path, env: &[(String, String)], args: &[&str]) -> Run {
    let rpc = d.localnet.validator.rpc_url();
    let mut command = Command::new(Binary::Medshare.path());
    command.args(["--url", &rpc, "--keypair", wallet.path.to_str().expect("UTF-8 path"), "--yes", "--output", "json"]).args(args);
    for (variable, _) in std::env::vars() {
        if variable.starts_with("AWS_") || variable.starts_with("MEDSHARE_") || variable.starts_with("XDG_") {
            command.env_remove(variable);
        }
    }
    command.env("HOME", home).current_dir(home).stdin(Stdio::null());
    command.envs(env.iter().map(|(k, v)| (k, v)));
    let output = command.output().expect("run medshare");
    Run {
        command: format!("medshare {} # as {} in {}", args.join(" "), wallet.name, home.display()),
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn a_large_record_in_s3_is_opened_with_the_doctors_own_credentials() {
    let started = Instant::now();
    let root = fresh_dir("s3-root");
    let patient_endpoint = S3Server::start(&root, Some(Credentials::for_user("patient")));
    let doctor_endpoint = S3Server::start(&root, Some(Credentials::for_user("doctor")));
    let public_endpoint = S3Server::start(&root, None);
    patient_endpoint.create_bucket(BUCKET);

    let d = Deployment::start(2, 3, Options::default());
    let patient = d.wallet("patient", 10);
    let doctor = d.wallet("doctor", 10);
    for user in [&patient, &doctor] {
        d.medshare(user, &["register-key"]).expect_success();
    }
    let (patient_home, doctor_home) = (fresh_dir("patient-home"), fresh_dir("doctor-home"));
    let deployed = started.elapsed();

    // --- the patient stores 50 MiB of imaging to the hospital's S3 with her credentials
    let scan = pattern(50 << 20, 1);
    let scan_file = patient_home.join("ct-scan.dcm");
    std::fs::write(&scan_file, &scan).expect("write the scan");
    let mut patient_env = patient_endpoint.env();
    patient_env.push(("MEDSHARE_BLOB_STORE".to_owned(), STORE_URL.to_owned()));
    let cluster = d.cluster.to_string();
    let store_started = Instant::now();
    let stored = medshare_at(&d, &patient, &patient_home, &patient_env, &["store", scan_file.to_str().expect("path"), "--cluster", &cluster, "--raw"])
        .expect_success()
        .json();
    let store_took = store_started.elapsed();
    let record = stored["record"].as_str().expect("record").to_owned();
    let record_id = stored["record_id"].as_u64().expect("record id");
    let key = format!("medshare/{}/{record_id}/v1", patient.address);
    let uri = format!("s3://{BUCKET}/{key}");
    assert_eq!((stored["storage"].as_str(), stored["uri"].as_str()), (Some("blob"), Some(uri.as_str())), "{stored:#}");
    assert!(stored["cid"].is_null(), "50 MiB is more than one IPFS block: no derived CID");
    let object = patient_endpoint.object_file(BUCKET, &key);
    let sealed = std::fs::read(&object).expect("the object is on the S3 server");
    assert_eq!(sealed.len() as u64, stored["ciphertext_len"].as_u64().expect("ciphertext_len"));
    assert!(sealed.len() > scan.len(), "sealed, not the plaintext");
    let listed = medshare_at(&d, &patient, &patient_home, &[], &["list"]).expect_success().json();
    assert_eq!(listed["records"][0]["uri"], uri.as_str(), "the URI on chain names the store and key");

    // --- shared; the doctor, on his machine, fetches it with his own key from his endpoint
    let request = d.medshare_json(&patient, &["share", &record, &doctor.address.to_string()])["request"].as_str().expect("request").to_owned();
    let out = doctor_home.join("scan.dcm");
    let open_started = Instant::now();
    let opened = medshare_at(&d, &doctor, &doctor_home, &doctor_endpoint.env(), &["open", &request, "--wait", "60s", "--out", out.to_str().expect("path")])
        .expect_success()
        .json();
    let open_took = open_started.elapsed();
    assert_eq!((opened["opened_as"].as_str(), opened["plaintext_len"].as_u64()), (Some("recipient"), Some(scan.len() as u64)));
    assert!(std::fs::read(&out).expect("opened file") == scan, "the doctor's plaintext is byte-equal");
    assert_eq!(opened["sha256"], hex::encode(Sha256::digest(&scan)).as_str());

    // the patient opens her own record too (chunk by chunk into a file, as the doctor did)
    let own = patient_home.join("own-scan.dcm");
    let mine =
        medshare_at(&d, &patient, &patient_home, &patient_endpoint.env(), &["open", &record, "--out", own.to_str().expect("path")]).expect_success().json();
    assert_eq!(mine["opened_as"], "owner");
    assert!(std::fs::read(&own).expect("opened file") == scan, "the owner's plaintext is byte-equal");

    // his key is not the patient's: her endpoint refuses it
    let mut wrong_key = doctor_endpoint.env();
    wrong_key.retain(|(name, _)| name != "AWS_ENDPOINT_URL");
    wrong_key.push(("AWS_ENDPOINT_URL".to_owned(), patient_endpoint.endpoint()));
    medshare_at(&d, &doctor, &doctor_home, &wrong_key, &["open", &request]).expect_failure(&format!("fetching {uri}"));

    // a public (or pre-signed) URL the owner hands out: no credentials at all
    let public_url = format!("{}/{BUCKET}/{key}", public_endpoint.endpoint());
    let public_out = doctor_home.join("scan-public.dcm");
    medshare_at(&d, &doctor, &doctor_home, &[], &["open", &request, "--blob-url", &public_url, "--out", public_out.to_str().expect("path")]).expect_success();
    assert!(std::fs::read(&public_out).expect("opened file") == scan, "byte-equal through the public URL");

    // --- one flipped bit in the stored object: refused by the digest on chain, nothing written
    let mut tampered = sealed.clone();
    tampered[sealed.len() / 2] ^= 0x01;
    std::fs::write(&object, &tampered).expect("tamper");
    let refused = doctor_home.join("refused.dcm");
    medshare_at(&d, &doctor, &doctor_home, &doctor_endpoint.env(), &["open", &request, "--out", refused.to_str().expect("path")])
        .expect_failure(&format!("tampered blob at {uri}: it does not match the digest on chain"));
    assert!(!refused.exists(), "nothing decrypted, nothing written");

    // --- the object gone: said so, with where it was looked for
    std::fs::remove_file(&object).expect("delete the object");
    medshare_at(&d, &doctor, &doctor_home, &doctor_endpoint.env(), &["open", &request]).expect_failure(&format!("blob not found at {uri}"));
    eprintln!(
        "localnet_blobs: deployment {deployed:.1?}; store 50 MiB to S3 {store_took:.1?}; open as the doctor {open_took:.1?}; total {:.1?}",
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&patient_home);
    let _ = std::fs::remove_dir_all(&doctor_home);
}

/// A source that fails after its bytes, as a sealer writing into the upload might.
struct FailingAfter(Vec<u8>);

impl tokio::io::AsyncRead for FailingAfter {
    fn poll_read(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>, buf: &mut tokio::io::ReadBuf<'_>) -> std::task::Poll<std::io::Result<()>> {
        if self.0.is_empty() {
            return std::task::Poll::Ready(Err(std::io::Error::other("the sealer failed")));
        }
        let n = self.0.len().min(buf.remaining());
        let chunk: Vec<u8> = self.0.drain(..n).collect();
        buf.put_slice(&chunk);
        std::task::Poll::Ready(Ok(()))
    }
}

#[test]
fn s3_uploads_stream_in_parts_and_an_aborted_upload_leaves_nothing() {
    let root = fresh_dir("s3-parts");
    let patient_endpoint = S3Server::start(&root, Some(Credentials::for_user("patient")));
    let doctor_endpoint = S3Server::start(&root, Some(Credentials::for_user("doctor")));
    patient_endpoint.create_bucket(BUCKET);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let owner = Address::new_from_array([3; 32]);
    let store = BlobStore::from_url_with(STORE_URL, &patient_endpoint.options()).expect("the S3 store");
    let bytes = pattern(2 * PART_SIZE + 4321, 2);
    runtime.block_on(async {
        // the source fails after one part went up: the upload is aborted, its parts deleted
        let failing = FailingAfter(bytes[..PART_SIZE + 1000].to_vec());
        let error = store.upload(&owner, 9, 1, failing, &mut |_| {}, std::future::pending()).await.expect_err("the source failed");
        assert!(matches!(error, BlobError::Io { .. }), "{error:?}");
        assert_eq!(patient_endpoint.files(), Vec::<String>::new(), "no part, no upload record, no object left on the server");

        // three parts, streamed; the key is the record version's
        let mut sent = 0;
        let uploaded = store.upload(&owner, 9, 1, &bytes[..], &mut |n| sent += n, std::future::pending()).await.expect("upload");
        assert_eq!(uploaded.uri, format!("{STORE_URL}/{owner}/9/v1"));
        assert_eq!((uploaded.len, sent), (bytes.len() as u64, bytes.len() as u64));
        assert_eq!(uploaded.digest, <[u8; 32]>::from(Sha256::digest(&bytes)));
        let object = patient_endpoint.object_file(BUCKET, &format!("medshare/{owner}/9/v1"));
        assert!(std::fs::read(&object).expect("the object") == bytes, "the parts were put together in order");
        assert!(patient_endpoint.files().iter().all(|f| !f.contains("upload")), "no upload left over: {:?}", patient_endpoint.files());

        // read back by another user, with their own key at their own endpoint
        let doctor = Fetcher { store_options: doctor_endpoint.options(), ..Fetcher::default() };
        assert!(doctor.fetch_to_vec(&uploaded.uri, &uploaded.digest, uploaded.len, &mut |_| {}).await.expect("fetch") == bytes);
        let wrong = [0u8; 32];
        let error = doctor.fetch_to_vec(&uploaded.uri, &wrong, uploaded.len, &mut |_| {}).await.expect_err("another digest");
        assert!(matches!(error, BlobError::Tampered { .. }), "{error:?}");

        // a key the endpoint does not know is refused by the server
        let mut stranger = patient_endpoint.options();
        stranger.retain(|(name, _)| name != "aws_secret_access_key");
        stranger.push(("aws_secret_access_key".to_owned(), "not-the-secret".to_owned()));
        let stranger = Fetcher { store_options: stranger, ..Fetcher::default() };
        let error = stranger.fetch_to_vec(&uploaded.uri, &uploaded.digest, uploaded.len, &mut |_| {}).await.expect_err("a wrong secret");
        assert!(matches!(error, BlobError::Store { operation: "fetching", .. }), "{error:?}");
    });
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn ipfs_blobs_are_read_through_a_gateway_and_checked_by_their_digest() {
    let root = fresh_dir("ipfs-gateway");
    let gateway = S3Server::start(&root, None);
    gateway.create_bucket("ipfs");
    let block = pattern(700 << 10, 3);
    let digest: [u8; 32] = Sha256::digest(&block).into();
    let cid = cid_v1_raw(&digest);
    std::fs::write(gateway.object_file("ipfs", &cid), &block).expect("the block");
    let fetcher = Fetcher { ipfs_gateway: Some(gateway.endpoint().parse().expect("URL")), ..Fetcher::default() };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let uri = format!("ipfs://{cid}");
        let mut received = 0;
        assert!(fetcher.fetch_to_vec(&uri, &digest, block.len() as u64, &mut |n| received += n).await.expect("fetch") == block);
        assert_eq!(received, block.len() as u64);

        // a gateway that answers other bytes for the CID is caught by the digest on chain
        let mut other = block.clone();
        other[0] ^= 1;
        std::fs::write(gateway.object_file("ipfs", &cid), &other).expect("replace the block");
        let error = fetcher.fetch_to_vec(&uri, &digest, block.len() as u64, &mut |_| {}).await.expect_err("other bytes");
        assert!(error.to_string().starts_with(&format!("tampered blob at {uri}")), "{error}");

        // a CID the gateway does not have
        let missing = format!("ipfs://{}", cid_v1_raw(&[0; 32]));
        let error = fetcher.fetch_to_vec(&missing, &[0; 32], 0, &mut |_| {}).await.expect_err("missing");
        assert_eq!(error.to_string(), format!("blob not found at {missing}"));
    });
    let _ = std::fs::remove_dir_all(&root);
}
