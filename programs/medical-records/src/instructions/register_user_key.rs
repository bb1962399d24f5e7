//! `register_user_key`: a wallet registers (or replaces) its encryption key `P`, proving
//! possession of its secret (a Schnorr proof bound to the wallet, checked with one
//! multiscalar multiplication through the curve25519 syscall).

use anchor_lang::prelude::*;

use crate::{errors::MedShareError, events::UserKeyRegistered, seeds, state::UserKey};

/// Accounts of `register_user_key`.
#[derive(Accounts)]
pub struct RegisterUserKey {
    /// The wallet; pays.
    #[account(mut)]
    pub wallet: Signer,
    /// Its key account.
    #[account(init_if_needed, payer = wallet, seeds = [seeds::USER_KEY, wallet.address().as_ref()], bump)]
    pub user_key: Account<UserKey>,
    /// For the account creation.
    pub system_program: Program<System>,
}

/// Verifies the proof of possession and stores `public_key`.
#[inline(never)]
pub fn handler(ctx: &mut Context<RegisterUserKey>, public_key: [u8; 32], proof: [u8; 64]) -> Result<()> {
    use encrypted_circuits::{
        keys::{verify_key_possession, KeyPossessionProof},
        Error,
    };
    let wallet = *ctx.accounts.wallet.address();
    let proof = KeyPossessionProof::from_bytes(&proof).map_err(|_| MedShareError::InvalidKeyProof)?;
    verify_key_possession(wallet.as_array(), &public_key, &proof).map_err(|e| match e {
        Error::IdentityPoint(_) | Error::InvalidPoint(_) | Error::CurveOperation => MedShareError::InvalidPublicKey,
        _ => MedShareError::InvalidKeyProof,
    })?;
    let bump = ctx.bumps.user_key;
    let user_key = &mut ctx.accounts.user_key;
    user_key.wallet = wallet;
    user_key.public_key = public_key;
    user_key.registered_at = Clock::get()?.unix_timestamp.into();
    user_key.bump = bump;
    emit!(UserKeyRegistered { wallet, public_key });
    Ok(())
}
