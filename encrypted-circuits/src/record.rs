//! Sealing a record (DESIGN §3.3): a random point `M` gives the record key
//! `K = HKDF-SHA256(enc(M), salt = record address, info = "medshare/v1/record-key")`; the
//! payload is sealed under `K` in 64 KiB chunks ([`crate::stream`]: STREAM over AES-256-GCM),
//! every chunk bound to the record's on-chain place; `M` travels in two ElGamal capsules, one
//! to the cluster key and one to the owner's own key.
//!
//! [`seal`] and [`open`] do a payload in memory. For records too large for that, the same
//! format chunk by chunk: [`RecordKeyPoint::random`], [`encapsulate`] for the capsules and
//! [`sealer`] for a [`StreamSealer`]; to read, [`opener`] with the stream's header
//! (`medshare_client::sealing` drives them from files).

use crate::{
    capsule::{self, CapsuleLabel, CapsuleProof},
    error::{Error, Result},
    group::IDENTITY,
    keys::{PublicKey, UserSecretKey},
    stream::{self, StreamOpener, StreamSealer},
};
use alloc::vec::Vec;
use curve25519_dalek::{
    Scalar,
    constants::RISTRETTO_BASEPOINT_TABLE,
    ristretto::{CompressedRistretto, RistrettoPoint},
};
use rand_core::CryptoRngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// HKDF `info` of the record key.
pub const RECORD_KEY_INFO: &[u8] = b"medshare/v1/record-key";

/// Where a ciphertext lives on chain. It is the AEAD's associated data, so a ciphertext
/// moved to another record, owner, version or deployment fails to open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordBinding {
    /// The `medical_records` program id.
    pub program_id: [u8; 32],
    /// The record owner's wallet.
    pub owner: [u8; 32],
    /// The owner's record number.
    pub record_id: u64,
    /// The record's version (bumped by every update or re-key).
    pub version: u32,
    /// The record account's address (the HKDF salt).
    pub address: [u8; 32],
}

impl RecordBinding {
    /// The label of this version's capsule to `cluster_key`, the key of cluster `cluster`.
    pub fn capsule_label(&self, cluster: &[u8; 32], cluster_key: &PublicKey) -> CapsuleLabel {
        CapsuleLabel {
            program_id: self.program_id,
            cluster: *cluster,
            cluster_key: cluster_key.to_bytes(),
            owner: self.owner,
            record: self.address,
            version: self.version,
        }
    }

    /// `program id ‖ owner ‖ u64le(record id) ‖ u32le(version)`.
    pub fn aad(&self) -> [u8; 76] {
        let mut out = [0u8; 76];
        out[..32].copy_from_slice(&self.program_id);
        out[32..64].copy_from_slice(&self.owner);
        out[64..72].copy_from_slice(&self.record_id.to_le_bytes());
        out[72..].copy_from_slice(&self.version.to_le_bytes());
        out
    }
}

/// The secret point `M` that a record key is derived from. Zeroised on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RecordKeyPoint(pub(crate) RistrettoPoint);

impl core::fmt::Debug for RecordKeyPoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RecordKeyPoint(..)")
    }
}

impl RecordKeyPoint {
    /// A fresh random `M = m·G`.
    pub fn random(rng: &mut impl CryptoRngCore) -> Self {
        let mut m = Scalar::random(rng);
        let point = &m * RISTRETTO_BASEPOINT_TABLE;
        m.zeroize();
        RecordKeyPoint(point)
    }

    /// `enc(M)`.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.compress().to_bytes()
    }

    /// From `enc(M)` (test vectors, interop).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
        CompressedRistretto(*bytes).decompress().map(RecordKeyPoint).ok_or(Error::InvalidPoint("record key point M"))
    }

    /// `K = HKDF-SHA256(ikm = enc(M), salt = record address, info = "medshare/v1/record-key")`.
    pub fn record_key(&self, record_address: &[u8; 32]) -> Zeroizing<[u8; 32]> {
        let ikm = Zeroizing::new(self.to_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf::Hkdf::<sha2::Sha256>::new(Some(record_address), ikm.as_slice())
            .expand(RECORD_KEY_INFO, key.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        key
    }
}

/// An ElGamal capsule `(C1 = k·G, C2 = M + k·P)` of a record key point to a public key `P`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capsule {
    /// `C1`.
    pub c1: [u8; 32],
    /// `C2`.
    pub c2: [u8; 32],
}

