//! IPFS: the CIDv1 a record's blob has, adding a blob through a kubo node's RPC API, and the
//! gateway URL a blob is read from.
//!
//! A sealed blob of at most [`IPFS_BLOCK_MAX`] bytes is one raw IPFS block, whose CIDv1 (raw
//! codec `0x55`, sha2-256 multihash) is derived from the record's on-chain SHA-256 digest alone
//! ([`cid_v1_raw`]): anyone can name it, and a trustless gateway serves it with
//! `?format=raw`. A larger blob is added by kubo as a UnixFS DAG of 1 MiB raw leaves; its root
//! CID (dag-pb) is the one kubo returns, and that is what the on-chain URI holds. It is read as
//! the gateway's deserialized file; either way the bytes are checked against the on-chain
//! digest before decryption.

use super::{BlobError, IO_CHUNK, Uploaded, http_client};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::future::Future;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The largest blob that is one IPFS block (kubo's chunk size here, and the block size
/// gateways and bitswap accept everywhere).
pub const IPFS_BLOCK_MAX: u64 = 1 << 20;
/// The kubo RPC API used when `MEDSHARE_IPFS_API` is not set (kubo's default).
const DEFAULT_KUBO_API: &str = "http://127.0.0.1:5001";
/// CIDv1's version, the raw codec and the sha2-256 multihash code with its 32-byte length:
/// each one byte as an unsigned varint.
const CID_V1_RAW_SHA256_PREFIX: [u8; 4] = [0x01, 0x55, 0x12, 0x20];

/// The CIDv1 (raw codec, sha2-256) of bytes whose SHA-256 is `digest`, in its usual text
/// form: multibase `b` (base32, lowercase, no padding), e.g. `bafkrei...`.
pub fn cid_v1_raw(digest: &[u8; 32]) -> String {
    let mut bytes = CID_V1_RAW_SHA256_PREFIX.to_vec();
    bytes.extend_from_slice(digest);
    format!("b{}", base32_lower(&bytes))
}

/// RFC 4648 base32, lowercase alphabet, no padding (multibase `b`).
fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The kubo RPC API: `MEDSHARE_IPFS_API`, else `http://127.0.0.1:5001`.
pub fn kubo_api_from_env() -> Result<url::Url, String> {
    let api = std::env::var("MEDSHARE_IPFS_API").ok().filter(|api| !api.is_empty()).unwrap_or_else(|| DEFAULT_KUBO_API.to_owned());
    url::Url::parse(&api).map_err(|e| format!("MEDSHARE_IPFS_API {api} is not a URL: {e}"))
}

/// Whether `cid` is a CIDv1 with the raw codec (one block, served with `?format=raw`).
fn is_raw_cid(cid: &str) -> bool {
    // base32 of [0x01, 0x55, ...] always starts "bafk"
    cid.starts_with("bafk")
}

/// Where a gateway serves `cid`: the raw block for raw CIDs (the trustless form), else the file.
pub(super) fn gateway_url(gateway: &url::Url, cid: &str) -> url::Url {
    let mut url = gateway.clone();
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}/ipfs/{cid}"));
    if is_raw_cid(cid) {
        url.set_query(Some("format=raw"));
    }
    url
}

