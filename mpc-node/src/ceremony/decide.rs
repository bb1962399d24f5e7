//! The ceremony's decisions, as pure functions of what the chain says ([`ChainView`]) and
//! what this node holds ([`LocalView`]): no RPC, no clock, no randomness. The driver reads
//! both afresh, asks [`decide`] for the one next step, takes it, and asks again. Because
//! nothing but the chain and the vault carries state from one step to the next, a node
//! killed at any point — after dealing, between chunks, after storing its share but before
//! confirming, before rotating — takes up exactly where it was on restart, and every such
//! point is a unit test below.

use medshare_client::accounts::{CeremonyPhase, MemberStatus};

/// Bit `i-1` of member `i`.
pub fn bit(index: u8) -> u16 {
    if (1..=16).contains(&index) { 1 << (index - 1) } else { 0 }
}

/// The lowest member index in `mask`.
fn lowest(mask: u16) -> Option<u8> {
    (mask != 0).then(|| mask.trailing_zeros() as u8 + 1)
}

/// The latest ceremony, as far as this node's part in it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CeremonyView {
    /// Its epoch (`cluster.ceremony_epoch`).
    pub epoch: u64,
    /// Where it is.
    pub phase: CeremonyPhase,
    /// Resharing (else key generation).
    pub resharing: bool,
    /// Last slot for dealings.
    pub deal_deadline: u64,
    /// Last slot before `advance_ceremony` activates or fails it.
    pub confirm_deadline: u64,
    /// Member masks, as on chain.
    pub dealers: u16,
    /// Receivers.
    pub receivers: u16,
    /// Dealt.
    pub dealt: u16,
    /// Disqualified.
    pub disqualified: u16,
    /// `Q` (once dealing closed).
    pub qualified: u16,
    /// Confirmed receivers.
    pub confirmed: u16,
    /// Dealers of `Q` whose commitments are folded into the ceremony's aggregate.
    pub folded: u16,
    /// This node's transport key in the snapshot, if it is a receiver.
    pub my_transport_key: Option<[u8; 32]>,
}

impl CeremonyView {
    /// Dealing or confirming.
    pub fn is_running(&self) -> bool {
        matches!(self.phase, CeremonyPhase::Dealing | CeremonyPhase::Confirming)
    }
}

/// What the chain says about this node and its cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainView {
    /// This node's member index.
    pub index: u8,
    /// Its member status.
    pub status: MemberStatus,
    /// The transport key the cluster lists for it.
    pub transport_key: [u8; 32],
    /// The serving epoch.
    pub serving_epoch: u64,
    /// The current (`confirmed`) slot.
    pub slot: u64,
    /// The latest ceremony (`None` before the first).
    pub ceremony: Option<CeremonyView>,
    /// This node's dealing account in the latest ceremony: `(written, len)`.
    pub my_dealing: Option<(u16, u16)>,
}

/// What this node holds (vault, and what it learnt in this run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalView {
    /// `T` of the current transport secret.
    pub transport: [u8; 32],
    /// `T'` of the pending one, if a rotation is in progress.
    pub pending: Option<[u8; 32]>,
    /// Dealers of the latest ceremony this node complained against.
    pub complained: u16,
    /// Dealers of the latest ceremony whose sub-share to this node does not open (of those
    /// [`dealers_to_open`] named).
    pub bad: u16,
    /// The program rejected this node's confirmation for the current `Q` (in this run).
    pub confirmation_rejected: bool,
}

/// The one next thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The cluster invited this authority: `accept_invitation` with the current transport key.
    AcceptInvitation,
    /// The chain lists the pending transport key and no running ceremony needs the current
    /// one: the pending key becomes current, the old one is erased.
    PromoteTransport,
    /// Post this node's dealing from `offset` (computing and saving it first if the vault
    /// holds none).
    Deal {
        /// The chain's `written`.
        offset: u16,
    },
    /// Complain against `dealer`.
    Complain {
        /// The dealer.
        dealer: u8,
    },
    /// `fold_dealing` for `dealer` (every dealing of `Q` must be folded before anyone confirms).
    Fold {
        /// The qualified dealer whose commitments to fold.
        dealer: u8,
    },
    /// Finish (store the share), then `confirm_ceremony`.
    Confirm {
        /// After activation (a late confirmation).
        late: bool,
    },
    /// `advance_ceremony` (a deadline has passed).
    Advance,
    /// Rotate the transport key: make the pending key (if none) and send it.
    Rotate,
    /// Nothing to do until others act; why.
    Wait(&'static str),
    /// Nothing this node can do will move it on; why (reported by `/healthz`).
    Stuck(String),
    /// Nothing to do.
    Idle,
}