/// Decodes the two halves of a capsule (any valid points; C1 = identity is allowed only
/// in the sense that decoding succeeds — opening then yields a wrong key, never a panic).
fn decode_pair(c1: &[u8; 32], c2: &[u8; 32]) -> Result<(RistrettoPoint, RistrettoPoint)> {
    let c1 = CompressedRistretto(*c1).decompress().ok_or(Error::InvalidPoint("capsule C1"))?;
    let c2 = CompressedRistretto(*c2).decompress().ok_or(Error::InvalidPoint("capsule C2"))?;
    Ok((c1, c2))
}

impl Capsule {
    /// Encoded length.
    pub const LEN: usize = 64;

    /// Encapsulates `m` to `to` with fresh randomness (the owner's capsule).
    pub fn seal(rng: &mut impl CryptoRngCore, m: &RecordKeyPoint, to: &PublicKey) -> Capsule {
        let mut k = Scalar::random(rng);
        let capsule = Self::seal_with(&k, m, to);
        k.zeroize();
        capsule
    }

    /// `(k·G, M + k·P)` for a given `k` (test vectors).
    pub(crate) fn seal_with(k: &Scalar, m: &RecordKeyPoint, to: &PublicKey) -> Capsule {
        let c1 = (k * RISTRETTO_BASEPOINT_TABLE).compress().to_bytes();
        let c2 = (m.0 + to.point * k).compress().to_bytes();
        Capsule { c1, c2 }
    }

    /// Encapsulates `m` to the cluster key `to` for `label`, with the proof of knowledge of
    /// the randomness that binds the capsule to its label ([`crate::capsule`]).
    /// `label.cluster_key` must be `to`'s encoding (use [`RecordBinding::capsule_label`]).
    pub fn seal_labelled(rng: &mut impl CryptoRngCore, m: &RecordKeyPoint, to: &PublicKey, label: &CapsuleLabel) -> (Capsule, CapsuleProof) {
        let (mut k, mut w) = (Scalar::random(rng), Scalar::random(rng));
        let sealed = Self::seal_labelled_with(&k, &w, m, to, label);
        k.zeroize();
        w.zeroize();
        sealed
    }

    /// [`Capsule::seal_labelled`] with given randomness `k` and proof nonce `w` (test vectors).
    pub(crate) fn seal_labelled_with(k: &Scalar, w: &Scalar, m: &RecordKeyPoint, to: &PublicKey, label: &CapsuleLabel) -> (Capsule, CapsuleProof) {
        debug_assert_eq!(label.cluster_key, to.to_bytes(), "the label names the key the capsule is sealed to");
        let capsule = Self::seal_with(k, m, to);
        let commitment = (w * RISTRETTO_BASEPOINT_TABLE).compress().to_bytes();
        let c = capsule::challenge(label, &capsule.c1, &capsule.c2, &commitment);
        let z = w + Scalar::from_bytes_mod_order(c) * k;
        (capsule, CapsuleProof { c, z: z.to_bytes() })
    }

    /// `M = C2 − x·C1`, for the holder of the key the capsule was sealed to.
    pub fn open(&self, secret: &UserSecretKey) -> Result<RecordKeyPoint> {
        let (c1, c2) = decode_pair(&self.c1, &self.c2)?;
        Ok(RecordKeyPoint(c2 - c1 * secret.0))
    }

    /// `C1 ‖ C2`.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..32].copy_from_slice(&self.c1);
        out[32..].copy_from_slice(&self.c2);
        out
    }

    /// The inverse of [`Capsule::to_bytes`], validating both points.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != Self::LEN {
            return Err(Error::InvalidLength { what: "capsule", expected: Self::LEN, got: bytes.len() });
        }
        let mut capsule = Capsule { c1: [0; 32], c2: [0; 32] };
        capsule.c1.copy_from_slice(&bytes[..32]);
        capsule.c2.copy_from_slice(&bytes[32..]);
        if capsule.c1 == IDENTITY {
            return Err(Error::IdentityPoint("capsule C1"));
        }
        decode_pair(&capsule.c1, &capsule.c2)?;
        Ok(capsule)
    }
}

/// The capsule the cluster hands a recipient: `C1' = Σ λ_i·A_i`, `C2' = C2 − Σ λ_i·E_i`
/// (DESIGN §3.4), opened as `M = C2' + x_R·C1'`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReencryptedCapsule {
    /// `C1'`.
    pub c1: [u8; 32],
    /// `C2'`.
    pub c2: [u8; 32],
}

