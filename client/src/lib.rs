//! # medshare-client
//!
//! What every off-chain part (the `medshare` CLI, `mpc-node`, tests, auditors) needs to talk
//! to the `medical_records` program: its id, its PDA addresses ([`pda`]), instruction
//! builders ([`instructions`]), event decoding from transaction logs ([`events`]) and the
//! names of its error codes ([`errors`]).
//!
//! The wire format is Anchor's: instruction data is `sha256("global:<name>")[..8]` followed
//! by the borsh encoding of the arguments; events are `Program data:` log lines holding
//! `sha256("event:<Name>")[..8]` and the borsh body. The `medshare-tests` crate checks these
//! builders against the IDL the program build writes, so the two cannot drift apart.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod audit;
pub mod blob;
pub mod compute;
pub mod context;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod join;
pub mod landing;
pub mod pda;
pub mod rpc;
pub mod sealing;

pub use landing::{ComputeUnitPrice, LandingOptions, LandingStats};
pub use solana_address::Address;

/// The `medical_records` program id (`declare_id!` in the program).
pub const PROGRAM_ID: Address = solana_address::address!("G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ");

/// Anchor's 8-byte discriminator: `sha256("<namespace>:<name>")[..8]`.
pub fn discriminator(namespace: &str, name: &str) -> [u8; 8] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{namespace}:{name}").as_bytes());
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// Seconds since the Unix epoch on this machine's clock (expiries are Unix times).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
