//! Proofs of possession: a user key's (`keys::verify_key_possession`) and a node's
//! transport key's (`ceremony::verify_transport_key`). Decoders round-trip; the program's
//! checks never panic and refuse the identity.
//!
//! Layout: mode (1; even = user key, odd = transport key) ‖ for a user key: wallet ‖ `P`
//! (32 each) ‖ proof `R ‖ z` (64); for a transport key: program id ‖ cluster ‖ authority ‖
//! `T` (32 each) ‖ proof (64) ‖ the rest, decoded as a proof of any length.
#![no_main]

use encrypted_circuits::{
    Error, ceremony,
    group::IDENTITY,
    keys::{self, KeyPossessionProof},
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    if input.u8() % 2 == 0 {
        let (wallet, public_key): ([u8; 32], [u8; 32]) = (input.array(), input.array());
        let proof_bytes: [u8; 64] = input.array();
        let proof = KeyPossessionProof::from_bytes(&proof_bytes).expect("64 bytes are a proof");
        assert_eq!(proof.to_bytes(), proof_bytes, "KeyPossessionProof does not round-trip");
        let tail = input.rest();
        if tail.len() != KeyPossessionProof::LEN {
            assert!(matches!(KeyPossessionProof::from_bytes(tail), Err(Error::InvalidLength { .. })));
        }
        if keys::verify_key_possession(&wallet, &public_key, &proof).is_ok() {
            assert_ne!(public_key, IDENTITY, "a proof for the identity was accepted");
            keys::PublicKey::from_bytes(&public_key, "P").expect("an accepted user key is a valid point");
        }
    } else {
        let (program_id, cluster, authority, transport_key): ([u8; 32], [u8; 32], [u8; 32], [u8; 32]) =
            (input.array(), input.array(), input.array(), input.array());
        let proof: [u8; 64] = input.array();
        if ceremony::verify_transport_key(&program_id, &cluster, &authority, &transport_key, &proof).is_ok() {
            keys::PublicKey::from_bytes(&transport_key, "T").expect("an accepted transport key is a valid non-identity point");
        }
    }
});
