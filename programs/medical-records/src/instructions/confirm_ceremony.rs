//! `confirm_ceremony`: each node posts the `PK` and `S_1..S_n` it computed. The cluster is
//! activated when all `n` agree byte for byte: with one honest node among them, the values
//! are the ones the public round-1 commitments fix.

use alloc::vec::Vec;
use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::{CeremonyConfirmed, ClusterActivated},
    state::{Cluster, ClusterStatus},
};

/// Accounts of `confirm_ceremony`.
#[derive(Accounts)]
pub struct ConfirmCeremony {
    /// The node's authority.
    pub authority: Signer,
    /// The cluster, in its ceremony.
    #[account(mut)]
    pub cluster: Account<Cluster>,
}

/// Records node `index`'s confirmation; the `n`-th activates the cluster.
#[inline(never)]
pub fn handler(ctx: &mut Context<ConfirmCeremony>, epoch: u64, index: u8, public_key: [u8; 32], shares: Vec<[u8; 32]>) -> Result<()> {
    let authority = *ctx.accounts.authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &mut ctx.accounts.cluster;
    require!(cluster.status() == ClusterStatus::Ceremony, MedShareError::WrongClusterStatus);
    require!(cluster.epoch.get() == epoch, MedShareError::WrongEpoch);
    let member = cluster.member(index).ok_or(MedShareError::NotAMember)?;
    require!(address_eq(&member.authority, &authority), MedShareError::NotAMember);
    let bit = 1u16 << (index - 1);
    require!(cluster.confirmations.get() & bit == 0, MedShareError::AlreadyConfirmed);
    require!(shares.len() == usize::from(cluster.size), MedShareError::CeremonyMismatch);
    require!(public_key != [0u8; 32] && shares.iter().all(|s| *s != [0u8; 32]), MedShareError::InvalidPublicKey);

    if cluster.confirmations.get() == 0 {
        cluster.pending_public_key = public_key;
        cluster.pending_shares[..shares.len()].copy_from_slice(&shares);
    } else {
        require!(cluster.pending_public_key == public_key && cluster.pending_shares[..shares.len()] == shares[..], MedShareError::CeremonyMismatch);
    }
    cluster.confirmations = (cluster.confirmations.get() | bit).into();
    emit!(CeremonyConfirmed { cluster: cluster_address, epoch, index, public_key });

    if u32::from(cluster.confirmations.get()) == (1u32 << cluster.size) - 1 {
        cluster.public_key = public_key;
        for i in 0..usize::from(cluster.size) {
            cluster.members[i].verification_share = cluster.pending_shares[i];
        }
        cluster.status = ClusterStatus::Active as u8;
        emit!(ClusterActivated { cluster: cluster_address, epoch, public_key });
    }
    Ok(())
}
