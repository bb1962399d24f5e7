//! # medshare-wasm
//!
//! MedShare's cryptography for the browser: `encrypted-circuits` itself, compiled to
//! WebAssembly, behind [`wasm_bindgen`] bindings for exactly what a patient's, a recipient's
//! and an auditor's client does (the `medshare` CLI's code paths, `cli/src/commands/` and
//! `client/src/context.rs`). There is no second implementation: every function here only
//! converts bytes and calls the crate.
//!
//! | flow | here |
//! |------|------|
//! | derive the user key from the wallet | [`user_key_message`] (the bytes the wallet signs, twice), [`UserKey::from_wallet_signatures`] |
//! | register it | [`UserKey::public_key`], [`UserKey::prove_possession`] |
//! | store a record | [`RecordSealer`] (chunk by chunk) or [`seal_record`] (in memory) with a [`RecordBinding`] |
//! | open one's own record | [`open_capsule`], then [`RecordOpener`] or [`open_record`] |
//! | open a share | [`RecordBinding::verify_cluster_capsule`], [`combine_partials`], [`ShareCapsule::open`], then as above |
//! | test vectors | [`check_reencrypt_vectors`], [`check_ceremony_vectors`], [`check_stream_vectors`] |
//!
//! Byte strings are `Uint8Array`s; every failure throws a JavaScript `Error` whose `name` is
//! the crate's error variant (`DecryptionFailed`, `InvalidCapsuleProof`, `NotEnoughPartials`,
//! ...) and whose `message` says what failed. Secrets (the user key, a record's key point `M`)
//! stay inside the module's memory as opaque objects, zeroised when freed; no function returns
//! them.

#![deny(missing_docs)]

use encrypted_circuits::{
    Error,
    capsule::CapsuleProof,
    keys::{PublicKey, UserSecretKey},
    record::{self, Capsule, RecordKeyPoint, ReencryptedCapsule},
    reencrypt::{Partial, ReencryptionProof},
    stream::{self, StreamOpener, StreamSealer},
    threshold, vectors,
    wallet_message::{self, UserKeyMessage},
};
use rand_core::OsRng;
use wasm_bindgen::prelude::*;

/// A JavaScript `Error` named `name` with `message`.
fn js_error(name: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    error.into()
}

/// The crate's error as a JavaScript `Error` named after its variant.
fn crypto_error(error: Error) -> JsValue {
    let debug = format!("{error:?}");
    let name = debug.split(['(', ' ', '{']).next().unwrap_or("Error");
    js_error(name, &error.to_string())
}

/// `bytes` as a fixed-size array, or an `InvalidLength` error naming `what`.
fn array<const N: usize>(bytes: &[u8], what: &'static str) -> Result<[u8; N], JsValue> {
    bytes.try_into().map_err(|_| crypto_error(Error::InvalidLength { what, expected: N, got: bytes.len() }))
}

/// A public key (32 bytes, a canonical Ristretto255 point that is not the identity).
fn public_key(bytes: &[u8], what: &'static str) -> Result<PublicKey, JsValue> {
    PublicKey::from_bytes(&array(bytes, what)?, what).map_err(crypto_error)
}

/// The record and chunk sizes of the sealed format (docs/protocol.md §7.1).
#[wasm_bindgen(js_name = chunkLen)]
pub fn chunk_len() -> usize {
    stream::CHUNK_LEN
}

/// A sealed chunk's length: [`chunk_len`] plus the 16-byte tag.
#[wasm_bindgen(js_name = sealedChunkLen)]
pub fn sealed_chunk_len() -> usize {
    stream::SEALED_CHUNK_LEN
}

/// The sealed stream's header length (its nonce prefix), the first bytes of every ciphertext.
#[wasm_bindgen(js_name = headerLen)]
pub fn header_len() -> usize {
    stream::HEADER_LEN
}

/// The sealed length of a payload of `plaintext_len` bytes (what the record account declares).
#[wasm_bindgen(js_name = ciphertextLen)]
pub fn ciphertext_len(plaintext_len: u64) -> Result<u64, JsValue> {
    stream::ciphertext_len(plaintext_len).map_err(crypto_error)
}

