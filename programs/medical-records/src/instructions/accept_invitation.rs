//! `accept_invitation`: an invited node authority joins, registering its transport key
//! `T` with a proof that it holds `τ` (docs/protocol.md §3.5 "Members"). The node signs
//! alone; a key that is not a valid point, is someone else's, or comes without the proof is
//! refused. `rotate_transport_key` replaces the key later with the same checks.

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::{NodeAccepted, TransportKeyRotated},
    state::{Cluster, MemberStatus},
};

/// Accounts of `accept_invitation` and `rotate_transport_key`.
#[derive(Accounts)]
pub struct SetTransportKey {
    /// The node's authority.
    pub authority: Signer,
    /// The cluster.
    #[account(mut)]
    pub cluster: Account<Cluster>,
}

/// Checks `T` and its proof for `authority`, and that no other member uses `T`.
fn check_transport_key(cluster_address: &Address, cluster: &Cluster, authority: &Address, transport_key: &[u8; 32], proof: &[u8; 64]) -> Result<()> {
    require!(encrypted_circuits::group::is_valid_public_point(transport_key), MedShareError::InvalidTransportKey);
    let duplicate =
        cluster.members.iter().any(|m| m.status() != MemberStatus::Empty && !address_eq(&m.authority, authority) && m.transport_key == *transport_key);
    require!(!duplicate, MedShareError::DuplicateTransportKey);
    encrypted_circuits::ceremony::verify_transport_key(&crate::ID.to_bytes(), &cluster_address.to_bytes(), &authority.to_bytes(), transport_key, proof)
        .map_err(|_| MedShareError::InvalidTransportKeyProof)?;
    Ok(())
}

/// The invited authority accepts: its slot becomes active with `transport_key`.
#[inline(never)]
pub fn accept(ctx: &mut Context<SetTransportKey>, transport_key: [u8; 32], proof: [u8; 64]) -> Result<()> {
    let authority = *ctx.accounts.authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &mut ctx.accounts.cluster;
    let index = match cluster.member_by_authority(&authority) {
        Some(member) if member.status() == MemberStatus::Invited => member.index,
        _ => return Err(MedShareError::NotInvited.into()),
    };
    check_transport_key(&cluster_address, cluster, &authority, &transport_key, &proof)?;
    let member = &mut cluster.members[usize::from(index - 1)];
    member.transport_key = transport_key;
    member.status = MemberStatus::Active as u8;
    emit!(NodeAccepted { cluster: cluster_address, index, authority, transport_key });
    Ok(())
}

/// An active or suspended member replaces its transport key.
#[inline(never)]
pub fn rotate(ctx: &mut Context<SetTransportKey>, transport_key: [u8; 32], proof: [u8; 64]) -> Result<()> {
    let authority = *ctx.accounts.authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let cluster = &mut ctx.accounts.cluster;
    let member = cluster.member_by_authority(&authority).ok_or(MedShareError::NotAMember)?;
    require!(matches!(member.status(), MemberStatus::Active | MemberStatus::Suspended), MedShareError::WrongMemberStatus);
    let index = member.index;
    check_transport_key(&cluster_address, cluster, &authority, &transport_key, &proof)?;
    cluster.members[usize::from(index - 1)].transport_key = transport_key;
    emit!(TransportKeyRotated { cluster: cluster_address, index, transport_key });
    Ok(())
}