/// The unfolded dealer of `unfolded` node `index` folds: the first at or after its own
/// index (wrapping), so that the members fold different dealings at the same time.
pub fn fold_pick(unfolded: u16, index: u8) -> Option<u8> {
    let from_me = unfolded & !(bit(index).wrapping_sub(1));
    lowest(from_me).or_else(|| lowest(unfolded))
}

/// Slots node `index` waits past a deadline before advancing, so that not every node pays
/// for the same `advance_ceremony` (the first one's wins; later ones fail harmlessly).
pub fn advance_stagger(index: u8) -> u64 {
    u64::from(index.saturating_sub(1))
}

fn past(slot: u64, deadline: u64, index: u8) -> bool {
    slot > deadline.saturating_add(advance_stagger(index))
}

/// The dealers whose sub-shares to this node the driver must open before [`decide`]: the
/// dealt ones not yet disqualified while the ceremony runs (complaining early spares the
/// confirmations an upheld complaint would void), `Q` once it is done and this node has a
/// late confirmation to make. Empty when this node receives nothing.
pub fn dealers_to_open(chain: &ChainView) -> u16 {
    let Some(ceremony) = &chain.ceremony else { return 0 };
    let me = bit(chain.index);
    if chain.status != MemberStatus::Active || ceremony.receivers & me == 0 {
        return 0;
    }
    match ceremony.phase {
        CeremonyPhase::Dealing => ceremony.dealt & !ceremony.disqualified,
        CeremonyPhase::Confirming => ceremony.qualified,
        CeremonyPhase::Done if ceremony.confirmed & me == 0 => ceremony.qualified,
        _ => 0,
    }
}

/// Whether this node's dealing bytes of the latest ceremony are still needed: dealing is
/// open and the chain does not hold all of it (else the vault erases them).
pub fn keeps_dealing(chain: &ChainView) -> bool {
    let me = bit(chain.index);
    chain.ceremony.as_ref().is_some_and(|c| c.phase == CeremonyPhase::Dealing && c.dealers & me != 0 && (c.dealt | c.disqualified) & me == 0)
}

/// Whether the share of `epoch` is of no more use: below the serving epoch, or of a
/// ceremony that was superseded or failed without serving. Stale reads only make the
/// cluster's epochs look smaller, so they can keep a share longer, never erase one early.
pub fn share_is_dead(epoch: u64, serving_epoch: u64, ceremony_epoch: u64, latest_phase: Option<CeremonyPhase>) -> bool {
    if epoch == serving_epoch {
        return false;
    }
    epoch < serving_epoch || epoch < ceremony_epoch || (epoch == ceremony_epoch && latest_phase == Some(CeremonyPhase::Failed))
}

/// Whether this node's part in `ceremony` is over: it failed, or it is done and this node
/// confirmed, could not (a bad sub-share, a rejected confirmation), or is not an active
/// receiver.
fn finished_for_me(chain: &ChainView, ceremony: &CeremonyView, local: &LocalView) -> bool {
    let me = bit(chain.index);
    match ceremony.phase {
        CeremonyPhase::Failed => true,
        CeremonyPhase::Done => {
            ceremony.confirmed & me != 0
                || ceremony.receivers & me == 0
                || chain.status != MemberStatus::Active
                || local.bad & ceremony.qualified != 0
                || local.confirmation_rejected
        }
        _ => false,
    }
}

