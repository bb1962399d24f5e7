//! The ceremony's state transitions that several instructions reach (docs/protocol.md §3.5):
//! closing dealing, disqualifying a dealer, activating and failing. Each emits its event.

use anchor_lang::prelude::*;

use crate::{
    events::{CeremonyFailed, ClusterActivated, DealingClosed},
    state::{Ceremony, CeremonyKind, CeremonyPhase, Cluster, ClusterStatus, MemberStatus},
};

/// How many bits of a member mask are set.
pub fn count(mask: u16) -> u32 {
    mask.count_ones()
}

/// The ceremony context of every proof in ceremony `epoch` of `cluster`.
pub fn context(cluster: &Address, epoch: u64) -> encrypted_circuits::ceremony::CeremonyContext {
    encrypted_circuits::ceremony::CeremonyContext { program_id: crate::ID.to_bytes(), cluster: cluster.to_bytes(), epoch }
}

/// `Q` as ascending member indices.
pub fn qualified_indices(ceremony: &Ceremony) -> alloc::vec::Vec<u16> {
    // a loop into a preallocated vector: no growth (see encrypted_circuits::ceremony on the
    // SBF target's 128-bit libcalls, which a growing vector's size arithmetic can reach)
    let qualified = ceremony.qualified.get();
    let mut indices = alloc::vec::Vec::with_capacity(crate::state::MAX_NODES);
    for i in 1..=crate::state::MAX_NODES as u16 {
        if qualified & (1 << (i - 1)) != 0 {
            indices.push(i);
        }
    }
    indices
}

/// Whether every dealer is dealt or disqualified.
pub fn every_dealer_is_in(ceremony: &Ceremony) -> bool {
    ceremony.dealers.get() & !(ceremony.dealt.get() | ceremony.disqualified.get()) == 0
}

/// Fixes `Q`, names the absent dealers, and fails the ceremony if `Q` is too small.
pub fn close_dealing(cluster_address: &Address, ceremony: &mut Ceremony) {
    let qualified = ceremony.dealt.get() & !ceremony.disqualified.get();
    let absent = ceremony.dealers.get() & !(ceremony.dealt.get() | ceremony.disqualified.get());
    ceremony.qualified = qualified.into();
    ceremony.phase = CeremonyPhase::Confirming as u8;
    emit!(DealingClosed { cluster: *cluster_address, epoch: ceremony.epoch.get(), qualified, absent });
    if count(qualified) < ceremony.fewest_qualified() {
        fail(cluster_address, ceremony);
    }
}

/// Dealer `dealer` is out: its dealing stops counting, and once `Q` is fixed every fold and
/// every confirmation is void (the weights and the shares change with `Q`), so the confirm
/// deadline moves to a full window from `slot`: a complaint sent just before the deadline
/// cannot leave the others too little time to fold and confirm again. (Both deadlines move
/// by the same amount, keeping the window `confirm_deadline − deal_deadline`.)
pub fn disqualify(cluster_address: &Address, ceremony: &mut Ceremony, dealer: u8, slot: u64) {
    let bit = 1u16 << (dealer - 1);
    ceremony.disqualified = (ceremony.disqualified.get() | bit).into();
    if ceremony.phase() == CeremonyPhase::Confirming {
        ceremony.qualified = (ceremony.qualified.get() & !bit).into();
        ceremony.folded = 0u16.into();
        ceremony.aggregate = [[0; 32]; crate::state::MAX_NODES];
        ceremony.confirmed = 0u16.into();
        ceremony.verification_shares = [[0; 32]; crate::state::MAX_NODES];
        let window = ceremony.confirm_deadline.get().saturating_sub(ceremony.deal_deadline.get());
        let extended = slot.saturating_add(window);
        if extended > ceremony.confirm_deadline.get() {
            let shift = extended - ceremony.confirm_deadline.get();
            ceremony.deal_deadline = ceremony.deal_deadline.get().saturating_add(shift).into();
            ceremony.confirm_deadline = extended.into();
        }
        if count(ceremony.qualified.get()) < ceremony.fewest_qualified() {
            fail(cluster_address, ceremony);
        }
    }
}

/// The ceremony's shares serve from now on: the confirmed receivers hold them, every other
/// member's share is cleared; key generation sets `PK = Σ_{i∈Q} C_{i,0}`, the folded `A_0`.
pub fn activate(cluster_address: &Address, cluster: &mut Cluster, ceremony: &mut Ceremony) {
    let holders = ceremony.confirmed.get();
    let late = ceremony.required() & !holders;
    let mut size = 0u8;
    for (slot, member) in cluster.members.iter_mut().enumerate() {
        let keeps = holders & (1 << slot) != 0 && matches!(member.status(), MemberStatus::Active | MemberStatus::Suspended);
        member.verification_share = if keeps { ceremony.verification_shares[slot] } else { [0; 32] };
        size += u8::from(keeps);
    }
    cluster.epoch = ceremony.epoch;
    cluster.threshold = ceremony.threshold;
    cluster.size = size;
    if ceremony.kind() == CeremonyKind::KeyGeneration {
        cluster.public_key = ceremony.aggregate[0];
        cluster.key_epoch = ceremony.epoch;
    }
    cluster.status = ClusterStatus::Active as u8;
    ceremony.phase = CeremonyPhase::Done as u8;
    emit!(ClusterActivated {
        cluster: *cluster_address,
        epoch: ceremony.epoch.get(),
        public_key: cluster.public_key,
        threshold: ceremony.threshold,
        holders,
        late,
    });
}

/// The ceremony ends without a key; the serving epoch (if any) is untouched.
pub fn fail(cluster_address: &Address, ceremony: &mut Ceremony) {
    ceremony.phase = CeremonyPhase::Failed as u8;
    emit!(CeremonyFailed { cluster: *cluster_address, epoch: ceremony.epoch.get(), qualified: ceremony.qualified.get(), confirmed: ceremony.confirmed.get() });
}
