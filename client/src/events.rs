//! Decoding the program's events from a transaction's inner instructions.
//!
//! The program emits every event with Anchor's `emit_cpi!`: an instruction it invokes on
//! itself whose only account is its event authority PDA (`seeds = ["__event_authority"]`),
//! signing, and whose data is [`EVENT_IX_TAG`] ‖ `sha256("event:<Name>")[..8]` ‖ the borsh
//! body. Only the program can sign for that PDA, and its dispatcher refuses the tag unless
//! the PDA signed; a PDA cannot sign a transaction, so an event is only ever an *inner*
//! instruction of a successful transaction, and the runtime records it whatever happens to
//! the logs (which it cuts at 10,000 bytes: [`LOG_TRUNCATED`]).
//!
//! Decoding never fails as a whole: each transaction yields a [`TransactionEvents`] with the
//! events that decoded and a [`Problem`] for everything that did not.

use borsh::BorshDeserialize;
use solana_signature::Signature;

use crate::{Address, PROGRAM_ID, discriminator};

/// What Anchor's `emit_cpi!` puts before an event's discriminator in the instruction data:
/// `0x1d9acb512ea545e4` as u64 little-endian (`sha256("anchor:event")[..8]` reversed).
pub const EVENT_IX_TAG: [u8; 8] = 0x1d9a_cb51_2ea5_45e4_u64.to_le_bytes();

/// The exact log line the runtime pushes, once, when a transaction's logs pass 10,000
/// bytes; everything logged after it is dropped.
pub const LOG_TRUNCATED: &str = "Log truncated";

/// Declares the event structs (the program's `events.rs`, field for field), the [`Event`]
/// enum and the decoder by discriminator, from one list.
macro_rules! events {
    ($($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* $(,)? })*) => {
        $(
            $(#[$doc])*
            #[derive(BorshDeserialize, Debug, Clone, PartialEq, Eq)]
            #[allow(missing_docs)]
            pub struct $name { $(pub $field: $ty),* }
        )*

        /// Every event the program emits.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Event { $($(#[$doc])* $name($name)),* }

        /// The names of every event, as in the IDL.
        pub const EVENT_NAMES: &[&str] = &[$(stringify!($name)),*];

        fn decode_body(disc: &[u8; 8], body: &[u8]) -> Result<Event, EventError> {
            $(
                if *disc == discriminator("event", stringify!($name)) {
                    return $name::try_from_slice(body)
                        .map(Event::$name)
                        .map_err(|_| EventError::MalformedBody { name: stringify!($name) });
                }
            )*
            Err(EventError::UnknownDiscriminator(*disc))
        }

        impl Event {
            /// The event's name.
            pub fn name(&self) -> &'static str {
                match self { $(Event::$name(_) => stringify!($name)),* }
            }
        }
    };
}

events! {
    /// A cluster account was created.
    ClusterCreated { cluster: Address, admin: Address, cluster_id: u64, threshold: u8, size: u8, epoch: u64 }
    /// The admin admitted node `index`.
    NodeRegistered { cluster: Address, authority: Address, index: u8, transport_key: [u8; 32] }
    /// A key ceremony started.
    CeremonyStarted { cluster: Address, epoch: u64 }
    /// A dealer finished round 1 (`round = 1`) or posted a round-2 package (`round = 2`).
    DealingPosted { cluster: Address, epoch: u64, dealer: u8, round: u8, receiver: u8 }
    /// Node `index` confirmed `PK` and the `S_i`.
    CeremonyConfirmed { cluster: Address, epoch: u64, index: u8, public_key: [u8; 32] }
    /// All `n` nodes agreed; the cluster is active.
    ClusterActivated { cluster: Address, epoch: u64, public_key: [u8; 32] }
    /// The admin suspended node `index`.
    NodeSuspended { cluster: Address, index: u8 }
    /// The share circuit was registered with the cluster.
    CircuitRegistered { cluster: Address, circuit: Address, version: u16, domain: [u8; 32] }
    /// A wallet registered its encryption key.
    UserKeyRegistered { wallet: Address, public_key: [u8; 32] }
    /// A record version was stored.
    RecordStored { record: Address, owner: Address, cluster: Address, record_id: u64, version: u32, storage: u8, ciphertext_len: u32, digest: [u8; 32] }
    /// The owner asked the cluster to share a record version.
    ShareRequested {
        request: Address, record: Address, owner: Address, recipient: Address, recipient_key: [u8; 32], cluster: Address,
        epoch: u64, record_version: u32, circuit_version: u16, threshold: u8, capsule: [u8; 64], expires_at: i64,
    }
    /// Node `index`'s partial verified and was stored.
    PartialAccepted { request: Address, cluster: Address, index: u8, authority: Address }
    /// Node `index` posted an invalid proof: not stored, counted.
    PartialRejected { request: Address, cluster: Address, index: u8, authority: Address, faults: u32 }
    /// The `t`-th valid partial arrived.
    ShareCompleted { request: Address, record: Address, recipient: Address, accepted: u16 }
    /// The owner withdrew consent.
    ShareRevoked { request: Address, record: Address, recipient: Address, was_completed: bool }
    /// An account was closed (`kind`: 0 record, 1 share request, 2 dealing).
    AccountClosed { account: Address, kind: u8, by: Address }
}

