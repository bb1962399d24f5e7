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

/// `H(dst, parts…)`. `dst` is at most 255 bytes (all tags here are short constants).
pub fn hash_to_scalar(dst: &str, parts: &[&[u8]]) -> Scalar {
    let dst_len = [dst.len() as u8];
    let lengths: Vec<[u8; 4]> = parts.iter().map(|p| (p.len() as u32).to_le_bytes()).collect();
    let mut input: Vec<&[u8]> = Vec::with_capacity(3 + 2 * parts.len());
    input.push(&dst_len);
    input.push(dst.as_bytes());
    for (length, part) in lengths.iter().zip(parts) {
        input.push(length);
        input.push(part);
    }
    let mut wide = [0u8; 64];
    input.push(&[0x00]);
    wide[..32].copy_from_slice(&solana_sha256_hasher::hashv(&input).to_bytes());
    *input.last_mut().expect("pushed above") = &[0x01];
    wide[32..].copy_from_slice(&solana_sha256_hasher::hashv(&input).to_bytes());
    Scalar::from_bytes_mod_order_wide(&wide)
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
    fn part_boundaries_matter() {
        assert_ne!(hash_to_scalar("t", &[b"ab", b"c"]), hash_to_scalar("t", &[b"a", b"bc"]));
        assert_ne!(hash_to_scalar("t1", &[b"x"]), hash_to_scalar("t2", &[b"x"]));
    }
}
