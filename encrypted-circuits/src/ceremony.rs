//! The key ceremony (DESIGN §3.5): Pedersen's distributed key generation with Feldman
//! commitments and each dealer's proof of knowledge of its constant term, verifiable
//! complaints that let anyone (the program) judge a disputed sub-share, and resharing of the
//! same key to a new member set and threshold — all checked on chain.
//!
//! - **Key generation** (Pedersen, EUROCRYPT '91; Feldman, FOCS '87; the proof of knowledge as
//!   in FROST's DKG, Komlo & Goldberg, SAC 2020; the qualified set and complaints as in
//!   Gennaro, Jarecki, Krawczyk & Rabin, J. Cryptology 2007): every dealer `i` shares a random
//!   `a_0`; `PK = Σ_{i∈Q} C_{i,0}`, and receiver `j`'s share is `s'_j = Σ_{i∈Q} s_ij`.
//! - **Resharing** (Desmedt & Jajodia 1997; checked against the old `S_i` as in Wong, Wang &
//!   Wing, IEEE SISW 2002): old holder `i` deals `a_0 = s_i`, and
//!   `s'_j = Σ_{i∈Q} λ_i·s_ij` with the Lagrange coefficients of `Q` at zero: the same `PK`.
//!
//! A dealing is one byte string, written to chain in chunks and checked when complete
//! ([`verify_dealing`]):
//!
//! ```text
//! D_i (32) ‖ c (32, bytes 16..32 zero) ‖ z (32) ‖ C_0 … C_{t'−1} (32·t') ‖ y_1 … y_16 (32·16)
//! ```
//!
//! where `D_i = d_i·G` is the dealer's ephemeral key, `(c, z)` its Schnorr proof of knowledge
//! of `a_0` (`c = H128("medshare/v1/dkg-dealing", program id, cluster, u64le(e), u16le(i),
//! D_i, C_0 ‖ … ‖ C_{t'−1}, R)`, `R = z·G − c·C_0`), `C_k = a_k·G` the commitments, and
//! `y_j = le32(f_i(j)) XOR SHA-256(X)` the sub-share of receiver `j` under the pad of
//! [`digest_256`] with `dst = "medshare/v1/dkg-share-pad"` and parts program id, cluster,
//! `u64le(e)`, `u16le(i)`, `u16le(j)`, `D_i`, `T_j`, `K_ij = d_i·T_j = τ_j·D_i`; slots of
//! members who are not receivers are zero.
//!
//! A receiver that finds its sub-share bad complains ([`complain`]) by revealing `K_ij` with
//! a Chaum–Pedersen proof that `log_G T_j = log_{D_i} K_ij`; the program decrypts the one
//! disputed sub-share and judges it ([`judge_complaint`]), as in ETHDKG (Schindler et al.,
//! 2019). Each receiver then confirms its new `S'_j` with a proof of possession, and the
//! program checks that the commitments fix it ([`verify_confirmation`]) with integer
//! Lagrange weights ([`share_weights`]), so that no scalar inversion happens on chain.
//!
//! Everything the program runs (this module outside the `std` feature) is `no_std + alloc`:
//! group operations only through [`group::combinations`], hashing only through
//! [`challenge_128`] and [`digest_256`], scalars as bytes. The nodes' side (dealing, opening,
//! complaining, finishing) needs `std` and is constant time in every secret.

use crate::{
    error::{Error, Result},
    group::{self, Element, IDENTITY, canonical_challenge, canonical_scalar_bytes, element, is_valid_public_point, negate},
    hash::{DST_COMPLAINT, DST_CONFIRM, DST_DEALING, DST_SHARE_PAD, DST_TRANSPORT_KEY, challenge_128, digest_256},
};
use alloc::{vec, vec::Vec};

pub use crate::error::DealingFault;

/// Member slots `1..=16`; the receivers and dealers of a ceremony are `u16` bit masks, bit
/// `j − 1` for member `j`.
pub const MAX_MEMBERS: usize = 16;

/// `D_i ‖ c ‖ z`: the bytes of a dealing before its commitments.
const HEADER_LEN: usize = 96;

/// Length of a dealing of threshold `t'`: `608 + 32·t'`.
pub const fn dealing_len(threshold: u8) -> usize {
    HEADER_LEN + 32 * threshold as usize + 32 * MAX_MEMBERS
}

/// Offset of receiver `j`'s encrypted sub-share `y_j` in a dealing of threshold `t'`:
/// `96 + 32·t' + 32·(j − 1)` (`j` in `1..=16`).
pub const fn encrypted_share_offset(threshold: u8, receiver: u16) -> usize {
    HEADER_LEN + 32 * threshold as usize + 32 * (receiver as usize - 1)
}

/// What every proof and pad of a ceremony is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CeremonyContext {
    /// The `medical_records` program id.
    pub program_id: [u8; 32],
    /// The cluster account.
    pub cluster: [u8; 32],
    /// The ceremony's epoch `e`.
    pub epoch: u64,
}

/// A borrowed, length-checked dealing (threshold `t'` = number of commitments). Its contents
/// are checked by [`verify_dealing`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DealingView<'a> {
    bytes: &'a [u8],
    threshold: u8,
}

impl<'a> DealingView<'a> {
    /// Checks `1 ≤ t' ≤ 16` ([`DealingFault::Threshold`]) and the length `608 + 32·t'`
    /// ([`Error::InvalidLength`]).
    pub fn parse(bytes: &'a [u8], threshold: u8) -> Result<Self> {
        if threshold == 0 || usize::from(threshold) > MAX_MEMBERS {
            return Err(Error::InvalidDealing(DealingFault::Threshold));
        }
        let expected = dealing_len(threshold);
        if bytes.len() != expected {
            return Err(Error::InvalidLength { what: "dealing", expected, got: bytes.len() });
        }
        Ok(DealingView { bytes, threshold })
    }

    fn field(&self, offset: usize) -> &'a [u8; 32] {
        let bytes: &'a [u8] = self.bytes;
        bytes[offset..offset + 32].try_into().expect("32 bytes inside a length-checked dealing")
    }

    /// The whole dealing.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The dealer's ephemeral key `D_i`.
    pub fn ephemeral_key(&self) -> &'a [u8; 32] {
        self.field(0)
    }

    /// The proof's challenge `c` (upper 16 bytes zero when well formed).
    pub fn proof_challenge(&self) -> &'a [u8; 32] {
        self.field(32)
    }

    /// The proof's response `z`.
    pub fn proof_response(&self) -> &'a [u8; 32] {
        self.field(64)
    }

    /// `C_0 ‖ … ‖ C_{t'−1}`, one hash part.
    pub fn commitments(&self) -> &'a [u8] {
        let bytes: &'a [u8] = self.bytes;
        &bytes[HEADER_LEN..HEADER_LEN + 32 * usize::from(self.threshold)]
    }

    /// `C_k`. Panics unless `k < t'`.
    pub fn commitment(&self, k: usize) -> &'a [u8; 32] {
        assert!(k < usize::from(self.threshold), "commitment index {k} out of range");
        self.field(HEADER_LEN + 32 * k)
    }

    /// `t'`.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// `y_j`, receiver `j`'s encrypted sub-share. Panics unless `j` is in `1..=16`.
    pub fn encrypted_share(&self, receiver: u16) -> &'a [u8; 32] {
        assert!((1..=MAX_MEMBERS as u16).contains(&receiver), "member index {receiver} out of range");
        self.field(encrypted_share_offset(self.threshold, receiver))
    }
}

