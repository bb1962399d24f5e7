//! `start_epoch`: the admin restarts the key ceremony under a new epoch (after a bad
//! dealing, a dispute, or to rotate the cluster key). Share requests of the old epoch can
//! no longer complete: their proofs are bound to it.

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::CeremonyStarted,
    state::{Cluster, ClusterStatus},
};

/// Accounts of `start_epoch`.
#[derive(Accounts)]
pub struct StartEpoch {
    /// The cluster's admin.
    pub admin: Signer,
    /// The cluster, with all nodes registered.
    #[account(mut)]
    pub cluster: Account<Cluster>,
}

/// Bumps the epoch and clears the ceremony state and the cluster key.
#[inline(never)]
pub fn handler(ctx: &mut Context<StartEpoch>) -> Result<()> {
    let admin = *ctx.accounts.admin.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &mut ctx.accounts.cluster;
    require!(address_eq(&cluster.admin, &admin), MedShareError::NotClusterAdmin);
    require!(cluster.status() != ClusterStatus::Registering, MedShareError::WrongClusterStatus);
    let epoch = cluster.epoch.get() + 1;
    cluster.epoch = epoch.into();
    cluster.status = ClusterStatus::Ceremony as u8;
    cluster.confirmations = 0u16.into();
    cluster.round1_done = 0u16.into();
    cluster.public_key = [0; 32];
    cluster.pending_public_key = [0; 32];
    cluster.pending_shares = [[0; 32]; crate::state::MAX_NODES];
    emit!(CeremonyStarted { cluster: cluster_address, epoch });
    Ok(())
}
