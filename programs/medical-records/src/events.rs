//! Events: every state change emits one, so that an auditor can rebuild the whole history
//! from the chain alone. Each is logged as `Program data: base64(disc ‖ body)` with
//! `disc = sha256("event:<Name>")[..8]` and a borsh-compatible body.

use anchor_lang::prelude::*;

/// A cluster account was created; nodes can now register.
#[event]
pub struct ClusterCreated {
    pub cluster: Address,
    pub admin: Address,
    pub cluster_id: u64,
    pub threshold: u8,
    pub size: u8,
    pub epoch: u64,
}

/// The admin admitted node `index`.
#[event]
pub struct NodeRegistered {
    pub cluster: Address,
    pub authority: Address,
    pub index: u8,
    pub transport_key: [u8; 32],
}

/// A key ceremony started (all `n` nodes registered, or the admin began a new epoch).
#[event]
pub struct CeremonyStarted {
    pub cluster: Address,
    pub epoch: u64,
}

/// A dealer finished its round-1 package (`round = 1`) or posted a round-2 package to
/// `receiver` (`round = 2`).
#[event]
pub struct DealingPosted {
    pub cluster: Address,
    pub epoch: u64,
    pub dealer: u8,
    pub round: u8,
    pub receiver: u8,
}

/// Node `index` confirmed the ceremony's `PK` and the `S_i`.
#[event]
pub struct CeremonyConfirmed {
    pub cluster: Address,
    pub epoch: u64,
    pub index: u8,
    pub public_key: [u8; 32],
}

/// All `n` nodes agreed: the cluster serves share requests under `public_key`.
#[event]
pub struct ClusterActivated {
    pub cluster: Address,
    pub epoch: u64,
    pub public_key: [u8; 32],
}

/// The admin suspended node `index`: its partials are refused from now on.
#[event]
pub struct NodeSuspended {
    pub cluster: Address,
    pub index: u8,
}

/// The share circuit was registered with the cluster.
#[event]
pub struct CircuitRegistered {
    pub cluster: Address,
    pub circuit: Address,
    pub version: u16,
    pub domain: [u8; 32],
}

/// A wallet registered (or replaced) its encryption key.
#[event]
pub struct UserKeyRegistered {
    pub wallet: Address,
    pub public_key: [u8; 32],
}

/// A record version was stored (`storage`: 0 inline, 1 blob).
#[event]
pub struct RecordStored {
    pub record: Address,
    pub owner: Address,
    pub cluster: Address,
    pub record_id: u64,
    pub version: u32,
    pub storage: u8,
    pub ciphertext_len: u32,
    pub digest: [u8; 32],
}

/// The owner asked the cluster to share a record version with a recipient: everything a
/// node needs to answer.
#[event]
pub struct ShareRequested {
    pub request: Address,
    pub record: Address,
    pub owner: Address,
    pub recipient: Address,
    pub recipient_key: [u8; 32],
    pub cluster: Address,
    pub epoch: u64,
    pub record_version: u32,
    pub circuit_version: u16,
    pub threshold: u8,
    pub capsule: [u8; 64],
    pub expires_at: i64,
}

/// Node `index`'s partial verified and was stored.
#[event]
pub struct PartialAccepted {
    pub request: Address,
    pub cluster: Address,
    pub index: u8,
    pub authority: Address,
}

/// Node `index` posted a partial whose proof does not verify: not stored, counted.
#[event]
pub struct PartialRejected {
    pub request: Address,
    pub cluster: Address,
    pub index: u8,
    pub authority: Address,
    pub faults: u32,
}

/// The `t`-th valid partial arrived: the recipient can combine and open.
#[event]
pub struct ShareCompleted {
    pub request: Address,
    pub record: Address,
    pub recipient: Address,
    pub accepted: u16,
}

/// The owner withdrew consent.
#[event]
pub struct ShareRevoked {
    pub request: Address,
    pub record: Address,
    pub recipient: Address,
    pub was_completed: bool,
}

/// An account was closed and its rent returned (`kind`: 0 record, 1 share request, 2 dealing).
#[event]
pub struct AccountClosed {
    pub account: Address,
    pub kind: u8,
    pub by: Address,
}
