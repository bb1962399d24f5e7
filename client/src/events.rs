//! Decoding the program's events from transaction logs.
//!
//! Only `Program data:` lines emitted by this program count: the runtime's
//! `Program <id> invoke [depth]` / `Program <id> success` lines are tracked, so that data
//! logged by another program in the same transaction is never mistaken for ours.

use base64::Engine;
use borsh::BorshDeserialize;

use crate::{Address, PROGRAM_ID, discriminator};

/// A cluster account was created.
#[derive(BorshDeserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClusterCreated {
    /// The cluster account.
    pub cluster: Address,
    /// Its admin.
    pub admin: Address,
    /// Admin-chosen id.
    pub cluster_id: u64,
    /// `t`.
    pub threshold: u8,
    /// `n`.
    pub size: u8,
    /// Key-ceremony epoch.
    pub epoch: u64,
}

/// Every event the program emits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// See [`ClusterCreated`].
    ClusterCreated(ClusterCreated),
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
    fn exact<T: BorshDeserialize>(name: &'static str, body: &[u8]) -> Result<T, EventError> {
        T::try_from_slice(body).map_err(|_| EventError::MalformedBody { name })
    }
    if *disc == discriminator("event", "ClusterCreated") {
        return Ok(Event::ClusterCreated(exact("ClusterCreated", body)?));
    }
    Err(EventError::UnknownDiscriminator(*disc))
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
        if let Some(data) = line.strip_prefix("Program data: ") {
            if stack.last() == Some(&true) {
                let raw = base64::engine::general_purpose::STANDARD.decode(data).map_err(|_| EventError::Base64)?;
                events.push(decode(&raw)?);
            }
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
        let Event::ClusterCreated(e) = &events[0];
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