/// The highest key index clients search when looking for a wallet's registered key.
#[wasm_bindgen(js_name = maxKeyIndex)]
pub fn max_key_index() -> u32 {
    wallet_message::MAX_KEY_INDEX
}

/// What a wallet signs to derive its encryption key: the text it shows and the bytes it signs.
#[wasm_bindgen]
pub struct KeyMessage {
    text: String,
    bytes: Vec<u8>,
}

#[wasm_bindgen]
impl KeyMessage {
    /// The Sign-In-With-Solana text the wallet shows.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.text.clone()
    }

    /// The bytes to sign: the text in Solana's off-chain message envelope, exactly what the
    /// CLI's wallets sign (`solana:signMessage` of these bytes).
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }
}

/// The message `wallet` (32 bytes) signs for its key number `index` in the deployment of
/// `program_id` served at `domain` (the web app's host and port, lowercase). A domain that is
/// not a lowercase host name is refused (`InvalidDomain`) before anything is signed.
#[wasm_bindgen(js_name = userKeyMessage)]
pub fn user_key_message(domain: &str, wallet: &[u8], program_id: &[u8], index: u32) -> Result<KeyMessage, JsValue> {
    let message = |error: wallet_message::KeyMessageError| {
        let debug = format!("{error:?}");
        js_error(debug.split(['(', ' ', '{']).next().unwrap_or("KeyMessageError"), &error.to_string())
    };
    let built = UserKeyMessage::new(domain, array(wallet, "wallet")?, array(program_id, "program id")?, index).map_err(message)?;
    Ok(KeyMessage { text: built.text(), bytes: built.to_bytes().map_err(message)? })
}

/// Checks that `signature` (64 bytes) is the wallet's Ed25519 signature of `message` (RFC 8032,
/// strict: a small-order key or a non-canonical `S` is refused). In a browser the key message is
/// signed by an external wallet; a wallet that answered anything but its signature (fixed bytes,
/// another message's signature) would give its users a key that others can compute, so the
/// app checks both signatures before deriving, here rather than with WebCrypto, which some
/// browsers lack Ed25519 in.
#[wasm_bindgen(js_name = verifyWalletSignature)]
pub fn verify_wallet_signature(wallet: &[u8], message: &[u8], signature: &[u8]) -> Result<(), JsValue> {
    let key = ed25519_dalek::VerifyingKey::from_bytes(&array(wallet, "wallet")?)
        .map_err(|_| js_error("WalletRefused", "the wallet's address is not an Ed25519 public key"))?;
    let signature = ed25519_dalek::Signature::from_bytes(&array(signature, "wallet signature")?);
    key.verify_strict(message, &signature)
        .map_err(|_| js_error("WalletRefused", "the wallet's signature does not verify under its address: it signed something else than the key message"))
}

/// A user's encryption key. The secret never leaves the module; it is zeroised when freed.
#[wasm_bindgen]
pub struct UserKey(UserSecretKey);

#[wasm_bindgen]
impl UserKey {
    /// The key derived from the wallet's two Ed25519 signatures (64 bytes each) of
    /// [`user_key_message`]'s bytes, as the CLI derives it: `x = H("medshare/v1/user-key",
    /// sig)`. Two signatures that differ are refused (`NotDeterministic`): that wallet's key
    /// would change from one use to the next.
    #[wasm_bindgen(js_name = fromWalletSignatures)]
    pub fn from_wallet_signatures(first: &[u8], second: &[u8]) -> Result<UserKey, JsValue> {
        let first: [u8; 64] = array(first, "wallet signature")?;
        let second: [u8; 64] = array(second, "wallet signature")?;
        if first != second {
            return Err(js_error(
                "NotDeterministic",
                "this wallet does not sign deterministically, so no stable key can be derived from it: use a raw key file instead",
            ));
        }
        UserSecretKey::from_wallet_signature(&first).map(UserKey).map_err(crypto_error)
    }

