//! Complaints: `judge_complaint` (the program's judgement of `K_ij ‖ c ‖ z` against a
//! dealing) never panics, and only a complaint whose `K_ij` is a valid point gets a verdict.
//!
//! Layout: dealer (u16) ‖ receiver (u16) ‖ `T_j` (32) ‖ program id ‖ cluster (32 each) ‖
//! epoch (u64) ‖ complaint (96) ‖ threshold (1) ‖ the dealing (the rest).
#![no_main]

use encrypted_circuits::{
    ceremony::{self, CeremonyContext, DealingView},
    group,
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let (dealer, receiver) = (input.u16(), input.u16());
    let transport_key: [u8; 32] = input.array();
    let context = CeremonyContext { program_id: input.array(), cluster: input.array(), epoch: input.u64() };
    let complaint: [u8; 96] = input.array();
    let threshold = input.u8();
    let Ok(view) = DealingView::parse(input.rest(), threshold) else {
        return;
    };
    if ceremony::judge_complaint(&context, dealer, receiver, &transport_key, &view, &complaint).is_ok() {
        assert!(group::is_valid_public_point(complaint[..32].try_into().unwrap()), "a verdict on a complaint whose K_ij is not a point");
        assert!(group::is_valid_public_point(&transport_key), "a verdict with an invalid transport key");
        assert!((1..=16).contains(&dealer) && (1..=16).contains(&receiver), "a verdict for an index outside 1..=16");
    }
});
