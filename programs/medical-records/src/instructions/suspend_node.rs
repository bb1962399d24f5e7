//! `suspend_node` and `remove_node`: the admin stops a member. Neither takes part in any
//! later ceremony, and the program accepts no partial from them. Removal also frees the
//! slot once the member holds no share (after the next ceremony activates; resharing
//! makes its old share useless).

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::{NodeRemoved, NodeSuspended},
    state::{Cluster, Member, MemberStatus},
};

/// Accounts of `suspend_node` and `remove_node`.
#[derive(Accounts)]
pub struct AdministerNode {
    /// The cluster's admin.
    pub admin: Signer,
    /// The cluster.
    #[account(mut)]
    pub cluster: Account<Cluster>,
}

/// Checks the admin and returns the slot of member `index`.
fn slot_of(ctx: &Context<AdministerNode>, index: u8) -> Result<usize> {
    let cluster = &ctx.accounts.cluster;
    require!(address_eq(&cluster.admin, ctx.accounts.admin.address()), MedShareError::NotClusterAdmin);
    cluster.member(index).ok_or(MedShareError::NotAMember)?;
    Ok(usize::from(index - 1))
}

/// Active → suspended.
#[inline(never)]
pub fn suspend(ctx: &mut Context<AdministerNode>, index: u8) -> Result<()> {
    let slot = slot_of(ctx, index)?;
    let cluster_address = *ctx.accounts.cluster.address();
    let member = &mut ctx.accounts.cluster.members[slot];
    require!(member.status() == MemberStatus::Active, MedShareError::WrongMemberStatus);
    member.status = MemberStatus::Suspended as u8;
    emit!(NodeSuspended { cluster: cluster_address, index });
    Ok(())
}

/// Invited → empty (the invitation withdrawn); active or suspended → removed.
#[inline(never)]
pub fn remove(ctx: &mut Context<AdministerNode>, index: u8) -> Result<()> {
    let slot = slot_of(ctx, index)?;
    let cluster_address = *ctx.accounts.cluster.address();
    let member = &mut ctx.accounts.cluster.members[slot];
    let authority = member.authority;
    match member.status() {
        MemberStatus::Invited => *member = Member { index, ..bytemuck::Zeroable::zeroed() },
        MemberStatus::Active | MemberStatus::Suspended => member.status = MemberStatus::Removed as u8,
        _ => return Err(MedShareError::WrongMemberStatus.into()),
    }
    emit!(NodeRemoved { cluster: cluster_address, index, authority });
    Ok(())
}