    /// A raw key file's 32 bytes (the secret scalar, little-endian, canonical and not zero),
    /// as the CLI's `--encryption-key FILE`.
    #[wasm_bindgen(js_name = fromSecretBytes)]
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<UserKey, JsValue> {
        UserSecretKey::from_bytes(&array(bytes, "user secret key")?).map(UserKey).map_err(crypto_error)
    }

    /// The public key `P = x·G` (32 bytes) to register.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public_key().to_bytes().to_vec()
    }

    /// The proof of possession `R ‖ z` (64 bytes) that `register_user_key` checks, bound to
    /// `wallet` (32 bytes), with fresh randomness from the platform (`crypto.getRandomValues`).
    #[wasm_bindgen(js_name = provePossession)]
    pub fn prove_possession(&self, wallet: &[u8]) -> Result<Vec<u8>, JsValue> {
        Ok(self.0.prove_possession(&mut OsRng, &array(wallet, "wallet")?).to_bytes().to_vec())
    }
}

/// Checks a proof of possession of `public_key` for `wallet`, as the program does; throws
/// `InvalidKeyPossessionProof` (or the named decoding error) when it does not verify.
#[wasm_bindgen(js_name = verifyKeyPossession)]
pub fn verify_key_possession(wallet: &[u8], public_key: &[u8], proof: &[u8]) -> Result<(), JsValue> {
    let proof = encrypted_circuits::keys::KeyPossessionProof::from_bytes(proof).map_err(crypto_error)?;
    encrypted_circuits::keys::verify_key_possession(&array(wallet, "wallet")?, &array(public_key, "user public key")?, &proof).map_err(crypto_error)
}

/// Where a record version lives on chain: its ciphertext's associated data and the salt of
/// its key, so that a ciphertext moved to another record, version, owner or deployment fails.
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub struct RecordBinding(record::RecordBinding);

#[wasm_bindgen]
impl RecordBinding {
    /// Version `version` of `owner`'s record number `record_id` at the record account
    /// `address` of program `program_id` (every address 32 bytes).
    #[wasm_bindgen(constructor)]
    pub fn new(program_id: &[u8], owner: &[u8], record_id: u64, version: u32, address: &[u8]) -> Result<RecordBinding, JsValue> {
        Ok(RecordBinding(record::RecordBinding {
            program_id: array(program_id, "program id")?,
            owner: array(owner, "record owner")?,
            record_id,
            version,
            address: array(address, "record address")?,
        }))
    }

    /// Checks that a share request's `capsule` (64 bytes) carries a valid proof (`c ‖ z`, 64
    /// bytes) for this record version, cluster `cluster` and its key `cluster_key`, before
    /// combining anything for it (the CLI's `verify_request_capsule`): a capsule copied or
    /// re-randomised from another record throws `InvalidCapsuleProof`.
    #[wasm_bindgen(js_name = verifyClusterCapsule)]
    pub fn verify_cluster_capsule(&self, cluster: &[u8], cluster_key: &[u8], capsule: &[u8], proof: &[u8]) -> Result<(), JsValue> {
        let label = self.0.capsule_label(&array(cluster, "cluster")?, &public_key(cluster_key, "cluster key")?);
        let proof = CapsuleProof::from_bytes(proof).map_err(crypto_error)?;
        encrypted_circuits::capsule::verify(&label, &array(capsule, "cluster capsule")?, &proof).map_err(crypto_error)
    }
}

/// A record version's secret key point `M`, opened from a capsule. Zeroised when freed.
#[wasm_bindgen]
pub struct RecordKey(RecordKeyPoint);

/// Opens the owner capsule (64 bytes) of one's own record with one's key: the record's `M`.
/// A capsule to another key does not fail here (ElGamal opens to some point); the record then
/// fails to open with `DecryptionFailed`.
#[wasm_bindgen(js_name = openCapsule)]
pub fn open_capsule(key: &UserKey, capsule: &[u8]) -> Result<RecordKey, JsValue> {
    Capsule::from_bytes(capsule).and_then(|capsule| capsule.open(&key.0)).map(RecordKey).map_err(crypto_error)
}

