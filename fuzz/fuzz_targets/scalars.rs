//! Every scalar decoder agrees with curve25519-dalek on canonicity (`< ℓ`), the on-chain
//! limb arithmetic (`negate`) matches dalek's, and every secret decoder round-trips.
#![no_main]

use curve25519_dalek::Scalar;
use encrypted_circuits::{ceremony::TransportSecret, group, keys::KeyShare, keys::UserSecretKey};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let bytes: [u8; 32] = input.array();
    let index = input.u16();
    let dalek: Option<Scalar> = Scalar::from_canonical_bytes(bytes).into();

    let limbs = group::canonical_scalar_bytes(&bytes, "fuzzed scalar");
    assert_eq!(limbs.is_ok(), dalek.is_some(), "the limb comparison with ℓ disagrees with dalek");
    assert_eq!(group::canonical_scalar(&bytes, "fuzzed scalar").ok(), dalek, "canonical_scalar disagrees with dalek");
    if let Some(scalar) = dalek {
        assert_eq!(limbs.unwrap(), bytes);
        let negated = group::negate(&bytes);
        assert_eq!(negated, (-scalar).to_bytes(), "negate disagrees with dalek");
        assert_eq!(group::negate(&negated), bytes, "negate is not an involution");
    }

    let challenge = group::canonical_challenge(&bytes, "fuzzed challenge");
    assert_eq!(challenge.is_ok(), bytes[16..] == [0u8; 16], "a challenge is exactly a 128-bit integer");

    let secret_ok = dalek.is_some_and(|s| s != Scalar::ZERO);
    match UserSecretKey::from_bytes(&bytes) {
        Ok(key) => {
            assert!(secret_ok, "UserSecretKey accepted zero or a non-canonical scalar");
            assert_eq!(key.to_bytes(), bytes, "UserSecretKey does not round-trip");
        }
        Err(_) => assert!(!secret_ok, "UserSecretKey refused a canonical non-zero scalar"),
    }
    match TransportSecret::from_bytes(bytes) {
        Ok(secret) => {
            assert!(secret_ok, "TransportSecret accepted zero or a non-canonical scalar");
            assert_eq!(secret.to_bytes(), bytes, "TransportSecret does not round-trip");
        }
        Err(_) => assert!(!secret_ok, "TransportSecret refused a canonical non-zero scalar"),
    }
    match KeyShare::from_parts(index, &bytes) {
        Ok(share) => {
            assert!(secret_ok && index != 0, "KeyShare accepted index 0, zero or a non-canonical scalar");
            assert_eq!((share.index(), share.secret_bytes()), (index, bytes), "KeyShare does not round-trip");
        }
        Err(_) => assert!(!secret_ok || index == 0, "KeyShare refused a valid share"),
    }
});
