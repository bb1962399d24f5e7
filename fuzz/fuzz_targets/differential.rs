//! Differential: the on-chain verification path against the native one, on the same inputs.
//!
//! The program's group backend (`group.rs` under `target_os = "solana"`) cannot run on the
//! host: it is selected by `cfg(target_os)`, not a feature, and calls the
//! `sol_curve_multiscalar_mul` / `sol_curve_validate_point` syscalls. What those syscalls
//! compute is `solana-curve25519`'s host implementation (the validator runs the same crate
//! behind the syscall), so this target compares:
//!
//! 1. `group::combinations` / `group::element` / `group::is_valid_public_point` (native,
//!    curve25519-dalek, with its batched `2·(P/2)` encoding and the basepoint fast path)
//!    against `multiscalar_multiply_ristretto` / `validate_ristretto` on the same scalars
//!    and points — the exact calls the on-chain backend makes: same acceptance, same bytes;
//! 2. `reencrypt::verify` (the per-partial check the program runs) against
//!    `threshold::verify_request_partials` (the nodes' and recipients' batched native check)
//!    on the same partial: the same result, error for error.
//!
//! Layout: mode (1): even = part 1: basepoint flag (1), then `(scalar, point)` pairs of 64
//! bytes (at most 17); odd = part 2: the `partials` target's layout.
#![no_main]

use encrypted_circuits::{
    group::{self, BASEPOINT, IDENTITY},
    keys::PublicKey,
    reencrypt::{self, Partial, RequestContext},
    threshold,
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;
use solana_curve25519::{
    ristretto::{PodRistrettoPoint, multiscalar_multiply_ristretto, validate_ristretto},
    scalar::PodScalar,
};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 { group_backends(rest) } else { verification_paths(rest) }
});

fn group_backends(data: &[u8]) {
    let Some((&flags, pairs)) = data.split_first() else {
        return;
    };
    let mut scalars: Vec<[u8; 32]> = Vec::new();
    let mut points: Vec<[u8; 32]> = Vec::new();
    if flags & 1 == 1 {
        // the native backend's `[b, a]·[G, P]` fast path needs G as its first element
        scalars.push(pairs.get(..32).map_or([0; 32], |s| s.try_into().unwrap()));
        points.push(BASEPOINT);
    }
    for pair in pairs.chunks_exact(64).take(17) {
        scalars.push(pair[..32].try_into().unwrap());
        points.push(pair[32..].try_into().unwrap());
    }
    if scalars.is_empty() {
        return;
    }
    for point in &points {
        let on_chain = validate_ristretto(&PodRistrettoPoint(*point)) && *point != IDENTITY;
        assert_eq!(group::is_valid_public_point(point), on_chain, "point validation differs for {}", hex::encode(point));
    }

    let native = (|| {
        let elements: Vec<group::Element> = points
            .iter()
            .enumerate()
            .map(|(k, p)| if k == 0 && flags & 1 == 1 { Ok(group::basepoint()) } else { group::element(p, "point") })
            .collect::<Result<_, _>>()?;
        let refs: Vec<&group::Element> = elements.iter().collect();
        group::combinations(&[(&scalars, &refs)])
    })();
    let pod_scalars: Vec<PodScalar> = scalars.iter().map(|s| PodScalar(*s)).collect();
    let pod_points: Vec<PodRistrettoPoint> = points.iter().map(|p| PodRistrettoPoint(*p)).collect();
    let on_chain = multiscalar_multiply_ristretto(&pod_scalars, &pod_points).map(|p| p.0);
    match (&native, on_chain) {
        (Ok(native), Some(on_chain)) => assert_eq!(native[0], on_chain, "the backends compute different sums"),
        (Err(_), None) => {}
        (native, on_chain) => panic!("the backends disagree on acceptance: native {native:?}, on chain {on_chain:?}"),
    }
}

fn verification_paths(data: &[u8]) {
    let mut input = Input::new(data);
    let partial = Partial::from_bytes(&input.array::<{ Partial::LEN }>()).expect("162 bytes are a partial");
    let context = RequestContext { program_id: input.array(), cluster: input.array(), request: input.array(), epoch: input.u64() };
    let (share, c1, recipient): ([u8; 32], [u8; 32], [u8; 32]) = (input.array(), input.array(), input.array());

    let on_chain = reencrypt::verify(&context, &share, &c1, &recipient, &partial);
    // the batched path takes validated keys: where they are not, the program's path must refuse
    let (Ok(share_key), Ok(recipient_key)) = (PublicKey::from_bytes(&share, "S_i"), PublicKey::from_bytes(&recipient, "P_R")) else {
        assert!(on_chain.is_err(), "verify accepted an invalid S_i or P_R");
        return;
    };
    match threshold::verify_request_partials(&context, &c1, &recipient_key, &[(share_key, partial)]) {
        Ok(outcomes) => assert_eq!(outcomes[0], on_chain, "the per-partial and batched checks differ"),
        Err(_) => assert!(on_chain.is_err(), "verify accepted a partial for a capsule C1 that does not decode"),
    }
}
