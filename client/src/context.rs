//! What the cryptography binds to on chain: a record version's AEAD binding and a share
//! request's proof context (docs/protocol.md §3), built from addresses in one place.

use encrypted_circuits::{record::RecordBinding, reencrypt::RequestContext};

use crate::{Address, PROGRAM_ID, pda};

/// The AEAD binding of `owner`'s record `record_id` at `version`.
pub fn record_binding(owner: &Address, record_id: u64, version: u32) -> RecordBinding {
    let address = pda::record(owner, record_id);
    RecordBinding { program_id: PROGRAM_ID.to_bytes(), owner: owner.to_bytes(), record_id, version, address: address.to_bytes() }
}

/// The context every partial's proof for `request` is bound to.
pub fn request_context(cluster: &Address, request: &Address, epoch: u64) -> RequestContext {
    RequestContext { program_id: PROGRAM_ID.to_bytes(), cluster: cluster.to_bytes(), request: request.to_bytes(), epoch }
}
