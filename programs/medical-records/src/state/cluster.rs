//! The `Cluster` account: who the members are, the serving key and its holders.

use anchor_lang::prelude::*;
use bytemuck::{Pod, Zeroable};

/// The most member slots one cluster has. Bounded so the account has a fixed size and every
/// loop over members has a known CU cost; a slot is reused once its member is removed and
/// holds no share.
pub const MAX_NODES: usize = 16;

/// Lifecycle of a cluster (stored as `u8` in [`Cluster::status`]).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterStatus {
    /// Created; no key yet (members are being invited). A key generation that fails leaves
    /// the cluster in `Ceremony`, without a key, until another one activates.
    Registering = 0,
    /// A key generation is running and there is no key: nothing is served.
    Ceremony = 1,
    /// `PK` is set and its holders serve share requests (a resharing may be running).
    Active = 2,
}

/// Lifecycle of a member slot (stored as `u8` in [`Member::status`]).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberStatus {
    /// Free.
    Empty = 0,
    /// The admin invited `authority`; it has not accepted yet.
    Invited = 1,
    /// Accepted with a proven transport key: deals, receives and serves.
    Active = 2,
    /// Suspended by the admin: no partial is accepted and it takes no part in ceremonies.
    Suspended = 3,
    /// Removed by the admin: as suspended, and its slot is freed once it holds no share.
    Removed = 4,
}

/// One member node (an `mpc-node` daemon run by a hospital).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, anchor_lang::IdlType)]
pub struct Member {
    /// The node's signing wallet: only it may accept, deal, complain, confirm and post partials.
    pub authority: Address,
    /// `T_i = τ_i·G` (Ristretto255), proven at acceptance; sub-shares are encrypted to it.
    pub transport_key: [u8; 32],
    /// `S_i = s_i·G` of the serving epoch; all-zero when the member holds no share.
    pub verification_share: [u8; 32],
    /// Misbehaviour proven on chain (bad partial, rejected dealing, upheld complaint against
    /// it, dismissed complaint by it, rejected confirmation); never reset.
    pub faults: PodU32,
    /// Shamir x-coordinate `i` (1-based) = slot number + 1; 0 in a slot never used.
    pub index: u8,
    /// A [`MemberStatus`] as `u8`.
    pub status: u8,
    /// Explicit padding so the struct has no implicit padding bytes.
    pub reserved: [u8; 2],
}

impl Member {
    /// The status as an enum (an unknown byte reads as `Empty`).
    pub fn status(&self) -> MemberStatus {
        match self.status {
            1 => MemberStatus::Invited,
            2 => MemberStatus::Active,
            3 => MemberStatus::Suspended,
            4 => MemberStatus::Removed,
            _ => MemberStatus::Empty,
        }
    }

    /// Whether the member holds a share of the serving epoch.
    pub fn holds_share(&self) -> bool {
        self.verification_share != [0u8; 32]
    }
}

/// A threshold cluster. PDA: `["cluster", admin, u64le(cluster_id)]`.
#[account]
pub struct Cluster {
    /// Who may invite, suspend and remove members and start ceremonies.
    pub admin: Address,
    /// Admin-chosen id, so one admin can run several clusters.
    pub cluster_id: PodU64,
    /// The serving epoch: the ceremony whose shares answer requests (part of every partial's context).
    pub epoch: PodU64,
    /// The epoch of the key generation that made `PK` (resharings keep it).
    pub key_epoch: PodU64,
    /// The latest ceremony started (its `Ceremony` account is `["ceremony", cluster, u64le(ceremony_epoch)]`).
    pub ceremony_epoch: PodU64,
    /// The cluster public key `PK = s·G`, all-zero while there is none.
    pub public_key: [u8; 32],
    /// `t` of the serving epoch: valid partials needed to complete a share.
    pub threshold: u8,
    /// `n`: members holding a share of the serving epoch.
    pub size: u8,
    /// A [`ClusterStatus`] as `u8`.
    pub status: u8,
    /// The PDA bump, kept so later instructions skip the search.
    pub bump: u8,
    /// Explicit padding.
    pub reserved: [u8; 4],
    /// Member slots; slot `k` is member index `k + 1`.
    pub members: [Member; MAX_NODES],
}

impl Cluster {
    /// The member at `index` (1-based) if its slot is not empty.
    pub fn member(&self, index: u8) -> Option<&Member> {
        let slot = self.members.get(usize::from(index).checked_sub(1)?)?;
        (slot.status() != MemberStatus::Empty).then_some(slot)
    }

    /// The non-empty member whose authority is `authority`.
    pub fn member_by_authority(&self, authority: &Address) -> Option<&Member> {
        self.members.iter().find(|m| m.status() != MemberStatus::Empty && anchor_lang::address_eq(&m.authority, authority))
    }

    /// The status as an enum (an unknown byte reads as `Registering`, which nothing serves).
    pub fn status(&self) -> ClusterStatus {
        match self.status {
            1 => ClusterStatus::Ceremony,
            2 => ClusterStatus::Active,
            _ => ClusterStatus::Registering,
        }
    }

    /// Bit `i-1` set for every member with `status`.
    pub fn members_with(&self, status: MemberStatus) -> u16 {
        self.members.iter().enumerate().filter(|(_, m)| m.status() == status).fold(0, |mask, (k, _)| mask | 1 << k)
    }

    /// Bit `i-1` set for every active member holding a share of the serving epoch.
    pub fn serving_holders(&self) -> u16 {
        self.members.iter().enumerate().filter(|(_, m)| m.status() == MemberStatus::Active && m.holds_share()).fold(0, |mask, (k, _)| mask | 1 << k)
    }
}
