//! `create_cluster`: the consortium admin opens a cluster; members are invited next.

use anchor_lang::prelude::*;

use crate::{
    events::ClusterCreated,
    seeds,
    state::{Cluster, ClusterStatus},
};

/// Accounts of `create_cluster`.
#[derive(Accounts)]
#[instruction(cluster_id: u64)]
pub struct CreateCluster {
    /// Pays rent and becomes the cluster's admin.
    #[account(mut)]
    pub admin: Signer,
    /// The new cluster account.
    #[account(
        init,
        payer = admin,
        seeds = [seeds::CLUSTER, admin.address().as_ref(), &cluster_id.to_le_bytes()],
        bump
    )]
    pub cluster: Account<Cluster>,
    /// For the account creation.
    pub system_program: Program<System>,
}

/// Fills the cluster (no members, no key, no ceremony yet), emits [`ClusterCreated`].
#[inline(never)]
pub fn handler(ctx: &mut Context<CreateCluster>, cluster_id: u64) -> Result<()> {
    let admin = *ctx.accounts.admin.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let bump = ctx.bumps.cluster;
    let cluster = &mut ctx.accounts.cluster;
    cluster.admin = admin;
    cluster.cluster_id = cluster_id.into();
    cluster.status = ClusterStatus::Registering as u8;
    cluster.bump = bump;
    emit!(ClusterCreated { cluster: cluster_address, admin, cluster_id });
    Ok(())
}
