//! Where the cryptography meets the chain, in one place: a record version's AEAD binding,
//! a share request's proof context (docs/protocol.md §3), a wallet's derived key, and the
//! combination of the partials a request holds.

use encrypted_circuits::{
    Error,
    keys::{USER_KEY_MESSAGE, UserSecretKey},
    record::{Capsule, RecordBinding, ReencryptedCapsule},
    reencrypt::{Partial, ReencryptionProof, RequestContext},
    threshold,
};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::{Address, PROGRAM_ID, accounts::ShareRequest, pda};

/// The AEAD binding of `owner`'s record `record_id` at `version`.
pub fn record_binding(owner: &Address, record_id: u64, version: u32) -> RecordBinding {
    let address = pda::record(owner, record_id);
    RecordBinding { program_id: PROGRAM_ID.to_bytes(), owner: owner.to_bytes(), record_id, version, address: address.to_bytes() }
}

/// The context every partial's proof for `request` is bound to.
pub fn request_context(cluster: &Address, request: &Address, epoch: u64) -> RequestContext {
    RequestContext { program_id: PROGRAM_ID.to_bytes(), cluster: cluster.to_bytes(), request: request.to_bytes(), epoch }
}

/// The wallet's MedShare encryption key, derived from its signature of
/// [`USER_KEY_MESSAGE`] (§3.2): the keypair file is the only secret a user keeps.
pub fn user_key(wallet: &Keypair) -> Result<UserSecretKey, Error> {
    let signature: [u8; 64] = wallet.sign_message(USER_KEY_MESSAGE).into();
    UserSecretKey::from_wallet_signature(&signature)
}

/// Combines the `t` partials a request holds. The program verified each one's proof before
/// storing it and keeps only `(A_i, E_i)`, so the proofs here are left empty.
pub fn combine_accepted(request: &ShareRequest) -> Result<ReencryptedCapsule, Error> {
    let empty = ReencryptionProof { c: [0; 32], z_s: [0; 32], z_r: [0; 32] };
    let partials: Vec<Partial> = request.partials.iter().map(|(index, a, e)| Partial { index: u16::from(*index), a: *a, e: *e, proof: empty }).collect();
    threshold::combine(&Capsule::from_bytes(&request.capsule)?, &partials, usize::from(request.threshold))
}
