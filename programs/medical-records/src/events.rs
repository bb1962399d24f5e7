//! Events: every state change emits one, so that an auditor can rebuild the whole history
//! from the chain alone. Each is logged as `Program data: base64(disc ‖ body)` with
//! `disc = sha256("event:<Name>")[..8]` and a borsh-compatible body.

use anchor_lang::prelude::*;

/// A cluster account was created; the admin now invites members.
#[event]
pub struct ClusterCreated {
    pub cluster: Address,
    pub admin: Address,
    pub cluster_id: u64,
}

/// The admin invited `authority` into slot `index`.
#[event]
pub struct NodeInvited {
    pub cluster: Address,
    pub index: u8,
    pub authority: Address,
}

/// Node `index` accepted its invitation with a proven transport key.
#[event]
pub struct NodeAccepted {
    pub cluster: Address,
    pub index: u8,
    pub authority: Address,
    pub transport_key: [u8; 32],
}

/// Node `index` replaced its transport key (after a ceremony, for forward secrecy).
#[event]
pub struct TransportKeyRotated {
    pub cluster: Address,
    pub index: u8,
    pub transport_key: [u8; 32],
}

/// The admin suspended node `index`: its partials are refused and it takes no part in later ceremonies.
#[event]
pub struct NodeSuspended {
    pub cluster: Address,
    pub index: u8,
}

/// The admin removed node `index` (an invitation withdrawn, or a member out).
#[event]
pub struct NodeRemoved {
    pub cluster: Address,
    pub index: u8,
    pub authority: Address,
}

/// A ceremony started (`kind`: 0 key generation, 1 resharing); bitmasks by member index.
#[event]
pub struct CeremonyStarted {
    pub cluster: Address,
    pub epoch: u64,
    pub kind: u8,
    pub threshold: u8,
    pub dealers: u16,
    pub receivers: u16,
    pub deal_deadline: u64,
    pub confirm_deadline: u64,
}

/// Dealer `dealer`'s dealing is complete and verified.
#[event]
pub struct DealingPosted {
    pub cluster: Address,
    pub epoch: u64,
    pub dealer: u8,
}

/// Dealer `dealer`'s complete dealing failed the program's checks: it is disqualified.
#[event]
pub struct DealingRejected {
    pub cluster: Address,
    pub epoch: u64,
    pub dealer: u8,
    pub faults: u32,
}

/// Dealing closed: `qualified` is `Q`; `absent` dealers dealt nothing complete in time.
#[event]
pub struct DealingClosed {
    pub cluster: Address,
    pub epoch: u64,
    pub qualified: u16,
    pub absent: u16,
}

/// Receiver `receiver` proved that `dealer`'s sub-share to it is bad: the dealer is disqualified.
#[event]
pub struct ComplaintUpheld {
    pub cluster: Address,
    pub epoch: u64,
    pub dealer: u8,
    pub receiver: u8,
    pub faults: u32,
}

/// Receiver `receiver` accused `dealer`, and the revealed sub-share is good: the complainer is at fault.
#[event]
pub struct ComplaintDismissed {
    pub cluster: Address,
    pub epoch: u64,
    pub dealer: u8,
    pub receiver: u8,
    pub faults: u32,
}

/// Receiver `index` proved possession of its new share for `verification_share`.
#[event]
pub struct CeremonyConfirmed {
    pub cluster: Address,
    pub epoch: u64,
    pub index: u8,
    pub verification_share: [u8; 32],
}

/// Receiver `index` posted a confirmation that does not verify: not kept, counted.
#[event]
pub struct ConfirmationRejected {
    pub cluster: Address,
    pub epoch: u64,
    pub index: u8,
    pub faults: u32,
}

/// The ceremony's shares serve from now on; `holders` confirmed, `late` were required and did not.
#[event]
pub struct ClusterActivated {
    pub cluster: Address,
    pub epoch: u64,
    pub public_key: [u8; 32],
    pub threshold: u8,
    pub holders: u16,
    pub late: u16,
}

/// The ceremony ended without a key (too few qualified dealers or confirmations).
#[event]
pub struct CeremonyFailed {
    pub cluster: Address,
    pub epoch: u64,
    pub qualified: u16,
    pub confirmed: u16,
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

/// The owner asked the cluster to share a record version with a recipient. The capsule and
/// its proof are in the request account (nodes read accounts, not logs); the event stays
/// under the 264 bytes Anchor preallocates for it, so that emitting it never grows a vector
/// on chain (docs/protocol.md §7.3).
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

/// A pending request of an earlier epoch under the same key moved to the serving epoch: the
/// partials of old shares it held are cleared and `threshold` partials of new shares are needed.
#[event]
pub struct ShareRequestMoved {
    pub request: Address,
    pub cluster: Address,
    pub from_epoch: u64,
    pub to_epoch: u64,
    pub threshold: u8,
}

/// The owner withdrew consent.
#[event]
pub struct ShareRevoked {
    pub request: Address,
    pub record: Address,
    pub recipient: Address,
    pub was_completed: bool,
}

/// A pending request past its expiry was marked expired (by anyone): no partial can land
/// and no node scans it any more.
#[event]
pub struct ShareRequestExpired {
    pub request: Address,
    pub record: Address,
    pub expires_at: i64,
}

/// An account was closed and its rent returned (`kind`: 0 record, 1 share request, 2 dealing).
#[event]
pub struct AccountClosed {
    pub account: Address,
    pub kind: u8,
    pub by: Address,
}