impl ReencryptedCapsule {
    /// `M = C2' + x_R·C1'`, for the recipient.
    pub fn open(&self, recipient: &UserSecretKey) -> Result<RecordKeyPoint> {
        let (c1, c2) = decode_pair(&self.c1, &self.c2)?;
        Ok(RecordKeyPoint(c2 + c1 * recipient.0))
    }
}

/// A sealed record: the ciphertext and the two capsules of its key point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedRecord {
    /// The sealed stream ([`crate::stream`]): `nonce prefix (7) ‖ chunks`, each chunk
    /// `ciphertext ‖ tag (16)`; [`stream::ciphertext_len`] bytes.
    pub ciphertext: Vec<u8>,
    /// `M` to the cluster key `PK` (what nodes re-encrypt for recipients).
    pub cluster_capsule: Capsule,
    /// The cluster capsule's proof for its label (program, cluster, `PK`, owner, record, version).
    pub capsule_proof: CapsuleProof,
    /// `M` to the owner's key `P` (so the owner never depends on the cluster).
    pub owner_capsule: Capsule,
}

/// The two capsules of a record version's key point `M`, what the program stores next to
/// the ciphertext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordCapsules {
    /// `M` to the cluster key `PK`.
    pub cluster_capsule: Capsule,
    /// The cluster capsule's proof for its label.
    pub capsule_proof: CapsuleProof,
    /// `M` to the owner's key `P`.
    pub owner_capsule: Capsule,
}

/// Encapsulates `m` for a record version at `binding`: to `cluster_key` (the key of cluster
/// `cluster`) with the capsule proof labelled for this version, and to the owner's key.
pub fn encapsulate(
    rng: &mut impl CryptoRngCore,
    binding: &RecordBinding,
    cluster: &[u8; 32],
    m: &RecordKeyPoint,
    cluster_key: &PublicKey,
    owner_key: &PublicKey,
) -> RecordCapsules {
    let (cluster_capsule, capsule_proof) = Capsule::seal_labelled(rng, m, cluster_key, &binding.capsule_label(cluster, cluster_key));
    RecordCapsules { cluster_capsule, capsule_proof, owner_capsule: Capsule::seal(rng, m, owner_key) }
}

/// A [`StreamSealer`] for the payload of the record version at `binding` under the key
/// derived from `m` (AAD = [`RecordBinding::aad`]), with a fresh nonce prefix. One `m` seals
/// exactly one payload: draw a new one ([`RecordKeyPoint::random`]) for every version.
pub fn sealer(binding: &RecordBinding, m: &RecordKeyPoint, rng: &mut impl CryptoRngCore) -> StreamSealer {
    StreamSealer::new(rng, &m.record_key(&binding.address), &binding.aad())
}

/// A [`StreamOpener`] for the sealed payload at `binding` under the key derived from `m`,
/// given the stream's first [`stream::HEADER_LEN`] bytes.
pub fn opener(binding: &RecordBinding, m: &RecordKeyPoint, header: &[u8]) -> Result<StreamOpener> {
    StreamOpener::new(&m.record_key(&binding.address), &binding.aad(), header)
}

/// Seals `plaintext` at `binding` under a fresh record key point, with its cluster capsule to
/// `cluster_key` (the key of cluster `cluster`) labelled for this record version (one key
/// seals exactly one payload: every update or re-key calls this again with the new version).
///
/// # Panics
/// On a payload over [`stream::MAX_PLAINTEXT_LEN`] (256 TiB), which no memory holds.
pub fn seal(
    rng: &mut impl CryptoRngCore,
    binding: &RecordBinding,
    cluster: &[u8; 32],
    plaintext: &[u8],
    cluster_key: &PublicKey,
    owner_key: &PublicKey,
) -> SealedRecord {
    let m = RecordKeyPoint::random(rng);
    let ciphertext = stream::seal(sealer(binding, &m, rng), plaintext).expect("an in-memory payload is under 256 TiB");
    let RecordCapsules { cluster_capsule, capsule_proof, owner_capsule } = encapsulate(rng, binding, cluster, &m, cluster_key, owner_key);
    SealedRecord { ciphertext, cluster_capsule, capsule_proof, owner_capsule }
}

/// Opens a record's sealed payload with its key point. A wrong key, a ciphertext moved to
/// another binding or a tampered first chunk is [`Error::DecryptionFailed`]; the other
/// failures are the named errors of [`StreamOpener`] (truncated, a bad later chunk, trailing
/// data).
pub fn open(binding: &RecordBinding, m: &RecordKeyPoint, ciphertext: &[u8]) -> Result<Vec<u8>> {
    stream::open(&m.record_key(&binding.address), &binding.aad(), ciphertext)
}