/// A member index must be a slot `1..=16`.
fn check_index(index: u16) -> Result<()> {
    if index == 0 || usize::from(index) > MAX_MEMBERS { Err(Error::InvalidIndex(index)) } else { Ok(()) }
}

/// Whether `j` is in the bit mask `set`.
fn member_of(set: u16, j: u16) -> bool {
    set >> (j - 1) & 1 == 1
}

/// A canonical encoding, the identity allowed.
fn is_canonical_point(bytes: &[u8; 32]) -> bool {
    *bytes == IDENTITY || is_valid_public_point(bytes)
}

/// A non-negative 64-bit integer as a 32-byte little-endian scalar.
///
/// Every integer of the ceremony fits 64 bits (`j^k ≤ 16^15`, weights below `2^57`), and on
/// chain 64 bits is all there is: the SBF toolchain's 128-bit multiply and divide are
/// libcalls whose ABI does not match the runtime (docs/protocol.md §7.3), so no code that
/// runs in the program uses `u128`/`i128` arithmetic.
fn u64_scalar(value: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..8].copy_from_slice(&value.to_le_bytes());
    out
}

/// A signed 64-bit integer as a scalar mod ℓ.
fn i64_scalar(value: i64) -> [u8; 32] {
    let magnitude = u64_scalar(value.unsigned_abs());
    if value < 0 { negate(&magnitude) } else { magnitude }
}

/// `a·b` if it fits 64 bits, from 32-bit halves with wrapping multiplications only.
///
/// Not `checked_mul` (nor `(a·b)/a == b`, which LLVM folds back into it): on the SBF target an
/// overflow-checked 64-bit multiplication becomes the 128-bit `__multi3` libcall, and the
/// builtins the program links define it with another calling convention (it writes its result
/// through an operand as if it were a pointer: "Access violation writing 8 bytes at address
/// 0x9"). The same holds for a growing `Vec` (its size arithmetic), so code that runs on chain
/// allocates every vector at its final capacity. docs/protocol.md §7.3.
fn mul_u64(a: u64, b: u64) -> Option<u64> {
    const LOW: u64 = u32::MAX as u64;
    let (a1, a0, b1, b0) = (a >> 32, a & LOW, b >> 32, b & LOW);
    if a1 != 0 && b1 != 0 {
        return None;
    }
    // one of the two terms is zero, and each product of 32-bit halves fits 64 bits
    let cross = a1.wrapping_mul(b0).wrapping_add(a0.wrapping_mul(b1));
    if cross > LOW {
        return None;
    }
    a0.wrapping_mul(b0).checked_add(cross << 32)
}

/// `a·b` for signed integers, as [`mul_u64`] on the magnitudes.
fn mul_i64(a: i64, b: i64) -> Option<i64> {
    let magnitude = i64::try_from(mul_u64(a.unsigned_abs(), b.unsigned_abs())?).ok()?;
    Some(if (a < 0) != (b < 0) { -magnitude } else { magnitude })
}

/// `j^k` for `k = 0..t`, `t ≤ 16` and `j ≤ 16`: at most `16^15 = 2^60`.
fn powers(receiver: u16, count: usize) -> Result<Vec<u64>> {
    let mut out = Vec::with_capacity(count);
    let mut power: u64 = 1;
    for k in 0..count {
        if k > 0 {
            power = mul_u64(power, u64::from(receiver)).ok_or(Error::Ceremony("power overflow"))?;
        }
        out.push(power);
    }
    Ok(out)
}

fn xor32(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    core::array::from_fn(|n| a[n] ^ b[n])
}

/// The dealer's proof-of-knowledge challenge.
fn dealing_challenge(ctx: &CeremonyContext, dealer: u16, ephemeral: &[u8; 32], commitments: &[u8], r: &[u8; 32]) -> [u8; 32] {
    challenge_128(DST_DEALING, &[&ctx.program_id, &ctx.cluster, &ctx.epoch.to_le_bytes(), &dealer.to_le_bytes(), ephemeral, commitments, r])
}

/// `pad_ij = SHA-256(X)` for the share pad.
fn share_pad(ctx: &CeremonyContext, dealer: u16, receiver: u16, ephemeral: &[u8; 32], transport_key: &[u8; 32], agreed: &[u8; 32]) -> [u8; 32] {
    digest_256(
        DST_SHARE_PAD,
        &[&ctx.program_id, &ctx.cluster, &ctx.epoch.to_le_bytes(), &dealer.to_le_bytes(), &receiver.to_le_bytes(), ephemeral, transport_key, agreed],
    )
}

/// The complaint's Chaum–Pedersen challenge.
#[allow(clippy::too_many_arguments)]
fn complaint_challenge(
    ctx: &CeremonyContext,
    dealer: u16,
    receiver: u16,
    transport_key: &[u8; 32],
    ephemeral: &[u8; 32],
    agreed: &[u8; 32],
    r1: &[u8; 32],
    r2: &[u8; 32],
) -> [u8; 32] {
    challenge_128(
        DST_COMPLAINT,
        &[&ctx.program_id, &ctx.cluster, &ctx.epoch.to_le_bytes(), &dealer.to_le_bytes(), &receiver.to_le_bytes(), transport_key, ephemeral, agreed, r1, r2],
    )
}

/// The confirmation's proof-of-possession challenge.
fn confirm_challenge(ctx: &CeremonyContext, receiver: u16, share: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    challenge_128(DST_CONFIRM, &[&ctx.program_id, &ctx.cluster, &ctx.epoch.to_le_bytes(), &receiver.to_le_bytes(), share, r])
}

/// The transport key's proof-of-possession challenge.
fn transport_challenge(program_id: &[u8; 32], cluster: &[u8; 32], authority: &[u8; 32], transport_key: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    challenge_128(DST_TRANSPORT_KEY, &[program_id, cluster, authority, transport_key, r])
}

