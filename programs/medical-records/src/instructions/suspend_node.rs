//! `suspend_node`: the admin stops a node's partials from being accepted.

use anchor_lang::{address_eq, prelude::*};

use crate::{errors::MedShareError, events::NodeSuspended, state::Cluster};

/// Accounts of `suspend_node`.
#[derive(Accounts)]
pub struct SuspendNode {
    /// The cluster's admin.
    pub admin: Signer,
    /// The cluster.
    #[account(mut)]
    pub cluster: Account<Cluster>,
}

/// Marks node `index` inactive.
#[inline(never)]
pub fn handler(ctx: &mut Context<SuspendNode>, index: u8) -> Result<()> {
    let admin = *ctx.accounts.admin.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &mut ctx.accounts.cluster;
    require!(address_eq(&cluster.admin, &admin), MedShareError::NotClusterAdmin);
    require!(cluster.member(index).is_some(), MedShareError::NotAMember);
    cluster.members[usize::from(index - 1)].active = false.into();
    emit!(NodeSuspended { cluster: cluster_address, index });
    Ok(())
}