/// A cluster capsule re-encrypted to a recipient by `t` partials.
#[wasm_bindgen]
pub struct ShareCapsule(ReencryptedCapsule);

#[wasm_bindgen]
impl ShareCapsule {
    /// Opens it with the recipient's key: the record's `M`.
    pub fn open(&self, key: &UserKey) -> Result<RecordKey, JsValue> {
        self.0.open(&key.0).map(RecordKey).map_err(crypto_error)
    }
}

/// Combines the partials a completed share request holds, as the CLI does: `indices[i]` is
/// the node index of partial `i` and `partials` holds each one's `A_i ‖ E_i` (64 bytes, in the
/// same order). The program verified every partial's proof before storing it, so none is
/// checked here. Fewer than `threshold` partials throw `NotEnoughPartials`.
#[wasm_bindgen(js_name = combinePartials)]
pub fn combine_partials(capsule: &[u8], indices: &[u16], partials: &[u8], threshold: usize) -> Result<ShareCapsule, JsValue> {
    if partials.len() != indices.len() * 64 {
        return Err(crypto_error(Error::InvalidLength { what: "partials (A ‖ E per index)", expected: indices.len() * 64, got: partials.len() }));
    }
    let unchecked = ReencryptionProof { c: [0; 32], z_s: [0; 32], z_r: [0; 32] };
    let partials: Vec<Partial> = indices
        .iter()
        .zip(partials.chunks_exact(64))
        .map(|(index, pair)| Partial { index: *index, a: pair[..32].try_into().expect("32"), e: pair[32..].try_into().expect("32"), proof: unchecked })
        .collect();
    let capsule = Capsule::from_bytes(capsule).map_err(crypto_error)?;
    threshold::combine(&capsule, &partials, threshold).map(ShareCapsule).map_err(crypto_error)
}

/// A record version sealed in memory: what `store_record` takes.
#[wasm_bindgen]
pub struct SealedRecord {
    ciphertext: Vec<u8>,
    capsules: record::RecordCapsules,
}

#[wasm_bindgen]
impl SealedRecord {
    /// The sealed payload: header and every chunk.
    #[wasm_bindgen(getter)]
    pub fn ciphertext(&self) -> Vec<u8> {
        self.ciphertext.clone()
    }

    /// `M` to the cluster key (64 bytes).
    #[wasm_bindgen(getter, js_name = clusterCapsule)]
    pub fn cluster_capsule(&self) -> Vec<u8> {
        self.capsules.cluster_capsule.to_bytes().to_vec()
    }

    /// The cluster capsule's proof for this record version (`c ‖ z`, 64 bytes).
    #[wasm_bindgen(getter, js_name = capsuleProof)]
    pub fn capsule_proof(&self) -> Vec<u8> {
        self.capsules.capsule_proof.to_bytes().to_vec()
    }

    /// `M` to the owner's key (64 bytes).
    #[wasm_bindgen(getter, js_name = ownerCapsule)]
    pub fn owner_capsule(&self) -> Vec<u8> {
        self.capsules.owner_capsule.to_bytes().to_vec()
    }
}

/// Seals `plaintext` in memory as the record version at `binding`, with a fresh `M` to
/// `cluster_key` (the key of cluster `cluster`) and to the owner's `owner_key`. For large
/// files use [`RecordSealer`], which needs only a chunk in memory at a time.
#[wasm_bindgen(js_name = sealRecord)]
pub fn seal_record(binding: &RecordBinding, cluster: &[u8], cluster_key: &[u8], owner_key: &[u8], plaintext: &[u8]) -> Result<SealedRecord, JsValue> {
    let mut sealer = RecordSealer::new(binding, cluster, cluster_key, owner_key)?;
    let stream = sealer.stream.take().ok_or_else(finished)?;
    Ok(SealedRecord { ciphertext: stream::seal(stream, plaintext).map_err(crypto_error)?, capsules: sealer.capsules })
}