/// The program's check of a complete dealing of `dealer` (spec "When the last byte lands"):
/// `D_i` and every `C_k` canonical, `D_i` and `C_0` not the identity, for resharing
/// `C_0 = S_i` (`reshared_share`), the slots of members not in `receivers` all zero, and the
/// proof of knowledge of `a_0`. Each failure is [`Error::InvalidDealing`] with its own
/// [`DealingFault`]; the encrypted sub-shares themselves are judged only by complaints.
pub fn verify_dealing(ctx: &CeremonyContext, dealer: u16, dealing: &DealingView, receivers: u16, reshared_share: Option<&[u8; 32]>) -> Result<()> {
    check_index(dealer)?;
    let fault = |f| Err(Error::InvalidDealing(f));
    let ephemeral = dealing.ephemeral_key();
    if *ephemeral == IDENTITY {
        return fault(DealingFault::EphemeralKeyIdentity);
    }
    if !is_valid_public_point(ephemeral) {
        return fault(DealingFault::EphemeralKeyNotCanonical);
    }
    for k in 0..dealing.threshold() {
        if !is_canonical_point(dealing.commitment(usize::from(k))) {
            return fault(DealingFault::CommitmentNotCanonical { k });
        }
    }
    let constant = dealing.commitment(0);
    if *constant == IDENTITY {
        return fault(DealingFault::ConstantTermIdentity);
    }
    if reshared_share.is_some_and(|share| share != constant) {
        return fault(DealingFault::ConstantTermNotShare);
    }
    for member in 1..=MAX_MEMBERS as u16 {
        if !member_of(receivers, member) && *dealing.encrypted_share(member) != [0u8; 32] {
            return fault(DealingFault::NonZeroSlot { member });
        }
    }
    let c =
        canonical_challenge(dealing.proof_challenge(), "dealing proof challenge c").map_err(|_| Error::InvalidDealing(DealingFault::ChallengeNotCanonical))?;
    let z =
        canonical_scalar_bytes(dealing.proof_response(), "dealing proof response z").map_err(|_| Error::InvalidDealing(DealingFault::ResponseNotCanonical))?;
    let c0 = element(constant, "commitment C_0")?;
    let r = group::combinations(&[(&[z, negate(&c)], &[&group::basepoint(), &c0])])?;
    if dealing_challenge(ctx, dealer, ephemeral, dealing.commitments(), &r[0]) == c { Ok(()) } else { fault(DealingFault::ProofOfKnowledge) }
}

/// The program's judgement of a complaint whose proof verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComplaintVerdict {
    /// The disputed sub-share is not a scalar or does not match the commitments: the dealer
    /// is disqualified.
    Upheld,
    /// The disputed sub-share is what the commitments fix: the complainer is at fault.
    Dismissed,
}

/// `s·G − Σ_k j^k·C_k`, encoded (the identity iff receiver `j`'s sub-share `s` matches the
/// dealing's commitments). `s` must be canonical.
fn commitment_mismatch(receiver: u16, dealing: &DealingView, s: &[u8; 32]) -> Result<[u8; 32]> {
    let t = usize::from(dealing.threshold());
    let mut scalars = Vec::with_capacity(1 + t);
    let mut elements = Vec::with_capacity(t);
    scalars.push(*s);
    for (k, power) in powers(receiver, t)?.into_iter().enumerate() {
        scalars.push(negate(&u64_scalar(power)));
        elements.push(element(dealing.commitment(k), "commitment C_k")?);
    }
    let basepoint = group::basepoint();
    let mut points: Vec<&Element> = Vec::with_capacity(1 + t);
    points.push(&basepoint);
    points.extend(elements.iter());
    Ok(group::combinations(&[(&scalars, &points)])?[0])
}

/// The program's judgement of `complaint` (`K_ij ‖ c ‖ z`, 96 bytes) by `receiver` against
/// `dealer`'s (already accepted) `dealing`: first the Chaum–Pedersen proof that
/// `log_G T_j = log_{D_i} K_ij` ([`Error::InvalidComplaintProof`] if it does not verify or
/// `K_ij` is not a valid non-identity point); then `s_ij = y_j XOR pad_ij` is decrypted with
/// the revealed `K_ij` and the complaint is [`ComplaintVerdict::Upheld`] if `s_ij ≥ ℓ` or
/// `s_ij·G ≠ Σ_k j^k·C_k`, else [`ComplaintVerdict::Dismissed`].
///
/// The caller must check that `receiver` is in the ceremony's receivers `R` and pass its `T_j`
/// from the ceremony's snapshot: a non-receiver's slot is zero, so its "sub-share" is a pad
/// that matches nothing and its complaint would be upheld against an honest dealer.
pub fn judge_complaint(
    ctx: &CeremonyContext,
    dealer: u16,
    receiver: u16,
    receiver_transport_key: &[u8; 32],
    dealing: &DealingView,
    complaint: &[u8; 96],
) -> Result<ComplaintVerdict> {
    check_index(dealer)?;
    check_index(receiver)?;
    let agreed: &[u8; 32] = complaint[..32].try_into().expect("32 bytes");
    let c: &[u8; 32] = complaint[32..64].try_into().expect("32 bytes");
    let z: &[u8; 32] = complaint[64..].try_into().expect("32 bytes");
    if !is_valid_public_point(agreed) {
        return Err(Error::InvalidComplaintProof);
    }
    let c = canonical_challenge(c, "complaint challenge c").map_err(|_| Error::InvalidComplaintProof)?;
    let z = canonical_scalar_bytes(z, "complaint response z").map_err(|_| Error::InvalidComplaintProof)?;
    let ephemeral = dealing.ephemeral_key();
    let (t_point, d_point, k_point) =
        (element(receiver_transport_key, "receiver transport key T_j")?, element(ephemeral, "ephemeral key D_i")?, element(agreed, "agreed key K_ij")?);
    let minus_c = negate(&c);
    let r = group::combinations(&[(&[z, minus_c], &[&group::basepoint(), &t_point]), (&[z, minus_c], &[&d_point, &k_point])])?;
    if complaint_challenge(ctx, dealer, receiver, receiver_transport_key, ephemeral, agreed, &r[0], &r[1]) != c {
        return Err(Error::InvalidComplaintProof);
    }
    let s = xor32(dealing.encrypted_share(receiver), &share_pad(ctx, dealer, receiver, ephemeral, receiver_transport_key, agreed));
    let Ok(s) = canonical_scalar_bytes(&s, "sub-share s_ij") else {
        return Ok(ComplaintVerdict::Upheld);
    };
    if commitment_mismatch(receiver, dealing, &s)? == IDENTITY { Ok(ComplaintVerdict::Dismissed) } else { Ok(ComplaintVerdict::Upheld) }
}

