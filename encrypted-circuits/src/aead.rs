//! AES-256-GCM with a random 96-bit nonce, stored as `nonce (12) ‖ ciphertext ‖ tag (16)`:
//! the format of small secrets held whole (a node's vault). Record
//! payloads, of any size, are sealed in chunks by [`crate::stream`] over the same cipher.
//!
//! The cipher is `ring`'s (BoringSSL's stitched AES-NI/VAES + carry-less-multiply code):
//! measured here it seals 1 MiB at about 3× the speed of `aes-gcm` 0.11 and faster than
//! `openssl speed` (docs/BENCHMARKS.md), and it is already in the dependency graph.

use crate::error::{Error, Result};
use alloc::vec::Vec;
use rand_core::CryptoRngCore;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

/// Nonce length.
pub const NONCE_LEN: usize = 12;
/// Tag length.
pub const TAG_LEN: usize = 16;
/// Bytes a sealed message adds to its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

fn cipher(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key fits AES-256"))
}

/// Encrypts `plaintext` under `key`, bound to `aad`, with a fresh random nonce.
pub fn seal(rng: &mut impl CryptoRngCore, key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = encrypt_in_place(key, &nonce, aad, &mut out[NONCE_LEN..]);
    out.extend_from_slice(&tag);
    out
}

/// The bare cipher beneath [`seal`] and [`crate::stream`]: AES-256-GCM of `in_out` in place
/// under a caller's nonce, returning the tag. A nonce must never repeat under a key; use
/// [`seal`] unless you are measuring the cipher itself (`client/examples/seal_large.rs`).
///
/// # Panics
/// Above AES-GCM's limit of about 64 GiB per message.
pub fn encrypt_in_place(key: &[u8; 32], nonce: &[u8; NONCE_LEN], aad: &[u8], in_out: &mut [u8]) -> [u8; TAG_LEN] {
    let tag =
        cipher(key).seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), in_out).expect("plaintext within AES-GCM's 64 GiB limit");
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Decrypts `nonce ‖ ciphertext ‖ tag`; any tampering or a wrong key or `aad` is
/// [`Error::DecryptionFailed`].
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
    if sealed.len() < OVERHEAD {
        return Err(Error::InvalidLength { what: "sealed message", expected: OVERHEAD, got: sealed.len() });
    }
    let (nonce, ciphertext_and_tag) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Error::DecryptionFailed)?;
    let mut buffer = ciphertext_and_tag.to_vec();
    let plaintext_len = cipher(key).open_in_place(nonce, Aad::from(aad), &mut buffer).map_err(|_| Error::DecryptionFailed)?.len();
    buffer.truncate(plaintext_len);
    Ok(buffer)
}