/// Seals a record version chunk by chunk (the same format as [`seal_record`]): write
/// [`RecordSealer::header`] first, then every full [`chunk_len`] chunk through
/// [`RecordSealer::seal_chunk`] and the rest (possibly empty only for an empty file) through
/// [`RecordSealer::seal_last`].
#[wasm_bindgen]
pub struct RecordSealer {
    capsules: record::RecordCapsules,
    stream: Option<StreamSealer>,
}

#[wasm_bindgen]
impl RecordSealer {
    /// A sealer for the record version at `binding`: draws `M` and its capsules to
    /// `cluster_key` (the key of cluster `cluster`) and to `owner_key`.
    #[wasm_bindgen(constructor)]
    pub fn new(binding: &RecordBinding, cluster: &[u8], cluster_key: &[u8], owner_key: &[u8]) -> Result<RecordSealer, JsValue> {
        let cluster_key = public_key(cluster_key, "cluster key")?;
        let owner_key = public_key(owner_key, "owner key")?;
        let m = RecordKeyPoint::random(&mut OsRng);
        let capsules = record::encapsulate(&mut OsRng, &binding.0, &array(cluster, "cluster")?, &m, &cluster_key, &owner_key);
        Ok(RecordSealer { capsules, stream: Some(record::sealer(&binding.0, &m, &mut OsRng)) })
    }

    /// The sealed stream's first bytes.
    pub fn header(&self) -> Result<Vec<u8>, JsValue> {
        Ok(self.live()?.header().to_vec())
    }

    /// Seals a chunk that is not the last: exactly [`chunk_len`] bytes.
    #[wasm_bindgen(js_name = sealChunk)]
    pub fn seal_chunk(&mut self, chunk: &[u8]) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::with_capacity(stream::SEALED_CHUNK_LEN);
        self.stream.as_mut().ok_or_else(finished)?.seal_chunk(chunk, &mut out).map_err(crypto_error)?;
        Ok(out)
    }

    /// Seals the last chunk (`0..=chunk_len` bytes); nothing can be sealed after it.
    #[wasm_bindgen(js_name = sealLast)]
    pub fn seal_last(&mut self, chunk: &[u8]) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::with_capacity(chunk.len() + stream::TAG_LEN);
        self.stream.take().ok_or_else(finished)?.seal_last(chunk, &mut out).map_err(crypto_error)?;
        Ok(out)
    }

    /// `M` to the cluster key (64 bytes).
    #[wasm_bindgen(getter, js_name = clusterCapsule)]
    pub fn cluster_capsule(&self) -> Vec<u8> {
        self.capsules.cluster_capsule.to_bytes().to_vec()
    }

    /// The cluster capsule's proof for this record version (64 bytes).
    #[wasm_bindgen(getter, js_name = capsuleProof)]
    pub fn capsule_proof(&self) -> Vec<u8> {
        self.capsules.capsule_proof.to_bytes().to_vec()
    }

    /// `M` to the owner's key (64 bytes).
    #[wasm_bindgen(getter, js_name = ownerCapsule)]
    pub fn owner_capsule(&self) -> Vec<u8> {
        self.capsules.owner_capsule.to_bytes().to_vec()
    }
}

impl RecordSealer {
    /// The stream sealer, unless the last chunk was sealed.
    fn live(&self) -> Result<&StreamSealer, JsValue> {
        self.stream.as_ref().ok_or_else(finished)
    }
}

/// The error of a sealer or opener used after its last chunk.
fn finished() -> JsValue {
    js_error("StreamFinished", "the last chunk was already sealed or opened: nothing may follow it")
}

/// Opens a whole sealed record version in memory (the errors of [`RecordOpener`]).
#[wasm_bindgen(js_name = openRecord)]
pub fn open_record(binding: &RecordBinding, key: &RecordKey, ciphertext: &[u8]) -> Result<Vec<u8>, JsValue> {
    record::open(&binding.0, &key.0, ciphertext).map_err(crypto_error)
}