/// The next step (see the module documentation).
pub fn decide(chain: &ChainView, local: &LocalView) -> Step {
    match chain.status {
        MemberStatus::Invited => return Step::AcceptInvitation,
        MemberStatus::Empty | MemberStatus::Removed => return Step::Stuck(format!("this node's slot {} is {}", chain.index, chain.status)),
        MemberStatus::Active | MemberStatus::Suspended => {}
    }
    let listed_pending = local.pending == Some(chain.transport_key);
    if chain.transport_key != local.transport && !listed_pending {
        return Step::Stuck("the cluster lists a transport key this vault does not hold: is this the vault that accepted the invitation?".into());
    }
    let ceremony = chain.ceremony.as_ref();
    // A running ceremony encrypted to the key it snapshotted: keep that key until it is over.
    let running_uses_current = ceremony.is_some_and(|c| c.is_running() && c.my_transport_key == Some(local.transport));
    if listed_pending && !running_uses_current {
        return Step::PromoteTransport;
    }
    if let Some(ceremony) = ceremony
        && chain.status == MemberStatus::Active
        && let Some(step) = ceremony_step(chain, ceremony, local)
    {
        return step;
    }
    // Forward secrecy: once this node's part in a ceremony that encrypted to its current key
    // is over, that key goes.
    if let Some(ceremony) = ceremony
        && !listed_pending
        && ceremony.my_transport_key == Some(local.transport)
        && finished_for_me(chain, ceremony, local)
    {
        return Step::Rotate;
    }
    // A rotation begun (the pending key saved) but not on chain: finish it unless a running
    // ceremony still needs the current key.
    if local.pending.is_some() && !listed_pending && !running_uses_current {
        return Step::Rotate;
    }
    match ceremony {
        Some(c) if c.is_running() => Step::Wait("the ceremony, in which this node has nothing to do now"),
        _ => Step::Idle,
    }
}

