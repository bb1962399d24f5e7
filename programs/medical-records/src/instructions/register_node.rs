//! `register_node`: the admin admits a node (its authority co-signs) with its X25519 key.
//! The `n`-th registration starts the key ceremony.

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::{CeremonyStarted, NodeRegistered},
    state::{Cluster, ClusterStatus},
};

/// Accounts of `register_node`.
#[derive(Accounts)]
pub struct RegisterNode {
    /// The cluster's admin.
    pub admin: Signer,
    /// The node's signing wallet; co-signs so that nobody is enrolled without consent.
    pub node_authority: Signer,
    /// The cluster, still registering.
    #[account(mut)]
    pub cluster: Account<Cluster>,
}

/// Appends the node with the next index; at `n` members the ceremony of the epoch starts.
#[inline(never)]
pub fn handler(ctx: &mut Context<RegisterNode>, transport_key: [u8; 32]) -> Result<()> {
    let admin = *ctx.accounts.admin.address();
    let authority = *ctx.accounts.node_authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &mut ctx.accounts.cluster;
    require!(address_eq(&cluster.admin, &admin), MedShareError::NotClusterAdmin);
    require!(cluster.member_count < cluster.size, MedShareError::ClusterFull);
    require!(cluster.status() == ClusterStatus::Registering, MedShareError::WrongClusterStatus);
    require!(cluster.member_by_authority(&authority).is_none(), MedShareError::AlreadyMember);
    require!(transport_key != [0u8; 32], MedShareError::InvalidTransportKey);

    let index = cluster.member_count + 1;
    let member = &mut cluster.members[usize::from(index - 1)];
    member.authority = authority;
    member.transport_key = transport_key;
    member.index = index;
    member.active = true.into();
    cluster.member_count = index;
    emit!(NodeRegistered { cluster: cluster_address, authority, index, transport_key });
    if cluster.member_count == cluster.size {
        cluster.status = ClusterStatus::Ceremony as u8;
        emit!(CeremonyStarted { cluster: cluster_address, epoch: cluster.epoch.get() });
    }
    Ok(())
}
