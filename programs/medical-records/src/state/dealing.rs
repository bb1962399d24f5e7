//! The `Dealing` account: one node's part of one key-ceremony epoch (DESIGN §3.5).

use anchor_lang::prelude::*;

use super::MAX_NODES;

/// The longest round-1 package (`t = 16`): frost's 71 fixed bytes and 16 commitments.
pub const MAX_ROUND1_LEN: usize = 71 + 32 * MAX_NODES;
/// A sealed round-2 package: nonce ‖ AES-256-GCM(frost package) ‖ tag.
pub const SEALED_ROUND2_LEN: usize = 65;

/// Node `dealer`'s dealing in `epoch`: its public round-1 package (written in chunks) and
/// its round-2 packages, each sealed to the receiver's transport key.
/// PDA: `["dealing", cluster, u64le(epoch), [dealer]]`.
#[account]
pub struct Dealing {
    /// The cluster.
    pub cluster: Address,
    /// The ceremony epoch.
    pub epoch: PodU64,
    /// Bytes of the round-1 package (`71 + 32·t`).
    pub round1_len: PodU16,
    /// Round-1 bytes written so far (chunks are appended in order).
    pub round1_written: PodU16,
    /// Bit `j-1` set: the package sealed to node `j` is posted.
    pub round2_posted: PodU16,
    /// The dealer's index.
    pub dealer: u8,
    /// The PDA bump.
    pub bump: u8,
    /// The round-1 package.
    pub round1: [u8; MAX_ROUND1_LEN],
    /// `round2[j-1]`: the package sealed to node `j`.
    pub round2: [[u8; SEALED_ROUND2_LEN]; MAX_NODES],
}
