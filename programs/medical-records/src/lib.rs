//! # medical_records
//!
//! The MedShare on-chain program: the bulletin board and the judge of the protocol in
//! `docs/protocol.md`. Patients store encrypted records; a cluster of `mpc-node`s, each
//! holding one Shamir share of a key made by a distributed key generation, answers share
//! requests with proven partial re-encryptions that this program verifies.
//!
//! Layout (after Squads v4): this file only routes; each instruction lives in
//! [`instructions`] with its accounts, arguments and checks; each account type in
//! [`state`]; PDA seeds in [`seeds`]; errors in [`errors`]; events in [`events`]; the
//! ceremony's transitions that several instructions share in [`transitions`].

// no_std on chain; std only for host unit tests and IDL generation (which print).
#![cfg_attr(not(test), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use anchor_lang::prelude::*;
#[cfg(target_arch = "bpf")]
use solana_compiler_builtins as _;

#[cfg(all(target_os = "solana", feature = "exact-instruction-data", not(feature = "cpi")))]
mod entrypoint;
pub mod errors;
pub mod events;
pub mod instruction_data;
pub mod instructions;
pub mod seeds;
pub mod state;
pub mod transitions;

pub use errors::MedShareError;
use instructions::*;

declare_id!("G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ");

#[program]
pub mod medical_records {
    use super::*;

    /// Creates a cluster (no members, no key): the admin invites members next.
    pub fn create_cluster(ctx: &mut Context<CreateCluster>, cluster_id: u64) -> Result<()> {
        instructions::create_cluster::handler(ctx, cluster_id)
    }

    /// The admin offers a member slot to a node authority.
    pub fn invite_node(ctx: &mut Context<InviteNode>, authority: Address) -> Result<()> {
        instructions::invite_node::handler(ctx, authority)
    }

    /// The invited authority joins with its transport key and a proof that it holds it.
    pub fn accept_invitation(ctx: &mut Context<SetTransportKey>, transport_key: [u8; 32], proof: [u8; 64]) -> Result<()> {
        instructions::accept_invitation::accept(ctx, transport_key, proof)
    }

    /// A member replaces its transport key (with a new proof).
    pub fn rotate_transport_key(ctx: &mut Context<SetTransportKey>, transport_key: [u8; 32], proof: [u8; 64]) -> Result<()> {
        instructions::accept_invitation::rotate(ctx, transport_key, proof)
    }

    /// The admin suspends a member.
    pub fn suspend_node(ctx: &mut Context<AdministerNode>, index: u8) -> Result<()> {
        instructions::suspend_node::suspend(ctx, index)
    }

    /// The admin removes a member (or withdraws an invitation).
    pub fn remove_node(ctx: &mut Context<AdministerNode>, index: u8) -> Result<()> {
        instructions::suspend_node::remove(ctx, index)
    }

    /// The admin starts a key generation: a new `PK` for `members` (active), threshold `t'`.
    pub fn start_epoch(ctx: &mut Context<StartCeremony>, epoch: u64, threshold: u8, window_slots: u32, members: u16) -> Result<()> {
        instructions::start_epoch::handler(ctx, state::CeremonyKind::KeyGeneration, epoch, threshold, window_slots, members)
    }

    /// The admin starts a resharing: the same `PK` for `members` (active), threshold `t'`.
    pub fn reshare(ctx: &mut Context<StartCeremony>, epoch: u64, threshold: u8, window_slots: u32, members: u16) -> Result<()> {
        instructions::start_epoch::handler(ctx, state::CeremonyKind::Resharing, epoch, threshold, window_slots, members)
    }

    /// A dealer writes a chunk of its dealing; the last one has it checked.
    pub fn post_dealing(ctx: &mut Context<PostDealing>, epoch: u64, dealer: u8, offset: u16, chunk: Vec<u8>) -> Result<()> {
        instructions::post_dealing::handler(ctx, epoch, dealer, offset, chunk)
    }

    /// A receiver proves a dealer's sub-share to it bad (or is found at fault).
    pub fn complain(ctx: &mut Context<Complain>, epoch: u64, dealer: u8, complaint: [u8; 96]) -> Result<()> {
        instructions::complain::handler(ctx, epoch, dealer, complaint)
    }

    /// Anyone folds a qualified dealing's commitments into the ceremony's aggregate.
    pub fn fold_dealing(ctx: &mut Context<FoldDealing>, epoch: u64, dealer: u8) -> Result<()> {
        instructions::fold_dealing::handler(ctx, epoch, dealer)
    }

    /// A receiver proves possession of the share the qualified dealings fix.
    pub fn confirm_ceremony(ctx: &mut Context<ConfirmCeremony>, epoch: u64, verification_share: [u8; 32], proof: [u8; 64]) -> Result<()> {
        instructions::confirm_ceremony::handler(ctx, epoch, verification_share, proof)
    }

    /// Anyone moves a ceremony past a deadline.
    pub fn advance_ceremony(ctx: &mut Context<AdvanceCeremony>, epoch: u64) -> Result<()> {
        instructions::advance_ceremony::handler(ctx, epoch)
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

    /// A node posts its proven partial re-encryption, made with its share of `epoch`.
    pub fn share_patient_data_callback(ctx: &mut Context<SharePatientDataCallback>, a: [u8; 32], e: [u8; 32], proof: [u8; 96], epoch: u64) -> Result<()> {
        instructions::share_patient_data_callback::handler(ctx, a, e, proof, epoch)
    }

    /// The owner withdraws consent.
    pub fn revoke_share(ctx: &mut Context<RevokeShare>) -> Result<()> {
        instructions::revoke_share::handler(ctx)
    }

    /// Anyone marks a pending request past its expiry as expired.
    pub fn expire_share_request(ctx: &mut Context<ExpireShareRequest>) -> Result<()> {
        instructions::expire_share_request::handler(ctx)
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
