//! `append_patient_data`: the owner writes the next chunk of an inline ciphertext that does
//! not fit one transaction.

use alloc::vec::Vec;
use anchor_lang::prelude::*;

use crate::{
    errors::MedShareError,
    state::{Record, Storage},
};

/// Accounts of `append_patient_data`.
#[derive(Accounts)]
pub struct AppendPatientData {
    /// The patient.
    pub owner: Signer,
    /// The record being written.
    #[account(mut)]
    pub record: Account<Record>,
}

/// Writes `chunk` at `offset`, which must be where the last chunk ended.
#[inline(never)]
pub fn handler(ctx: &mut Context<AppendPatientData>, version: u32, offset: u32, chunk: Vec<u8>) -> Result<()> {
    let owner = *ctx.accounts.owner.address();
    let record = &mut ctx.accounts.record;
    require!(anchor_lang::address_eq(&record.owner, &owner), MedShareError::NotRecordOwner);
    require!(record.version.get() == version, MedShareError::InvalidVersion);
    require!(record.storage == Storage::Inline as u8, MedShareError::InvalidStorage);
    let start = offset as usize;
    let end = start + chunk.len();
    require!(offset == record.written.get() && end <= record.ciphertext_len.get() as usize && !chunk.is_empty(), MedShareError::ChunkOutOfOrder);
    record.inline[start..end].copy_from_slice(&chunk);
    record.written = (end as u32).into();
    Ok(())
}
