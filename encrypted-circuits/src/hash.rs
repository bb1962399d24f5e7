//! `H(dst, p_1, …, p_k)`: hash to scalar, exactly as DESIGN §3.1 fixes it so that other
//! implementations interoperate.
//!
//! `X = u8(len(dst)) ‖ dst ‖ u32le(len(p_1)) ‖ p_1 ‖ … ‖ u32le(len(p_k)) ‖ p_k`, and the
//! result is the little-endian wide reduction mod ℓ of `SHA-256(X ‖ 0x00) ‖ SHA-256(X ‖ 0x01)`.
//! SHA-256 goes through `solana-sha256-hasher`: the `sol_sha256` syscall on chain, the
//! `sha2` crate elsewhere.

use alloc::vec::Vec;
use curve25519_dalek::Scalar;

/// Domain tag of the re-encryption proof challenge.
pub const DST_REENCRYPTION_PROOF: &str = "medshare/v1/reenc-proof";
/// Domain tag of the user key derived from a wallet signature.
pub const DST_USER_KEY: &str = "medshare/v1/user-key";
/// Domain tag of the proof of possession of a user key.
pub const DST_KEY_POSSESSION: &str = "medshare/v1/key-pop";
/// Domain tag of a cluster capsule's proof of knowledge of its randomness (its label).
pub const DST_CAPSULE_PROOF: &str = "medshare/v1/capsule-proof";
/// Domain tag of a key-ceremony dealer's proof of knowledge of its constant term.
pub const DST_DEALING: &str = "medshare/v1/dkg-dealing";
/// Domain tag of the pad that encrypts a key-ceremony sub-share (hashed with [`digest_256`]).
pub const DST_SHARE_PAD: &str = "medshare/v1/dkg-share-pad";
/// Domain tag of a key-ceremony complaint's Chaum–Pedersen proof.
pub const DST_COMPLAINT: &str = "medshare/v1/dkg-complaint";
/// Domain tag of a key-ceremony confirmation's proof of possession of the new share.
pub const DST_CONFIRM: &str = "medshare/v1/dkg-confirm";
/// Domain tag of the proof of possession of a node's transport key.
pub const DST_TRANSPORT_KEY: &str = "medshare/v1/transport-key-pop";

/// `X = u8(len(dst)) ‖ dst ‖ u32le(len(p_1)) ‖ p_1 ‖ … ‖ u32le(len(p_k)) ‖ p_k`, the framing
/// shared by [`hash_to_scalar`], [`challenge_128`] and [`digest_256`], in one buffer (one slice for the
/// `sol_sha256` syscall, which charges per slice).
fn framed(dst: &str, parts: &[&[u8]], suffix: usize) -> Vec<u8> {
    let len = 1 + dst.len() + parts.iter().map(|p| 4 + p.len()).sum::<usize>() + suffix;
    let mut input = Vec::with_capacity(len);
    input.push(dst.len() as u8);
    input.extend_from_slice(dst.as_bytes());
    for part in parts {
        input.extend_from_slice(&(part.len() as u32).to_le_bytes());
        input.extend_from_slice(part);
    }
    input
}

/// `H(dst, parts…)`. `dst` is at most 255 bytes (all tags here are short constants).
pub fn hash_to_scalar(dst: &str, parts: &[&[u8]]) -> Scalar {
    let mut input = framed(dst, parts, 1);
    let mut wide = [0u8; 64];
    input.push(0x00);
    wide[..32].copy_from_slice(&solana_sha256_hasher::hash(&input).to_bytes());
    *input.last_mut().expect("pushed above") = 0x01;
    wide[32..].copy_from_slice(&solana_sha256_hasher::hash(&input).to_bytes());
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// `H128(dst, parts…)`: the first 16 bytes of `SHA-256(X)` (same framing `X` as [`hash_to_scalar`]),
/// as a 32-byte little-endian scalar whose upper 16 bytes are zero.
///
/// The Fiat–Shamir challenge of every Sigma protocol here. Each has special soundness, so a
/// 128-bit challenge gives a knowledge error of `2^-128` and, in the random-oracle model,
/// 128-bit security, as for Schnorr signatures with half-length hashes (Schnorr, J. Cryptology
/// 1991; Neven, Smart and Warinschi, "Hash function requirements for Schnorr signatures",
/// J. Math. Cryptology 2009). It is below `ℓ` without any reduction, so the program verifies
/// proofs with one SHA-256 and no scalar arithmetic.
pub fn challenge_128(dst: &str, parts: &[&[u8]]) -> [u8; 32] {
    let digest = solana_sha256_hasher::hash(&framed(dst, parts, 0)).to_bytes();
    let mut challenge = [0u8; 32];
    challenge[..16].copy_from_slice(&digest[..16]);
    challenge
}

/// `SHA-256(X)`, all 32 bytes, with the framing `X` of [`hash_to_scalar`] and no suffix: the
/// pad that encrypts a key-ceremony sub-share. The framed input may hold a secret (the agreed
/// key `K_ij`); off chain it is erased after hashing.
pub fn digest_256(dst: &str, parts: &[&[u8]]) -> [u8; 32] {
    #[allow(unused_mut)]
    let mut input = framed(dst, parts, 0);
    let digest = solana_sha256_hasher::hash(&input).to_bytes();
    #[cfg(feature = "std")]
    zeroize::Zeroize::zeroize(&mut input);
    digest
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn matches_the_specified_framing() {
        let mut x = vec![3u8];
        x.extend_from_slice(b"tag");
        x.extend_from_slice(&2u32.to_le_bytes());
        x.extend_from_slice(b"ab");
        x.extend_from_slice(&0u32.to_le_bytes());
        let mut wide = [0u8; 64];
        wide[..32].copy_from_slice(&Sha256::digest([x.as_slice(), &[0]].concat()));
        wide[32..].copy_from_slice(&Sha256::digest([x.as_slice(), &[1]].concat()));
        assert_eq!(hash_to_scalar("tag", &[b"ab", b""]), Scalar::from_bytes_mod_order_wide(&wide));
    }

    #[test]
    fn the_128_bit_challenge_is_the_first_half_of_one_sha256() {
        let mut x = vec![3u8];
        x.extend_from_slice(b"tag");
        x.extend_from_slice(&2u32.to_le_bytes());
        x.extend_from_slice(b"ab");
        let digest = Sha256::digest(&x);
        let challenge = challenge_128("tag", &[b"ab"]);
        assert_eq!(challenge[..16], digest[..16]);
        assert_eq!(challenge[16..], [0u8; 16]);
    }

    #[test]
    fn the_256_bit_digest_is_one_whole_sha256_of_the_framing() {
        let mut x = vec![3u8];
        x.extend_from_slice(b"tag");
        x.extend_from_slice(&2u32.to_le_bytes());
        x.extend_from_slice(b"ab");
        x.extend_from_slice(&1u32.to_le_bytes());
        x.push(7);
        assert_eq!(digest_256("tag", &[b"ab", &[7]]), <[u8; 32]>::from(Sha256::digest(&x)));
        assert_eq!(digest_256("tag", &[b"ab", &[7]])[..16], challenge_128("tag", &[b"ab", &[7]])[..16]);
    }

    #[test]
    fn part_boundaries_matter() {
        assert_ne!(hash_to_scalar("t", &[b"ab", b"c"]), hash_to_scalar("t", &[b"a", b"bc"]));
        assert_ne!(hash_to_scalar("t1", &[b"x"]), hash_to_scalar("t2", &[b"x"]));
    }
}