/// Checks a qualified set: non-empty, every index in `1..=16`, strictly ascending.
fn check_qualified(qualified: &[u16]) -> Result<()> {
    if qualified.is_empty() {
        return Err(Error::Ceremony("the qualified set is empty"));
    }
    for (position, &i) in qualified.iter().enumerate() {
        check_index(i)?;
        if position > 0 {
            let previous = qualified[position - 1];
            if previous == i {
                return Err(Error::DuplicateIndex(i));
            }
            if previous > i {
                return Err(Error::Ceremony("the qualified dealers must be in ascending order"));
            }
        }
    }
    Ok(())
}

/// The qualified dealers' indices and their common threshold.
fn qualified_dealings(dealings: &[(u16, DealingView)]) -> Result<(Vec<u16>, u8)> {
    let qualified: Vec<u16> = dealings.iter().map(|(i, _)| *i).collect();
    check_qualified(&qualified)?;
    let threshold = dealings[0].1.threshold();
    if dealings.iter().any(|(_, dealing)| dealing.threshold() != threshold) {
        return Err(Error::Ceremony("the qualified dealings have different thresholds"));
    }
    Ok((qualified, threshold))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The integer weights of the confirmation check (spec "Confirmation"), for the qualified
/// dealers `Q` (ascending, distinct, in `1..=16`): `(L, [w_i])` with `L·s'_j = Σ w_i·s_ij`.
/// Key generation: `L = 1`, `w_i = 1`. Resharing: `den_i = Π_{m≠i}(m − i)`,
/// `num_i = Π_{m≠i} m`, `L = lcm_i |den_i|`, `w_i = num_i·L/den_i` (so `w_i/L = λ_i`), all
/// below `2^57` for every `Q ⊆ 1..16`; computed with checked arithmetic.
pub fn share_weights(qualified: &[u16], resharing: bool) -> Result<(u64, Vec<i64>)> {
    check_qualified(qualified)?;
    if !resharing {
        return Ok((1, vec![1; qualified.len()]));
    }
    let overflow = || Error::Ceremony("share weight overflow");
    let mut fractions = Vec::with_capacity(qualified.len());
    let mut lcm: u64 = 1;
    for &i in qualified {
        let (mut num, mut den) = (1i64, 1i64);
        for &m in qualified.iter().filter(|&&m| m != i) {
            num = mul_i64(num, i64::from(m)).ok_or_else(overflow)?;
            den = mul_i64(den, i64::from(m) - i64::from(i)).ok_or_else(overflow)?;
        }
        let magnitude = den.unsigned_abs();
        lcm = mul_u64(lcm / gcd(lcm, magnitude), magnitude).ok_or_else(overflow)?;
        fractions.push((num, den));
    }
    let mut weights = Vec::with_capacity(fractions.len());
    for (num, den) in fractions {
        let factor = i64::try_from(lcm / den.unsigned_abs()).map_err(|_| overflow())?;
        weights.push(mul_i64(num, factor).map(|w| if den < 0 { -w } else { w }).ok_or_else(overflow)?);
    }
    Ok((lcm, weights))
}

/// Folds one qualified dealing into the aggregated commitments with its integer weight:
/// `A_k ← A_k + w_i·C_{i,k}` for `k < t'` (`aggregate` holds `A_0..A_{t'-1}`, all the identity
/// before the first fold). After every dealing of `Q` is folded with the weights of
/// [`share_weights`], `A_k = Σ_{i∈Q} w_i·C_{i,k}`: the program keeps `A` in the ceremony account
/// (docs/protocol.md §3.5), so that a confirmation is checked against `t'` points instead of
/// reading every dealing. One [`group::combinations`] call with `t'` two-point sums.
pub fn fold_dealing(aggregate: &mut [[u8; 32]], dealing: &DealingView, weight: i64) -> Result<()> {
    let t = usize::from(dealing.threshold());
    if aggregate.len() != t {
        return Err(Error::Ceremony("the aggregate has one point per commitment"));
    }
    let weight = i64_scalar(weight);
    let mut elements = Vec::with_capacity(2 * t);
    for (k, current) in aggregate.iter().enumerate() {
        elements.push(element(current, "aggregate A_k")?);
        elements.push(element(dealing.commitment(k), "commitment C_k")?);
    }
    // preallocated and filled by loops: no vector grows on chain (docs/protocol.md §7.3)
    let mut pairs: Vec<[&Element; 2]> = Vec::with_capacity(t);
    for pair in elements.chunks(2) {
        pairs.push([&pair[0], &pair[1]]);
    }
    let scalars = [ONE, weight];
    let mut sums: Vec<(&[[u8; 32]], &[&Element])> = Vec::with_capacity(t);
    for pair in &pairs {
        sums.push((&scalars[..], &pair[..]));
    }
    let folded = group::combinations(&sums)?;
    aggregate.copy_from_slice(&folded);
    Ok(())
}

/// The program's check of receiver `j`'s confirmation against the aggregated commitments
/// `A_0..A_{t'-1}` of every qualified dealing ([`fold_dealing`]) and the weights'
/// denominator `L` ([`share_weights`]): `S'_j` (`verification_share`) a canonical
/// non-identity point; the proof of possession `c ‖ z` verifies
/// (`c = H128("medshare/v1/dkg-confirm", program id, cluster, u64le(e), u16le(j), S'_j, R)`,
/// `R = z·G − c·S'_j`; else [`Error::InvalidConfirmationProof`]); and
/// `L·S'_j = Σ_k j^k·A_k` (else [`Error::InvalidConfirmation`]). One
/// [`group::combinations`] call (two sums; the larger has `1 + t' ≤ 17` points).
pub fn verify_folded_confirmation(
    ctx: &CeremonyContext,
    receiver: u16,
    verification_share: &[u8; 32],
    proof: &[u8; 64],
    aggregate: &[[u8; 32]],
    weight_denominator: u64,
) -> Result<()> {
    check_index(receiver)?;
    if *verification_share == IDENTITY {
        return Err(Error::IdentityPoint("verification share S'_j"));
    }
    if !is_valid_public_point(verification_share) {
        return Err(Error::InvalidPoint("verification share S'_j"));
    }
    if aggregate.is_empty() || aggregate.len() > MAX_MEMBERS {
        return Err(Error::Ceremony("the aggregate has one point per commitment"));
    }
    let c = canonical_challenge(proof[..32].try_into().expect("32 bytes"), "confirmation challenge c").map_err(|_| Error::InvalidConfirmationProof)?;
    let z = canonical_scalar_bytes(proof[32..].try_into().expect("32 bytes"), "confirmation response z").map_err(|_| Error::InvalidConfirmationProof)?;
    let share = element(verification_share, "verification share S'_j")?;
    let mut scalars = Vec::with_capacity(1 + aggregate.len());
    let mut elements = Vec::with_capacity(aggregate.len());
    scalars.push(u64_scalar(weight_denominator));
    for (a, power) in aggregate.iter().zip(powers(receiver, aggregate.len())?) {
        scalars.push(negate(&u64_scalar(power)));
        elements.push(element(a, "aggregate A_k")?);
    }
    let mut points: Vec<&Element> = Vec::with_capacity(1 + elements.len());
    points.push(&share);
    points.extend(elements.iter());
    let out = group::combinations(&[(&[z, negate(&c)], &[&group::basepoint(), &share]), (&scalars, &points)])?;
    if confirm_challenge(ctx, receiver, verification_share, &out[0]) != c {
        return Err(Error::InvalidConfirmationProof);
    }
    if out[1] != IDENTITY {
        return Err(Error::InvalidConfirmation);
    }
    Ok(())
}

/// Receiver `j`'s confirmation checked against the qualified dealings themselves
/// (`(dealer, view)` ascending, all of one threshold): folds them with the weights of
/// [`share_weights`] and applies [`verify_folded_confirmation`] — what the program does
/// across its `fold_dealing` and `confirm_ceremony` instructions, in one call.
pub fn verify_confirmation(
    ctx: &CeremonyContext,
    receiver: u16,
    verification_share: &[u8; 32],
    proof: &[u8; 64],
    dealings: &[(u16, DealingView)],
    resharing: bool,
) -> Result<()> {
    check_index(receiver)?;
    let (qualified, threshold) = qualified_dealings(dealings)?;
    let (lcm, weights) = share_weights(&qualified, resharing)?;
    let mut aggregate = vec![IDENTITY; usize::from(threshold)];
    for ((_, dealing), weight) in dealings.iter().zip(&weights) {
        fold_dealing(&mut aggregate, dealing, *weight)?;
    }
    verify_folded_confirmation(ctx, receiver, verification_share, proof, &aggregate, lcm)
}

/// The program's check of a transport key `T` registered by `authority`: `T` a canonical
/// non-identity point and the proof `R ‖ z` valid: `z < ℓ` and `z·G − e·T = R` with
/// `e = H128("medshare/v1/transport-key-pop", program id, cluster, authority, T, R)`
/// (else [`Error::InvalidTransportKeyProof`]).
pub fn verify_transport_key(program_id: &[u8; 32], cluster: &[u8; 32], authority: &[u8; 32], transport_key: &[u8; 32], proof: &[u8; 64]) -> Result<()> {
    if *transport_key == IDENTITY {
        return Err(Error::IdentityPoint("transport key T"));
    }
    if !is_valid_public_point(transport_key) {
        return Err(Error::InvalidPoint("transport key T"));
    }
    let r: &[u8; 32] = proof[..32].try_into().expect("32 bytes");
    let z = canonical_scalar_bytes(proof[32..].try_into().expect("32 bytes"), "transport key proof z").map_err(|_| Error::InvalidTransportKeyProof)?;
    let e = transport_challenge(program_id, cluster, authority, transport_key, r);
    let point = element(transport_key, "transport key T")?;
    let commitment = group::combinations(&[(&[z, negate(&e)], &[&group::basepoint(), &point])])?;
    if commitment[0] == *r { Ok(()) } else { Err(Error::InvalidTransportKeyProof) }
}

/// `1` as a scalar.
const ONE: [u8; 32] = {
    let mut one = [0u8; 32];
    one[0] = 1;
    one
};

/// `A + B` (for the program's running sum `PK = Σ C_{i,0}`; either may be the identity).
pub fn add_points(a: &[u8; 32], b: &[u8; 32]) -> Result<[u8; 32]> {
    let (a, b) = (element(a, "point A")?, element(b, "point B")?);
    Ok(group::combinations(&[(&[ONE, ONE], &[&a, &b])])?[0])
}

/// `A − B` (a disqualified dealer's `C_0` leaves the running sum; either may be the identity).
pub fn subtract_points(a: &[u8; 32], b: &[u8; 32]) -> Result<[u8; 32]> {
    let (a, b) = (element(a, "point A")?, element(b, "point B")?);
    Ok(group::combinations(&[(&[ONE, negate(&ONE)], &[&a, &b])])?[0])
}

#[cfg(feature = "std")]
pub use secret::*;

#[cfg(feature = "std")]
mod secret {
    use super::*;
    use crate::{
        group::canonical_scalar,
        keys::{KeyShare, PublicKey},
        threshold::lagrange_at_zero,
    };
    use alloc::collections::BTreeMap;
    use curve25519_dalek::{
        Scalar,
        constants::RISTRETTO_BASEPOINT_TABLE as G,
        ristretto::{CompressedRistretto, RistrettoPoint},
        traits::VartimeMultiscalarMul,
    };
    use rand_core::CryptoRngCore;
    use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

    fn random_nonzero(rng: &mut impl CryptoRngCore) -> Scalar {
        loop {
            let x = Scalar::random(rng);
            if x != Scalar::ZERO {
                return x;
            }
        }
    }

    /// A node's Ristretto255 transport key `τ` (non-zero; `T = τ·G` is registered on chain).
    /// Zeroised on drop; never printed.
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct TransportSecret(Scalar);

    impl core::fmt::Debug for TransportSecret {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("TransportSecret(..)")
        }
    }

    impl TransportSecret {
        /// A fresh key.
        pub fn random(rng: &mut impl CryptoRngCore) -> Self {
            TransportSecret(random_nonzero(rng))
        }

        /// From its stored 32 bytes: a canonical non-zero scalar.
        pub fn from_bytes(bytes: [u8; 32]) -> Result<Self> {
            let bytes = Zeroizing::new(bytes);
            let tau = canonical_scalar(&bytes, "transport secret")?;
            if tau == Scalar::ZERO {
                return Err(Error::InvalidScalar("transport secret"));
            }
            Ok(TransportSecret(tau))
        }

        /// The stored 32 bytes.
        pub fn to_bytes(&self) -> [u8; 32] {
            self.0.to_bytes()
        }

        /// `T = τ·G`, to register.
        pub fn public_key(&self) -> [u8; 32] {
            (&self.0 * G).compress().to_bytes()
        }

        /// The proof of possession `R ‖ z` that [`verify_transport_key`] checks, bound to the
        /// program, the cluster and the member's authority.
        pub fn prove_possession(&self, rng: &mut impl CryptoRngCore, program_id: &[u8; 32], cluster: &[u8; 32], authority: &[u8; 32]) -> [u8; 64] {
            let k = Zeroizing::new(Scalar::random(rng));
            self.prove_possession_with(&k, program_id, cluster, authority)
        }

        /// [`TransportSecret::prove_possession`] with a given nonce (test vectors).
        pub(crate) fn prove_possession_with(&self, k: &Scalar, program_id: &[u8; 32], cluster: &[u8; 32], authority: &[u8; 32]) -> [u8; 64] {
            let r = (k * G).compress().to_bytes();
            let e = Scalar::from_bytes_mod_order(transport_challenge(program_id, cluster, authority, &self.public_key(), &r));
            let mut out = [0u8; 64];
            out[..32].copy_from_slice(&r);
            out[32..].copy_from_slice(&(k + e * self.0).to_bytes());
            out
        }
    }

    /// `f(x)` by Horner's rule (constant time).
    fn evaluate(coefficients: &[Scalar], x: u16) -> Zeroizing<Scalar> {
        let x = Scalar::from(x);
        let mut value = Zeroizing::new(Scalar::ZERO);
        for a in coefficients.iter().rev() {
            *value = *value * x + a;
        }
        value
    }

    /// Deals for `dealer` in ceremony `ctx` with threshold `t'` (`2 ≤ t' ≤ |R|`): returns the
    /// dealing's bytes. `receivers` maps every receiver `j ∈ R` (the dealer included if it is
    /// one) to its transport key `T_j`. `reshared_share` is the dealer's own share for
    /// resharing (`a_0 = s_i`), `None` for key generation (`a_0` random). The polynomial and
    /// `d_i` are erased before this returns.
    pub fn deal(
        rng: &mut impl CryptoRngCore,
        ctx: &CeremonyContext,
        dealer: u16,
        threshold: u8,
        receivers: &BTreeMap<u16, [u8; 32]>,
        reshared_share: Option<&KeyShare>,
    ) -> Result<Vec<u8>> {
        check_deal(dealer, threshold, receivers)?;
        let mut coefficients: Zeroizing<Vec<Scalar>> = Zeroizing::new(Vec::with_capacity(usize::from(threshold)));
        match reshared_share {
            Some(share) if share.index() != dealer => return Err(Error::Ceremony("the reshared share is not the dealer's")),
            Some(share) => coefficients.push(share.secret),
            None => coefficients.push(random_nonzero(rng)),
        }
        while coefficients.len() < usize::from(threshold) {
            coefficients.push(Scalar::random(rng));
        }
        let nonce = Zeroizing::new(Scalar::random(rng));
        let ephemeral = Zeroizing::new(random_nonzero(rng));
        deal_with(ctx, dealer, &coefficients, &nonce, &ephemeral, receivers)
    }

    fn check_deal(dealer: u16, threshold: u8, receivers: &BTreeMap<u16, [u8; 32]>) -> Result<()> {
        check_index(dealer)?;
        if threshold < 2 || usize::from(threshold) > receivers.len() || usize::from(threshold) > MAX_MEMBERS {
            return Err(Error::Ceremony("the threshold must satisfy 2 <= t' <= |R|"));
        }
        for &j in receivers.keys() {
            check_index(j)?;
        }
        Ok(())
    }

    /// [`deal`] with given randomness: the coefficients `a_0 … a_{t'−1}`, the proof's nonce
    /// `k` and the ephemeral `d_i` (test vectors).
    pub(crate) fn deal_with(
        ctx: &CeremonyContext,
        dealer: u16,
        coefficients: &[Scalar],
        nonce: &Scalar,
        ephemeral: &Scalar,
        receivers: &BTreeMap<u16, [u8; 32]>,
    ) -> Result<Vec<u8>> {
        let threshold = u8::try_from(coefficients.len()).map_err(|_| Error::Ceremony("too many coefficients"))?;
        check_deal(dealer, threshold, receivers)?;
        if *ephemeral == Scalar::ZERO {
            return Err(Error::InvalidScalar("ephemeral key d_i"));
        }
        let transport_keys =
            receivers.iter().map(|(&j, key)| Ok((j, key, PublicKey::from_bytes(key, "receiver transport key T_j")?))).collect::<Result<Vec<_>>>()?;
        let t = usize::from(threshold);
        let mut out = vec![0u8; dealing_len(threshold)];
        let d = (ephemeral * G).compress().to_bytes();
        out[..32].copy_from_slice(&d);
        for (k, a) in coefficients.iter().enumerate() {
            out[HEADER_LEN + 32 * k..HEADER_LEN + 32 * k + 32].copy_from_slice(&(a * G).compress().to_bytes());
        }
        if out[HEADER_LEN..HEADER_LEN + 32] == IDENTITY {
            return Err(Error::InvalidScalar("constant term a_0"));
        }
        let r = (nonce * G).compress().to_bytes();
        let c = dealing_challenge(ctx, dealer, &d, &out[HEADER_LEN..HEADER_LEN + 32 * t], &r);
        let z = nonce + Scalar::from_bytes_mod_order(c) * coefficients[0];
        out[32..64].copy_from_slice(&c);
        out[64..96].copy_from_slice(&z.to_bytes());
        for (j, key, point) in transport_keys {
            let agreed = Zeroizing::new((point.point * ephemeral).compress().to_bytes());
            let pad = Zeroizing::new(share_pad(ctx, dealer, j, &d, key, &agreed));
            let share = Zeroizing::new(evaluate(coefficients, j).to_bytes());
            let offset = encrypted_share_offset(threshold, j);
            out[offset..offset + 32].copy_from_slice(&xor32(&share, &pad));
        }
        Ok(out)
    }

    /// `Σ_k j^k·C_k`, the point receiver `j`'s sub-share must be the logarithm of (public).
    fn committed_value(receiver: u16, dealing: &DealingView, what: Error) -> Result<RistrettoPoint> {
        let mut powers = Vec::with_capacity(usize::from(dealing.threshold()));
        let mut points = Vec::with_capacity(usize::from(dealing.threshold()));
        let mut power = Scalar::ONE;
        for k in 0..usize::from(dealing.threshold()) {
            points.push(CompressedRistretto(*dealing.commitment(k)).decompress().ok_or_else(|| what.clone())?);
            powers.push(power);
            power *= Scalar::from(receiver);
        }
        Ok(RistrettoPoint::vartime_multiscalar_mul(powers, points))
    }

    /// Decrypts and checks receiver `j`'s sub-share of `dealer`'s dealing.
    fn sub_share(ctx: &CeremonyContext, dealer: u16, receiver: u16, transport: &TransportSecret, dealing: &DealingView) -> Result<Zeroizing<Scalar>> {
        check_index(dealer)?;
        check_index(receiver)?;
        let bad = Error::BadDealing { dealer };
        let ephemeral = dealing.ephemeral_key();
        let d_point = CompressedRistretto(*ephemeral).decompress().ok_or_else(|| bad.clone())?;
        let agreed = Zeroizing::new((d_point * transport.0).compress().to_bytes());
        let pad = Zeroizing::new(share_pad(ctx, dealer, receiver, ephemeral, &transport.public_key(), &agreed));
        let bytes = Zeroizing::new(xor32(dealing.encrypted_share(receiver), &pad));
        let s = Zeroizing::new(Option::<Scalar>::from(Scalar::from_canonical_bytes(*bytes)).ok_or_else(|| bad.clone())?);
        if &*s * G != committed_value(receiver, dealing, bad.clone())? {
            return Err(bad);
        }
        Ok(s)
    }

    /// Receiver `j`'s side: decrypts its sub-share `s_ij` of `dealer`'s dealing and checks
    /// `s_ij < ℓ` and `s_ij·G = Σ_k j^k·C_k`; [`Error::BadDealing`] naming the dealer if not
    /// (then [`complain`]). The dealing's public checks are the program's ([`verify_dealing`]).
    pub fn open_sub_share(
        ctx: &CeremonyContext,
        dealer: u16,
        receiver: u16,
        transport: &TransportSecret,
        dealing: &DealingView,
    ) -> Result<Zeroizing<[u8; 32]>> {
        Ok(Zeroizing::new(sub_share(ctx, dealer, receiver, transport, dealing)?.to_bytes()))
    }

    /// Receiver `j`'s complaint against `dealer`: `K_ij ‖ c ‖ z` (96 bytes), revealing
    /// `K_ij = τ_j·D_i` with a Chaum–Pedersen proof that `log_G T_j = log_{D_i} K_ij`. It opens
    /// only the one sub-share `dealer` owed `j`. Fails only if `D_i` is not a valid point
    /// (which the program has already refused).
    pub fn complain(
        rng: &mut impl CryptoRngCore,
        ctx: &CeremonyContext,
        dealer: u16,
        receiver: u16,
        transport: &TransportSecret,
        dealing: &DealingView,
    ) -> Result<[u8; 96]> {
        let w = Zeroizing::new(Scalar::random(rng));
        complain_with(ctx, dealer, receiver, transport, dealing, &w)
    }

    /// [`complain`] with a given nonce `w` (test vectors).
    pub(crate) fn complain_with(
        ctx: &CeremonyContext,
        dealer: u16,
        receiver: u16,
        transport: &TransportSecret,
        dealing: &DealingView,
        w: &Scalar,
    ) -> Result<[u8; 96]> {
        check_index(dealer)?;
        check_index(receiver)?;
        let ephemeral = dealing.ephemeral_key();
        let d_point = CompressedRistretto(*ephemeral).decompress().ok_or(Error::InvalidPoint("ephemeral key D_i"))?;
        let agreed = (d_point * transport.0).compress().to_bytes();
        let (r1, r2) = ((w * G).compress().to_bytes(), (d_point * w).compress().to_bytes());
        let c = complaint_challenge(ctx, dealer, receiver, &transport.public_key(), ephemeral, &agreed, &r1, &r2);
        let z = w + Scalar::from_bytes_mod_order(c) * transport.0;
        let mut out = [0u8; 96];
        out[..32].copy_from_slice(&agreed);
        out[32..64].copy_from_slice(&c);
        out[64..].copy_from_slice(&z.to_bytes());
        Ok(out)
    }

    /// A receiver's result: its new share `(j, s'_j, S'_j)` and the confirmation's proof of
    /// possession `c ‖ z` that [`verify_confirmation`] checks.
    #[derive(Debug)]
    pub struct Finished {
        /// `s'_j` and `S'_j`.
        pub share: KeyShare,
        /// `c ‖ z`.
        pub proof: [u8; 64],
    }

    /// `λ_i` for each qualified dealer: 1 (key generation) or the Lagrange coefficient at 0.
    fn coefficients(qualified: &[u16], resharing: bool) -> Result<Vec<Scalar>> {
        if resharing { lagrange_at_zero(qualified) } else { Ok(vec![Scalar::ONE; qualified.len()]) }
    }

    /// Receiver `j`'s new share from the qualified dealings (`(dealer, view)`, ascending):
    /// `s'_j = Σ_{i∈Q} λ_i·s_ij` with `λ_i = 1` (key generation) or the Lagrange coefficients
    /// of `Q` at zero (resharing), and the proof of possession of `s'_j` for the confirmation.
    /// [`Error::BadDealing`] names the first dealer whose sub-share is bad (complain, and
    /// finish again once the program has removed it from `Q`).
    pub fn finish(
        rng: &mut impl CryptoRngCore,
        ctx: &CeremonyContext,
        receiver: u16,
        transport: &TransportSecret,
        dealings: &[(u16, DealingView)],
        resharing: bool,
    ) -> Result<Finished> {
        let k = Zeroizing::new(Scalar::random(rng));
        finish_with(ctx, receiver, transport, dealings, resharing, &k)
    }

    /// [`finish`] with a given proof nonce `k` (test vectors).
    pub(crate) fn finish_with(
        ctx: &CeremonyContext,
        receiver: u16,
        transport: &TransportSecret,
        dealings: &[(u16, DealingView)],
        resharing: bool,
        k: &Scalar,
    ) -> Result<Finished> {
        check_index(receiver)?;
        let (qualified, _) = qualified_dealings(dealings)?;
        let lambdas = coefficients(&qualified, resharing)?;
        let mut secret = Zeroizing::new(Scalar::ZERO);
        for ((dealer, dealing), lambda) in dealings.iter().zip(&lambdas) {
            let s = sub_share(ctx, *dealer, receiver, transport, dealing)?;
            *secret += lambda * *s;
        }
        let verification_share = PublicKey::from_point(&*secret * G, "verification share S'_j")?;
        let share = KeyShare { index: receiver, secret: *secret, verification_share };
        let r = (k * G).compress().to_bytes();
        let c = confirm_challenge(ctx, receiver, &verification_share.to_bytes(), &r);
        let z = k + Scalar::from_bytes_mod_order(c) * share.secret;
        let mut proof = [0u8; 64];
        proof[..32].copy_from_slice(&c);
        proof[32..].copy_from_slice(&z.to_bytes());
        Ok(Finished { share, proof })
    }

    /// The key a key generation makes: `PK = Σ_{i∈Q} C_{i,0}` over the qualified dealings.
    pub fn group_key(dealings: &[(u16, DealingView)]) -> Result<PublicKey> {
        if dealings.is_empty() {
            return Err(Error::Ceremony("the qualified set is empty"));
        }
        let mut sum = RistrettoPoint::default();
        for (_, dealing) in dealings {
            sum += CompressedRistretto(*dealing.commitment(0)).decompress().ok_or(Error::InvalidPoint("commitment C_0"))?;
        }
        PublicKey::from_point(sum, "cluster key PK")
    }

    /// The verification share `S'_j = Σ_{i∈Q} λ_i·Σ_k j^k·C_{i,k}` that the qualified
    /// dealings' commitments fix for receiver `j` (public: status displays, self-checks).
    pub fn verification_share(receiver: u16, dealings: &[(u16, DealingView)], resharing: bool) -> Result<PublicKey> {
        check_index(receiver)?;
        let (qualified, _) = qualified_dealings(dealings)?;
        let lambdas = coefficients(&qualified, resharing)?;
        let mut sum = RistrettoPoint::default();
        for ((_, dealing), lambda) in dealings.iter().zip(&lambdas) {
            sum += committed_value(receiver, dealing, Error::InvalidPoint("commitment C_k"))? * lambda;
        }
        PublicKey::from_point(sum, "verification share S'_j")
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use curve25519_dalek::Scalar;

    #[test]
    fn the_layout_is_the_specified_one() {
        assert_eq!(dealing_len(1), 640);
        assert_eq!(dealing_len(16), 608 + 512);
        assert_eq!(encrypted_share_offset(3, 1), 96 + 96);
        assert_eq!(encrypted_share_offset(3, 16) + 32, dealing_len(3));
        let bytes: Vec<u8> = (0..dealing_len(2)).map(|n| (n / 32) as u8).collect();
        let view = DealingView::parse(&bytes, 2).unwrap();
        assert_eq!(view.ephemeral_key(), &[0; 32]);
        assert_eq!(view.proof_challenge(), &[1; 32]);
        assert_eq!(view.proof_response(), &[2; 32]);
        assert_eq!(view.commitment(1), &[4; 32]);
        assert_eq!(view.encrypted_share(1), &[5; 32]);
        assert_eq!(view.encrypted_share(16), &[20; 32]);
        assert_eq!(view.commitments().len(), 64);
        assert_eq!(DealingView::parse(&bytes[1..], 2).unwrap_err(), Error::InvalidLength { what: "dealing", expected: 672, got: 671 });
        assert_eq!(DealingView::parse(&bytes, 0).unwrap_err(), Error::InvalidDealing(DealingFault::Threshold));
        assert_eq!(DealingView::parse(&vec![0; dealing_len(17)], 17).unwrap_err(), Error::InvalidDealing(DealingFault::Threshold));
    }

    #[test]
    fn integers_encode_as_scalars() {
        assert_eq!(i64_scalar(-5), (-Scalar::from(5u64)).to_bytes());
        assert_eq!(i64_scalar(1 << 60), (Scalar::from(1u64 << 60)).to_bytes());
        assert_eq!(i64_scalar(i64::MIN), (-Scalar::from(1u64 << 63)).to_bytes());
        assert_eq!(i64_scalar(0), [0; 32]);
        assert_eq!(powers(16, 16).unwrap()[15], 1 << 60);
        assert_eq!(mul_u64(1 << 32, 1 << 31), Some(1 << 63));
        assert_eq!(mul_u64(1 << 32, 1 << 32), None);
        assert_eq!(mul_i64(-3, 5), Some(-15));
        assert_eq!(mul_i64(-(1 << 31), -(1 << 32)), None);
        assert_eq!(mul_i64(0, i64::MIN), Some(0));
    }

    #[test]
    fn points_add_and_subtract() {
        use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
        let (p, q) = (G * Scalar::from(5u64), G * Scalar::from(9u64));
        let (pb, qb) = (p.compress().to_bytes(), q.compress().to_bytes());
        assert_eq!(add_points(&pb, &qb).unwrap(), (p + q).compress().to_bytes());
        assert_eq!(subtract_points(&pb, &qb).unwrap(), (p - q).compress().to_bytes());
        assert_eq!(add_points(&IDENTITY, &qb).unwrap(), qb);
        assert_eq!(subtract_points(&qb, &qb).unwrap(), IDENTITY);
        assert!(add_points(&[0xff; 32], &qb).is_err());
    }

    /// `Σ w_i·g(i) = L·g(0)` for a polynomial `g` of degree `|Q| − 1`.
    fn weights_interpolate(qualified: &[u16], seed: u64) {
        use rand::{SeedableRng, rngs::StdRng};
        let mut rng = StdRng::seed_from_u64(seed);
        let g: Vec<Scalar> = (0..qualified.len()).map(|_| Scalar::random(&mut rng)).collect();
        let at = |x: u16| g.iter().rev().fold(Scalar::ZERO, |acc, a| acc * Scalar::from(x) + a);
        let (lcm, weights) = share_weights(qualified, true).unwrap();
        let scalar = |v: i64| Scalar::from_canonical_bytes(i64_scalar(v)).unwrap();
        let sum: Scalar = qualified.iter().zip(&weights).map(|(&i, &w)| scalar(w) * at(i)).sum();
        assert_eq!(sum, Scalar::from(lcm) * at(0), "Q = {qualified:?}");
    }

    #[test]
    fn share_weights_interpolate() {
        for (seed, qualified) in [&[1u16, 2][..], &[1, 2, 4], &[3, 7, 9, 16], &[2, 5, 6, 8, 11, 13, 14], &(1..=16).collect::<Vec<_>>()].iter().enumerate() {
            weights_interpolate(qualified, seed as u64);
        }
        assert_eq!(share_weights(&[1, 2, 3], false).unwrap(), (1, vec![1, 1, 1]));
        // Q = {1, 2}: λ_1 = 2, λ_2 = −1
        assert_eq!(share_weights(&[1, 2], true).unwrap(), (1, vec![2, -1]));
        // Q = {1, 2, 4}: den = (3, −2, 6), num = (8, 4, 2), L = lcm(3, 2, 6) = 6 (not the
        // least common denominator of λ = (8/3, −2, 1/3), which is 3: the spec fixes L)
        assert_eq!(share_weights(&[1, 2, 4], true).unwrap(), (6, vec![16, -12, 2]));
        assert_eq!(share_weights(&[], true).unwrap_err(), Error::Ceremony("the qualified set is empty"));
        assert_eq!(share_weights(&[2, 2], true).unwrap_err(), Error::DuplicateIndex(2));
        assert_eq!(share_weights(&[0, 2], true).unwrap_err(), Error::InvalidIndex(0));
        assert_eq!(share_weights(&[3, 17], true).unwrap_err(), Error::InvalidIndex(17));
        assert!(share_weights(&[3, 2], true).is_err());
    }

    /// Every `Q ⊆ 1..16` with at least two members: no overflow and everything below `2^57`.
    #[test]
    fn share_weights_are_small_for_every_qualified_set() {
        let mut largest: u64 = 0;
        let mut qualified = Vec::with_capacity(16);
        for mask in 1u32..1 << 16 {
            if mask.count_ones() < 2 {
                continue;
            }
            qualified.clear();
            qualified.extend((1..=16u16).filter(|j| mask >> (j - 1) & 1 == 1));
            let (lcm, weights) = share_weights(&qualified, true).unwrap();
            largest = weights.iter().map(|w| w.unsigned_abs()).fold(largest.max(lcm), u64::max);
        }
        assert!(largest < 1 << 57, "largest weight or L: {largest}");
        println!("largest |w_i| or L over all qualified sets: {largest} (2^{:.2})", (largest as f64).log2());
    }
}
