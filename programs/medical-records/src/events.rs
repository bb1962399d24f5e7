//! Events: every state change emits one, so that an auditor can rebuild the whole history
//! from the chain alone. Each is logged as `Program data: base64(disc ‖ wincode/borsh body)`
//! with `disc = sha256("event:<Name>")[..8]`.

use anchor_lang::prelude::*;

/// A cluster account was created; nodes can now register.
#[event]
pub struct ClusterCreated {
    /// The cluster account.
    pub cluster: Address,
    /// Who administers it.
    pub admin: Address,
    /// Admin-chosen id, part of the cluster's seeds.
    pub cluster_id: u64,
    /// `t`: partials needed to complete a share.
    pub threshold: u8,
    /// `n`: number of member nodes.
    pub size: u8,
    /// Key-ceremony epoch (starts at 0).
    pub epoch: u64,
}
