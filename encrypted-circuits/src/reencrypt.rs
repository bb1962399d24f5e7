//! The threshold re-encryption circuit of DESIGN §3.4: a node's partial `(A_i, E_i)` with
//! its Chaum–Pedersen-style proof of knowledge of `(s_i, r_i)`, and its verification.
//!
//! Node `i` holds `s_i` with public `S_i = s_i·G`. For a capsule `(C1, C2)` and a recipient
//! key `P_R` it picks `r_i` and posts `A_i = r_i·G`, `E_i = s_i·C1 + r_i·P_R`, proving
//! `S_i = s_i·G ∧ A_i = r_i·G ∧ E_i = s_i·C1 + r_i·P_R` with one Sigma protocol made
//! non-interactive by Fiat–Shamir over the request context.
//!
//! [`verify`] is no_std and runs unchanged inside the SBF program (curve and sha256 syscalls).

use crate::{
    error::{Error, Result},
    group::{self, IDENTITY, canonical_challenge, canonical_scalar_bytes, element, negate},
    hash::{DST_REENCRYPTION_PROOF, challenge_128},
};

/// Everything a proof is bound to, so that a partial cannot be replayed into another
/// request, cluster, epoch or deployment: `program id ‖ cluster ‖ request ‖ u64le(epoch)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestContext {
    /// The `medical_records` program id.
    pub program_id: [u8; 32],
    /// The cluster account.
    pub cluster: [u8; 32],
    /// The share-request account.
    pub request: [u8; 32],
    /// The cluster's key-ceremony epoch.
    pub epoch: u64,
}

impl RequestContext {
    /// Encoded length of [`RequestContext::to_bytes`].
    pub const LEN: usize = 104;

    /// The context as one hash part: `program id ‖ cluster ‖ request ‖ u64le(epoch)`.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..32].copy_from_slice(&self.program_id);
        out[32..64].copy_from_slice(&self.cluster);
        out[64..96].copy_from_slice(&self.request);
        out[96..].copy_from_slice(&self.epoch.to_le_bytes());
        out
    }
}

/// A proof `(c, z_s, z_r)`: 96 bytes, scalars 32-byte little-endian; `c` is a 128-bit
/// challenge (its upper 16 bytes are zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReencryptionProof {
    /// The challenge `c` (`< 2^128`).
    pub c: [u8; 32],
    /// `z_s = k_s + c·s_i`.
    pub z_s: [u8; 32],
    /// `z_r = k_r + c·r_i`.
    pub z_r: [u8; 32],
}

impl ReencryptionProof {
    /// Encoded length.
    pub const LEN: usize = 96;

    /// `c ‖ z_s ‖ z_r`.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..32].copy_from_slice(&self.c);
        out[32..64].copy_from_slice(&self.z_s);
        out[64..].copy_from_slice(&self.z_r);
        out
    }

    /// Splits 96 bytes; the scalars' canonicity is checked by [`verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes: &[u8; Self::LEN] = bytes.try_into().map_err(|_| Error::InvalidLength { what: "proof", expected: Self::LEN, got: bytes.len() })?;
        Ok(Self::from_array(bytes))
    }

    /// Splits `c ‖ z_s ‖ z_r`.
    pub fn from_array(bytes: &[u8; Self::LEN]) -> Self {
        let mut proof = ReencryptionProof { c: [0; 32], z_s: [0; 32], z_r: [0; 32] };
        proof.c.copy_from_slice(&bytes[..32]);
        proof.z_s.copy_from_slice(&bytes[32..64]);
        proof.z_r.copy_from_slice(&bytes[64..]);
        proof
    }
}

/// Node `index`'s partial re-encryption of one capsule, with its proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partial {
    /// The node's 1-based index (its Shamir x-coordinate).
    pub index: u16,
    /// `A_i = r_i·G`.
    pub a: [u8; 32],
    /// `E_i = s_i·C1 + r_i·P_R`.
    pub e: [u8; 32],
    /// The proof.
    pub proof: ReencryptionProof,
}

impl Partial {
    /// Encoded length of [`Partial::to_bytes`].
    pub const LEN: usize = 2 + 64 + ReencryptionProof::LEN;

    /// `u16le(index) ‖ A_i ‖ E_i ‖ proof`.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..2].copy_from_slice(&self.index.to_le_bytes());
        out[2..34].copy_from_slice(&self.a);
        out[34..66].copy_from_slice(&self.e);
        out[66..].copy_from_slice(&self.proof.to_bytes());
        out
    }

    /// The inverse of [`Partial::to_bytes`]; point and scalar validity is checked by [`verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != Self::LEN {
            return Err(Error::InvalidLength { what: "partial", expected: Self::LEN, got: bytes.len() });
        }
        let mut partial =
            Partial { index: u16::from_le_bytes([bytes[0], bytes[1]]), a: [0; 32], e: [0; 32], proof: ReencryptionProof::from_bytes(&bytes[66..])? };
        partial.a.copy_from_slice(&bytes[2..34]);
        partial.e.copy_from_slice(&bytes[34..66]);
        Ok(partial)
    }
}

/// The Fiat–Shamir challenge `c = H128("medshare/v1/reenc-proof", ctx, u16le(i), S_i, C1, P_R, A_i, E_i, T1, T2, T3)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn challenge(
    context: &RequestContext,
    index: u16,
    verification_share: &[u8; 32],
    c1: &[u8; 32],
    recipient: &[u8; 32],
    a: &[u8; 32],
    e: &[u8; 32],
    commitments: [&[u8; 32]; 3],
) -> [u8; 32] {
    let ctx = context.to_bytes();
    let index = index.to_le_bytes();
    challenge_128(DST_REENCRYPTION_PROOF, &[&ctx, &index, verification_share, c1, recipient, a, e, commitments[0], commitments[1], commitments[2]])
}

