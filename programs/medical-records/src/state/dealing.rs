//! The `Dealing` account: one dealer's dealing in one ceremony (docs/protocol.md §3.5).

use anchor_lang::prelude::*;

use super::MAX_NODES;

/// The longest dealing (`t' = 16`): `D_i`, the proof, 16 commitments and 16 encrypted sub-shares.
pub const MAX_DEALING_LEN: usize = 96 + 32 * MAX_NODES + 32 * MAX_NODES;

/// Dealer `dealer`'s dealing in ceremony `epoch`, written once, in order, in chunks:
/// `D_i ‖ c ‖ z ‖ C_0..C_{t'-1} ‖ y_1..y_16`. PDA: `["dealing", cluster, u64le(epoch), [dealer]]`.
#[account]
pub struct Dealing {
    /// The cluster.
    pub cluster: Address,
    /// The ceremony epoch.
    pub epoch: PodU64,
    /// Bytes of the dealing (`608 + 32·t'`).
    pub len: PodU16,
    /// Bytes written so far; the dealing is complete when `written == len`.
    pub written: PodU16,
    /// The dealer's index.
    pub dealer: u8,
    /// `t'` of the ceremony (commitments in the dealing).
    pub threshold: u8,
    /// The PDA bump.
    pub bump: u8,
    /// Explicit padding.
    pub reserved: [u8; 1],
    /// The dealing bytes (the first `len` are used).
    pub data: [u8; MAX_DEALING_LEN],
}

impl Dealing {
    /// The written dealing, once complete.
    pub fn bytes(&self) -> Option<&[u8]> {
        let len = usize::from(self.len.get());
        (len != 0 && self.written.get() == self.len.get()).then(|| &self.data[..len])
    }
}

/// Byte offsets in a `Dealing` account's data (after the 8-byte discriminator), for the
/// instructions that read several dealings as remaining accounts without copying them.
pub mod layout {
    /// `cluster`.
    pub const CLUSTER: usize = 8;
    /// `epoch` (u64le).
    pub const EPOCH: usize = 40;
    /// `len` (u16le).
    pub const LEN: usize = 48;
    /// `written` (u16le).
    pub const WRITTEN: usize = 50;
    /// `dealer`.
    pub const DEALER: usize = 52;
    /// `data`.
    pub const DATA: usize = 56;
}
