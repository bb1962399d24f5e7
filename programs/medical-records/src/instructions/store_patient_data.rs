//! `store_patient_data`: the owner stores a new record (version 1), or a new version of it
//! (an update or a re-key: a fresh `M`, so a fresh record key). The ciphertext goes inline
//! (up to 2,048 bytes, the first chunk here and the rest with `append_patient_data`) or to
//! a blob store, with its SHA-256 digest and URI on chain. The cluster capsule must carry a
//! proof of knowledge of its randomness bound to this record version's label (program,
//! cluster, the cluster's current key, owner, record, version): a capsule copied or
//! re-randomised from another record is refused (`InvalidCapsuleProof`).

use alloc::vec::Vec;
use anchor_lang::prelude::*;

use crate::{
    errors::MedShareError,
    events::RecordStored,
    seeds,
    state::{Cluster, ClusterStatus, Record, Storage, MAX_INLINE_CIPHERTEXT, MAX_URI_LEN, MIN_CIPHERTEXT},
};

/// Accounts of `store_patient_data`.
#[derive(Accounts)]
#[instruction(record_id: u64)]
pub struct StorePatientData {
    /// The patient; pays for a new record.
    #[account(mut)]
    pub owner: Signer,
    /// The active cluster whose key the cluster capsule is sealed to.
    pub cluster: Account<Cluster>,
    /// The record.
    #[account(init_if_needed, payer = owner, seeds = [seeds::RECORD, owner.address().as_ref(), &record_id.to_le_bytes()], bump)]
    pub record: Account<Record>,
    /// For the account creation.
    pub system_program: Program<System>,
}

/// What a record version consists of.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, anchor_lang::IdlType)]
pub struct StoreArgs {
    /// 1 for a new record, the current version + 1 for an update or re-key.
    pub version: u32,
    /// `C1 ‖ C2` of `M` to the cluster key.
    pub cluster_capsule: [u8; 64],
    /// `c ‖ z`: the proof of knowledge of the cluster capsule's randomness for its label
    /// (docs/protocol.md §3.3).
    pub capsule_proof: [u8; 64],
    /// `C1 ‖ C2` of `M` to the owner's key.
    pub owner_capsule: [u8; 64],
    /// 0 inline, 1 blob.
    pub storage: u8,
    /// Bytes of the sealed ciphertext.
    pub ciphertext_len: u32,
    /// SHA-256 of the blob (blob only; zero for inline).
    pub digest: [u8; 32],
    /// The blob's URI (blob only; empty for inline).
    pub uri: Vec<u8>,
    /// The first inline bytes (inline only; the rest follows with `append_patient_data`).
    pub chunk: Vec<u8>,
}

/// The cluster capsule's labelled proof (it also validates the capsule's points), and the
/// owner capsule's points.
fn verify_capsule(cluster: &Address, cluster_key: &[u8; 32], owner: &Address, record: &Address, args: &StoreArgs) -> Result<()> {
    use encrypted_circuits::{
        capsule::{self, CapsuleLabel, CapsuleProof},
        group::is_valid_public_point,
        Error,
    };
    let label = CapsuleLabel {
        program_id: crate::ID.to_bytes(),
        cluster: cluster.to_bytes(),
        cluster_key: *cluster_key,
        owner: owner.to_bytes(),
        record: record.to_bytes(),
        version: args.version,
    };
    capsule::verify(&label, &args.cluster_capsule, &CapsuleProof::from_array(&args.capsule_proof)).map_err(|e| match e {
        Error::IdentityPoint(_) | Error::InvalidPoint(_) | Error::CurveOperation => MedShareError::InvalidCapsule,
        _ => MedShareError::InvalidCapsuleProof,
    })?;
    let (c1, c2) = args.owner_capsule.split_at(32);
    let valid = |p: &[u8]| is_valid_public_point(p.try_into().expect("32 bytes"));
    require!(valid(c1) && valid(c2), MedShareError::InvalidCapsule);
    Ok(())
}

/// Checks the version, the storage fields and the capsules, then writes the version.
#[inline(never)]
pub fn handler(ctx: &mut Context<StorePatientData>, record_id: u64, args: StoreArgs) -> Result<()> {
    let owner = *ctx.accounts.owner.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let record_address = *ctx.accounts.record.address();
    require!(ctx.accounts.cluster.status() == ClusterStatus::Active, MedShareError::WrongClusterStatus);
    let epoch = ctx.accounts.cluster.epoch.get();
    let bump = ctx.bumps.record;
    let record = &mut ctx.accounts.record;
    require!(args.version == record.version.get() + 1, MedShareError::InvalidVersion);

    let len = args.ciphertext_len as usize;
    if args.storage == Storage::Inline as u8 {
        require!(args.uri.is_empty() && args.digest == [0; 32], MedShareError::InvalidStorage);
        require!((MIN_CIPHERTEXT..=MAX_INLINE_CIPHERTEXT).contains(&len), MedShareError::InvalidCiphertextLength);
        require!(args.chunk.len() <= len, MedShareError::ChunkOutOfOrder);
    } else if args.storage == Storage::Blob as u8 {
        require!(args.chunk.is_empty() && args.digest != [0; 32], MedShareError::InvalidStorage);
        require!(len >= MIN_CIPHERTEXT, MedShareError::InvalidCiphertextLength);
        require!(!args.uri.is_empty() && args.uri.len() <= MAX_URI_LEN, MedShareError::InvalidUri);
    } else {
        return Err(MedShareError::InvalidStorage.into());
    }
    let cluster_key = ctx.accounts.cluster.public_key;
    verify_capsule(&cluster_address, &cluster_key, &owner, &record_address, &args)?;

    let now = Clock::get()?.unix_timestamp;
    if args.version == 1 {
        record.owner = owner;
        record.record_id = record_id.into();
        record.bump = bump;
        record.created_at = now.into();
    }
    record.cluster = cluster_address;
    record.version = args.version.into();
    record.updated_at = now.into();
    record.cluster_capsule = args.cluster_capsule;
    record.owner_capsule = args.owner_capsule;
    record.cluster_key = cluster_key;
    record.sealed_epoch = epoch.into();
    record.capsule_proof = args.capsule_proof;
    record.storage = args.storage;
    record.ciphertext_len = args.ciphertext_len.into();
    record.digest = args.digest;
    record.uri = [0; MAX_URI_LEN];
    record.uri[..args.uri.len()].copy_from_slice(&args.uri);
    record.uri_len = args.uri.len() as u8;
    record.inline[..args.chunk.len()].copy_from_slice(&args.chunk);
    record.written = (args.chunk.len() as u32).into();

    emit!(RecordStored {
        record: record_address,
        owner,
        cluster: cluster_address,
        record_id,
        version: args.version,
        storage: args.storage,
        ciphertext_len: args.ciphertext_len,
        digest: args.digest,
    });
    Ok(())
}
