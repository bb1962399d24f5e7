//! `advance_ceremony`: anyone moves a ceremony past a deadline (docs/protocol.md §3.5).
//! After the deal deadline it closes dealing and names the absent dealers; after the
//! confirm deadline it activates with the receivers that confirmed if there are at least
//! `t'` (naming the late ones), or fails the ceremony. So no absent member can hold a
//! ceremony open forever.

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    state::{Ceremony, CeremonyPhase, Cluster, MemberStatus},
    transitions,
};

/// Accounts of `advance_ceremony`.
#[derive(Accounts)]
pub struct AdvanceCeremony {
    /// The cluster.
    #[account(mut)]
    pub cluster: Account<Cluster>,
    /// The running ceremony.
    #[account(mut)]
    pub ceremony: Account<Ceremony>,
}

/// One step: close dealing, or activate/fail at the confirm deadline.
#[inline(never)]
pub fn handler(ctx: &mut Context<AdvanceCeremony>, epoch: u64) -> Result<()> {
    let cluster_address = *ctx.accounts.cluster.address();
    let slot = Clock::get()?.slot;
    let ceremony = &mut ctx.accounts.ceremony;
    require!(address_eq(&ceremony.cluster, &cluster_address), MedShareError::AccountMismatch);
    require!(ceremony.epoch.get() == epoch && ctx.accounts.cluster.ceremony_epoch.get() == epoch, MedShareError::WrongEpoch);
    match ceremony.phase() {
        CeremonyPhase::Dealing if slot > ceremony.deal_deadline.get() => transitions::close_dealing(&cluster_address, ceremony),
        CeremonyPhase::Confirming if slot > ceremony.confirm_deadline.get() => {
            // only active members serve: a confirmed member suspended or removed since does not count
            let serving = ceremony.confirmed.get() & ctx.accounts.cluster.members_with(MemberStatus::Active);
            if transitions::count(serving) >= u32::from(ceremony.threshold) {
                transitions::activate(&cluster_address, &mut ctx.accounts.cluster, ceremony);
            } else {
                transitions::fail(&cluster_address, ceremony);
            }
        }
        _ => return Err(MedShareError::NothingToAdvance.into()),
    }
    Ok(())
}
