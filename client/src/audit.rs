//! Rebuilding who shared what with whom, from the program's events alone (the auditor's
//! view): every record version stored, every share request with the partials accepted and
//! rejected (naming the node), its moves to a later epoch, its completion and its
//! revocation; every key ceremony with who dealt, who was disqualified and why, whose
//! complaint was upheld or dismissed, who confirmed and who was late; every change of
//! membership — and every transaction that could not be read fully ([`Warning`]), so that
//! the auditor knows what the trail may be missing.

use std::collections::BTreeMap;

use solana_signature::Signature;

use crate::{
    Address,
    accounts::{CeremonyKind, indices},
    events::{Event, Problem, TransactionEvents},
};

/// A transaction the auditor could not read fully, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The transaction.
    pub signature: Signature,
    /// What was wrong with it.
    pub problem: Problem,
}

/// One share request's history.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShareHistory {
    /// The record shared.
    pub record: Address,
    /// Who consented.
    pub owner: Address,
    /// Who receives.
    pub recipient: Address,
    /// The cluster asked.
    pub cluster: Address,
    /// The record version shared.
    pub record_version: u32,
    /// Expiry (0 for none).
    pub expires_at: i64,
    /// The epoch the request is answered in (the one it was made in, or the last it moved to).
    pub epoch: u64,
    /// Partials needed in that epoch.
    pub threshold: u8,
    /// Node indices whose partial verified in that epoch, in order (a move clears them).
    pub accepted: Vec<u8>,
    /// `(node index, node authority)` of every rejected partial, in order.
    pub rejected: Vec<(u8, Address)>,
    /// `(from epoch, to epoch)` of every move to a later epoch under the same key, in order.
    pub moves: Vec<(u64, u64)>,
    /// Whether `t` partials came in.
    pub completed: bool,
    /// Whether the owner revoked.
    pub revoked: bool,
    /// Whether someone marked it expired on chain (`expire_share_request`); an unmarked
    /// request past `expires_at` is just as dead.
    pub marked_expired: bool,
}

/// How a ceremony ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CeremonyOutcome {
    /// Its shares serve: `holders` confirmed; `late` were required and had not.
    Activated {
        /// The cluster key (new for a key generation, the same for a resharing).
        public_key: [u8; 32],
        /// `t'`.
        threshold: u8,
        /// Who held a share at activation.
        holders: Vec<u8>,
        /// Required receivers without a confirmation at activation.
        late: Vec<u8>,
    },
    /// Ended without a key.
    Failed {
        /// `Q` when it failed.
        qualified: Vec<u8>,
        /// The confirmations in when it failed.
        confirmed: Vec<u8>,
    },
}

/// One key ceremony's history: what the chain says each member did. Every index listed
/// under `rejected_dealings`, `complaints_upheld` (the dealer), `complaints_dismissed` (the
/// receiver), `rejected_confirmations` and `absent` is a culprit the program named.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CeremonyHistory {
    /// Key generation or resharing (`None` when the start was not seen).
    pub kind: Option<CeremonyKind>,
    /// `t'`.
    pub threshold: u8,
    /// Who was to deal.
    pub dealers: Vec<u8>,
    /// Who was to receive.
    pub receivers: Vec<u8>,
    /// The deal deadline slot as started (an upheld complaint moves both deadlines later,
    /// without an event: the `Ceremony` account holds the current ones).
    pub deal_deadline: u64,
    /// The confirm deadline slot as started (see `deal_deadline`).
    pub confirm_deadline: u64,
    /// Dealers whose dealing verified, in order.
    pub dealt: Vec<u8>,
    /// `(dealer, its faults after)` of every dealing the program rejected.
    pub rejected_dealings: Vec<(u8, u32)>,
    /// `Q` as dealing closed, if it did (later shrunk by upheld complaints: see `qualified`).
    pub qualified_at_close: Option<Vec<u8>>,
    /// `Q` now: as dealing closed, minus dealers disqualified since.
    pub qualified: Vec<u8>,
    /// Dealers that dealt nothing complete in time (named as dealing closed).
    pub absent: Vec<u8>,
    /// `(dealer, receiver)` of every complaint upheld: the dealer was disqualified.
    pub complaints_upheld: Vec<(u8, u8)>,
    /// `(dealer, receiver)` of every complaint dismissed: the receiver was at fault.
    pub complaints_dismissed: Vec<(u8, u8)>,
    /// Receivers whose confirmation counts, in order (an upheld complaint after dealing
    /// closed voids those before it: they are in `voided_confirmations`).
    pub confirmed: Vec<u8>,
    /// Confirmations voided by an upheld complaint (the shares they proved changed).
    pub voided_confirmations: Vec<u8>,
    /// Receivers that confirmed after activation (and hold a share from then on).
    pub confirmed_after_activation: Vec<u8>,
    /// `(receiver, its faults after)` of every confirmation the program rejected.
    pub rejected_confirmations: Vec<(u8, u32)>,
    /// How it ended, if it did.
    pub outcome: Option<CeremonyOutcome>,
}

