//! AES-256-GCM with a random 96-bit nonce, stored as `nonce (12) ‖ ciphertext ‖ tag (16)`:
//! the one symmetric format of the crate (records and key-ceremony packages).
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
    let tag = cipher(key)
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut out[NONCE_LEN..])
        .expect("plaintext within AES-GCM's 64 GiB limit");
    out.extend_from_slice(tag.as_ref());
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