/// Why an event instruction of ours could not be decoded.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    /// Shorter than a discriminator.
    #[error("event is shorter than its 8-byte discriminator")]
    TooShort,
    /// A discriminator no event of this program has.
    #[error("unknown event discriminator {0:02x?}")]
    UnknownDiscriminator([u8; 8]),
    /// The body does not decode exactly (wrong length or invalid field).
    #[error("event {name} has a malformed body")]
    MalformedBody {
        /// The event's name.
        name: &'static str,
    },
}

/// Decodes one event from its raw bytes (discriminator ‖ body), rejecting trailing bytes.
pub fn decode(raw: &[u8]) -> Result<Event, EventError> {
    let (disc, body) = raw.split_first_chunk::<8>().ok_or(EventError::TooShort)?;
    decode_body(disc, body)
}

/// One inner instruction (an instruction a program invoked) as the runtime recorded it,
/// with its account indexes resolved to addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerInstruction {
    /// The index of the transaction's top-level instruction it ran under.
    pub top_level: u8,
    /// Its position among that instruction's inner instructions (the runtime's order).
    pub position: usize,
    /// The program invoked.
    pub program_id: Address,
    /// Its accounts, in order.
    pub accounts: Vec<Address>,
    /// Its data.
    pub data: Vec<u8>,
}

/// Something that kept a transaction from being read fully. Never fatal: the transaction's
/// other events, and the other transactions, are still read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Problem {
    /// The runtime cut the transaction's logs ([`LOG_TRUNCATED`]). Events are not in the
    /// logs, so none is lost, but whoever reads the logs does not see them all.
    #[error("its logs were truncated by the runtime (10,000-byte limit)")]
    LogsTruncated,
    /// An event instruction of this program that does not decode.
    #[error("instruction {top_level}, inner instruction {position}: {error}")]
    BadEvent {
        /// The top-level instruction it ran under.
        top_level: u8,
        /// Its position among that instruction's inner instructions.
        position: usize,
        /// Why it does not decode.
        error: EventError,
    },
    /// The transaction could not be fetched or its record is not understood.
    #[error("could not be read: {0}")]
    Unreadable(String),
}

impl Problem {
    /// A short machine-readable name: `logs_truncated`, `bad_event` or `unreadable`.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::LogsTruncated => "logs_truncated",
            Problem::BadEvent { .. } => "bad_event",
            Problem::Unreadable(_) => "unreadable",
        }
    }
}

/// The program's events in one transaction, in execution order, and what could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionEvents {
    /// The transaction.
    pub signature: Signature,
    /// Every event that decoded, in order.
    pub events: Vec<Event>,
    /// What kept it from being read fully (empty for a clean transaction).
    pub problems: Vec<Problem>,
}

impl TransactionEvents {
    /// Reads one successful transaction: its events from its inner instructions
    /// ([`from_inner_instructions`]), and whether its `logs` were truncated.
    pub fn read(signature: Signature, inner: &[InnerInstruction], logs: &[String]) -> TransactionEvents {
        let (events, mut problems) = from_inner_instructions(inner);
        if logs_truncated(logs) {
            problems.insert(0, Problem::LogsTruncated);
        }
        TransactionEvents { signature, events, problems }
    }

    /// A transaction that could not be read at all, and why.
    pub fn unreadable(signature: Signature, why: impl Into<String>) -> TransactionEvents {
        TransactionEvents { signature, events: Vec::new(), problems: vec![Problem::Unreadable(why.into())] }
    }

    /// Whether the runtime truncated its logs.
    pub fn logs_truncated(&self) -> bool {
        self.problems.contains(&Problem::LogsTruncated)
    }
}

/// Whether the runtime truncated these logs: one line is exactly [`LOG_TRUNCATED`] (a
/// program's own lines are prefixed, `Program log: …`, so none can be that line).
pub fn logs_truncated(logs: &[String]) -> bool {
    logs.iter().any(|line| line == LOG_TRUNCATED)
}

