//! Decoding the program's events from a transaction's log messages.
//!
//! Events are `Program data: base64(sha256("event:<Name>")[..8] ‖ borsh body)` lines that the
//! runtime attributes to this program: the invocation stack is followed through the
//! runtime's own `Program <id> invoke [n]` / `success` / `failed:` lines, matched exactly,
//! so that data logged by another program is never taken for ours.
//!
//! Logs are cut by the runtime at 10,000 bytes ([`LOG_TRUNCATED`]), and whoever builds a
//! transaction can fill them first; such a transaction is marked ([`Problem::LogsTruncated`],
//! naming who sent it), so an auditor sees that something may be hidden and by whom.
//! Decoding never fails as a whole: each transaction yields a [`TransactionEvents`] with the
//! events that decoded and a [`Problem`] for everything that did not.

use base64::Engine;
use borsh::BorshDeserialize;
use solana_signature::Signature;

use crate::{Address, PROGRAM_ID, discriminator};

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
    /// A cluster account was created; the admin now invites members.
    ClusterCreated { cluster: Address, admin: Address, cluster_id: u64 }
    /// The admin invited `authority` into slot `index`.
    NodeInvited { cluster: Address, index: u8, authority: Address }
    /// Node `index` accepted its invitation with a proven transport key.
    NodeAccepted { cluster: Address, index: u8, authority: Address, transport_key: [u8; 32] }
    /// Node `index` replaced its transport key.
    TransportKeyRotated { cluster: Address, index: u8, transport_key: [u8; 32] }
    /// The admin suspended node `index`.
    NodeSuspended { cluster: Address, index: u8 }
    /// The admin removed node `index` (an invitation withdrawn, or a member out).
    NodeRemoved { cluster: Address, index: u8, authority: Address }
    /// A ceremony started (`kind`: 0 key generation, 1 resharing); bitmasks by member index (bit `i-1`).
    CeremonyStarted { cluster: Address, epoch: u64, kind: u8, threshold: u8, dealers: u16, receivers: u16, deal_deadline: u64, confirm_deadline: u64 }
    /// Dealer `dealer`'s dealing is complete and verified.
    DealingPosted { cluster: Address, epoch: u64, dealer: u8 }
    /// Dealer `dealer`'s complete dealing failed the program's checks: it is disqualified.
    DealingRejected { cluster: Address, epoch: u64, dealer: u8, faults: u32 }
    /// Dealing closed: `qualified` is `Q`; `absent` dealers dealt nothing complete in time.
    DealingClosed { cluster: Address, epoch: u64, qualified: u16, absent: u16 }
    /// Receiver `receiver` proved `dealer`'s sub-share to it bad: the dealer is disqualified (`faults` are the dealer's).
    ComplaintUpheld { cluster: Address, epoch: u64, dealer: u8, receiver: u8, faults: u32 }
    /// Receiver `receiver` accused `dealer` wrongly: the complainer is at fault (`faults` are the receiver's).
    ComplaintDismissed { cluster: Address, epoch: u64, dealer: u8, receiver: u8, faults: u32 }
    /// Receiver `index` proved possession of its new share for `verification_share`.
    CeremonyConfirmed { cluster: Address, epoch: u64, index: u8, verification_share: [u8; 32] }
    /// Receiver `index` posted a confirmation that does not verify: not kept, counted.
    ConfirmationRejected { cluster: Address, epoch: u64, index: u8, faults: u32 }
    /// The ceremony's shares serve from now on; `holders` confirmed, `late` were required and did not.
    ClusterActivated { cluster: Address, epoch: u64, public_key: [u8; 32], threshold: u8, holders: u16, late: u16 }
    /// The ceremony ended without a key (too few qualified dealers or confirmations).
    CeremonyFailed { cluster: Address, epoch: u64, qualified: u16, confirmed: u16 }
    /// The share circuit was registered with the cluster.
    CircuitRegistered { cluster: Address, circuit: Address, version: u16, domain: [u8; 32] }
    /// A wallet registered its encryption key.
    UserKeyRegistered { wallet: Address, public_key: [u8; 32] }
    /// A record version was stored.
    RecordStored { record: Address, owner: Address, cluster: Address, record_id: u64, version: u32, storage: u8, ciphertext_len: u32, digest: [u8; 32] }
    /// The owner asked the cluster to share a record version.
    ShareRequested {
        request: Address, record: Address, owner: Address, recipient: Address, recipient_key: [u8; 32], cluster: Address,
        epoch: u64, record_version: u32, circuit_version: u16, threshold: u8, expires_at: i64,
    }
    /// Node `index`'s partial verified and was stored.
    PartialAccepted { request: Address, cluster: Address, index: u8, authority: Address }
    /// Node `index` posted an invalid proof: not stored, counted.
    PartialRejected { request: Address, cluster: Address, index: u8, authority: Address, faults: u32 }
    /// The `t`-th valid partial arrived.
    ShareCompleted { request: Address, record: Address, recipient: Address, accepted: u16 }
    /// A pending request of an earlier epoch under the same key moved to the serving epoch:
    /// its partials of old shares were cleared and `threshold` partials of new shares are needed.
    ShareRequestMoved { request: Address, cluster: Address, from_epoch: u64, to_epoch: u64, threshold: u8 }
    /// The owner withdrew consent.
    ShareRevoked { request: Address, record: Address, recipient: Address, was_completed: bool }
    /// A pending request past its expiry was marked expired (by anyone).
    ShareRequestExpired { request: Address, record: Address, expires_at: i64 }
    /// An account was closed (`kind`: 0 record, 1 share request, 2 dealing).
    AccountClosed { account: Address, kind: u8, by: Address }
}

