//! The client's account decoders (`Cluster`, `Ceremony`, `Dealing`, `Record`,
//! `ShareRequest`): arbitrary bytes are a named error (wrong type or length), never a panic;
//! bytes of the right type and size always decode, and every accessor is total.
//!
//! Layout: selector (1): low bits pick the account, bit 7 set passes the rest as is;
//! otherwise the rest gets the account's discriminator and is cut or zero-padded to its size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medshare_client::{
    accounts::{AccountError, Ceremony, Cluster, Dealing, Record, ShareRequest},
    discriminator,
};
use medshare_fuzz::{ACCOUNT_NAMES, Input, account_len};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let selector = input.u8();
    let name = ACCOUNT_NAMES[usize::from(selector) % 5];
    let len = account_len(selector);
    let raw = selector & 0x80 != 0;
    let bytes: Vec<u8> = if raw {
        input.rest().to_vec()
    } else {
        let mut bytes = discriminator("account", name).to_vec();
        bytes.extend_from_slice(input.rest());
        bytes.resize(len, 0);
        bytes
    };
    let well_formed = bytes.len() == len && bytes[..8] == discriminator("account", name);

    let outcome: Result<(), AccountError> = match name {
        "Cluster" => Cluster::decode(&bytes).map(|cluster| {
            let _ = (cluster.serving_holders(), cluster.is_active(), cluster.status_name(), cluster.holders().count());
            for member in &cluster.members {
                assert_eq!(cluster.member(&member.authority).map(|m| m.authority), Some(member.authority));
                let _ = (member.holds_share(), member.serves(), member.status.name());
            }
            for index in 0..=u8::MAX {
                let _ = cluster.member_at(index);
            }
        }),
        "Ceremony" => Ceremony::decode(&bytes).map(|ceremony| {
            let _ = (ceremony.is_running(), ceremony.is_resharing(), ceremony.qualified_dealers(), ceremony.unfolded(), ceremony.all_folded());
            let _ = (ceremony.folded_public_key(), ceremony.undealt(), ceremony.required(), ceremony.unconfirmed(), ceremony.fewest_qualified());
            let _ = (
                ceremony.every_dealer_is_in(),
                ceremony.can_advance(u64::MAX),
                ceremony.receiver_keys(),
                ceremony.dealing_len(),
                ceremony.qualified_dealings(),
            );
            for index in 0..=u8::MAX {
                let _ = (ceremony.is_dealer(index), ceremony.is_receiver(index), ceremony.has_dealt(index), ceremony.is_disqualified(index));
                let _ = (ceremony.is_qualified(index), ceremony.has_confirmed(index), ceremony.is_folded(index));
                let _ = (ceremony.transport_key(index), ceremony.verification_share(index));
            }
        }),
        "Dealing" => Dealing::decode(&bytes).map(|dealing| {
            if let Some(complete) = dealing.complete() {
                // finding F2 (docs/FUZZING.md, fixed): a declared `len` past MAX_DEALING_LEN is
                // never complete
                assert_eq!(complete.len(), usize::from(dealing.len), "a complete dealing has its declared length");
            }
        }),
        "Record" => Record::decode(&bytes).map(|_| ()),
        _ => ShareRequest::decode(&bytes).map(|request| {
            let _ = (request.expired_at(i64::MIN), request.expired_at(i64::MAX));
            for index in 0..=u8::MAX {
                let _ = request.has_partial_from(index);
            }
        }),
    };
    match outcome {
        Ok(()) => assert!(well_formed, "{name} decoded bytes of the wrong type or size"),
        Err(AccountError::WrongLength { expected, got, .. }) => assert!(expected == len && got == bytes.len() && got != len),
        Err(AccountError::WrongType(_)) => assert!(bytes.len() == len && !well_formed),
    }
});
