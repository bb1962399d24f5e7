//! `share_patient_data_callback`: a member node posts its partial re-encryption
//! `(A_i, E_i)` with its proof. The program verifies the proof against the node's `S_i`
//! (three multiscalar multiplications and two SHA-256, through syscalls). An invalid proof
//! from a member is not stored: the transaction succeeds so that the member's fault
//! counter grows and `PartialRejected` names it. The `t`-th valid partial completes the share.
//! A partial is always made with the node's share of the serving epoch, which it names
//! (`epoch`: one made just before an activation is refused with `WrongEpoch`, not counted); a
//! request of an earlier epoch under the same key is moved to it first (`ShareRequestMoved`).

use anchor_lang::{address_eq, prelude::*};

use crate::{
    errors::MedShareError,
    events::{PartialAccepted, PartialRejected, ShareCompleted, ShareRequestMoved},
    state::{AcceptedPartial, Cluster, ClusterStatus, MemberStatus, ShareRequest, ShareStatus},
};

/// Accounts of `share_patient_data_callback`.
#[derive(Accounts)]
pub struct SharePatientDataCallback {
    /// The node's authority.
    pub authority: Signer,
    /// The cluster (its member's fault counter may grow).
    #[account(mut)]
    pub cluster: Account<Cluster>,
    /// The request answered.
    #[account(mut)]
    pub request: Account<ShareRequest>,
}

/// Rejects what may not be answered with a named error; then verifies and counts.
#[inline(never)]
pub fn handler(ctx: &mut Context<SharePatientDataCallback>, a: [u8; 32], e: [u8; 32], proof: [u8; 96], share_epoch: u64) -> Result<()> {
    use encrypted_circuits::reencrypt::{verify, Partial, ReencryptionProof, RequestContext};

    let authority = *ctx.accounts.authority.address();
    let cluster_address = *ctx.accounts.cluster.address();
    let request_address = *ctx.accounts.request.address();
    let request = &ctx.accounts.request;
    let cluster = &ctx.accounts.cluster;
    require!(address_eq(&request.cluster, &cluster_address), MedShareError::AccountMismatch);
    match request.status {
        s if s == ShareStatus::Completed as u8 => return Err(MedShareError::ShareAlreadyCompleted.into()),
        s if s == ShareStatus::Revoked as u8 => return Err(MedShareError::ShareRevoked.into()),
        s if s == ShareStatus::Expired as u8 => return Err(MedShareError::ShareExpired.into()),
        _ => {}
    }
    let expires_at = request.expires_at.get();
    require!(expires_at == 0 || Clock::get()?.unix_timestamp <= expires_at, MedShareError::ShareExpired);
    require!(cluster.status() == ClusterStatus::Active, MedShareError::WrongClusterStatus);
    let member = cluster.member_by_authority(&authority).ok_or(MedShareError::NotAMember)?;
    require!(member.status() == MemberStatus::Active, MedShareError::NodeSuspended);
    require!(member.holds_share(), MedShareError::NotAHolder);
    let (index, verification_share) = (member.index, member.verification_share);
    let (epoch, key_epoch, threshold) = (cluster.epoch.get(), cluster.key_epoch.get(), cluster.threshold);
    // made with a share of another epoch (an activation landed first): refused, not a fault
    require!(share_epoch == epoch, MedShareError::WrongEpoch);
    if request.epoch.get() != epoch {
        // A request of an earlier epoch under the same key moves to the serving one: the
        // partials of old shares it holds do not combine with new ones (protocol §3.5).
        require!(request.epoch.get() >= key_epoch, MedShareError::WrongEpoch);
        let from_epoch = request.epoch.get();
        let request = &mut ctx.accounts.request;
        request.epoch = epoch.into();
        request.threshold = threshold;
        request.accepted = 0u16.into();
        request.accepted_count = 0;
        request.partials = [AcceptedPartial { a: [0; 32], e: [0; 32] }; crate::state::MAX_NODES];
        emit!(ShareRequestMoved { request: request_address, cluster: cluster_address, from_epoch, to_epoch: epoch, threshold });
    }
    let request = &ctx.accounts.request;
    let bit = 1u16 << (index - 1);
    require!(request.accepted.get() & bit == 0, MedShareError::DuplicatePartial);

    let context = RequestContext { program_id: crate::ID.to_bytes(), cluster: cluster_address.to_bytes(), request: request_address.to_bytes(), epoch };
    let partial = Partial { index: u16::from(index), a, e, proof: ReencryptionProof::from_array(&proof) };
    let mut c1 = [0u8; 32];
    c1.copy_from_slice(&request.capsule[..32]);
    let verified = verify(&context, &verification_share, &c1, &request.recipient_key, &partial);

    if verified.is_err() {
        let slot = &mut ctx.accounts.cluster.members[usize::from(index - 1)];
        let faults = slot.faults.get().saturating_add(1);
        slot.faults = faults.into();
        emit!(PartialRejected { request: request_address, cluster: cluster_address, index, authority, faults });
        return Ok(());
    }

    let request = &mut ctx.accounts.request;
    request.partials[usize::from(index - 1)] = AcceptedPartial { a, e };
    request.accepted = (request.accepted.get() | bit).into();
    request.accepted_count += 1;
    emit!(PartialAccepted { request: request_address, cluster: cluster_address, index, authority });
    if request.accepted_count == request.threshold {
        request.status = ShareStatus::Completed as u8;
        emit!(ShareCompleted { request: request_address, record: request.record, recipient: request.recipient, accepted: request.accepted.get() });
    }
    Ok(())
}