impl CeremonyHistory {
    /// Whether dealing closed and no outcome yet (upheld complaints then void confirmations).
    fn confirming(&self) -> bool {
        self.qualified_at_close.is_some() && self.outcome.is_none()
    }

    /// Every member the program named at fault in this ceremony, ascending, without repeats:
    /// rejected dealings, upheld complaints' dealers, dismissed complaints' receivers,
    /// rejected confirmations (not the absent or late, who did nothing provably wrong).
    pub fn culprits(&self) -> Vec<u8> {
        let mut all: Vec<u8> = self
            .rejected_dealings
            .iter()
            .map(|(i, _)| *i)
            .chain(self.complaints_upheld.iter().map(|(dealer, _)| *dealer))
            .chain(self.complaints_dismissed.iter().map(|(_, receiver)| *receiver))
            .chain(self.rejected_confirmations.iter().map(|(j, _)| *j))
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// A change of a cluster's membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipChange {
    /// The admin invited `authority`.
    Invited(Address),
    /// `authority` accepted with `transport_key`.
    Accepted(Address, [u8; 32]),
    /// The member rotated its transport key.
    TransportKeyRotated([u8; 32]),
    /// The admin suspended the member.
    Suspended,
    /// The admin removed `authority` (or withdrew its invitation).
    Removed(Address),
}

/// Everything an auditor can say from a sequence of events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditTrail {
    /// `(record, owner) → versions stored`, in order.
    pub records: BTreeMap<Address, (Address, Vec<u32>)>,
    /// Share requests by address.
    pub shares: BTreeMap<Address, ShareHistory>,
    /// Faults per `(cluster, node index)`: the latest count an event reported (bad
    /// partials, rejected dealings, upheld complaints against it, dismissed complaints by
    /// it, rejected confirmations).
    pub faults: BTreeMap<(Address, u8), u32>,
    /// Ceremonies by `(cluster, epoch)`.
    pub ceremonies: BTreeMap<(Address, u64), CeremonyHistory>,
    /// `(cluster, node index, change)` in chain order.
    pub membership: Vec<(Address, u8, MembershipChange)>,
    /// Events folded in.
    pub events: usize,
    /// Every problem of the transactions read, in chain order (truncated logs, events that
    /// do not decode, transactions that could not be fetched).
    pub warnings: Vec<Warning>,
}

