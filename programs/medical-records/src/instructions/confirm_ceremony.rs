//! `confirm_ceremony`: a receiver proves that it holds the share the public commitments fix
//! (docs/protocol.md §3.5 "Confirmation"). The program computes nothing from what other
//! members claim: it checks this receiver's `S'_j` against the qualified dealings, passed
//! as remaining accounts in ascending dealer order, and its proof of possession. A
//! confirmation that fails is not kept (the receiver's faults grow, `ConfirmationRejected`);
//! the one that completes the required set activates the ceremony. After activation a
//! receiver that had not confirmed may still do so and then holds a share.

use alloc::vec::Vec;
use anchor_lang::{address_eq, prelude::*, Discriminator};
use encrypted_circuits::ceremony::{verify_confirmation, DealingView};

use crate::{
    errors::MedShareError,
    events::{CeremonyConfirmed, ConfirmationRejected},
    state::{dealing::layout, Ceremony, CeremonyKind, CeremonyPhase, Cluster, Dealing, MemberStatus},
    transitions,
};

/// Accounts of `confirm_ceremony` (then the dealings of `Q`, ascending, as remaining accounts).
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
    let dealing_accounts = ctx.remaining_accounts()?;
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

    // The qualified dealings, exactly, in ascending order.
    let qualified = ceremony.qualified.get();
    let dealers: Vec<u8> = (1..=16u8).filter(|i| qualified & (1 << (i - 1)) != 0).collect();
    require!(dealing_accounts.len() == dealers.len(), MedShareError::WrongDealings);
    let mut borrowed = Vec::with_capacity(dealers.len());
    for (account, &dealer) in dealing_accounts.iter().zip(&dealers) {
        require!(account.owned_by(&crate::ID), MedShareError::WrongDealings);
        let data = account.try_borrow()?;
        require!(data.len() > layout::DATA && data[..8] == *Dealing::DISCRIMINATOR, MedShareError::WrongDealings);
        let epoch_bytes: [u8; 8] = data[layout::EPOCH..layout::EPOCH + 8].try_into().map_err(|_| MedShareError::WrongDealings)?;
        let len = usize::from(u16::from_le_bytes([data[layout::LEN], data[layout::LEN + 1]]));
        let written = usize::from(u16::from_le_bytes([data[layout::WRITTEN], data[layout::WRITTEN + 1]]));
        require!(
            data[layout::CLUSTER..layout::CLUSTER + 32] == *cluster_address.as_ref()
                && u64::from_le_bytes(epoch_bytes) == epoch
                && data[layout::DEALER] == dealer
                && len == written
                && data.len() >= layout::DATA + len,
            MedShareError::WrongDealings
        );
        borrowed.push((dealer, len, data));
    }
    let mut dealings = Vec::with_capacity(borrowed.len());
    for (dealer, len, data) in &borrowed {
        let view = DealingView::parse(&data[layout::DATA..layout::DATA + len], ceremony.threshold).map_err(|_| MedShareError::WrongDealings)?;
        dealings.push((u16::from(*dealer), view));
    }
    let context = transitions::context(&cluster_address, epoch);
    let resharing = ceremony.kind() == CeremonyKind::Resharing;
    let verdict = verify_confirmation(&context, u16::from(receiver), &verification_share, &proof, &dealings, resharing);
    drop(dealings);
    drop(borrowed);

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
