//! AES-256-GCM with a random 96-bit nonce, stored as `nonce (12) ‖ ciphertext ‖ tag (16)`:
//! the one symmetric format of the crate (records and key-ceremony packages).

use crate::error::{Error, Result};
use aes_gcm::{
    Aes256Gcm, Key, KeyInit,
    aead::{AeadInOut, Nonce, Tag},
};
use alloc::vec::Vec;
use rand_core::CryptoRngCore;

/// Nonce length.
pub const NONCE_LEN: usize = 12;
/// Tag length.
pub const TAG_LEN: usize = 16;
/// Bytes a sealed message adds to its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// Encrypts `plaintext` under `key`, bound to `aad`.
pub fn seal(rng: &mut impl CryptoRngCore, key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    let tag = cipher
        .encrypt_inout_detached(&Nonce::<Aes256Gcm>::from(nonce), aad, (&mut out[NONCE_LEN..]).into())
        .expect("plaintext within AES-GCM's 64 GiB limit");
    out.extend_from_slice(&tag);
    out
}

/// Decrypts `nonce ‖ ciphertext ‖ tag`; any tampering or a wrong key or `aad` is
/// [`Error::DecryptionFailed`].
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
    if sealed.len() < OVERHEAD {
        return Err(Error::InvalidLength { what: "sealed message", expected: OVERHEAD, got: sealed.len() });
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    let mut buffer = ciphertext.to_vec();
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    let nonce = Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| Error::DecryptionFailed)?;
    let tag = Tag::<Aes256Gcm>::try_from(tag).map_err(|_| Error::DecryptionFailed)?;
    cipher
        .decrypt_inout_detached(&nonce, aad, buffer.as_mut_slice().into(), &tag)
        .map_err(|_| Error::DecryptionFailed)?;
    Ok(buffer)
}