/// Verifies node `partial.index`'s partial against its verification share `S_i`, the
/// capsule's `C1` and the recipient key `P_R`, in `context`.
///
/// Recomputes `T1 = z_s·G − c·S_i`, `T2 = z_r·G − c·A_i`, `T3 = z_s·C1 + z_r·P_R − c·E_i`
/// (three multiscalar multiplications) and compares the challenge. All scalars must be
/// canonical, `c` below `2^128`, all points valid canonical encodings, and `A_i`, `E_i` not
/// the identity.
pub fn verify(context: &RequestContext, verification_share: &[u8; 32], c1: &[u8; 32], recipient: &[u8; 32], partial: &Partial) -> Result<()> {
    check_partial_shape(partial)?;
    let c = canonical_challenge(&partial.proof.c, "proof challenge c")?;
    let z_s = canonical_scalar_bytes(&partial.proof.z_s, "proof response z_s")?;
    let z_r = canonical_scalar_bytes(&partial.proof.z_r, "proof response z_r")?;
    let minus_c = negate(&c);
    let share = element(verification_share, "verification share S_i")?;
    let c1_point = element(c1, "capsule C1")?;
    let recipient_point = element(recipient, "recipient key P_R")?;
    let a = element(&partial.a, "partial A_i")?;
    let e = element(&partial.e, "partial E_i")?;
    let g = group::basepoint();
    let t = group::combinations(&[(&[z_s, minus_c], &[&g, &share]), (&[z_r, minus_c], &[&g, &a]), (&[z_s, z_r, minus_c], &[&c1_point, &recipient_point, &e])])?;
    let expected = challenge(context, partial.index, verification_share, c1, recipient, &partial.a, &partial.e, [&t[0], &t[1], &t[2]]);
    if expected == c { Ok(()) } else { Err(Error::InvalidProof) }
}

/// What every partial must satisfy before any curve operation: a non-zero index, and `A_i`,
/// `E_i` other than the identity (an identity `A_i` would make `E_i = s_i·C1` and hand the
/// recipient's side nothing to hide it).
pub(crate) fn check_partial_shape(partial: &Partial) -> Result<()> {
    if partial.index == 0 {
        return Err(Error::InvalidIndex(0));
    }
    if partial.a == IDENTITY {
        return Err(Error::IdentityPoint("partial A_i"));
    }
    if partial.e == IDENTITY {
        return Err(Error::IdentityPoint("partial E_i"));
    }
    Ok(())
}

#[cfg(feature = "std")]
impl crate::keys::KeyShare {
    /// This node's partial re-encryption of `capsule` to `recipient`, with its proof.
    /// Secret scalars (`s_i`, `r_i`, the proof nonces) are only used in constant-time code.
    pub fn reencrypt(
        &self,
        rng: &mut impl rand_core::CryptoRngCore,
        context: &RequestContext,
        capsule: &crate::record::Capsule,
        recipient: &crate::keys::PublicKey,
    ) -> Result<Partial> {
        use zeroize::Zeroize;
        // Draw the halves r', k_s', k_r' of r, k_s, k_r (uniform, so r = 2r' etc. are too).
        let mut halves = [(); 3].map(|_| curve25519_dalek::Scalar::random(rng));
        let partial = self.reencrypt_from_halves(context, capsule, recipient, &halves);
        halves.iter_mut().for_each(Zeroize::zeroize);
        partial
    }

    /// [`KeyShare::reencrypt`] with the nonces given as their halves `[r/2, k_s/2, k_r/2]`
    /// (test vectors publish `r`, `k_s`, `k_r`). Halving `s_i` too lets all five published
    /// points come out of one batched encoding.
    pub(crate) fn reencrypt_from_halves(
        &self,
        context: &RequestContext,
        capsule: &crate::record::Capsule,
        recipient: &crate::keys::PublicKey,
        halves: &[curve25519_dalek::Scalar; 3],
    ) -> Result<Partial> {
        use curve25519_dalek::{
            Scalar,
            constants::RISTRETTO_BASEPOINT_TABLE as G,
            ristretto::{CompressedRistretto, RistrettoPoint},
            traits::MultiscalarMul,
        };
        use zeroize::Zeroize;

        let c1 = CompressedRistretto(capsule.c1).decompress().ok_or(Error::InvalidPoint("capsule C1"))?;
        let [r_half, k_s_half, k_r_half] = halves;
        let mut s_half = self.secret * crate::group::half();
        let points = [
            r_half * G,
            RistrettoPoint::multiscalar_mul([s_half, *r_half], [c1, recipient.point]),
            k_s_half * G,
            k_r_half * G,
            RistrettoPoint::multiscalar_mul([*k_s_half, *k_r_half], [c1, recipient.point]),
        ];
        let encoded = RistrettoPoint::double_and_compress_batch(&points);
        let [a, e, t1, t2, t3] = [0, 1, 2, 3, 4].map(|i| encoded[i].to_bytes());
        let two = Scalar::from(2u64);
        let (mut r, mut k_s, mut k_r) = (two * r_half, two * k_s_half, two * k_r_half);
        let c_bytes = challenge(context, self.index, &self.verification_share.to_bytes(), &capsule.c1, &recipient.to_bytes(), &a, &e, [&t1, &t2, &t3]);
        let c = Scalar::from_bytes_mod_order(c_bytes);
        let proof = ReencryptionProof { c: c_bytes, z_s: (k_s + c * self.secret).to_bytes(), z_r: (k_r + c * r).to_bytes() };
        for secret in [&mut r, &mut k_s, &mut k_r, &mut s_half] {
            secret.zeroize();
        }
        Ok(Partial { index: self.index, a, e, proof })
    }
}
