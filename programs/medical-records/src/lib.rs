//! # medical_records
//!
//! The MedShare on-chain program: the bulletin board and the judge of the protocol in
//! `docs/protocol.md`. Patients store encrypted records; a cluster of `mpc-node`s, each
//! holding one Shamir share of a key made by a distributed key generation, answers share
//! requests with proven partial re-encryptions that this program verifies.
//!
//! Layout (after Squads v4): this file only routes; each instruction lives in
//! [`instructions`] with its accounts, arguments and checks; each account type in
//! [`state`]; PDA seeds in [`seeds`]; errors in [`errors`]; events in [`events`].

// no_std on chain; std only for host unit tests and IDL generation (which print).
#![cfg_attr(not(test), no_std)]

extern crate alloc;

use anchor_lang::prelude::*;
#[cfg(target_arch = "bpf")]
use solana_compiler_builtins as _;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod seeds;
pub mod state;

pub use errors::MedShareError;
use instructions::*;

declare_id!("G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ");

#[program]
pub mod medical_records {
    use super::*;

    /// Creates a cluster: the admin fixes `n` (`size`) and `t` (`threshold`), `2 ≤ t ≤ n ≤ 16`; nodes join later.
    pub fn create_cluster(ctx: &mut Context<CreateCluster>, cluster_id: u64, threshold: u8, size: u8) -> Result<()> {
        create_cluster::handler(ctx, cluster_id, threshold, size)
    }
}
