//! `complain`: a receiver proves that a dealer's sub-share to it is bad (docs/protocol.md
//! §3.5 "Complaint"). It reveals the key it agreed with the dealer and a Chaum–Pedersen
//! proof that the key is the right one; the program decrypts the sub-share itself and
//! judges. Upheld: the dealer is disqualified. Dismissed: the complainer is at fault. Either
//! way the transaction succeeds so that the fault is recorded and the event names it; a
//! complaint whose proof fails changes nothing (`InvalidComplaintProof`).

use anchor_lang::{address_eq, prelude::*};
use encrypted_circuits::ceremony::{judge_complaint, ComplaintVerdict, DealingView};

use crate::{
    errors::MedShareError,
    events::{ComplaintDismissed, ComplaintUpheld},
    state::{Ceremony, CeremonyPhase, Cluster, Dealing, MemberStatus},
    transitions,
};

/// Accounts of `complain`.
#[derive(Accounts)]
pub struct Complain {
    /// The receiver's authority.
    pub authority: Signer,
    /// The cluster (someone's fault counter grows).
    #[account(mut)]
    pub cluster: Account<Cluster>,
    /// The running ceremony.
    #[account(mut)]
    pub ceremony: Account<Ceremony>,
    /// The accused dealer's dealing.
    pub dealing: Account<Dealing>,
}

/// Verifies the revealed key's proof, then judges the sub-share.
#[inline(never)]
pub fn handler(ctx: &mut Context<Complain>, epoch: u64, dealer: u8, complaint: [u8; 96]) -> Result<()> {
    let authority = *ctx.accounts.authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &ctx.accounts.cluster;
    let ceremony = &ctx.accounts.ceremony;
    let dealing = &ctx.accounts.dealing;
    require!(address_eq(&ceremony.cluster, &cluster_address) && address_eq(&dealing.cluster, &cluster_address), MedShareError::AccountMismatch);
    require!(ceremony.epoch.get() == epoch && cluster.ceremony_epoch.get() == epoch, MedShareError::WrongEpoch);
    require!(dealing.epoch.get() == epoch && dealing.dealer == dealer, MedShareError::AccountMismatch);
    require!(matches!(ceremony.phase(), CeremonyPhase::Dealing | CeremonyPhase::Confirming), MedShareError::WrongCeremonyPhase);
    let member = cluster.member_by_authority(&authority).ok_or(MedShareError::NotAMember)?;
    require!(member.status() == MemberStatus::Active, MedShareError::WrongMemberStatus);
    let receiver = member.index;
    // after the confirm deadline a complaint could only wipe the confirmations just before
    // `advance_ceremony` counts them
    require!(Clock::get()?.slot <= ceremony.confirm_deadline.get(), MedShareError::DeadlinePassed);
    require!(ceremony.receivers.get() & (1 << (receiver - 1)) != 0, MedShareError::NotAReceiver);
    require!((1..=crate::state::MAX_NODES as u8).contains(&dealer), MedShareError::NotADealer);
    let dealer_bit = 1u16 << (dealer - 1);
    require!(ceremony.disqualified.get() & dealer_bit == 0, MedShareError::DealerDisqualified);
    require!(ceremony.dealt.get() & dealer_bit != 0, MedShareError::DealingIncomplete);

    let bytes = dealing.bytes().ok_or(MedShareError::DealingIncomplete)?;
    let view = DealingView::parse(bytes, ceremony.threshold).map_err(|_| MedShareError::DealingIncomplete)?;
    let context = transitions::context(&cluster_address, epoch);
    let transport_key = ceremony.transport_keys[usize::from(receiver - 1)];
    let verdict = judge_complaint(&context, u16::from(dealer), u16::from(receiver), &transport_key, &view, &complaint)
        .map_err(|_| MedShareError::InvalidComplaintProof)?;

    let ceremony = &mut ctx.accounts.ceremony;
    let culprit = match verdict {
        ComplaintVerdict::Upheld => dealer,
        ComplaintVerdict::Dismissed => receiver,
    };
    let member = &mut ctx.accounts.cluster.members[usize::from(culprit - 1)];
    let faults = member.faults.get().saturating_add(1);
    member.faults = faults.into();
    match verdict {
        ComplaintVerdict::Upheld => {
            emit!(ComplaintUpheld { cluster: cluster_address, epoch, dealer, receiver, faults });
            transitions::disqualify(&cluster_address, ceremony, dealer, Clock::get()?.slot);
            if ceremony.phase() == CeremonyPhase::Dealing && transitions::every_dealer_is_in(ceremony) {
                transitions::close_dealing(&cluster_address, ceremony);
            }
        }
        ComplaintVerdict::Dismissed => emit!(ComplaintDismissed { cluster: cluster_address, epoch, dealer, receiver, faults }),
    }
    Ok(())
}
