//! `init_share_patient_data_comp_def` (the seed example's name): the admin registers the
//! threshold re-encryption circuit with the cluster. Share requests name it, so a circuit
//! upgrade is explicit and auditable.

use anchor_lang::prelude::*;

use crate::{
    errors::MedShareError,
    events::CircuitRegistered,
    seeds,
    state::{CircuitDefinition, Cluster, SHARE_CIRCUIT_DOMAIN, SHARE_CIRCUIT_VERSION},
};

/// Accounts of `init_share_patient_data_comp_def`.
#[derive(Accounts)]
pub struct InitSharePatientDataCompDef {
    /// The cluster's admin; pays.
    #[account(mut)]
    pub admin: Signer,
    /// The cluster.
    pub cluster: Account<Cluster>,
    /// The new circuit definition.
    #[account(init, payer = admin, seeds = [seeds::COMP_DEF, cluster.address().as_ref()], bump)]
    pub circuit: Account<CircuitDefinition>,
    /// For the account creation.
    pub system_program: Program<System>,
}

/// Writes version 1 with its proof domain tag.
#[inline(never)]
pub fn handler(ctx: &mut Context<InitSharePatientDataCompDef>) -> Result<()> {
    let admin = *ctx.accounts.admin.address();
    let cluster_address = *ctx.accounts.cluster.address();
    require!(anchor_lang::address_eq(&ctx.accounts.cluster.admin, &admin), MedShareError::NotClusterAdmin);
    let circuit_address = *ctx.accounts.circuit.address();
    let bump = ctx.bumps.circuit;
    let circuit = &mut ctx.accounts.circuit;
    circuit.cluster = cluster_address;
    circuit.domain[..SHARE_CIRCUIT_DOMAIN.len()].copy_from_slice(SHARE_CIRCUIT_DOMAIN);
    circuit.version = SHARE_CIRCUIT_VERSION.into();
    circuit.bump = bump;
    emit!(CircuitRegistered { cluster: cluster_address, circuit: circuit_address, version: SHARE_CIRCUIT_VERSION, domain: circuit.domain });
    Ok(())
}
