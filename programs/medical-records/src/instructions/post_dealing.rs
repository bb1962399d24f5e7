//! `post_dealing`: a dealer writes its dealing (docs/protocol.md §3.5) in order, each byte
//! once, before the deal deadline. When the last byte lands the program checks it: a
//! dealing that fails disqualifies its dealer (the transaction succeeds, so that the fault
//! is recorded and `DealingRejected` names it).

use alloc::vec::Vec;
use anchor_lang::{address_eq, prelude::*};
use encrypted_circuits::ceremony::{dealing_len, verify_dealing, DealingView};

use crate::{
    errors::MedShareError,
    events::{DealingPosted, DealingRejected},
    seeds,
    state::{Ceremony, CeremonyKind, CeremonyPhase, Cluster, Dealing, MemberStatus},
    transitions,
};

/// Accounts of `post_dealing`.
#[derive(Accounts)]
#[instruction(epoch: u64, dealer: u8)]
pub struct PostDealing {
    /// The dealer's authority; pays for its dealing account.
    #[account(mut)]
    pub authority: Signer,
    /// The cluster (a rejected dealer's fault counter grows).
    #[account(mut)]
    pub cluster: Account<Cluster>,
    /// The running ceremony.
    #[account(mut)]
    pub ceremony: Account<Ceremony>,
    /// The dealer's account in this ceremony.
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

/// Appends `chunk` at `offset`; the last chunk has the dealing checked.
#[inline(never)]
pub fn handler(ctx: &mut Context<PostDealing>, epoch: u64, dealer: u8, offset: u16, chunk: Vec<u8>) -> Result<()> {
    let authority = *ctx.accounts.authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let bump = ctx.bumps.dealing;
    let slot = Clock::get()?.slot;
    let cluster = &ctx.accounts.cluster;
    let ceremony = &ctx.accounts.ceremony;
    require!(address_eq(&ceremony.cluster, &cluster_address), MedShareError::AccountMismatch);
    require!(ceremony.epoch.get() == epoch && cluster.ceremony_epoch.get() == epoch, MedShareError::WrongEpoch);
    require!(ceremony.phase() == CeremonyPhase::Dealing, MedShareError::WrongCeremonyPhase);
    require!(slot <= ceremony.deal_deadline.get(), MedShareError::DeadlinePassed);
    let member = cluster.member(dealer).ok_or(MedShareError::NotAMember)?;
    require!(address_eq(&member.authority, &authority), MedShareError::NotAMember);
    require!(member.status() == MemberStatus::Active, MedShareError::WrongMemberStatus);
    let bit = 1u16 << (dealer - 1);
    require!(ceremony.dealers.get() & bit != 0, MedShareError::NotADealer);
    require!((ceremony.dealt.get() | ceremony.disqualified.get()) & bit == 0, MedShareError::ChunkOutOfOrder);
    let total = dealing_len(ceremony.threshold);

    let dealing = &mut ctx.accounts.dealing;
    if dealing.len.get() == 0 {
        dealing.cluster = cluster_address;
        dealing.epoch = epoch.into();
        dealing.dealer = dealer;
        dealing.threshold = ceremony.threshold;
        dealing.bump = bump;
        dealing.len = (total as u16).into();
    }
    let start = usize::from(offset);
    let end = start + chunk.len();
    require!(usize::from(dealing.written.get()) == start && end <= total && !chunk.is_empty(), MedShareError::ChunkOutOfOrder);
    dealing.data[start..end].copy_from_slice(&chunk);
    dealing.written = (end as u16).into();
    if end < total {
        return Ok(());
    }

    // The last byte: check the whole dealing.
    let resharing = ceremony.kind() == CeremonyKind::Resharing;
    let reshared_share = resharing.then_some(member.verification_share);
    let view = DealingView::parse(&dealing.data[..total], ceremony.threshold).map_err(|_| MedShareError::ChunkOutOfOrder)?;
    let context = transitions::context(&cluster_address, epoch);
    let verdict = verify_dealing(&context, u16::from(dealer), &view, ceremony.receivers.get(), reshared_share.as_ref());
    let ceremony = &mut ctx.accounts.ceremony;
    match verdict {
        Ok(()) => {
            ceremony.dealt = (ceremony.dealt.get() | bit).into();
            emit!(DealingPosted { cluster: cluster_address, epoch, dealer });
        }
        Err(_) => {
            ceremony.disqualified = (ceremony.disqualified.get() | bit).into();
            let member = &mut ctx.accounts.cluster.members[usize::from(dealer - 1)];
            let faults = member.faults.get().saturating_add(1);
            member.faults = faults.into();
            emit!(DealingRejected { cluster: cluster_address, epoch, dealer, faults });
        }
    }
    if transitions::every_dealer_is_in(ceremony) {
        transitions::close_dealing(&cluster_address, ceremony);
    }
    Ok(())
}
