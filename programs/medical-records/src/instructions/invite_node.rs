//! `invite_node`: the admin offers a member slot to a node authority. Only that authority
//! can accept, with its own transport key (`accept_invitation`): the admin never holds a
//! node's keys.

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::NodeInvited,
    state::{Cluster, Member, MemberStatus},
};

/// Accounts of `invite_node`.
#[derive(Accounts)]
pub struct InviteNode {
    /// The cluster's admin.
    pub admin: Signer,
    /// The cluster.
    #[account(mut)]
    pub cluster: Account<Cluster>,
}

/// Puts `authority` in the lowest slot that is empty, or removed and holding no share.
#[inline(never)]
pub fn handler(ctx: &mut Context<InviteNode>, authority: Address) -> Result<()> {
    let admin = *ctx.accounts.admin.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &mut ctx.accounts.cluster;
    require!(address_eq(&cluster.admin, &admin), MedShareError::NotClusterAdmin);
    require!(cluster.member_by_authority(&authority).is_none(), MedShareError::AlreadyMember);
    let slot = cluster
        .members
        .iter()
        .position(|m| m.status() == MemberStatus::Empty || (m.status() == MemberStatus::Removed && !m.holds_share()))
        .ok_or(MedShareError::NoFreeSlot)?;
    let index = slot as u8 + 1;
    cluster.members[slot] = Member { authority, index, status: MemberStatus::Invited as u8, ..bytemuck::Zeroable::zeroed() };
    emit!(NodeInvited { cluster: cluster_address, index, authority });
    Ok(())
}
