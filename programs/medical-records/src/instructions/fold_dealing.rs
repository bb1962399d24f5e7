//! `fold_dealing`: anyone folds one qualified dealing's commitments into the ceremony's
//! aggregate with its integer weight (docs/protocol.md §3.5 "Confirmation"), once dealing
//! has closed. After every dealing of `Q` is folded, each confirmation is checked against
//! `t'` aggregated points, and a key generation's `PK` is the first of them. An upheld
//! complaint changes `Q`, so it empties the aggregate and the folds start over.

use anchor_lang::{address_eq, prelude::*};
use encrypted_circuits::ceremony::{fold_dealing, share_weights, DealingView};

use crate::{
    errors::MedShareError,
    state::{Ceremony, CeremonyKind, CeremonyPhase, Cluster, Dealing},
    transitions,
};

/// Accounts of `fold_dealing`.
#[derive(Accounts)]
pub struct FoldDealing {
    /// The cluster.
    pub cluster: Account<Cluster>,
    /// The ceremony, confirming.
    #[account(mut)]
    pub ceremony: Account<Ceremony>,
    /// A qualified dealing not folded yet.
    pub dealing: Account<Dealing>,
}

/// `A_k ← A_k + w_i·C_{i,k}` for the dealing's dealer `i`.
#[inline(never)]
pub fn handler(ctx: &mut Context<FoldDealing>, epoch: u64, dealer: u8) -> Result<()> {
    let cluster_address = *ctx.accounts.cluster.address();
    let ceremony = &ctx.accounts.ceremony;
    let dealing = &ctx.accounts.dealing;
    require!(address_eq(&ceremony.cluster, &cluster_address) && address_eq(&dealing.cluster, &cluster_address), MedShareError::AccountMismatch);
    require!(ceremony.epoch.get() == epoch && ctx.accounts.cluster.ceremony_epoch.get() == epoch, MedShareError::WrongEpoch);
    require!(dealing.epoch.get() == epoch && dealing.dealer == dealer, MedShareError::AccountMismatch);
    require!(ceremony.phase() == CeremonyPhase::Confirming, MedShareError::WrongCeremonyPhase);
    require!((1..=crate::state::MAX_NODES as u8).contains(&dealer), MedShareError::NotADealer);
    let bit = 1u16 << (dealer - 1);
    require!(ceremony.qualified.get() & bit != 0, MedShareError::NotADealer);
    require!(ceremony.folded.get() & bit == 0, MedShareError::AlreadyFolded);

    let qualified = transitions::qualified_indices(ceremony);
    let (_, weights) = share_weights(&qualified, ceremony.kind() == CeremonyKind::Resharing).map_err(|_| MedShareError::DealingsNotFolded)?;
    let position = qualified.iter().position(|&i| i == u16::from(dealer)).ok_or(MedShareError::NotADealer)?;
    let bytes = dealing.bytes().ok_or(MedShareError::DealingIncomplete)?;
    let view = DealingView::parse(bytes, ceremony.threshold).map_err(|_| MedShareError::DealingIncomplete)?;
    let threshold = usize::from(ceremony.threshold);
    let mut aggregate = [[0u8; 32]; crate::state::MAX_NODES];
    aggregate[..threshold].copy_from_slice(&ceremony.aggregate[..threshold]);
    fold_dealing(&mut aggregate[..threshold], &view, weights[position]).map_err(|_| MedShareError::InvalidPublicKey)?;

    let ceremony = &mut ctx.accounts.ceremony;
    ceremony.aggregate = aggregate;
    ceremony.folded = (ceremony.folded.get() | bit).into();
    Ok(())
}
