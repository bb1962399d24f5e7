//! `confirm_ceremony`: a receiver proves that it holds the share the public commitments fix
//! (docs/protocol.md §3.5 "Confirmation"). The program takes nothing from what other members
//! claim: it checks this receiver's `S'_j` against the commitments of every qualified dealing,
//! folded into the ceremony account (`fold_dealing`), and its proof of possession. A
//! confirmation that fails is not kept (the receiver's faults grow, `ConfirmationRejected`);
//! the one that completes the required set activates the ceremony. After activation a
//! receiver that had not confirmed may still do so and then holds a share.

use anchor_lang::{address_eq, prelude::*};
use encrypted_circuits::ceremony::{share_weights, verify_folded_confirmation};

use crate::{
    errors::MedShareError,
    events::{CeremonyConfirmed, ConfirmationRejected},
    state::{Ceremony, CeremonyKind, CeremonyPhase, Cluster, MemberStatus},
    transitions,
};

/// Accounts of `confirm_ceremony`.
#[derive(Accounts)]
pub struct ConfirmCeremony {
    /// The receiver's authority.
    pub authority: Signer,
    /// The cluster.
    #[account(mut)]
    pub cluster: Account<Cluster>,
    /// The ceremony: running, or done and serving (a late confirmation).
    #[account(mut)]
    pub ceremony: Account<Ceremony>,
}

/// Checks and records receiver `j`'s `S'_j`; activates when every required receiver is in.
#[inline(never)]
pub fn handler(ctx: &mut Context<ConfirmCeremony>, epoch: u64, verification_share: [u8; 32], proof: [u8; 64]) -> Result<()> {
    let authority = *ctx.accounts.authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &ctx.accounts.cluster;
    let ceremony = &ctx.accounts.ceremony;
    require!(address_eq(&ceremony.cluster, &cluster_address), MedShareError::AccountMismatch);
    require!(ceremony.epoch.get() == epoch, MedShareError::WrongEpoch);
    let late = match ceremony.phase() {
        CeremonyPhase::Confirming => {
            require!(cluster.ceremony_epoch.get() == epoch, MedShareError::WrongEpoch);
            false
        }
        CeremonyPhase::Done => {
            require!(cluster.epoch.get() == epoch, MedShareError::WrongEpoch);
            true
        }
        _ => return Err(MedShareError::WrongCeremonyPhase.into()),
    };
    let member = cluster.member_by_authority(&authority).ok_or(MedShareError::NotAMember)?;
    require!(member.status() == MemberStatus::Active, MedShareError::WrongMemberStatus);
    let receiver = member.index;
    let bit = 1u16 << (receiver - 1);
    require!(ceremony.receivers.get() & bit != 0, MedShareError::NotAReceiver);
    require!(ceremony.confirmed.get() & bit == 0, MedShareError::AlreadyConfirmed);
    require!(ceremony.folded.get() == ceremony.qualified.get(), MedShareError::DealingsNotFolded);

    let resharing = ceremony.kind() == CeremonyKind::Resharing;
    let (weight_denominator, _) = share_weights(&transitions::qualified_indices(ceremony), resharing).map_err(|_| MedShareError::DealingsNotFolded)?;
    let context = transitions::context(&cluster_address, epoch);
    let aggregate = &ceremony.aggregate[..usize::from(ceremony.threshold)];
    let verdict = verify_folded_confirmation(&context, u16::from(receiver), &verification_share, &proof, aggregate, weight_denominator);

    if verdict.is_err() {
        let member = &mut ctx.accounts.cluster.members[usize::from(receiver - 1)];
        let faults = member.faults.get().saturating_add(1);
        member.faults = faults.into();
        emit!(ConfirmationRejected { cluster: cluster_address, epoch, index: receiver, faults });
        return Ok(());
    }
    let ceremony = &mut ctx.accounts.ceremony;
    ceremony.confirmed = (ceremony.confirmed.get() | bit).into();
    ceremony.verification_shares[usize::from(receiver - 1)] = verification_share;
    emit!(CeremonyConfirmed { cluster: cluster_address, epoch, index: receiver, verification_share });
    let cluster = &mut ctx.accounts.cluster;
    if late {
        let member = &mut cluster.members[usize::from(receiver - 1)];
        if !member.holds_share() {
            cluster.size = cluster.size.saturating_add(1);
        }
        cluster.members[usize::from(receiver - 1)].verification_share = verification_share;
    } else if ceremony.required() & !ceremony.confirmed.get() == 0 {
        transitions::activate(&cluster_address, cluster, ceremony);
    }
    Ok(())
}