/// The events among a transaction's inner instructions, in order, and a problem for each
/// event instruction that does not decode. An instruction is an event only if its program
/// is [`PROGRAM_ID`], its first account is the event authority PDA
/// ([`crate::pda::event_authority`]) and its data starts with [`EVENT_IX_TAG`]; anything
/// else (another program, a different first account, other data) is not an event and is
/// ignored. Pass inner instructions only, never top-level ones: no top-level instruction
/// can carry a genuine event.
pub fn from_inner_instructions(inner: &[InnerInstruction]) -> (Vec<Event>, Vec<Problem>) {
    let authority = crate::pda::event_authority();
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for instruction in inner {
        if instruction.program_id != PROGRAM_ID || instruction.accounts.first() != Some(&authority) {
            continue;
        }
        let Some(raw) = instruction.data.strip_prefix(&EVENT_IX_TAG) else { continue };
        match decode(raw) {
            Ok(event) => events.push(event),
            Err(error) => problems.push(Problem::BadEvent { top_level: instruction.top_level, position: instruction.position, error }),
        }
    }
    (events, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use borsh::BorshSerialize;

    #[derive(BorshSerialize)]
    struct RawClusterCreated([u8; 32], [u8; 32], u64, u8, u8, u64);

    fn encoded() -> Vec<u8> {
        let mut raw = discriminator("event", "ClusterCreated").to_vec();
        RawClusterCreated([1; 32], [2; 32], 7, 2, 3, 0).serialize(&mut raw).unwrap();
        raw
    }

    /// What `emit_cpi!` invokes for `raw` (discriminator ‖ body).
    fn emitted(top_level: u8, position: usize, raw: &[u8]) -> InnerInstruction {
        InnerInstruction { top_level, position, program_id: PROGRAM_ID, accounts: vec![crate::pda::event_authority()], data: [&EVENT_IX_TAG[..], raw].concat() }
    }

    fn signature() -> Signature {
        Signature::from([7; 64])
    }

    #[test]
    fn the_tag_is_anchors() {
        assert_eq!(EVENT_IX_TAG, [0xe4, 0x45, 0xa5, 0x2e, 0x51, 0xcb, 0x9a, 0x1d]);
    }

    #[test]
    fn an_event_is_taken_from_an_inner_instruction() {
        let (events, problems) = from_inner_instructions(&[emitted(0, 0, &encoded())]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(events.len(), 1);
        let Event::ClusterCreated(e) = &events[0] else { panic!("expected ClusterCreated, got {:?}", events[0]) };
        assert_eq!((e.cluster_id, e.threshold, e.size, e.epoch), (7, 2, 3, 0));
        assert_eq!(e.admin, Address::new_from_array([2; 32]));
    }

    #[test]
    fn another_programs_inner_instruction_is_ignored() {
        let mut other = emitted(0, 0, &encoded());
        other.program_id = Address::new_from_array([9; 32]);
        let (events, problems) = from_inner_instructions(&[other]);
        assert!(events.is_empty() && problems.is_empty());
    }

    #[test]
    fn a_tagged_instruction_to_us_without_the_event_authority_first_is_ignored() {
        let mut forged = emitted(0, 0, &encoded());
        forged.accounts = vec![Address::new_from_array([5; 32]), crate::pda::event_authority()];
        let mut none = emitted(0, 1, &encoded());
        none.accounts.clear();
        let (events, problems) = from_inner_instructions(&[forged, none]);
        assert!(events.is_empty() && problems.is_empty());
        // and an instruction to us without the tag (an ordinary self-call) is not an event either
        let mut untagged = emitted(0, 2, &encoded());
        untagged.data = encoded();
        assert_eq!(from_inner_instructions(&[untagged]), (vec![], vec![]));
    }

    #[test]
    fn a_malformed_event_is_reported_and_the_others_kept() {
        let mut long = encoded();
        long.push(0);
        let inner = [emitted(0, 0, &encoded()), emitted(0, 1, &long), emitted(1, 0, &[1, 2, 3]), emitted(1, 1, &[9; 40]), emitted(1, 2, &encoded())];
        let tx = TransactionEvents::read(signature(), &inner, &[]);
        assert_eq!(tx.events.len(), 2, "both good events kept");
        assert_eq!(
            tx.problems,
            vec![
                Problem::BadEvent { top_level: 0, position: 1, error: EventError::MalformedBody { name: "ClusterCreated" } },
                Problem::BadEvent { top_level: 1, position: 0, error: EventError::TooShort },
                Problem::BadEvent { top_level: 1, position: 1, error: EventError::UnknownDiscriminator([9; 8]) },
            ]
        );
        assert!(!tx.logs_truncated());
        assert_eq!(tx.problems[0].to_string(), "instruction 0, inner instruction 1: event ClusterCreated has a malformed body");
    }

    #[test]
    fn log_truncation_is_the_exact_runtime_line() {
        let lines = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(logs_truncated(&lines(&["Program x invoke [1]", "Log truncated"])));
        for almost in ["Program log: Log truncated", "Log truncated ", " Log truncated", "log truncated", "Log truncated."] {
            assert!(!logs_truncated(&lines(&["Program x invoke [1]", almost])), "{almost:?}");
        }
        let tx = TransactionEvents::read(signature(), &[emitted(0, 0, &encoded())], &lines(&["Log truncated"]));
        assert!(tx.logs_truncated());
        assert_eq!((tx.events.len(), tx.problems.clone()), (1, vec![Problem::LogsTruncated]), "the event is still read");
    }

    #[test]
    fn rejects_trailing_bytes_short_input_and_unknown_events() {
        let mut long = encoded();
        long.push(0);
        assert_eq!(decode(&long), Err(EventError::MalformedBody { name: "ClusterCreated" }));
        assert_eq!(decode(&encoded()[..20]), Err(EventError::MalformedBody { name: "ClusterCreated" }));
        assert_eq!(decode(&[1, 2, 3]), Err(EventError::TooShort));
        assert!(matches!(decode(&[9; 40]), Err(EventError::UnknownDiscriminator(_))));
    }
}
