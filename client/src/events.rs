//! Decoding the program's events from transaction logs.
//!
//! Only `Program data:` lines emitted by this program count: the runtime's
//! `Program <id> invoke [depth]` / `Program <id> success` lines are tracked, so that data
//! logged by another program in the same transaction is never mistaken for ours.

use base64::Engine;
use borsh::BorshDeserialize;

use crate::{Address, PROGRAM_ID, discriminator};

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

/// Why a `Program data:` line of ours could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
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

/// Every event this program logged in one transaction's log messages, in order.
/// Lines of other programs are skipped; a malformed line of ours is an error.
pub fn from_logs(logs: &[String]) -> Result<Vec<Event>, EventError> {
    let program = PROGRAM_ID.to_string();
    let invoke = format!("Program {program} invoke");
    let mut stack: Vec<bool> = Vec::new();
    let mut events = Vec::new();
    for line in logs {
        if let Some(rest) = line.strip_prefix("Program ") {
            if line.starts_with(&invoke) {
                stack.push(true);
                continue;
            }
            if rest.contains(" invoke [") {
                stack.push(false);
                continue;
            }
            if rest.ends_with(" success") || rest.contains(" failed: ") {
                stack.pop();
                continue;
            }
        }
        if let Some(data) = line.strip_prefix("Program data: ")
            && stack.last() == Some(&true)
        {
            let raw = base64::engine::general_purpose::STANDARD.decode(data).map_err(|_| EventError::Base64)?;
            events.push(decode(&raw)?);
        }
    }
    Ok(events)
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

    #[test]
    fn decodes_only_this_programs_data_lines() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(encoded());
        let other = "11111111111111111111111111111111";
        let logs: Vec<String> = vec![
            format!("Program {PROGRAM_ID} invoke [1]"),
            format!("Program {other} invoke [2]"),
            format!("Program data: {b64}"),
            format!("Program {other} success"),
            format!("Program data: {b64}"),
            format!("Program {PROGRAM_ID} success"),
        ];
        let events = from_logs(&logs).unwrap();
        assert_eq!(events.len(), 1, "the inner program's data line is not ours");
        let Event::ClusterCreated(e) = &events[0] else { panic!("expected ClusterCreated, got {:?}", events[0]) };
        assert_eq!((e.cluster_id, e.threshold, e.size, e.epoch), (7, 2, 3, 0));
        assert_eq!(e.admin, Address::new_from_array([2; 32]));
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
