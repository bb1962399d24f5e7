//! Partials and their re-encryption proofs: the decoders round-trip, wrong lengths are named
//! errors, and `reencrypt::verify` (the program's check) never panics.
//!
//! Layout: partial (162) ‖ request context: program id, cluster, request (32 each), epoch
//! (u64) ‖ `S_i` ‖ `C1` ‖ `P_R` (32 each) ‖ the rest, decoded as a partial of any length.
#![no_main]

use encrypted_circuits::{
    Error,
    reencrypt::{self, Partial, ReencryptionProof, RequestContext},
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let partial_bytes: [u8; Partial::LEN] = input.array();
    let context = RequestContext { program_id: input.array(), cluster: input.array(), request: input.array(), epoch: input.u64() };
    let (share, c1, recipient): ([u8; 32], [u8; 32], [u8; 32]) = (input.array(), input.array(), input.array());
    let tail = input.rest();

    let partial = Partial::from_bytes(&partial_bytes).expect("162 bytes are a partial");
    assert_eq!(partial.to_bytes(), partial_bytes, "Partial does not round-trip");
    let proof = ReencryptionProof::from_bytes(&partial_bytes[66..]).expect("96 bytes are a proof");
    assert_eq!(proof, partial.proof);
    assert_eq!(proof.to_bytes()[..], partial_bytes[66..], "ReencryptionProof does not round-trip");
    assert_eq!(ReencryptionProof::from_array(&proof.to_bytes()), proof);

    if tail.len() != Partial::LEN {
        assert_eq!(Partial::from_bytes(tail).unwrap_err(), Error::InvalidLength { what: "partial", expected: Partial::LEN, got: tail.len() });
    }
    if tail.len() != ReencryptionProof::LEN {
        assert!(matches!(ReencryptionProof::from_bytes(tail), Err(Error::InvalidLength { .. })));
    }

    if reencrypt::verify(&context, &share, &c1, &recipient, &partial).is_ok() {
        assert!(partial.index != 0 && partial.a != [0; 32] && partial.e != [0; 32], "verify accepted a malformed partial");
    }
});
