//! The `UserKey` account: a wallet's registered encryption key.

use anchor_lang::prelude::*;

/// `P = x·G` registered by `wallet` with a proof of possession of `x`.
/// PDA: `["user_key", wallet]`.
#[account]
pub struct UserKey {
    /// The wallet that registered (and alone may replace) the key.
    pub wallet: Address,
    /// The Ristretto255 public key `P`.
    pub public_key: [u8; 32],
    /// Unix time of the last registration.
    pub registered_at: PodI64,
    /// The PDA bump.
    pub bump: u8,
    /// Explicit padding.
    pub reserved: [u8; 7],
}
