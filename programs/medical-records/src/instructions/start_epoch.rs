//! `start_epoch` and `reshare`: the admin starts a ceremony (docs/protocol.md §3.5) for a
//! chosen set of active members. `start_epoch` makes a new cluster key (key generation:
//! every record must be re-keyed afterwards); `reshare` gives the same key to the chosen
//! members with a new threshold, dealt by every active member holding a share of the serving
//! epoch (so a hospital leaves by being left out of `members`, then removed). Either
//! supersedes a ceremony still running.

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::CeremonyStarted,
    seeds,
    state::{Ceremony, CeremonyKind, CeremonyPhase, Cluster, ClusterStatus, MemberStatus},
    transitions::count,
};

/// Accounts of `start_epoch` and `reshare`.
#[derive(Accounts)]
#[instruction(epoch: u64)]
pub struct StartCeremony {
    /// The cluster's admin; pays for the ceremony account.
    #[account(mut)]
    pub admin: Signer,
    /// The cluster.
    #[account(mut)]
    pub cluster: Account<Cluster>,
    /// The new ceremony (`epoch` must be the cluster's `ceremony_epoch + 1`).
    #[account(
        init,
        payer = admin,
        seeds = [seeds::CEREMONY, cluster.address().as_ref(), &epoch.to_le_bytes()],
        bump
    )]
    pub ceremony: Account<Ceremony>,
    /// For the account creation.
    pub system_program: Program<System>,
}

/// Snapshots dealers, receivers (`members`, bit `i-1` for member `i`) and their transport
/// keys, and sets the deadlines.
#[inline(never)]
pub fn handler(ctx: &mut Context<StartCeremony>, kind: CeremonyKind, epoch: u64, threshold: u8, window_slots: u32, members: u16) -> Result<()> {
    let admin = *ctx.accounts.admin.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let bump = ctx.bumps.ceremony;
    let slot = Clock::get()?.slot;
    let cluster = &mut ctx.accounts.cluster;
    require!(address_eq(&cluster.admin, &admin), MedShareError::NotClusterAdmin);
    require!(epoch == cluster.ceremony_epoch.get() + 1, MedShareError::WrongEpoch);
    require!(window_slots >= 1, MedShareError::InvalidWindow);
    let receivers = members;
    require!(receivers & !cluster.members_with(MemberStatus::Active) == 0, MedShareError::WrongMemberStatus);
    require!(threshold >= 2, MedShareError::InvalidThreshold);
    require!(u32::from(threshold) <= count(receivers), MedShareError::NotEnoughMembers);
    let dealers = match kind {
        CeremonyKind::KeyGeneration => receivers,
        CeremonyKind::Resharing => {
            require!(cluster.status() == ClusterStatus::Active, MedShareError::WrongClusterStatus);
            let holders = cluster.serving_holders();
            require!(count(holders) >= u32::from(cluster.threshold), MedShareError::NotEnoughMembers);
            holders
        }
    };
    let deal_deadline = slot.saturating_add(u64::from(window_slots));
    let confirm_deadline = deal_deadline.saturating_add(u64::from(window_slots));

    let ceremony = &mut ctx.accounts.ceremony;
    ceremony.cluster = cluster_address;
    ceremony.epoch = epoch.into();
    ceremony.deal_deadline = deal_deadline.into();
    ceremony.confirm_deadline = confirm_deadline.into();
    ceremony.kind = kind as u8;
    ceremony.phase = CeremonyPhase::Dealing as u8;
    ceremony.threshold = threshold;
    ceremony.old_threshold = cluster.threshold;
    ceremony.bump = bump;
    ceremony.dealers = dealers.into();
    ceremony.receivers = receivers.into();
    for (slot, member) in cluster.members.iter().enumerate() {
        if receivers & (1 << slot) != 0 {
            ceremony.transport_keys[slot] = member.transport_key;
        }
    }
    cluster.ceremony_epoch = epoch.into();
    if kind == CeremonyKind::KeyGeneration {
        cluster.status = ClusterStatus::Ceremony as u8;
        cluster.public_key = [0; 32];
    }
    emit!(CeremonyStarted { cluster: cluster_address, epoch, kind: kind as u8, threshold, dealers, receivers, deal_deadline, confirm_deadline });
    Ok(())
}
