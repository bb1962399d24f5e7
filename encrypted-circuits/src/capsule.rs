//! Labelled cluster capsules: the chosen-ciphertext fix of threshold ElGamal.
//!
//! A cluster capsule `(C1 = k·G, C2 = M + k·PK)` alone is malleable: anyone can copy it, or
//! re-randomise it as `(C1 + a·G, C2 + a·PK)`, into a record of their own and have the
//! cluster re-encrypt it to them. Following the labelled threshold ElGamal of Shoup and
//! Gennaro ("Securing threshold cryptosystems against chosen ciphertext attack", EUROCRYPT
//! '98 / J. Cryptology 2002: this is their Schnorr-signed "TDH0"; TDH1/TDH2 add a second
//! generator) and Schnorr and Jakobsson's signed ElGamal ("Security of signed ElGamal
//! encryption", ASIACRYPT 2000), whoever seals a capsule proves knowledge of its randomness `k`, with a
//! Fiat–Shamir challenge bound to a **label**: where the capsule may be used (program id,
//! cluster, the cluster key `PK` it is sealed to, owner, record address, version) and the
//! capsule itself (`C1`, `C2`). Only someone who knows `k` — whoever sealed the capsule —
//! can make a proof for a new label, and knowing `k` they already know `M`; so the cluster
//! re-encrypts only capsules whose maker consented to this record's label.
//!
//! The proof is a Schnorr proof of knowledge of `k` for `C1 = k·G`: nonce `w`,
//! `W = w·G`, `c = H128("medshare/v1/capsule-proof", program id, cluster, PK, owner, record,
//! u32le(version), C1, C2, W)`, `z = w + c·k`; it travels as `c ‖ z` (64 bytes). Verification
//! recomputes `W = z·G − c·C1` (one two-point multiscalar multiplication) and the challenge.
//!
//! [`verify`] is no_std and runs unchanged in the program, in every node before it answers,
//! and in the recipient's client before it combines.

use crate::{
    error::{Error, Result},
    group::{self, IDENTITY, canonical_challenge, canonical_scalar_bytes, element, is_valid_public_point, negate},
    hash::{DST_CAPSULE_PROOF, challenge_128},
};

/// Where a cluster capsule may be used: every field is part of its proof's challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapsuleLabel {
    /// The `medical_records` program id.
    pub program_id: [u8; 32],
    /// The cluster account.
    pub cluster: [u8; 32],
    /// The cluster key `PK` the capsule is sealed to.
    pub cluster_key: [u8; 32],
    /// The record owner's wallet.
    pub owner: [u8; 32],
    /// The record account's address.
    pub record: [u8; 32],
    /// The record version.
    pub version: u32,
}

/// A proof `(c, z)` of knowledge of a capsule's randomness: 64 bytes `c ‖ z`, `c` a 128-bit
/// challenge (upper 16 bytes zero), `z` a canonical scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapsuleProof {
    /// The challenge `c` (`< 2^128`).
    pub c: [u8; 32],
    /// The response `z = w + c·k`.
    pub z: [u8; 32],
}

impl CapsuleProof {
    /// Encoded length.
    pub const LEN: usize = 64;

    /// `c ‖ z`.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..32].copy_from_slice(&self.c);
        out[32..].copy_from_slice(&self.z);
        out
    }

    /// Splits `c ‖ z`; validity is checked by [`verify`].
    pub fn from_array(bytes: &[u8; Self::LEN]) -> Self {
        let mut proof = CapsuleProof { c: [0; 32], z: [0; 32] };
        proof.c.copy_from_slice(&bytes[..32]);
        proof.z.copy_from_slice(&bytes[32..]);
        proof
    }

    /// Splits 64 bytes; validity is checked by [`verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes: &[u8; Self::LEN] = bytes.try_into().map_err(|_| Error::InvalidLength { what: "capsule proof", expected: Self::LEN, got: bytes.len() })?;
        Ok(Self::from_array(bytes))
    }
}

/// `H128("medshare/v1/capsule-proof", program id, cluster, PK, owner, record, u32le(version), C1, C2, W)`.
pub(crate) fn challenge(label: &CapsuleLabel, c1: &[u8; 32], c2: &[u8; 32], commitment: &[u8; 32]) -> [u8; 32] {
    let version = label.version.to_le_bytes();
    challenge_128(DST_CAPSULE_PROOF, &[&label.program_id, &label.cluster, &label.cluster_key, &label.owner, &label.record, &version, c1, c2, commitment])
}

/// Checks that `capsule` (`C1 ‖ C2`) carries a valid proof for `label`: `C1` and `C2` are
/// valid points other than the identity, `c < 2^128`, `z < ℓ`, and
/// `c = H128(…, W = z·G − c·C1)`. A copied or re-randomised capsule, or one moved to another
/// label, is [`Error::InvalidCapsuleProof`].
pub fn verify(label: &CapsuleLabel, capsule: &[u8; 64], proof: &CapsuleProof) -> Result<()> {
    let (c1, c2): (&[u8; 32], &[u8; 32]) = (capsule[..32].try_into().expect("32 bytes"), capsule[32..].try_into().expect("32 bytes"));
    if *c1 == IDENTITY {
        return Err(Error::IdentityPoint("capsule C1"));
    }
    if !is_valid_public_point(c2) {
        return Err(Error::InvalidPoint("capsule C2"));
    }
    let c = canonical_challenge(&proof.c, "capsule proof challenge c")?;
    let z = canonical_scalar_bytes(&proof.z, "capsule proof response z")?;
    let c1_point = element(c1, "capsule C1")?;
    let commitment = group::combinations(&[(&[z, negate(&c)], &[&group::basepoint(), &c1_point])])?;
    if challenge(label, c1, c2, &commitment[0]) == c { Ok(()) } else { Err(Error::InvalidCapsuleProof) }
}
