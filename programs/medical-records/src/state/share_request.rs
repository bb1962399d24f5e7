//! The `ShareRequest` account: one consent to share one record version with one recipient.

use anchor_lang::prelude::*;
use bytemuck::{Pod, Zeroable};

use super::MAX_NODES;

/// Lifecycle of a share request (stored as `u8` in [`ShareRequest::status`]).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareStatus {
    /// Waiting for `t` valid partials.
    Pending = 0,
    /// `t` valid partials are in: the recipient can combine and open.
    Completed = 1,
    /// The owner withdrew consent.
    Revoked = 2,
    /// It expired while pending and someone said so (`expire_share_request`), so that it
    /// leaves every node's scan of pending requests.
    Expired = 3,
}

/// A verified partial re-encryption `(A_i, E_i)` of node `index`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, anchor_lang::IdlType)]
pub struct AcceptedPartial {
    /// `A_i = r_i·G`.
    pub a: [u8; 32],
    /// `E_i = s_i·C1 + r_i·P_R`.
    pub e: [u8; 32],
}

/// PDA: `["share", record, u32le(n)]` for the record's `n`-th request. Holds a snapshot of
/// everything a node needs, so that later record versions do not change what was consented.
#[account]
pub struct ShareRequest {
    /// The record shared.
    pub record: Address,
    /// Its owner (who consented and alone may revoke).
    pub owner: Address,
    /// The recipient's wallet.
    pub recipient: Address,
    /// The recipient's registered key `P_R` at the time of the request.
    pub recipient_key: [u8; 32],
    /// The cluster asked.
    pub cluster: Address,
    /// The cluster capsule of the record version shared.
    pub capsule: [u8; 64],
    /// The cluster's ceremony epoch (part of every proof's context).
    pub epoch: PodU64,
    /// Unix time after which no partial is accepted; 0 for none.
    pub expires_at: PodI64,
    /// Unix time of the request.
    pub created_at: PodI64,
    /// The record version shared.
    pub record_version: PodU32,
    /// Bit `i-1` set: node `i`'s partial is accepted.
    pub accepted: PodU16,
    /// The circuit version (from the cluster's circuit definition).
    pub circuit_version: PodU16,
    /// `t` at the time of the request.
    pub threshold: u8,
    /// How many partials are accepted.
    pub accepted_count: u8,
    /// A [`ShareStatus`] as `u8`.
    pub status: u8,
    /// The PDA bump.
    pub bump: u8,
    /// Explicit padding.
    pub reserved: [u8; 4],
    /// `partials[i-1]`: node `i`'s accepted partial.
    pub partials: [AcceptedPartial; MAX_NODES],
    /// The record version's capsule proof (`c ‖ z`), so that every node and the recipient
    /// check the capsule's label from this one account before they answer or combine.
    pub capsule_proof: [u8; 64],
}
