//! Closing accounts to reclaim rent: a record (by its owner), a finished share request
//! (by the record owner: completed, revoked or expired), and a dealing of a finished or
//! abandoned ceremony (by its dealer).

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::AccountClosed,
    state::{Cluster, Dealing, Record, ShareRequest, ShareStatus},
};

/// Accounts of `close_record`.
#[derive(Accounts)]
pub struct CloseRecord {
    /// The owner; receives the rent.
    #[account(mut)]
    pub owner: Signer,
    /// The record.
    #[account(mut, close = owner)]
    pub record: Account<Record>,
}

/// Closes a record (pending requests keep their capsule snapshot; the ciphertext is gone).
#[inline(never)]
pub fn close_record(ctx: &mut Context<CloseRecord>) -> Result<()> {
    let owner = *ctx.accounts.owner.address();
    require!(address_eq(&ctx.accounts.record.owner, &owner), MedShareError::NotRecordOwner);
    emit!(AccountClosed { account: *ctx.accounts.record.address(), kind: 0, by: owner });
    Ok(())
}

/// Accounts of `close_share_request`.
#[derive(Accounts)]
pub struct CloseShareRequest {
    /// The record owner; receives the rent.
    #[account(mut)]
    pub owner: Signer,
    /// The finished request.
    #[account(mut, close = owner)]
    pub request: Account<ShareRequest>,
}

/// Closes a completed, revoked or expired request.
#[inline(never)]
pub fn close_share_request(ctx: &mut Context<CloseShareRequest>) -> Result<()> {
    let owner = *ctx.accounts.owner.address();
    let request = &ctx.accounts.request;
    require!(address_eq(&request.owner, &owner), MedShareError::NotRecordOwner);
    let expires_at = request.expires_at.get();
    let expired = expires_at != 0 && Clock::get()?.unix_timestamp > expires_at;
    require!(request.status != ShareStatus::Pending as u8 || expired, MedShareError::NotClosable);
    emit!(AccountClosed { account: *request.address(), kind: 1, by: owner });
    Ok(())
}

/// Accounts of `close_dealing`.
#[derive(Accounts)]
pub struct CloseDealing {
    /// The dealer's authority; receives the rent.
    #[account(mut)]
    pub authority: Signer,
    /// The cluster.
    pub cluster: Account<Cluster>,
    /// The dealing of an epoch whose ceremony is over.
    #[account(mut, close = authority)]
    pub dealing: Account<Dealing>,
}

/// Closes a dealing once its ceremony is neither running nor serving (a later ceremony
/// started and a later epoch serves, or it failed and was superseded).
#[inline(never)]
pub fn close_dealing(ctx: &mut Context<CloseDealing>) -> Result<()> {
    let authority = *ctx.accounts.authority.address();
    let cluster = &ctx.accounts.cluster;
    let dealing = &ctx.accounts.dealing;
    require!(address_eq(&dealing.cluster, ctx.accounts.cluster.address()), MedShareError::AccountMismatch);
    let member = cluster.member(dealing.dealer).ok_or(MedShareError::NotAMember)?;
    require!(address_eq(&member.authority, &authority), MedShareError::NotAMember);
    let over = dealing.epoch.get() != cluster.epoch.get() && dealing.epoch.get() != cluster.ceremony_epoch.get();
    require!(over, MedShareError::NotClosable);
    emit!(AccountClosed { account: *dealing.address(), kind: 2, by: authority });
    Ok(())
}
