//! Confirmations: `verify_folded_confirmation` (the program's check of `S'_j` and its proof
//! against the folded commitments) never panics, and `share_weights` gives integer Lagrange
//! weights that sum to their denominator (`Σ λ_i = 1`), or `|Q|` for a key generation.
//!
//! Layout: receiver (u16) ‖ program id ‖ cluster (32 each) ‖ epoch (u64) ‖ `S'_j` (32) ‖
//! proof `c ‖ z` (64) ‖ weight denominator `L` (u64) ‖ qualified mask (u16) ‖ the aggregate
//! `A_0 …` (the rest, 32 bytes each, at most 17 read).
#![no_main]

use encrypted_circuits::{
    Error,
    ceremony::{self, CeremonyContext},
    keys::PublicKey,
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let receiver = input.u16();
    let context = CeremonyContext { program_id: input.array(), cluster: input.array(), epoch: input.u64() };
    let share: [u8; 32] = input.array();
    let proof: [u8; 64] = input.array();
    let denominator = input.u64();
    let mask = input.u16();
    let aggregate: Vec<[u8; 32]> = input.rest().chunks_exact(32).take(17).map(|c| c.try_into().unwrap()).collect();

    match ceremony::verify_folded_confirmation(&context, receiver, &share, &proof, &aggregate, denominator) {
        Ok(()) => {
            PublicKey::from_bytes(&share, "S'_j").expect("an accepted S'_j is a valid point");
            assert!((1..=16).contains(&aggregate.len()), "accepted an aggregate of {} points", aggregate.len());
        }
        Err(Error::Ceremony(_)) => assert!(aggregate.is_empty() || aggregate.len() > 16, "a ceremony error for a well-sized aggregate"),
        Err(_) => {}
    }

    let qualified: Vec<u16> = (1..=16u16).filter(|j| mask >> (j - 1) & 1 == 1).collect();
    for resharing in [false, true] {
        match ceremony::share_weights(&qualified, resharing) {
            Ok((lcm, weights)) => {
                assert_eq!(weights.len(), qualified.len());
                let sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
                let expected = if resharing { i128::from(lcm) } else { qualified.len() as i128 };
                assert_eq!(sum, expected, "weights of {qualified:?} (resharing {resharing}) do not sum to L");
            }
            Err(error) => assert!(qualified.is_empty(), "share_weights refused {qualified:?}: {error}"),
        }
    }
    // and an arbitrary (unsorted, repeated, out of range) qualified list is an error, not a panic
    let raw: Vec<u16> = aggregate.iter().take(4).map(|a| u16::from_le_bytes([a[0], a[1]])).collect();
    let _ = ceremony::share_weights(&raw, mask & 1 == 1);
});