/// Why an event instruction of ours could not be decoded.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    /// Not valid base64.
    #[error("event is not valid base64")]
    Base64,
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

/// Something that kept a transaction from being read fully. Never fatal: the transaction's
/// other events, and the other transactions, are still read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Problem {
    /// The runtime cut the transaction's logs at 10,000 bytes ([`LOG_TRUNCATED`]): events
    /// logged after the cut are missing. Whoever built the transaction can cause this (by
    /// logging from earlier instructions), so an auditor is told, with who sent it.
    #[error("its logs were truncated by the runtime (10,000-byte limit): events after the cut are missing (sent by {fee_payer})")]
    LogsTruncated {
        /// The transaction's fee payer (a node's authority, for a partial).
        fee_payer: String,
    },
    /// A `Program data:` line of this program that does not decode.
    #[error("log line {line}: {error}")]
    BadEvent {
        /// The line's position in the transaction's logs.
        line: usize,
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
            Problem::LogsTruncated { .. } => "logs_truncated",
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
    /// Reads one successful transaction's `logs` ([`from_logs`]), and marks it when the
    /// runtime truncated them.
    pub fn read(signature: Signature, fee_payer: &Address, logs: &[String]) -> TransactionEvents {
        let (events, mut problems) = from_logs(logs);
        if logs_truncated(logs) {
            problems.insert(0, Problem::LogsTruncated { fee_payer: fee_payer.to_string() });
        }
        TransactionEvents { signature, events, problems }
    }

    /// A transaction that could not be read at all, and why.
    pub fn unreadable(signature: Signature, why: impl Into<String>) -> TransactionEvents {
        TransactionEvents { signature, events: Vec::new(), problems: vec![Problem::Unreadable(why.into())] }
    }

    /// Whether the runtime truncated its logs.
    pub fn logs_truncated(&self) -> bool {
        self.problems.iter().any(|p| matches!(p, Problem::LogsTruncated { .. }))
    }
}

/// Whether the runtime truncated these logs: one line is exactly [`LOG_TRUNCATED`] (a
/// program's own lines are prefixed, `Program log: …`, so none can be that line).
pub fn logs_truncated(logs: &[String]) -> bool {
    logs.iter().any(|line| line == LOG_TRUNCATED)
}

