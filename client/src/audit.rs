//! Rebuilding who shared what with whom, from the program's events alone (the auditor's
//! view): every record version stored, every share request with the partials accepted and
//! rejected (naming the node), its completion and its revocation — and every transaction
//! that could not be read fully ([`Warning`]), so that the auditor knows what the trail may
//! be missing.

use std::collections::BTreeMap;

use solana_signature::Signature;

use crate::{
    Address,
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
    /// The record version shared.
    pub record_version: u32,
    /// Expiry (0 for none).
    pub expires_at: i64,
    /// Node indices whose partial verified, in order.
    pub accepted: Vec<u8>,
    /// `(node index, node authority)` of every rejected partial, in order.
    pub rejected: Vec<(u8, Address)>,
    /// Whether `t` partials came in.
    pub completed: bool,
    /// Whether the owner revoked.
    pub revoked: bool,
}

/// Everything an auditor can say from a sequence of events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditTrail {
    /// `(record, owner) → versions stored`, in order.
    pub records: BTreeMap<Address, (Address, Vec<u32>)>,
    /// Share requests by address.
    pub shares: BTreeMap<Address, ShareHistory>,
    /// Faults per `(cluster, node index)`.
    pub faults: BTreeMap<(Address, u8), u32>,
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

    fn fold<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) {
        let trail = self;
        for event in events {
            trail.events += 1;
            match event {
                Event::RecordStored(e) => trail.records.entry(e.record).or_insert_with(|| (e.owner, Vec::new())).1.push(e.version),
                Event::ShareRequested(e) => {
                    trail.shares.insert(
                        e.request,
                        ShareHistory {
                            record: e.record,
                            owner: e.owner,
                            recipient: e.recipient,
                            record_version: e.record_version,
                            expires_at: e.expires_at,
                            ..ShareHistory::default()
                        },
                    );
                }
                Event::PartialAccepted(e) => trail.shares.entry(e.request).or_default().accepted.push(e.index),
                Event::PartialRejected(e) => {
                    trail.shares.entry(e.request).or_default().rejected.push((e.index, e.authority));
                    trail.faults.insert((e.cluster, e.index), e.faults);
                }
                Event::ShareCompleted(e) => trail.shares.entry(e.request).or_default().completed = true,
                Event::ShareRevoked(e) => trail.shares.entry(e.request).or_default().revoked = true,
                _ => {}
            }
        }
    }

    /// The share requests made to `recipient`.
    pub fn shares_to<'a>(&'a self, recipient: &'a Address) -> impl Iterator<Item = (&'a Address, &'a ShareHistory)> {
        self.shares.iter().filter(move |(_, s)| s.recipient == *recipient)
    }
}
