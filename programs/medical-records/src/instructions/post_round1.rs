//! `post_round1`: a node writes its public round-1 package (commitments and proof of
//! knowledge) into its dealing account, in chunks if it does not fit one transaction.

use alloc::vec::Vec;
use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::DealingPosted,
    seeds,
    state::{Cluster, ClusterStatus, Dealing},
};

/// Accounts of `post_round1`.
#[derive(Accounts)]
#[instruction(epoch: u64, dealer: u8)]
pub struct PostRound1 {
    /// The dealer's authority; pays for its dealing account.
    #[account(mut)]
    pub authority: Signer,
    /// The cluster, in its ceremony.
    #[account(mut)]
    pub cluster: Account<Cluster>,
    /// The dealer's account for this epoch.
    #[account(
        init_if_needed,
        payer = authority,
        seeds = [seeds::DEALING, cluster.address().as_ref(), &epoch.to_le_bytes(), &[dealer]],
        bump
    )]
    pub dealing: Account<Dealing>,
    /// For the account creation.
    pub system_program: Program<System>,
}

/// Appends `chunk` at `offset` of a `total_len`-byte package; the last chunk marks round 1
/// of this dealer done.
#[inline(never)]
pub fn handler(ctx: &mut Context<PostRound1>, epoch: u64, dealer: u8, total_len: u16, offset: u16, chunk: Vec<u8>) -> Result<()> {
    let authority = *ctx.accounts.authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let bump = ctx.bumps.dealing;
    let cluster = &mut ctx.accounts.cluster;
    require!(cluster.status() == ClusterStatus::Ceremony, MedShareError::WrongClusterStatus);
    require!(cluster.epoch.get() == epoch, MedShareError::WrongEpoch);
    let member = cluster.member(dealer).ok_or(MedShareError::NotAMember)?;
    require!(address_eq(&member.authority, &authority), MedShareError::NotAMember);
    require!(usize::from(total_len) == 71 + 32 * usize::from(cluster.threshold), MedShareError::InvalidRound1Length);

    let dealing = &mut ctx.accounts.dealing;
    if dealing.round1_len.get() == 0 {
        dealing.cluster = cluster_address;
        dealing.epoch = epoch.into();
        dealing.dealer = dealer;
        dealing.bump = bump;
        dealing.round1_len = total_len.into();
    }
    let start = usize::from(offset);
    let end = start + chunk.len();
    require!(
        dealing.round1_len.get() == total_len && offset == dealing.round1_written.get() && end <= usize::from(total_len) && !chunk.is_empty(),
        MedShareError::ChunkOutOfOrder
    );
    dealing.round1[start..end].copy_from_slice(&chunk);
    dealing.round1_written = (end as u16).into();
    if end == usize::from(total_len) {
        let bit = 1u16 << (dealer - 1);
        cluster.round1_done = (cluster.round1_done.get() | bit).into();
        emit!(DealingPosted { cluster: cluster_address, epoch, dealer, round: 1, receiver: 0 });
    }
    Ok(())
}