/// Opens a sealed record version chunk by chunk: built from the first [`header_len`] bytes,
/// then every [`sealed_chunk_len`] chunk that more bytes follow through
/// [`RecordOpener::open_chunk`] and the rest through [`RecordOpener::open_last`]. A chunk's
/// plaintext is returned only once its tag verifies; the record is whole only when `openLast`
/// returns. Failures are named: `DecryptionFailed` (wrong key or binding, or a tampered first
/// chunk), `StreamChunkInvalid`, `StreamTruncated`, `StreamTrailingData`.
#[wasm_bindgen]
pub struct RecordOpener(Option<StreamOpener>);

#[wasm_bindgen]
impl RecordOpener {
    /// An opener for the record version at `binding` under its key point, given the header.
    #[wasm_bindgen(constructor)]
    pub fn new(binding: &RecordBinding, key: &RecordKey, header: &[u8]) -> Result<RecordOpener, JsValue> {
        record::opener(&binding.0, &key.0, header).map(|opener| RecordOpener(Some(opener))).map_err(crypto_error)
    }

    /// Opens a chunk that more bytes follow (exactly [`sealed_chunk_len`] bytes).
    #[wasm_bindgen(js_name = openChunk)]
    pub fn open_chunk(&mut self, sealed_chunk: &[u8]) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::with_capacity(stream::CHUNK_LEN);
        self.0.as_mut().ok_or_else(finished)?.open_chunk(sealed_chunk, &mut out).map_err(crypto_error)?;
        Ok(out)
    }

    /// Opens the last chunk (what remains of the ciphertext).
    #[wasm_bindgen(js_name = openLast)]
    pub fn open_last(&mut self, sealed_chunk: &[u8]) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::with_capacity(sealed_chunk.len());
        self.0.take().ok_or_else(finished)?.open_last(sealed_chunk, &mut out).map_err(crypto_error)?;
        Ok(out)
    }
}

/// A vector that does not hold, as a JavaScript `Error` named `VectorMismatch` with what the
/// checker found.
fn mismatch(what: String) -> JsValue {
    js_error("VectorMismatch", &what)
}

/// A vectors file that does not parse, as a named JavaScript error.
fn unreadable(what: &str, error: serde_json::Error) -> JsValue {
    js_error("InvalidVectorFile", &format!("{what}: {error}"))
}

/// Checks every case of `tests/vectors/reencrypt.json` (its text) with the crate's own
/// checker, here in WebAssembly: returns how many cases and key-possession vectors held.
#[wasm_bindgen(js_name = checkReencryptVectors)]
pub fn check_reencrypt_vectors(json: &str) -> Result<usize, JsValue> {
    let file: vectors::VectorFile = serde_json::from_str(json).map_err(|e| unreadable("reencrypt.json", e))?;
    for case in &file.cases {
        vectors::check(case).map_err(mismatch)?;
    }
    for vector in &file.key_possession {
        vectors::check_key_possession(vector).map_err(mismatch)?;
    }
    Ok(file.cases.len() + file.key_possession.len())
}

/// Checks `tests/vectors/ceremony.json` (its text); returns how many ceremonies held.
#[wasm_bindgen(js_name = checkCeremonyVectors)]
pub fn check_ceremony_vectors(json: &str) -> Result<usize, JsValue> {
    let file: vectors::CeremonyVectorFile = serde_json::from_str(json).map_err(|e| unreadable("ceremony.json", e))?;
    vectors::check_ceremonies(&file).map_err(mismatch)?;
    Ok(file.ceremonies.len())
}

/// Checks `tests/vectors/stream.json` (its text); returns how many streams held.
#[wasm_bindgen(js_name = checkStreamVectors)]
pub fn check_stream_vectors(json: &str) -> Result<usize, JsValue> {
    let file: vectors::StreamVectorFile = serde_json::from_str(json).map_err(|e| unreadable("stream.json", e))?;
    vectors::check_streams(&file).map_err(mismatch)?;
    Ok(file.cases.len())
}
