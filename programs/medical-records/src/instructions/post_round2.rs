//! `post_round2`: a dealer posts the round-2 package it sealed to one receiver's X25519 key.

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::DealingPosted,
    state::{Cluster, ClusterStatus, Dealing, SEALED_ROUND2_LEN},
};

/// Accounts of `post_round2`.
#[derive(Accounts)]
pub struct PostRound2 {
    /// The dealer's authority.
    pub authority: Signer,
    /// The cluster, in its ceremony.
    pub cluster: Account<Cluster>,
    /// The dealer's account for this epoch.
    #[account(mut)]
    pub dealing: Account<Dealing>,
}

/// Stores `sealed` as the package for node `receiver`, once every node finished round 1.
#[inline(never)]
pub fn handler(ctx: &mut Context<PostRound2>, receiver: u8, sealed: [u8; SEALED_ROUND2_LEN]) -> Result<()> {
    let authority = *ctx.accounts.authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &ctx.accounts.cluster;
    let dealing = &mut ctx.accounts.dealing;
    require!(address_eq(&dealing.cluster, &cluster_address), MedShareError::AccountMismatch);
    require!(cluster.status() == ClusterStatus::Ceremony, MedShareError::WrongClusterStatus);
    require!(cluster.epoch.get() == dealing.epoch.get(), MedShareError::WrongEpoch);
    let member = cluster.member(dealing.dealer).ok_or(MedShareError::NotAMember)?;
    require!(address_eq(&member.authority, &authority), MedShareError::NotAMember);
    let everyone = (1u32 << cluster.size) - 1;
    require!(u32::from(cluster.round1_done.get()) == everyone, MedShareError::Round1Incomplete);
    require!(receiver != dealing.dealer && cluster.member(receiver).is_some(), MedShareError::InvalidReceiver);

    dealing.round2[usize::from(receiver - 1)] = sealed;
    dealing.round2_posted = (dealing.round2_posted.get() | 1 << (receiver - 1)).into();
    emit!(DealingPosted { cluster: cluster_address, epoch: dealing.epoch.get(), dealer: dealing.dealer, round: 2, receiver });
    Ok(())
}