impl AuditTrail {
    /// Folds transactions (in chain order) into the trail: their events, and their problems
    /// as [`Warning`]s.
    pub fn from_transactions<'a>(transactions: impl IntoIterator<Item = &'a TransactionEvents>) -> AuditTrail {
        let mut trail = AuditTrail::default();
        for tx in transactions {
            trail.fold(&tx.events);
            trail.warnings.extend(tx.problems.iter().map(|problem| Warning { signature: tx.signature, problem: problem.clone() }));
        }
        trail
    }

    /// Folds events (in chain order) into the trail.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> AuditTrail {
        let mut trail = AuditTrail::default();
        trail.fold(events);
        trail
    }

    fn ceremony(&mut self, cluster: Address, epoch: u64) -> &mut CeremonyHistory {
        self.ceremonies.entry((cluster, epoch)).or_default()
    }

    fn fold<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) {
        for event in events {
            self.events += 1;
            self.fold_one(event);
        }
    }

    fn fold_one(&mut self, event: &Event) {
        match event {
            Event::RecordStored(e) => self.records.entry(e.record).or_insert_with(|| (e.owner, Vec::new())).1.push(e.version),
            Event::ShareRequested(e) => {
                self.shares.insert(
                    e.request,
                    ShareHistory {
                        record: e.record,
                        owner: e.owner,
                        recipient: e.recipient,
                        cluster: e.cluster,
                        record_version: e.record_version,
                        expires_at: e.expires_at,
                        epoch: e.epoch,
                        threshold: e.threshold,
                        ..ShareHistory::default()
                    },
                );
            }
            Event::PartialAccepted(e) => self.shares.entry(e.request).or_default().accepted.push(e.index),
            Event::PartialRejected(e) => {
                self.shares.entry(e.request).or_default().rejected.push((e.index, e.authority));
                self.faults.insert((e.cluster, e.index), e.faults);
            }
            Event::ShareRequestMoved(e) => {
                let share = self.shares.entry(e.request).or_default();
                // the partials of old shares do not combine with new ones: the program cleared them
                share.accepted.clear();
                share.moves.push((e.from_epoch, e.to_epoch));
                share.epoch = e.to_epoch;
                share.threshold = e.threshold;
            }
            Event::ShareCompleted(e) => self.shares.entry(e.request).or_default().completed = true,
            Event::ShareRevoked(e) => self.shares.entry(e.request).or_default().revoked = true,
            Event::ShareRequestExpired(e) => self.shares.entry(e.request).or_default().marked_expired = true,

            Event::NodeInvited(e) => self.membership.push((e.cluster, e.index, MembershipChange::Invited(e.authority))),
            Event::NodeAccepted(e) => self.membership.push((e.cluster, e.index, MembershipChange::Accepted(e.authority, e.transport_key))),
            Event::TransportKeyRotated(e) => self.membership.push((e.cluster, e.index, MembershipChange::TransportKeyRotated(e.transport_key))),
            Event::NodeSuspended(e) => self.membership.push((e.cluster, e.index, MembershipChange::Suspended)),
            Event::NodeRemoved(e) => self.membership.push((e.cluster, e.index, MembershipChange::Removed(e.authority))),

            Event::CeremonyStarted(e) => {
                let history = CeremonyHistory {
                    kind: Some(CeremonyKind::from_u8(e.kind)),
                    threshold: e.threshold,
                    dealers: indices(e.dealers),
                    receivers: indices(e.receivers),
                    deal_deadline: e.deal_deadline,
                    confirm_deadline: e.confirm_deadline,
                    ..CeremonyHistory::default()
                };
                self.ceremonies.insert((e.cluster, e.epoch), history);
            }
            Event::DealingPosted(e) => self.ceremony(e.cluster, e.epoch).dealt.push(e.dealer),
            Event::DealingRejected(e) => {
                self.ceremony(e.cluster, e.epoch).rejected_dealings.push((e.dealer, e.faults));
                self.faults.insert((e.cluster, e.dealer), e.faults);
            }
            Event::DealingClosed(e) => {
                let c = self.ceremony(e.cluster, e.epoch);
                c.qualified_at_close = Some(indices(e.qualified));
                c.qualified = indices(e.qualified);
                c.absent = indices(e.absent);
            }
            Event::ComplaintUpheld(e) => {
                let c = self.ceremony(e.cluster, e.epoch);
                c.complaints_upheld.push((e.dealer, e.receiver));
                if c.confirming() {
                    c.qualified.retain(|i| *i != e.dealer);
                    let voided = std::mem::take(&mut c.confirmed);
                    c.voided_confirmations.extend(voided);
                }
                self.faults.insert((e.cluster, e.dealer), e.faults);
            }
            Event::ComplaintDismissed(e) => {
                self.ceremony(e.cluster, e.epoch).complaints_dismissed.push((e.dealer, e.receiver));
                self.faults.insert((e.cluster, e.receiver), e.faults);
            }
            Event::CeremonyConfirmed(e) => {
                let c = self.ceremony(e.cluster, e.epoch);
                if matches!(c.outcome, Some(CeremonyOutcome::Activated { .. })) {
                    c.confirmed_after_activation.push(e.index);
                } else {
                    c.confirmed.push(e.index);
                }
            }
            Event::ConfirmationRejected(e) => {
                self.ceremony(e.cluster, e.epoch).rejected_confirmations.push((e.index, e.faults));
                self.faults.insert((e.cluster, e.index), e.faults);
            }
            Event::ClusterActivated(e) => {
                self.ceremony(e.cluster, e.epoch).outcome =
                    Some(CeremonyOutcome::Activated { public_key: e.public_key, threshold: e.threshold, holders: indices(e.holders), late: indices(e.late) });
            }
            Event::CeremonyFailed(e) => {
                self.ceremony(e.cluster, e.epoch).outcome = Some(CeremonyOutcome::Failed { qualified: indices(e.qualified), confirmed: indices(e.confirmed) });
            }
            Event::ClusterCreated(_) | Event::CircuitRegistered(_) | Event::UserKeyRegistered(_) | Event::AccountClosed(_) => {}
        }
    }

    /// The share requests made to `recipient`.
    pub fn shares_to<'a>(&'a self, recipient: &'a Address) -> impl Iterator<Item = (&'a Address, &'a ShareHistory)> {
        self.shares.iter().filter(move |(_, s)| s.recipient == *recipient)
    }

    /// The ceremonies of `cluster`, by epoch.
    pub fn ceremonies_of<'a>(&'a self, cluster: &'a Address) -> impl Iterator<Item = (u64, &'a CeremonyHistory)> {
        self.ceremonies.iter().filter(move |((c, _), _)| c == cluster).map(|((_, epoch), history)| (*epoch, history))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::*;

    const C: Address = Address::new_from_array([7; 32]);

    fn addr(b: u8) -> Address {
        Address::new_from_array([b; 32])
    }

    #[test]
    fn a_moved_request_starts_over_in_the_serving_epoch() {
        let request = addr(1);
        let events = vec![
            Event::ShareRequested(ShareRequested {
                request,
                record: addr(2),
                owner: addr(3),
                recipient: addr(4),
                recipient_key: [0; 32],
                cluster: C,
                epoch: 1,
                record_version: 1,
                circuit_version: 1,
                threshold: 2,
                expires_at: 0,
            }),
            Event::PartialAccepted(PartialAccepted { request, cluster: C, index: 1, authority: addr(11) }),
            Event::ShareRequestMoved(ShareRequestMoved { request, cluster: C, from_epoch: 1, to_epoch: 2, threshold: 3 }),
            Event::PartialAccepted(PartialAccepted { request, cluster: C, index: 2, authority: addr(12) }),
        ];
        let trail = AuditTrail::from_events(&events);
        let share = &trail.shares[&request];
        assert_eq!((share.accepted.clone(), share.epoch, share.threshold, share.moves.clone()), (vec![2], 2, 3, vec![(1, 2)]));
        assert_eq!(share.cluster, C);
    }

    #[test]
    fn a_ceremony_names_its_culprits_and_its_late() {
        let events = vec![
            Event::CeremonyStarted(CeremonyStarted {
                cluster: C,
                epoch: 1,
                kind: 0,
                threshold: 2,
                dealers: 0b1111,
                receivers: 0b1111,
                deal_deadline: 100,
                confirm_deadline: 200,
            }),
            Event::DealingPosted(DealingPosted { cluster: C, epoch: 1, dealer: 1 }),
            Event::DealingPosted(DealingPosted { cluster: C, epoch: 1, dealer: 2 }),
            Event::DealingPosted(DealingPosted { cluster: C, epoch: 1, dealer: 3 }),
            Event::DealingRejected(DealingRejected { cluster: C, epoch: 1, dealer: 4, faults: 1 }),
            Event::DealingClosed(DealingClosed { cluster: C, epoch: 1, qualified: 0b0111, absent: 0 }),
            Event::CeremonyConfirmed(CeremonyConfirmed { cluster: C, epoch: 1, index: 1, verification_share: [1; 32] }),
            Event::ComplaintUpheld(ComplaintUpheld { cluster: C, epoch: 1, dealer: 3, receiver: 2, faults: 1 }),
            Event::ComplaintDismissed(ComplaintDismissed { cluster: C, epoch: 1, dealer: 1, receiver: 4, faults: 2 }),
            Event::CeremonyConfirmed(CeremonyConfirmed { cluster: C, epoch: 1, index: 1, verification_share: [2; 32] }),
            Event::ConfirmationRejected(ConfirmationRejected { cluster: C, epoch: 1, index: 4, faults: 3 }),
            Event::CeremonyConfirmed(CeremonyConfirmed { cluster: C, epoch: 1, index: 2, verification_share: [3; 32] }),
            Event::ClusterActivated(ClusterActivated { cluster: C, epoch: 1, public_key: [9; 32], threshold: 2, holders: 0b0011, late: 0 }),
            Event::CeremonyConfirmed(CeremonyConfirmed { cluster: C, epoch: 1, index: 3, verification_share: [4; 32] }),
        ];
        let trail = AuditTrail::from_events(&events);
        let c = &trail.ceremonies[&(C, 1)];
        assert_eq!(c.kind, Some(CeremonyKind::KeyGeneration));
        assert_eq!(c.dealt, [1, 2, 3]);
        assert_eq!(c.qualified_at_close, Some(vec![1, 2, 3]));
        assert_eq!(c.qualified, [1, 2], "the upheld complaint took dealer 3 out of Q");
        assert_eq!(c.voided_confirmations, [1], "and voided the confirmation before it");
        assert_eq!(c.confirmed, [1, 2]);
        assert_eq!(c.confirmed_after_activation, [3]);
        assert_eq!(c.culprits(), [3, 4]);
        assert!(matches!(&c.outcome, Some(CeremonyOutcome::Activated { holders, .. }) if holders == &[1, 2]));
        assert_eq!(trail.faults[&(C, 4)], 3, "the latest count");
        assert_eq!(trail.faults[&(C, 3)], 1);
        assert_eq!(trail.ceremonies_of(&C).count(), 1);
    }
}
