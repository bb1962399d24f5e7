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

use alloc::vec::Vec;
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
        instructions::create_cluster::handler(ctx, cluster_id, threshold, size)
    }

    /// Admits a node with its X25519 transport key; the `n`-th starts the key ceremony.
    pub fn register_node(ctx: &mut Context<RegisterNode>, transport_key: [u8; 32]) -> Result<()> {
        instructions::register_node::handler(ctx, transport_key)
    }

    /// Writes a chunk of a node's public round-1 package.
    pub fn post_round1(ctx: &mut Context<PostRound1>, epoch: u64, dealer: u8, total_len: u16, offset: u16, chunk: Vec<u8>) -> Result<()> {
        instructions::post_round1::handler(ctx, epoch, dealer, total_len, offset, chunk)
    }

    /// Posts a round-2 package sealed to one receiver.
    pub fn post_round2(ctx: &mut Context<PostRound2>, receiver: u8, sealed: [u8; state::SEALED_ROUND2_LEN]) -> Result<()> {
        instructions::post_round2::handler(ctx, receiver, sealed)
    }

    /// A node confirms `PK` and `S_1..S_n`; all `n` agreeing activates the cluster.
    pub fn confirm_ceremony(ctx: &mut Context<ConfirmCeremony>, epoch: u64, index: u8, public_key: [u8; 32], shares: Vec<[u8; 32]>) -> Result<()> {
        instructions::confirm_ceremony::handler(ctx, epoch, index, public_key, shares)
    }

    /// The admin suspends a node.
    pub fn suspend_node(ctx: &mut Context<SuspendNode>, index: u8) -> Result<()> {
        instructions::suspend_node::handler(ctx, index)
    }

    /// The admin restarts the key ceremony under a new epoch.
    pub fn start_epoch(ctx: &mut Context<StartEpoch>) -> Result<()> {
        instructions::start_epoch::handler(ctx)
    }

    /// Registers the share circuit with the cluster.
    pub fn init_share_patient_data_comp_def(ctx: &mut Context<InitSharePatientDataCompDef>) -> Result<()> {
        instructions::init_share_patient_data_comp_def::handler(ctx)
    }

    /// Registers (or replaces) a wallet's encryption key, with its proof of possession.
    pub fn register_user_key(ctx: &mut Context<RegisterUserKey>, public_key: [u8; 32], proof: [u8; 64]) -> Result<()> {
        instructions::register_user_key::handler(ctx, public_key, proof)
    }

    /// Stores a record version (create, update, re-key).
    pub fn store_patient_data(ctx: &mut Context<StorePatientData>, record_id: u64, args: StoreArgs) -> Result<()> {
        instructions::store_patient_data::handler(ctx, record_id, args)
    }

    /// Writes the next chunk of an inline ciphertext.
    pub fn append_patient_data(ctx: &mut Context<AppendPatientData>, version: u32, offset: u32, chunk: Vec<u8>) -> Result<()> {
        instructions::append_patient_data::handler(ctx, version, offset, chunk)
    }

    /// Asks the cluster to share the record with a registered recipient.
    pub fn share_patient_data(ctx: &mut Context<SharePatientData>, expires_at: i64) -> Result<()> {
        instructions::share_patient_data::handler(ctx, expires_at)
    }

    /// A node posts its proven partial re-encryption.
    pub fn share_patient_data_callback(ctx: &mut Context<SharePatientDataCallback>, a: [u8; 32], e: [u8; 32], proof: [u8; 96]) -> Result<()> {
        instructions::share_patient_data_callback::handler(ctx, a, e, proof)
    }

    /// The owner withdraws consent.
    pub fn revoke_share(ctx: &mut Context<RevokeShare>) -> Result<()> {
        instructions::revoke_share::handler(ctx)
    }

    /// Closes a record and returns its rent.
    pub fn close_record(ctx: &mut Context<CloseRecord>) -> Result<()> {
        instructions::close_accounts::close_record(ctx)
    }

    /// Closes a finished share request and returns its rent.
    pub fn close_share_request(ctx: &mut Context<CloseShareRequest>) -> Result<()> {
        instructions::close_accounts::close_share_request(ctx)
    }

    /// Closes a dealing of a finished ceremony and returns its rent.
    pub fn close_dealing(ctx: &mut Context<CloseDealing>) -> Result<()> {
        instructions::close_accounts::close_dealing(ctx)
    }
}
