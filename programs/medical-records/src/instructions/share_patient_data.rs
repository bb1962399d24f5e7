//! `share_patient_data`: the owner consents to share the record's current version with a
//! recipient who has registered an encryption key, optionally until an expiry. A record
//! sealed to an earlier cluster key is refused (`RecordSealedToOldKey`: re-key it first), so
//! no share completes that cannot be opened. Emits `ShareRequested` with everything a node
//! needs.

use anchor_lang::{address_eq, prelude::*, Discriminator};

use crate::{
    errors::MedShareError,
    events::ShareRequested,
    seeds,
    state::{CircuitDefinition, Cluster, ClusterStatus, Record, ShareRequest, ShareStatus, UserKey},
};

/// Accounts of `share_patient_data`.
#[derive(Accounts)]
pub struct SharePatientData {
    /// The patient; pays for the request.
    #[account(mut)]
    pub owner: Signer,
    /// The record to share.
    #[account(mut)]
    pub record: Account<Record>,
    /// The record's cluster, active.
    pub cluster: Account<Cluster>,
    /// The cluster's share circuit.
    pub circuit: Account<CircuitDefinition>,
    /// The recipient's wallet.
    pub recipient: UncheckedAccount,
    /// The recipient's `UserKey` (checked here, so that a missing one is a clear error).
    pub recipient_key: UncheckedAccount,
    /// The new request.
    #[account(
        init,
        payer = owner,
        seeds = [seeds::SHARE, record.address().as_ref(), &record.share_count.get().to_le_bytes()],
        bump
    )]
    pub request: Account<ShareRequest>,
    /// For the account creation.
    pub system_program: Program<System>,
}

/// The recipient's registered key, read from its `UserKey` account.
fn registered_key(account: &AccountView, recipient: &Address) -> Result<[u8; 32]> {
    require!(account.owned_by(&crate::ID), MedShareError::RecipientNotRegistered);
    let data = account.try_borrow()?;
    require!(data.len() >= 8 + 64 && data[..8] == *UserKey::DISCRIMINATOR, MedShareError::RecipientNotRegistered);
    require!(data[8..40] == *recipient.as_ref(), MedShareError::RecipientNotRegistered);
    let mut key = [0u8; 32];
    key.copy_from_slice(&data[40..72]);
    Ok(key)
}

/// Checks consent, completeness and the recipient's key; snapshots the request.
#[inline(never)]
pub fn handler(ctx: &mut Context<SharePatientData>, expires_at: i64) -> Result<()> {
    let owner = *ctx.accounts.owner.address();
    let record_address = *ctx.accounts.record.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let recipient = *ctx.accounts.recipient.address();
    let request_address = *ctx.accounts.request.address();
    let record = &ctx.accounts.record;
    let cluster = &ctx.accounts.cluster;
    require!(address_eq(&record.owner, &owner), MedShareError::NotRecordOwner);
    require!(record.is_complete(), MedShareError::RecordIncomplete);
    require!(address_eq(&record.cluster, &cluster_address), MedShareError::AccountMismatch);
    require!(address_eq(&ctx.accounts.circuit.cluster, &cluster_address), MedShareError::AccountMismatch);
    require!(cluster.status() == ClusterStatus::Active, MedShareError::WrongClusterStatus);
    require!(record.cluster_key == cluster.public_key, MedShareError::RecordSealedToOldKey);
    let recipient_key = registered_key(&ctx.accounts.recipient_key, &recipient)?;
    let now = Clock::get()?.unix_timestamp;
    require!(expires_at == 0 || expires_at > now, MedShareError::InvalidExpiry);

    let (capsule, capsule_proof, record_version, epoch, threshold) =
        (record.cluster_capsule, record.capsule_proof, record.version.get(), cluster.epoch.get(), cluster.threshold);
    let circuit_version = ctx.accounts.circuit.version.get();
    let bump = ctx.bumps.request;
    let request = &mut ctx.accounts.request;
    request.record = record_address;
    request.owner = owner;
    request.recipient = recipient;
    request.recipient_key = recipient_key;
    request.cluster = cluster_address;
    request.capsule = capsule;
    request.capsule_proof = capsule_proof;
    request.epoch = epoch.into();
    request.expires_at = expires_at.into();
    request.created_at = now.into();
    request.record_version = record_version.into();
    request.circuit_version = circuit_version.into();
    request.threshold = threshold;
    request.status = ShareStatus::Pending as u8;
    request.bump = bump;
    let record = &mut ctx.accounts.record;
    record.share_count = (record.share_count.get() + 1).into();

    emit!(ShareRequested {
        request: request_address,
        record: record_address,
        owner,
        recipient,
        recipient_key,
        cluster: cluster_address,
        epoch,
        record_version,
        circuit_version,
        threshold,
        expires_at,
    });
    Ok(())
}
