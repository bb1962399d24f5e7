//! `create_cluster`: the consortium admin opens a cluster of `n` nodes with threshold `t`.

use anchor_lang::prelude::*;

use crate::{
    errors::MedShareError,
    events::ClusterCreated,
    seeds,
    state::{Cluster, ClusterStatus, MAX_NODES},
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

/// Checks `2 ≤ n ≤ MAX_NODES` and `2 ≤ t ≤ n`, fills the cluster, emits [`ClusterCreated`].
///
/// `t = 1` is refused: every node would hold the whole cluster key, and the key ceremony
/// (FROST's DKG) needs at least two participants to deal (docs/protocol.md §4).
#[inline(never)]
pub fn handler(ctx: &mut Context<CreateCluster>, cluster_id: u64, threshold: u8, size: u8) -> Result<()> {
    require!(size >= 2 && size as usize <= MAX_NODES, MedShareError::InvalidClusterSize);
    require!(threshold >= 2 && threshold <= size, MedShareError::InvalidThreshold);

    let admin = *ctx.accounts.admin.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let bump = ctx.bumps.cluster;
    let cluster = &mut ctx.accounts.cluster;
    cluster.admin = admin;
    cluster.cluster_id = cluster_id.into();
    cluster.epoch = 0u64.into();
    cluster.threshold = threshold;
    cluster.size = size;
    cluster.status = ClusterStatus::Registering as u8;
    cluster.member_count = 0;
    cluster.bump = bump;

    emit!(ClusterCreated { cluster: cluster_address, admin, cluster_id, threshold, size, epoch: 0 });
    Ok(())
}
