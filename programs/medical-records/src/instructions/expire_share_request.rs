//! `expire_share_request`: anyone marks a pending request whose `expires_at` has passed as
//! expired. Nothing changes for the patient or the recipient (no partial is accepted after the
//! expiry either way); the stored status lets every node filter its scan of pending requests
//! on chain (`memcmp` on the status byte) instead of reading each expired request forever.

use anchor_lang::prelude::*;

use crate::{
    errors::MedShareError,
    events::ShareRequestExpired,
    state::{ShareRequest, ShareStatus},
};

/// Accounts of `expire_share_request`. No signer: whoever pays the fee may send it.
#[derive(Accounts)]
pub struct ExpireShareRequest {
    /// The pending request past its expiry.
    #[account(mut)]
    pub request: Account<ShareRequest>,
}

/// Marks the request expired.
#[inline(never)]
pub fn handler(ctx: &mut Context<ExpireShareRequest>) -> Result<()> {
    let request_address = *ctx.accounts.request.address();
    let request = &mut ctx.accounts.request;
    let expires_at = request.expires_at.get();
    let now = Clock::get()?.unix_timestamp;
    let past_expiry = expires_at != 0 && now > expires_at;
    require!(request.status == ShareStatus::Pending as u8 && past_expiry, MedShareError::NotExpired);
    request.status = ShareStatus::Expired as u8;
    emit!(ShareRequestExpired { request: request_address, record: request.record, expires_at });
    Ok(())
}