/// Adds `source` through kubo's `/api/v0/add` (CIDv1, raw leaves of [`IPFS_BLOCK_MAX`],
/// pinned), streaming it; the URI is `ipfs://<cid>`. For a one-block blob kubo's CID must be
/// the one derived from the digest.
pub(super) async fn add<R: AsyncRead + Unpin>(
    api: &url::Url,
    mut source: R,
    progress: &mut dyn FnMut(u64),
    interrupt: impl Future<Output = ()>,
) -> Result<Uploaded, BlobError> {
    let mut endpoint = api.clone();
    let base = endpoint.path().trim_end_matches('/').to_owned();
    endpoint.set_path(&format!("{base}/api/v0/add"));
    endpoint.set_query(Some(&format!("cid-version=1&raw-leaves=true&chunker=size-{IPFS_BLOCK_MAX}&pin=true&progress=false")));
    let failed = |message: String| BlobError::Http { operation: "adding to IPFS through", uri: endpoint.to_string(), message };

    // the body is fed from this task through a channel, so the source need not be 'static
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let body =
        reqwest::Body::wrap_stream(futures_util::stream::unfold(receiver, |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) }));
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::stream(body).file_name("blob"));
    let request = http_client().post(endpoint.as_str()).multipart(form).send();
    // owns the sender: the body ends when this ends
    let produce = async move {
        let (mut hasher, mut len) = (Sha256::new(), 0u64);
        let mut buffer = vec![0u8; IO_CHUNK];
        loop {
            let read = match source.read(&mut buffer).await {
                Ok(0) => return Ok((hasher, len)),
                Ok(read) => read,
                Err(error) => {
                    let message = error.to_string();
                    let _ = sender.send(Err(error)).await;
                    return Err(BlobError::Io { operation: "reading what goes to IPFS".into(), source: std::io::Error::other(message) });
                }
            };
            hasher.update(&buffer[..read]);
            len += read as u64;
            progress(read as u64);
            if sender.send(Ok(Bytes::copy_from_slice(&buffer[..read]))).await.is_err() {
                // the request ended early; its own error says why
                return Ok((hasher, len));
            }
        }
    };
    let both = async {
        let (response, produced) = tokio::join!(request, produce);
        let produced = produced?;
        Ok::<_, BlobError>((response.map_err(|e| failed(e.to_string()))?, produced))
    };
    let (response, (hasher, len)) = tokio::select! {
        both = both => both?,
        () = interrupt => return Err(BlobError::Interrupted { uri: endpoint.to_string() }),
    };
    let status = response.status();
    let text = response.text().await.map_err(|e| failed(e.to_string()))?;
    if !status.is_success() {
        return Err(failed(format!("{status}: {}", text.chars().take(300).collect::<String>())));
    }
    // one JSON object per line; the added file's is the last with a "Hash"
    let cid = text
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|object| object.get("Hash").and_then(|hash| hash.as_str()).map(str::to_owned))
        .ok_or_else(|| failed(format!("no CID in kubo's answer: {}", text.chars().take(300).collect::<String>())))?;
    let digest: [u8; 32] = hasher.finalize().into();
    if len <= IPFS_BLOCK_MAX && cid != cid_v1_raw(&digest) {
        return Err(failed(format!("kubo named the one-block blob {cid}, not its raw CIDv1 {}", cid_v1_raw(&digest))));
    }
    Ok(Uploaded { uri: format!("ipfs://{cid}"), digest, len, local_path: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cids_match_the_published_raw_cidv1_of_known_bytes() {
        // the raw CIDv1s of these bytes that `ipfs add --cid-version 1` prints and that
        // go-cid, js-multiformats and rust-cid users publish as golden vectors
        let hello: [u8; 32] = Sha256::digest(b"hello world").into();
        assert_eq!(cid_v1_raw(&hello), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
        let empty: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(cid_v1_raw(&empty), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
        assert!(is_raw_cid(&cid_v1_raw(&[0xff; 32])) && !is_raw_cid("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"));
    }

    #[test]
    fn base32_follows_rfc4648_without_padding() {
        // RFC 4648 §10 vectors, lowercased and unpadded
        for (input, expected) in [("", ""), ("f", "my"), ("fo", "mzxq"), ("foo", "mzxw6"), ("foob", "mzxw6yq"), ("fooba", "mzxw6ytb"), ("foobar", "mzxw6ytboi")]
        {
            assert_eq!(base32_lower(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn gateway_urls_ask_raw_blocks_for_raw_cids_only() {
        let gateway = url::Url::parse("http://127.0.0.1:8080/").unwrap();
        let raw = cid_v1_raw(&[7; 32]);
        assert_eq!(gateway_url(&gateway, &raw).as_str(), format!("http://127.0.0.1:8080/ipfs/{raw}?format=raw"));
        let dag = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
        let prefixed = url::Url::parse("https://gw.example/base").unwrap();
        assert_eq!(gateway_url(&prefixed, dag).as_str(), format!("https://gw.example/base/ipfs/{dag}"));
    }
}