/// A line the runtime writes about a program invocation, recognised exactly:
/// `Program <id> invoke [<depth>]`, `Program <id> success`, `Program <id> failed: <why>`.
/// A program's own output always comes as `Program log: …`, `Program data: …` or
/// `Program return: …`, and `log:`, `data:` and `return:` are not addresses, so no program
/// can write a line that reads as one of these.
enum RuntimeLine {
    Invoke(Address),
    Exit,
}

fn runtime_line(line: &str) -> Option<RuntimeLine> {
    let rest = line.strip_prefix("Program ")?;
    let (id, tail) = rest.split_once(' ')?;
    let id: Address = id.parse().ok()?;
    if let Some(depth) = tail.strip_prefix("invoke [").and_then(|t| t.strip_suffix(']')) {
        return depth.parse::<u8>().ok().map(|_| RuntimeLine::Invoke(id));
    }
    (tail == "success" || tail.starts_with("failed: ")).then_some(RuntimeLine::Exit)
}

/// Every event this program logged in one transaction's log messages, in order, and a
/// problem for each `Program data:` line of ours that does not decode (the others are
/// kept). The invocation stack is followed through the runtime's own lines, matched
/// exactly ([`RuntimeLine`]), so data logged by another program — one we invoked or one
/// invoked before or after us — is never taken for ours.
pub fn from_logs(logs: &[String]) -> (Vec<Event>, Vec<Problem>) {
    let mut stack: Vec<bool> = Vec::new();
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for (position, line) in logs.iter().enumerate() {
        match runtime_line(line) {
            Some(RuntimeLine::Invoke(id)) => stack.push(id == PROGRAM_ID),
            Some(RuntimeLine::Exit) => {
                stack.pop();
            }
            None => {
                if let Some(data) = line.strip_prefix("Program data: ")
                    && stack.last() == Some(&true)
                {
                    match base64::engine::general_purpose::STANDARD.decode(data).map_err(|_| EventError::Base64).and_then(|raw| decode(&raw)) {
                        Ok(event) => events.push(event),
                        Err(error) => problems.push(Problem::BadEvent { line: position, error }),
                    }
                }
            }
        }
    }
    (events, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use borsh::BorshSerialize;

    #[derive(BorshSerialize)]
    struct RawClusterCreated([u8; 32], [u8; 32], u64);

    fn encoded() -> Vec<u8> {
        let mut raw = discriminator("event", "ClusterCreated").to_vec();
        RawClusterCreated([1; 32], [2; 32], 7).serialize(&mut raw).unwrap();
        raw
    }

    fn data_line(raw: &[u8]) -> String {
        format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }

    fn lines(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| (*s).to_owned()).collect()
    }

    const OTHER: &str = "11111111111111111111111111111111";

    #[test]
    fn decodes_only_this_programs_data_lines() {
        let ours = data_line(&encoded());
        let logs = vec![
            format!("Program {PROGRAM_ID} invoke [1]"),
            format!("Program {OTHER} invoke [2]"),
            ours.clone(),
            format!("Program {OTHER} success"),
            ours.clone(),
            format!("Program {PROGRAM_ID} success"),
            format!("Program {OTHER} invoke [1]"),
            ours,
            format!("Program {OTHER} success"),
        ];
        let (events, problems) = from_logs(&logs);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(events.len(), 1, "data logged by other programs is not ours");
        let Event::ClusterCreated(e) = &events[0] else { panic!("expected ClusterCreated, got {:?}", events[0]) };
        assert_eq!(e.cluster_id, 7);
        assert_eq!(e.admin, Address::new_from_array([2; 32]));
    }

    #[test]
    fn program_output_that_looks_like_runtime_lines_moves_nothing() {
        // before exact matching, a program's log ending in " success" popped the stack
        let logs = vec![
            format!("Program {OTHER} invoke [1]"),
            format!("Program {PROGRAM_ID} invoke [2]"),
            "Program log: Program 11111111111111111111111111111111 success".to_owned(),
            format!("Program log: x failed: y"),
            data_line(&encoded()),
            format!("Program {PROGRAM_ID} success"),
            "Program log: Program G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ invoke [3]".to_owned(),
            data_line(&encoded()),
            format!("Program {OTHER} success"),
        ];
        let (events, problems) = from_logs(&logs);
        assert_eq!((events.len(), problems.len()), (1, 0), "only the line inside our invocation is ours");
    }

    #[test]
    fn a_malformed_event_is_reported_and_the_others_kept() {
        let mut long = encoded();
        long.push(0);
        let logs = vec![
            format!("Program {PROGRAM_ID} invoke [1]"),
            data_line(&encoded()),
            data_line(&long),
            "Program data: not base64!".to_owned(),
            data_line(&[1, 2, 3]),
            data_line(&[9; 40]),
            data_line(&encoded()),
            format!("Program {PROGRAM_ID} success"),
        ];
        let tx = TransactionEvents::read(Signature::from([7; 64]), &Address::new_from_array([1; 32]), &logs);
        assert_eq!(tx.events.len(), 2, "both good events kept");
        assert_eq!(
            tx.problems,
            vec![
                Problem::BadEvent { line: 2, error: EventError::MalformedBody { name: "ClusterCreated" } },
                Problem::BadEvent { line: 3, error: EventError::Base64 },
                Problem::BadEvent { line: 4, error: EventError::TooShort },
                Problem::BadEvent { line: 5, error: EventError::UnknownDiscriminator([9; 8]) },
            ]
        );
        assert!(!tx.logs_truncated());
        assert_eq!(tx.problems[0].to_string(), "log line 2: event ClusterCreated has a malformed body");
    }

    #[test]
    fn log_truncation_is_the_exact_runtime_line_and_names_the_sender() {
        assert!(logs_truncated(&lines(&["Program x invoke [1]", "Log truncated"])));
        for almost in ["Program log: Log truncated", "Log truncated ", " Log truncated", "log truncated", "Log truncated."] {
            assert!(!logs_truncated(&lines(&["Program x invoke [1]", almost])), "{almost:?}");
        }
        let payer = Address::new_from_array([4; 32]);
        let tx = TransactionEvents::read(Signature::from([7; 64]), &payer, &lines(&["Log truncated"]));
        assert!(tx.logs_truncated());
        assert_eq!(tx.problems, vec![Problem::LogsTruncated { fee_payer: payer.to_string() }]);
        assert!(tx.problems[0].to_string().contains(&payer.to_string()));
    }

    #[test]
    fn ceremony_events_decode_field_for_field() {
        let mut raw = discriminator("event", "CeremonyStarted").to_vec();
        raw.extend([1; 32]);
        raw.extend(4u64.to_le_bytes());
        raw.extend([1, 3]);
        raw.extend(0b0111u16.to_le_bytes());
        raw.extend(0b1111u16.to_le_bytes());
        raw.extend(100u64.to_le_bytes());
        raw.extend(250u64.to_le_bytes());
        let Ok(Event::CeremonyStarted(e)) = decode(&raw) else { panic!("{:?}", decode(&raw)) };
        assert_eq!((e.epoch, e.kind, e.threshold, e.dealers, e.receivers, e.deal_deadline, e.confirm_deadline), (4, 1, 3, 7, 15, 100, 250));

        let mut raw = discriminator("event", "ShareRequestMoved").to_vec();
        raw.extend([1; 32]);
        raw.extend([2; 32]);
        raw.extend(3u64.to_le_bytes());
        raw.extend(5u64.to_le_bytes());
        raw.push(4);
        let Ok(Event::ShareRequestMoved(e)) = decode(&raw) else { panic!("{:?}", decode(&raw)) };
        assert_eq!((e.from_epoch, e.to_epoch, e.threshold), (3, 5, 4));
        assert!(!EVENT_NAMES.contains(&"NodeRegistered"));
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
