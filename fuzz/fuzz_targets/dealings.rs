//! Ceremony dealings: `DealingView::parse` checks the threshold and exact length, every
//! accessor stays inside the bytes, `verify_dealing` (the program's check when the last byte
//! lands) never panics, and a dealing it accepts folds and sums as its commitments say.
//!
//! Layout: threshold (1) ‖ receivers mask (u16) ‖ dealer (u16) ‖ program id ‖ cluster (32
//! each) ‖ epoch (u64) ‖ resharing flag (1, odd = resharing) ‖ `S_i` for resharing (32) ‖
//! the dealing (the rest).
#![no_main]

use encrypted_circuits::{
    Error,
    ceremony::{self, CeremonyContext, DealingView, MAX_MEMBERS},
    group::IDENTITY,
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let threshold = input.u8();
    let receivers = input.u16();
    let dealer = input.u16();
    let context = CeremonyContext { program_id: input.array(), cluster: input.array(), epoch: input.u64() };
    let resharing = input.u8() % 2 == 1;
    let reshared_share: [u8; 32] = input.array();
    let bytes = input.rest();

    let view = match DealingView::parse(bytes, threshold) {
        Ok(view) => view,
        Err(error) => {
            let threshold_ok = (1..=MAX_MEMBERS).contains(&usize::from(threshold));
            assert!(!threshold_ok || bytes.len() != ceremony::dealing_len(threshold), "parse refused a well-sized dealing: {error}");
            if threshold_ok {
                assert_eq!(error, Error::InvalidLength { what: "dealing", expected: ceremony::dealing_len(threshold), got: bytes.len() });
            }
            return;
        }
    };
    assert_eq!(view.as_bytes(), bytes, "the view is not the bytes it parsed");
    assert_eq!(view.threshold(), threshold);
    assert_eq!(view.commitments().len(), 32 * usize::from(threshold));
    for j in 1..=MAX_MEMBERS as u16 {
        let offset = ceremony::encrypted_share_offset(threshold, j);
        assert_eq!(view.encrypted_share(j)[..], bytes[offset..offset + 32]);
    }

    let verdict = ceremony::verify_dealing(&context, dealer, &view, receivers, resharing.then_some(&reshared_share));
    if verdict.is_ok() {
        assert_ne!(*view.commitment(0), IDENTITY, "an accepted dealing has C_0 = identity");
        // folding one dealing with weight 1 into the identity gives its own commitments
        let mut aggregate = vec![IDENTITY; usize::from(threshold)];
        ceremony::fold_dealing(&mut aggregate, &view, 1).expect("an accepted dealing folds");
        assert_eq!(aggregate.concat(), view.commitments(), "fold_dealing(identity, D, 1) != C");
        let key = ceremony::group_key(&[(dealer, view)]).expect("an accepted dealing has a group key");
        assert_eq!(key.to_bytes(), *view.commitment(0), "PK of one dealing != its C_0");
    }
});
