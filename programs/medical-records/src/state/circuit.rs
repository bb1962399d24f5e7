//! The `CircuitDefinition` account: the share circuit a cluster runs (the seed's "comp def").

use anchor_lang::prelude::*;

/// The only circuit version this program verifies.
pub const SHARE_CIRCUIT_VERSION: u16 = 1;
/// Its proof domain tag (`H`'s `dst` for the re-encryption proof), zero-padded.
pub const SHARE_CIRCUIT_DOMAIN: &[u8] = b"medshare/v1/reenc-proof";

/// Registers the threshold re-encryption circuit with a cluster, so that a circuit upgrade
/// is an explicit, auditable event. PDA: `["comp_def", cluster]`.
#[account]
pub struct CircuitDefinition {
    /// The cluster that runs the circuit.
    pub cluster: Address,
    /// The proof domain tag, zero-padded to 32 bytes.
    pub domain: [u8; 32],
    /// The circuit version (1).
    pub version: PodU16,
    /// The PDA bump.
    pub bump: u8,
    /// Explicit padding.
    pub reserved: [u8; 5],
}
