//! `revoke_share`: the owner withdraws consent. A pending request can then never complete;
//! a completed one is marked revoked for the record (what the recipient already read
//! cannot be unread — re-key the record to protect future versions). A request marked
//! expired can be revoked too.

use anchor_lang::prelude::*;

use crate::{
    errors::MedShareError,
    events::ShareRevoked,
    state::{ShareRequest, ShareStatus},
};

/// Accounts of `revoke_share`.
#[derive(Accounts)]
pub struct RevokeShare {
    /// The record owner.
    pub owner: Signer,
    /// The request.
    #[account(mut)]
    pub request: Account<ShareRequest>,
}

/// Marks the request revoked.
#[inline(never)]
pub fn handler(ctx: &mut Context<RevokeShare>) -> Result<()> {
    let owner = *ctx.accounts.owner.address();
    let request_address = *ctx.accounts.request.address();
    let request = &mut ctx.accounts.request;
    require!(anchor_lang::address_eq(&request.owner, &owner), MedShareError::NotRecordOwner);
    // an expired request can still be revoked: anyone may have marked it expired, and the
    // owner's revocation (with what it tells of partials already posted) must not depend on that
    require!(request.status != ShareStatus::Revoked as u8, MedShareError::ShareRevoked);
    let was_completed = request.status == ShareStatus::Completed as u8;
    request.status = ShareStatus::Revoked as u8;
    emit!(ShareRevoked { request: request_address, record: request.record, recipient: request.recipient, was_completed });
    Ok(())
}
