//! The `Ceremony` account: one key generation or resharing, its snapshot and its progress
//! (docs/protocol.md §3.5).

use anchor_lang::prelude::*;

use super::MAX_NODES;

/// What a ceremony makes (stored as `u8` in [`Ceremony::kind`]).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyKind {
    /// A new cluster key `PK` (Pedersen DKG).
    KeyGeneration = 0,
    /// New shares of the same `PK` for a new member set and threshold (redistribution).
    Resharing = 1,
}

/// Where a ceremony is (stored as `u8` in [`Ceremony::phase`]).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyPhase {
    /// Dealers post their dealings (until every dealer is dealt or disqualified, or the deadline).
    Dealing = 0,
    /// `Q` is fixed; receivers complain or confirm.
    Confirming = 1,
    /// Activated: its shares serve (late receivers may still confirm).
    Done = 2,
    /// Ended without a key: too few qualified dealers or confirmations.
    Failed = 3,
}

/// PDA: `["ceremony", cluster, u64le(epoch)]`.
#[account]
pub struct Ceremony {
    /// The cluster.
    pub cluster: Address,
    /// This ceremony's epoch.
    pub epoch: PodU64,
    /// Slot by which every dealing must be complete.
    pub deal_deadline: PodU64,
    /// Slot after which `advance_ceremony` activates with the confirmations in, or fails.
    pub confirm_deadline: PodU64,
    /// A [`CeremonyKind`] as `u8`.
    pub kind: u8,
    /// A [`CeremonyPhase`] as `u8`.
    pub phase: u8,
    /// `t'`: the threshold of the shares this ceremony makes (commitments per dealing).
    pub threshold: u8,
    /// `t` of the serving epoch when a resharing started (qualified dealers it needs).
    pub old_threshold: u8,
    /// The PDA bump.
    pub bump: u8,
    /// Explicit padding.
    pub reserved: [u8; 3],
    /// Bit `i-1`: member `i` is a dealer.
    pub dealers: PodU16,
    /// Bit `j-1`: member `j` is a receiver.
    pub receivers: PodU16,
    /// Bit `i-1`: dealer `i`'s dealing is complete and verified.
    pub dealt: PodU16,
    /// Bit `i-1`: dealer `i` is disqualified (rejected dealing or upheld complaint).
    pub disqualified: PodU16,
    /// `Q`, fixed when dealing closes (and shrunk by upheld complaints).
    pub qualified: PodU16,
    /// Bit `j-1`: receiver `j`'s confirmation is verified against the current `Q`.
    pub confirmed: PodU16,
    /// Bit `i-1`: dealer `i`'s commitments are folded into `aggregate` (`fold_dealing`).
    pub folded: PodU16,
    /// `aggregate[k] = Σ_{i folded} w_i·C_{i,k}` for `k < t'` (the rest stay the identity):
    /// once every dealing of `Q` is folded, confirmations are checked against it, and for a
    /// key generation `aggregate[0]` is `PK`.
    pub aggregate: [[u8; 32]; MAX_NODES],
    /// `transport_keys[j-1]`: receiver `j`'s `T_j` when the ceremony started.
    pub transport_keys: [[u8; 32]; MAX_NODES],
    /// `verification_shares[j-1]`: receiver `j`'s confirmed `S'_j`.
    pub verification_shares: [[u8; 32]; MAX_NODES],
}

impl Ceremony {
    /// The kind as an enum (an unknown byte reads as key generation).
    pub fn kind(&self) -> CeremonyKind {
        if self.kind == 1 {
            CeremonyKind::Resharing
        } else {
            CeremonyKind::KeyGeneration
        }
    }

    /// The phase as an enum (an unknown byte reads as failed).
    pub fn phase(&self) -> CeremonyPhase {
        match self.phase {
            0 => CeremonyPhase::Dealing,
            1 => CeremonyPhase::Confirming,
            2 => CeremonyPhase::Done,
            _ => CeremonyPhase::Failed,
        }
    }

    /// Whose confirmations activation waits for: `Q` (key generation) or every receiver (resharing).
    pub fn required(&self) -> u16 {
        match self.kind() {
            CeremonyKind::KeyGeneration => self.qualified.get(),
            CeremonyKind::Resharing => self.receivers.get(),
        }
    }

    /// The fewest qualified dealers the ceremony can finish with.
    pub fn fewest_qualified(&self) -> u32 {
        match self.kind() {
            CeremonyKind::KeyGeneration => u32::from(self.threshold),
            CeremonyKind::Resharing => u32::from(self.old_threshold),
        }
    }
}
