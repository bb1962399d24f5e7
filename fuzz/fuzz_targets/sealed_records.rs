//! The AEAD framing `nonce (12) ‖ ciphertext ‖ tag (16)` (the vault's) and sealed records
//! (the chunked STREAM format, docs/protocol.md §7.1.1): opening arbitrary bytes is a named
//! error (never a panic), and seal/open round-trips under the record's binding.
//!
//! Layout: key or record key point `M` (32) ‖ binding: program id, owner (32 each), record
//! id (u64), version (u32), address (32) ‖ the sealed bytes (the rest).
#![no_main]

use encrypted_circuits::{
    Error, aead,
    record::{self, RecordBinding, RecordKeyPoint},
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;
use rand::{SeedableRng, rngs::StdRng};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let key: [u8; 32] = input.array();
    let binding = RecordBinding { program_id: input.array(), owner: input.array(), record_id: input.u64(), version: input.u32(), address: input.array() };
    let sealed = input.rest();

    match aead::open(&key, &binding.aad(), sealed) {
        Ok(plaintext) => assert_eq!(plaintext.len() + aead::OVERHEAD, sealed.len()),
        Err(Error::InvalidLength { .. }) => assert!(sealed.len() < aead::OVERHEAD),
        Err(error) => assert_eq!(error, Error::DecryptionFailed),
    }
    // the same bytes as a record sealed under M = key (when key is a point)
    if let Ok(m) = RecordKeyPoint::from_bytes(&key) {
        match record::open(&binding, &m, sealed) {
            Ok(plaintext) => assert_eq!(encrypted_circuits::stream::ciphertext_len(plaintext.len() as u64), Ok(sealed.len() as u64)),
            Err(error) => assert!(
                matches!(error, Error::DecryptionFailed | Error::StreamTruncated | Error::StreamChunkInvalid { .. } | Error::StreamTrailingData),
                "{error:?}"
            ),
        }
    }

    // round trip: the input itself as plaintext, sealed under a key from the input
    let mut rng = StdRng::from_seed(key);
    let framed = aead::seal(&mut rng, &key, &binding.aad(), sealed);
    assert_eq!(framed.len(), sealed.len() + aead::OVERHEAD);
    assert_eq!(aead::open(&key, &binding.aad(), &framed).expect("opens what it sealed"), sealed);
    let mut other = binding;
    other.version = other.version.wrapping_add(1);
    assert_eq!(aead::open(&key, &other.aad(), &framed), Err(Error::DecryptionFailed), "opened under another record version");
});