/// This node's step in the latest ceremony, if it has one (an active member).
fn ceremony_step(chain: &ChainView, ceremony: &CeremonyView, local: &LocalView) -> Option<Step> {
    let me = bit(chain.index);
    let (deals, receiver) = (ceremony.dealers & me != 0, ceremony.receivers & me != 0);
    let slot = chain.slot;
    match ceremony.phase {
        CeremonyPhase::Dealing => {
            if deals && (ceremony.dealt | ceremony.disqualified) & me == 0 && slot <= ceremony.deal_deadline {
                let offset = chain.my_dealing.map_or(0, |(written, _)| written);
                return Some(Step::Deal { offset });
            }
            if receiver && let Some(dealer) = lowest(local.bad & ceremony.dealt & !ceremony.disqualified & !local.complained) {
                return Some(Step::Complain { dealer });
            }
            if past(slot, ceremony.deal_deadline, chain.index) {
                return Some(Step::Advance);
            }
            Some(Step::Wait("the other dealings"))
        }
        CeremonyPhase::Confirming => {
            let overdue = past(slot, ceremony.confirm_deadline, chain.index);
            if receiver {
                let bad = local.bad & ceremony.qualified;
                if let Some(dealer) = lowest(bad & !local.complained) {
                    return Some(Step::Complain { dealer });
                }
            }
            // an upheld complaint empties the aggregate: fold again whatever Q now is
            if (deals || receiver)
                && let Some(dealer) = fold_pick(ceremony.qualified & !ceremony.folded, chain.index)
            {
                return Some(Step::Fold { dealer });
            }
            if receiver {
                let bad = local.bad & ceremony.qualified;
                if ceremony.confirmed & me == 0 {
                    if let Some(dealer) = lowest(bad) {
                        // complained, yet the dealer is still qualified: the complaint was dismissed
                        return Some(if overdue {
                            Step::Advance
                        } else {
                            Step::Stuck(format!("dealer {dealer}'s sub-share to this node does not open and the complaint against it was dismissed"))
                        });
                    }
                    if local.confirmation_rejected {
                        return Some(if overdue { Step::Advance } else { Step::Stuck("the program rejected this node's confirmation".into()) });
                    }
                    return Some(Step::Confirm { late: false });
                }
            }
            if overdue {
                return Some(Step::Advance);
            }
            Some(Step::Wait("the other confirmations"))
        }
        CeremonyPhase::Done => {
            let unconfirmed = receiver && ceremony.confirmed & me == 0;
            (unconfirmed && local.bad & ceremony.qualified == 0 && !local.confirmation_rejected).then_some(Step::Confirm { late: true })
        }
        CeremonyPhase::Failed => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: [u8; 32] = [1; 32];
    const T2: [u8; 32] = [2; 32];

    /// Node 2 of a 3-member key generation, epoch 1, dealing open until slot 100.
    fn chain() -> ChainView {
        ChainView {
            index: 2,
            status: MemberStatus::Active,
            transport_key: T,
            serving_epoch: 0,
            slot: 10,
            ceremony: Some(CeremonyView {
                epoch: 1,
                phase: CeremonyPhase::Dealing,
                resharing: false,
                deal_deadline: 100,
                confirm_deadline: 200,
                dealers: 0b111,
                receivers: 0b111,
                dealt: 0,
                disqualified: 0,
                qualified: 0,
                confirmed: 0,
                folded: 0,
                my_transport_key: Some(T),
            }),
            my_dealing: None,
        }
    }

    fn local() -> LocalView {
        LocalView { transport: T, ..LocalView::default() }
    }

    fn with(chain: &ChainView, edit: impl FnOnce(&mut CeremonyView)) -> ChainView {
        let mut chain = chain.clone();
        edit(chain.ceremony.as_mut().unwrap());
        chain
    }

    #[test]
    fn an_invited_node_accepts_and_a_foreign_key_is_stuck() {
        let invited = ChainView { status: MemberStatus::Invited, transport_key: [0; 32], ceremony: None, ..chain() };
        assert_eq!(decide(&invited, &local()), Step::AcceptInvitation);
        let foreign = ChainView { transport_key: [9; 32], ..chain() };
        assert!(matches!(decide(&foreign, &local()), Step::Stuck(why) if why.contains("transport key")));
        let removed = ChainView { status: MemberStatus::Removed, ..chain() };
        assert!(matches!(decide(&removed, &local()), Step::Stuck(_)));
        let no_ceremony = ChainView { ceremony: None, ..chain() };
        assert_eq!(decide(&no_ceremony, &local()), Step::Idle);
    }

    /// Dealing resumes from the chain's offset: killed after computing (offset 0, bytes in the
    /// vault) or between chunks, the node posts what the chain lacks.
    #[test]
    fn dealing_resumes_from_the_chains_offset() {
        assert_eq!(decide(&chain(), &local()), Step::Deal { offset: 0 });
        let mid = ChainView { my_dealing: Some((800, 704 + 96)), ..chain() };
        assert_eq!(decide(&mid, &local()), Step::Deal { offset: 800 });
        assert!(keeps_dealing(&mid));
        // dealt (or rejected): the bytes go, the node waits
        let dealt = with(&mid, |c| c.dealt = 0b010);
        assert!(!keeps_dealing(&dealt));
        assert_eq!(decide(&dealt, &local()), Step::Wait("the other dealings"));
        let rejected = with(&mid, |c| c.disqualified = 0b010);
        assert!(!keeps_dealing(&rejected));
        // too late to deal: advance once past the deadline and this node's stagger (1 slot)
        let late = ChainView { slot: 101, ..chain() };
        assert_eq!(decide(&late, &local()), Step::Wait("the other dealings"));
        let later = ChainView { slot: 102, ..chain() };
        assert_eq!(decide(&later, &local()), Step::Advance);
        // a non-dealer (a new member in a resharing) does not deal
        let receiver_only = with(&chain(), |c| c.dealers = 0b101);
        assert!(!keeps_dealing(&receiver_only));
        assert_eq!(decide(&receiver_only, &local()), Step::Wait("the other dealings"));
    }

    #[test]
    fn bad_sub_shares_are_complained_about_once_even_while_dealing() {
        let dealing = with(&chain(), |c| c.dealt = 0b011);
        assert_eq!(dealers_to_open(&dealing), 0b011);
        let own_dealt = with(&dealing, |c| c.dealt = 0b011);
        let bad = LocalView { bad: 0b001, ..local() };
        assert_eq!(decide(&own_dealt, &bad), Step::Complain { dealer: 1 });
        let complained = LocalView { complained: 0b001, ..bad.clone() };
        assert_eq!(decide(&own_dealt, &complained), Step::Wait("the other dealings"));
        // upheld: dealer 1 disqualified, never opened again
        let upheld = with(&own_dealt, |c| c.disqualified = 0b001);
        assert_eq!(dealers_to_open(&upheld), 0b010);
    }

    #[test]
    fn folds_spread_over_the_members_and_come_before_confirmations() {
        assert_eq!(fold_pick(0b1011, 1), Some(1));
        assert_eq!(fold_pick(0b1011, 2), Some(2));
        assert_eq!(fold_pick(0b1011, 3), Some(4));
        assert_eq!(fold_pick(0b1011, 5), Some(1), "wraps");
        assert_eq!(fold_pick(0b1000_0000_0000_0000, 16), Some(16));
        assert_eq!(fold_pick(0, 2), None);
        let closed = with(&chain(), |c| {
            c.phase = CeremonyPhase::Confirming;
            c.dealt = 0b111;
            c.qualified = 0b111;
        });
        assert_eq!(decide(&closed, &local()), Step::Fold { dealer: 2 });
        let partly = with(&closed, |c| c.folded = 0b010);
        assert_eq!(decide(&partly, &local()), Step::Fold { dealer: 3 });
        // a bad dealing is complained about before any folding (an upheld complaint voids folds)
        assert_eq!(decide(&partly, &LocalView { bad: 0b001, ..local() }), Step::Complain { dealer: 1 });
        // a member with no part in the ceremony does not fold
        let outsider = with(&partly, |c| {
            c.dealers = 0b101;
            c.receivers = 0b101;
        });
        assert_eq!(decide(&outsider, &local()), Step::Wait("the other confirmations"));
    }

    #[test]
    fn confirming_confirms_then_advances_past_the_deadline() {
        let confirming = with(&chain(), |c| {
            c.phase = CeremonyPhase::Confirming;
            c.dealt = 0b111;
            c.qualified = 0b111;
            c.folded = 0b111;
        });
        assert_eq!(dealers_to_open(&confirming), 0b111);
        assert_eq!(decide(&confirming, &local()), Step::Confirm { late: false });
        // past the deadline, confirming first still counts (confirm_ceremony has no deadline)
        let overdue = ChainView { slot: 300, ..confirming.clone() };
        assert_eq!(decide(&overdue, &local()), Step::Confirm { late: false });
        let confirmed = with(&confirming, |c| c.confirmed = 0b010);
        assert_eq!(decide(&confirmed, &local()), Step::Wait("the other confirmations"));
        let confirmed_overdue = ChainView { slot: 202, ..confirmed.clone() };
        assert_eq!(decide(&confirmed_overdue, &local()), Step::Advance);
        // an upheld complaint cleared every fold and confirmation: fold and confirm again
        let voided = with(&confirmed, |c| {
            c.disqualified = 0b100;
            c.qualified = 0b011;
            c.confirmed = 0;
            c.folded = 0;
        });
        assert_eq!(decide(&voided, &local()), Step::Fold { dealer: 2 });
        assert_eq!(decide(&with(&voided, |c| c.folded = 0b011), &local()), Step::Confirm { late: false });
    }

    #[test]
    fn a_bad_qualified_dealing_is_complained_about_and_a_dismissal_is_stuck() {
        let confirming = with(&chain(), |c| {
            c.phase = CeremonyPhase::Confirming;
            c.dealt = 0b111;
            c.qualified = 0b111;
            c.folded = 0b111;
        });
        let bad = LocalView { bad: 0b100, ..local() };
        assert_eq!(decide(&confirming, &bad), Step::Complain { dealer: 3 });
        let dismissed = LocalView { complained: 0b100, ..bad };
        assert!(matches!(decide(&confirming, &dismissed), Step::Stuck(why) if why.contains("dismissed")));
        assert_eq!(decide(&ChainView { slot: 250, ..confirming.clone() }, &dismissed), Step::Advance);
        let rejected = LocalView { confirmation_rejected: true, ..local() };
        assert!(matches!(decide(&confirming, &rejected), Step::Stuck(why) if why.contains("rejected")));
    }

    /// Killed after storing its share but before confirming: the chain says unconfirmed, so
    /// it confirms (the driver finishes again and finds the same share in the vault); if the
    /// ceremony activated meanwhile, the confirmation is a late one.
    #[test]
    fn a_late_confirmation_after_activation() {
        let done = with(&chain(), |c| {
            c.phase = CeremonyPhase::Done;
            c.dealt = 0b111;
            c.qualified = 0b111;
            c.folded = 0b111;
            c.confirmed = 0b101;
        });
        let done = ChainView { serving_epoch: 1, ..done };
        assert_eq!(dealers_to_open(&done), 0b111);
        assert_eq!(decide(&done, &local()), Step::Confirm { late: true });
        // confirmed: its part is over, the key it received under goes
        let confirmed = with(&done, |c| c.confirmed = 0b111);
        assert_eq!(dealers_to_open(&confirmed), 0);
        assert_eq!(decide(&confirmed, &local()), Step::Rotate);
        // cannot confirm (a bad dealing, complaints closed): rotate anyway
        assert_eq!(decide(&done, &LocalView { bad: 0b001, ..local() }), Step::Rotate);
    }

    /// The rotation is resumable at each point: pending saved but not sent (chain lists T),
    /// sent and landed (chain lists T'), promoted.
    #[test]
    fn rotation_resumes_at_each_point() {
        let done = with(&chain(), |c| {
            c.phase = CeremonyPhase::Done;
            c.qualified = 0b111;
            c.confirmed = 0b111;
        });
        assert_eq!(decide(&done, &local()), Step::Rotate);
        let saved = LocalView { pending: Some(T2), ..local() };
        assert_eq!(decide(&done, &saved), Step::Rotate, "killed before sending: send the same pending key");
        let landed = ChainView { transport_key: T2, ..done.clone() };
        assert_eq!(decide(&landed, &saved), Step::PromoteTransport, "killed before recording: the chain says it landed");
        let promoted = LocalView { transport: T2, pending: None, ..local() };
        assert_eq!(decide(&landed, &promoted), Step::Idle, "the snapshot key is the old one: nothing more to rotate");
        // a failed ceremony rotates too
        let failed = with(&chain(), |c| c.phase = CeremonyPhase::Failed);
        assert_eq!(decide(&failed, &local()), Step::Rotate);
        // a non-receiver (its key is in no snapshot) keeps its key
        let outsider = with(&failed, |c| c.my_transport_key = None);
        assert_eq!(decide(&outsider, &local()), Step::Idle);
    }

    /// A new ceremony that snapshotted the current key while a rotation was under way keeps
    /// that key alive until it is over, however the race went.
    #[test]
    fn a_running_ceremony_keeps_the_key_it_snapshotted() {
        // the rotation landed after the snapshot: the chain lists T', the ceremony holds T
        let landed = ChainView { transport_key: T2, ..chain() };
        let saved = LocalView { pending: Some(T2), ..local() };
        assert_eq!(decide(&landed, &saved), Step::Deal { offset: 0 }, "no promotion while the ceremony needs T");
        // the rotation never left: hold it back while the ceremony runs
        let confirmed = with(&chain(), |c| {
            c.dealt = 0b111;
            c.phase = CeremonyPhase::Confirming;
            c.qualified = 0b111;
            c.folded = 0b111;
            c.confirmed = 0b010;
        });
        assert_eq!(decide(&confirmed, &saved), Step::Wait("the other confirmations"));
        // the snapshot took T' (rotation landed first): promote at once, the ceremony uses T'
        let took_new = with(&landed, |c| c.my_transport_key = Some(T2));
        assert_eq!(decide(&took_new, &saved), Step::PromoteTransport);
    }

    #[test]
    fn suspended_members_take_no_part_but_rotate() {
        let suspended = ChainView { status: MemberStatus::Suspended, ..chain() };
        assert_eq!(dealers_to_open(&suspended), 0);
        assert_eq!(decide(&suspended, &local()), Step::Wait("the ceremony, in which this node has nothing to do now"));
        let done = with(&suspended, |c| c.phase = CeremonyPhase::Done);
        assert_eq!(decide(&done, &local()), Step::Rotate);
    }

    #[test]
    fn shares_die_when_the_serving_epoch_passes_them_or_their_ceremony_ends_without_serving() {
        use CeremonyPhase::*;
        // resharing 3 running while 2 serves: both kept
        assert!(!share_is_dead(2, 2, 3, Some(Confirming)));
        assert!(!share_is_dead(3, 2, 3, Some(Confirming)));
        assert!(share_is_dead(1, 2, 3, Some(Confirming)));
        // 3 activated: 2 goes
        assert!(share_is_dead(2, 3, 3, Some(Done)));
        assert!(!share_is_dead(3, 3, 3, Some(Done)));
        // 3 failed: its share goes, 2 stays
        assert!(share_is_dead(3, 2, 3, Some(Failed)));
        assert!(!share_is_dead(2, 2, 3, Some(Failed)));
        // 3 superseded by 4
        assert!(share_is_dead(3, 2, 4, Some(Dealing)));
        // a stale read (older epochs) erases nothing newer
        assert!(!share_is_dead(4, 2, 3, Some(Done)));
    }
}
