//! Every decoder of a Ristretto255 point encoding agrees with curve25519-dalek's
//! decompression, and each one that accepts round-trips: `encode(decode(b)) == b`.
#![no_main]

use curve25519_dalek::ristretto::CompressedRistretto;
use encrypted_circuits::{
    ceremony,
    group::{self, BASEPOINT, IDENTITY},
    keys::PublicKey,
    record::RecordKeyPoint,
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let bytes: [u8; 32] = Input::new(data).array();
    let decompresses = CompressedRistretto(bytes).decompress().is_some();

    let public = group::is_valid_public_point(&bytes);
    assert_eq!(public, decompresses && bytes != IDENTITY, "is_valid_public_point disagrees with dalek");

    match PublicKey::from_bytes(&bytes, "fuzzed key") {
        Ok(key) => {
            assert!(public, "PublicKey accepted an invalid or identity point");
            assert_eq!(key.to_bytes(), bytes, "PublicKey does not round-trip");
        }
        Err(_) => assert!(!public, "PublicKey refused a valid point"),
    }

    match RecordKeyPoint::from_bytes(&bytes) {
        Ok(point) => {
            assert!(decompresses);
            assert_eq!(point.to_bytes(), bytes, "RecordKeyPoint does not round-trip");
        }
        Err(_) => assert!(!decompresses, "RecordKeyPoint refused a canonical point"),
    }

    assert_eq!(group::element(&bytes, "fuzzed point").is_ok(), decompresses, "group::element disagrees with dalek");

    // the program's running sum of C_0: (P + G) − G = P for every canonical P
    match ceremony::add_points(&bytes, &BASEPOINT) {
        Ok(sum) => {
            assert!(decompresses);
            assert_eq!(ceremony::subtract_points(&sum, &BASEPOINT).expect("the sum is a point"), bytes, "(P + G) - G != P");
        }
        Err(_) => assert!(!decompresses, "add_points refused a canonical point"),
    }
});
