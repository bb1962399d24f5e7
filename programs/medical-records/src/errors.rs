//! The program's one error enum. Codes start at 6000 (Anchor's custom-error base) and are
//! append-only: clients and auditors match on them.
//!
//! Every error the program returns with a custom code is also logged, once, in the line the
//! Anchor TS client (`AnchorError.parse`) and Anchor v1 programs use:
//!
//! ```text
//! Program log: AnchorError occurred. Error Code: NotClusterAdmin. Error Number: 6002. Error Message: only the cluster admin may do this.
//! ```
//!
//! Anchor 2's `#[error_code]` keeps the messages in the IDL only and generates no name or
//! message at run time, so `medshare_errors!` writes the enum and, from the same list, the
//! table the log line is made from ([`MedShareError::NAMES_AND_MESSAGES`]). The entrypoint
//! calls [`log_error`] on the error path only: a successful instruction costs nothing more.

use anchor_lang::prelude::*;

/// The enum with `#[error_code]`, and its names and messages in code order, from one list:
/// a variant cannot be added without its log text.
macro_rules! medshare_errors {
    ($(#[$enum_attr:meta])* pub enum $name:ident { $( #[msg($message:tt)] $variant:ident, )* }) => {
        $(#[$enum_attr])*
        #[error_code]
        #[allow(missing_docs)]
        pub enum $name {
            $( #[msg($message)] $variant, )*
        }

        impl $name {
            /// Each variant's name and `#[msg]`, indexed by `code - 6000`.
            pub const NAMES_AND_MESSAGES: &'static [(&'static str, &'static str)] = &[$((stringify!($variant), $message),)*];
        }
    };
}

medshare_errors! {
/// Every way an instruction of this program can fail on its own checks.
pub enum MedShareError {
    #[msg("threshold must satisfy 2 <= t <= n")]
    InvalidThreshold,
    #[msg("cluster size n must be between 2 and 16")]
    InvalidClusterSize,
    #[msg("only the cluster admin may do this")]
    NotClusterAdmin,
    #[msg("the cluster already has n nodes")]
    ClusterFull,
    #[msg("this authority is already a member of the cluster")]
    AlreadyMember,
    #[msg("the transport key must not be all zero")]
    InvalidTransportKey,
    #[msg("the cluster is not in the state this needs")]
    WrongClusterStatus,
    #[msg("the epoch does not match the cluster's current epoch")]
    WrongEpoch,
    #[msg("the signer is not a member of this cluster")]
    NotAMember,
    #[msg("the node is suspended")]
    NodeSuspended,
    #[msg("a round-1 package must be 71 + 32*t bytes")]
    InvalidRound1Length,
    #[msg("chunks must be written in order, without gaps or overruns")]
    ChunkOutOfOrder,
    #[msg("every node must finish round 1 first")]
    Round1Incomplete,
    #[msg("the receiver index is not another member")]
    InvalidReceiver,
    #[msg("the confirmation disagrees with an earlier one: restart the ceremony")]
    CeremonyMismatch,
    #[msg("this node has already confirmed this epoch")]
    AlreadyConfirmed,
    #[msg("a public key is the identity or not a valid Ristretto255 point")]
    InvalidPublicKey,
    #[msg("the proof of possession of the key does not verify")]
    InvalidKeyProof,
    #[msg("a new record starts at version 1, and each update is the next version")]
    InvalidVersion,
    #[msg("inline records carry no URI; blob records carry a URI and a digest and no inline bytes")]
    InvalidStorage,
    #[msg("the ciphertext length is outside 28..=2048 bytes for inline storage")]
    InvalidCiphertextLength,
    #[msg("the blob URI is empty or longer than 128 bytes")]
    InvalidUri,
    #[msg("a capsule point is the identity or not a valid Ristretto255 point")]
    InvalidCapsule,
    #[msg("the record's ciphertext is not completely written")]
    RecordIncomplete,
    #[msg("the recipient has not registered an encryption key")]
    RecipientNotRegistered,
    #[msg("the expiry is in the past")]
    InvalidExpiry,
    #[msg("the account belongs to another cluster or record")]
    AccountMismatch,
    #[msg("the share request has expired")]
    ShareExpired,
    #[msg("the share request was revoked")]
    ShareRevoked,
    #[msg("the share request is already completed")]
    ShareAlreadyCompleted,
    #[msg("this node's partial is already accepted")]
    DuplicatePartial,
    #[msg("only the record owner may do this")]
    NotRecordOwner,
    #[msg("the account cannot be closed yet")]
    NotClosable,
    #[msg("the cluster capsule's proof does not verify for this record: it was copied, re-randomised or tampered with")]
    InvalidCapsuleProof,
    #[msg("the record is sealed to an earlier cluster key: re-key it (medshare rekey) before sharing")]
    RecordSealedToOldKey,
    #[msg("no member slot is free: remove a member first")]
    NoFreeSlot,
    #[msg("the signer has no pending invitation in this cluster")]
    NotInvited,
    #[msg("another member already registered this transport key")]
    DuplicateTransportKey,
    #[msg("the transport key's proof of possession does not verify")]
    InvalidTransportKeyProof,
    #[msg("the ceremony is not in the phase this needs")]
    WrongCeremonyPhase,
    #[msg("the deadline for this has passed")]
    DeadlinePassed,
    #[msg("nothing to advance: no deadline has passed and nothing is complete")]
    NothingToAdvance,
    #[msg("the member is not a dealer of this ceremony")]
    NotADealer,
    #[msg("the member is not a receiver of this ceremony")]
    NotAReceiver,
    #[msg("the dealer has no complete, verified dealing in this ceremony")]
    DealingIncomplete,
    #[msg("the dealer is already disqualified")]
    DealerDisqualified,
    #[msg("the complaint's proof does not verify")]
    InvalidComplaintProof,
    #[msg("every qualified dealing must be folded into the ceremony first (fold_dealing)")]
    DealingsNotFolded,
    #[msg("too few members for this threshold, or too few serving holders to reshare")]
    NotEnoughMembers,
    #[msg("the ceremony window must be at least one slot")]
    InvalidWindow,
    #[msg("the member is in a state that does not allow this")]
    WrongMemberStatus,
    #[msg("the node holds no share of the serving epoch")]
    NotAHolder,
    #[msg("this dealing is already folded into the ceremony")]
    AlreadyFolded,
    #[msg("the share request is not pending past its expiry")]
    NotExpired,
}
}

/// Anchor's first custom error code; `MedShareError`'s codes follow it in declaration order.
pub const ERROR_CODE_OFFSET: u32 = 6000;

/// The custom codes Anchor 2.0.0-rc.2's own constraint and `require!` checks return (its
/// `ErrorCode` maps the rest to built-in `ProgramError`s), with the names and messages the
/// Anchor TS client knows them by (`LangErrorCode` / `LangErrorMessage`, Anchor v1's table).
pub const ANCHOR_ERRORS: &[(u32, &str, &str)] = &[
    (2000, "ConstraintMut", "A mut constraint was violated"),
    (2001, "ConstraintHasOne", "A has one constraint was violated"),
    (2003, "ConstraintRaw", "A raw constraint was violated"),
    (2005, "ConstraintRentExempt", "A rent exemption constraint was violated"),
    (2007, "ConstraintExecutable", "An executable constraint was violated"),
    (2011, "ConstraintClose", "A close constraint was violated"),
    (2012, "ConstraintAddress", "An address constraint was violated"),
    (2013, "ConstraintZero", "Expected zero account discriminant"),
    (2019, "ConstraintSpace", "A space constraint was violated"),
    (2020, "ConstraintAccountIsNone", "A required account for the constraint is None"),
    (2040, "ConstraintDuplicateMutableAccount", "A duplicate mutable account constraint was violated"),
    (2500, "RequireViolated", "A require expression was violated"),
    (2501, "RequireEqViolated", "A require_eq expression was violated"),
    (2502, "RequireKeysEqViolated", "A require_keys_eq expression was violated"),
    (2503, "RequireNeqViolated", "A require_neq expression was violated"),
    (2504, "RequireKeysNeqViolated", "A require_keys_neq expression was violated"),
    (2505, "RequireGtViolated", "A require_gt expression was violated"),
    (2506, "RequireGteViolated", "A require_gte expression was violated"),
];

/// The name and message of a custom error code, if the program can return it.
pub fn name_and_message(code: u32) -> Option<(&'static str, &'static str)> {
    if let Some(index) = code.checked_sub(ERROR_CODE_OFFSET) {
        return MedShareError::NAMES_AND_MESSAGES.get(index as usize).copied();
    }
    ANCHOR_ERRORS.iter().find(|(known, _, _)| *known == code).map(|&(_, name, message)| (name, message))
}

/// Longer than the longest line (prefix, the longest name and message, five digits).
const LINE_CAPACITY: usize = 256;

/// The log line for a custom error code, written into `buf`, or `None` for a code the
/// program never returns (then nothing is logged rather than a wrong name).
///
/// Assembled by copying `&str` pieces and decimal digits: `core::fmt` would add kilobytes
/// of code to the `.so` for one line.
pub fn anchor_error_line(code: u32, buf: &mut [u8; LINE_CAPACITY]) -> Option<&str> {
    let (name, message) = name_and_message(code)?;
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    let mut rest = code;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let pieces: [&[u8]; 7] =
        [b"AnchorError occurred. Error Code: ", name.as_bytes(), b". Error Number: ", &digits[start..], b". Error Message: ", message.as_bytes(), b"."];
    let mut len = 0;
    for piece in pieces {
        // The tables' longest line is well under the capacity (a unit test checks every
        // one); a piece that would not fit is cut rather than written past the buffer.
        let take = piece.len().min(LINE_CAPACITY - len);
        buf[len..len + take].copy_from_slice(&piece[..take]);
        len += take;
    }
    // Every piece is ASCII (names are identifiers, messages are checked by a unit test), so
    // the bytes are UTF-8 even if one was cut; `from_utf8` only fails on a broken table.
    core::str::from_utf8(&buf[..len]).ok()
}

/// Logs the AnchorError line for `returned`, the entrypoint's error value, when it is a
/// custom code the program knows. Built-in errors (`InvalidInstructionData`,
/// `MissingRequiredSignature`, …) are already named by the runtime's own
/// `Program … failed: …` line and by every client, so they get no line of ours.
#[cold]
#[inline(never)]
pub fn log_error(returned: u64) {
    // `ProgramError::Custom(n)` is returned as `n` itself (n ≠ 0); built-in errors have
    // their number in the upper 32 bits.
    let Ok(code) = u32::try_from(returned) else { return };
    let mut buf = [0u8; LINE_CAPACITY];
    if let Some(line) = anchor_error_line(code, &mut buf) {
        anchor_lang::solana_msg::sol_log(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(code: u32) -> Option<String> {
        anchor_error_line(code, &mut [0; LINE_CAPACITY]).map(str::to_owned)
    }

    #[test]
    fn logs_the_line_anchor_ts_parses() {
        assert_eq!(
            line(6002).as_deref(),
            Some("AnchorError occurred. Error Code: NotClusterAdmin. Error Number: 6002. Error Message: only the cluster admin may do this.")
        );
        assert_eq!(
            line(2012).as_deref(),
            Some("AnchorError occurred. Error Code: ConstraintAddress. Error Number: 2012. Error Message: An address constraint was violated.")
        );
    }

    #[test]
    fn the_table_follows_the_enum() {
        let table = MedShareError::NAMES_AND_MESSAGES;
        assert_eq!(table[0], ("InvalidThreshold", "threshold must satisfy 2 <= t <= n"));
        assert_eq!(table[MedShareError::NotClusterAdmin as usize].0, "NotClusterAdmin");
        assert_eq!(table[MedShareError::NotExpired as usize], ("NotExpired", "the share request is not pending past its expiry"));
        assert_eq!(table.len(), MedShareError::NotExpired as usize + 1, "NotExpired is the last variant");
        let code: anchor_lang::Error = MedShareError::RecordSealedToOldKey.into();
        assert_eq!(code, anchor_lang::Error::Custom(ERROR_CODE_OFFSET + MedShareError::RecordSealedToOldKey as u32));
    }

    #[test]
    fn every_known_code_fits_whole_and_ascii() {
        let codes = ANCHOR_ERRORS.iter().map(|e| e.0).chain((0..MedShareError::NAMES_AND_MESSAGES.len() as u32).map(|i| ERROR_CODE_OFFSET + i));
        for code in codes {
            let (name, message) = name_and_message(code).unwrap();
            assert!(message.is_ascii() && name.is_ascii(), "{code}");
            let text = line(code).unwrap();
            assert!(text.len() < LINE_CAPACITY, "{code}: {} bytes", text.len());
            assert_eq!(text, format!("AnchorError occurred. Error Code: {name}. Error Number: {code}. Error Message: {message}."));
        }
    }

    #[test]
    fn unknown_codes_get_no_line() {
        let after_last = ERROR_CODE_OFFSET + MedShareError::NAMES_AND_MESSAGES.len() as u32;
        for code in [0, 1, 2002, 2041, 3000, 5999, after_last, u32::MAX] {
            assert_eq!(line(code), None, "{code}");
        }
    }
}
