//! The `Cluster` account: who the nodes are, the threshold, and the cluster key.

use anchor_lang::prelude::*;
use bytemuck::{Pod, Zeroable};

/// The most nodes one cluster can have. Bounded so the account has a fixed size and every
/// loop over members has a known CU cost.
pub const MAX_NODES: usize = 16;

/// Lifecycle of a cluster (stored as `u8` in [`Cluster::status`]).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterStatus {
    /// Created; nodes are registering.
    Registering = 0,
    /// All `n` nodes registered; the key ceremony of the current epoch is running.
    Ceremony = 1,
    /// The cluster key is agreed by all `n` nodes; share requests are served.
    Active = 2,
}

/// One member node (an `mpc-node` daemon run by a hospital).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, anchor_lang::IdlType)]
pub struct Member {
    /// The node's signing wallet: only it may post for this member.
    pub authority: Address,
    /// X25519 public key, for the round-2 packages sealed to this node.
    pub transport_key: [u8; 32],
    /// `S_i = s_i·G`, set when the node confirms the ceremony; all-zero before.
    pub verification_share: [u8; 32],
    /// Invalid proofs this node has posted (counted on chain, never reset).
    pub faults: PodU32,
    /// Shamir x-coordinate `i` (1-based); 0 marks an empty slot.
    pub index: u8,
    /// 1 while the admin has not suspended the node.
    pub active: PodBool,
    /// Explicit padding so the struct has no implicit padding bytes.
    pub reserved: [u8; 2],
}

/// A threshold cluster. PDA: `["cluster", admin, u64le(cluster_id)]`.
#[account]
pub struct Cluster {
    /// Who may admit and suspend nodes and start a new ceremony epoch.
    pub admin: Address,
    /// Admin-chosen id, so one admin can run several clusters.
    pub cluster_id: PodU64,
    /// Key-ceremony epoch; bumps on every new ceremony, and is part of every proof context.
    pub epoch: PodU64,
    /// The cluster public key `PK = s·G`, all-zero until the cluster is active.
    pub public_key: [u8; 32],
    /// `t`: valid partials needed to complete a share (2 ≤ t ≤ n).
    pub threshold: u8,
    /// `n`: the number of member nodes.
    pub size: u8,
    /// A [`ClusterStatus`] as `u8`.
    pub status: u8,
    /// How many member slots are filled.
    pub member_count: u8,
    /// The PDA bump, kept so later instructions skip the search.
    pub bump: u8,
    /// Explicit padding.
    pub reserved: [u8; 1],
    /// Bit `i-1` set: node `i` has confirmed the current epoch's ceremony.
    pub confirmations: PodU16,
    /// Bit `i-1` set: node `i` has posted its whole round-1 package this epoch.
    pub round1_done: PodU16,
    /// Explicit padding.
    pub reserved2: [u8; 2],
    /// Member slots; the first `member_count` are in use.
    pub members: [Member; MAX_NODES],
    /// `PK` as proposed by the first confirmation of the current epoch.
    pub pending_public_key: [u8; 32],
    /// `S_1..S_n` as proposed by the first confirmation of the current epoch.
    pub pending_shares: [[u8; 32]; MAX_NODES],
}

impl Cluster {
    /// The member slot of node `index` (1-based), if that node is registered.
    pub fn member(&self, index: u8) -> Option<&Member> {
        (index >= 1 && index <= self.member_count).then(|| &self.members[usize::from(index - 1)])
    }

    /// The member whose authority is `authority`.
    pub fn member_by_authority(&self, authority: &Address) -> Option<&Member> {
        self.members[..usize::from(self.member_count)].iter().find(|m| anchor_lang::address_eq(&m.authority, authority))
    }

    /// The status as an enum (an unknown byte reads as `Registering`, which nothing serves).
    pub fn status(&self) -> ClusterStatus {
        match self.status {
            1 => ClusterStatus::Ceremony,
            2 => ClusterStatus::Active,
            _ => ClusterStatus::Registering,
        }
    }
}
