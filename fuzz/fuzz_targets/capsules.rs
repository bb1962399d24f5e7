//! Capsules and capsule proofs: the decoders round-trip, wrong lengths are named errors, and
//! `capsule::verify` (the program's check) never panics and accepts only decodable capsules.
//!
//! Layout: capsule `C1 ‖ C2` (64) ‖ proof `c ‖ z` (64) ‖ label: program id, cluster, cluster
//! key, owner, record (32 each), version (u32) ‖ the rest, decoded as a capsule of any length.
#![no_main]

use encrypted_circuits::{
    Error,
    capsule::{self, CapsuleLabel, CapsuleProof},
    keys::UserSecretKey,
    record::Capsule,
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let capsule_bytes: [u8; 64] = input.array();
    let proof_bytes: [u8; 64] = input.array();
    let label = CapsuleLabel {
        program_id: input.array(),
        cluster: input.array(),
        cluster_key: input.array(),
        owner: input.array(),
        record: input.array(),
        version: input.u32(),
    };
    let tail = input.rest();

    let decoded = Capsule::from_bytes(&capsule_bytes);
    if let Ok(capsule) = &decoded {
        assert_eq!(capsule.to_bytes(), capsule_bytes, "Capsule does not round-trip");
        assert_ne!(capsule.c1, [0u8; 32], "Capsule accepted the identity as C1");
        // opening with any key is total on a decoded capsule
        let secret = UserSecretKey::from_bytes(&[1; 32]).expect("1…1 is a canonical scalar");
        capsule.open(&secret).expect("a decoded capsule opens");
    }
    let proof = CapsuleProof::from_bytes(&proof_bytes).expect("64 bytes are a capsule proof");
    assert_eq!(proof.to_bytes(), proof_bytes, "CapsuleProof does not round-trip");
    assert_eq!(CapsuleProof::from_array(&proof_bytes), proof);

    if tail.len() != Capsule::LEN {
        assert_eq!(Capsule::from_bytes(tail).unwrap_err(), Error::InvalidLength { what: "capsule", expected: Capsule::LEN, got: tail.len() });
    }
    if tail.len() != CapsuleProof::LEN {
        assert!(matches!(CapsuleProof::from_bytes(tail), Err(Error::InvalidLength { .. })));
    }

    if capsule::verify(&label, &capsule_bytes, &proof).is_ok() {
        assert!(decoded.is_ok(), "capsule::verify accepted a capsule that does not decode");
    }
});
