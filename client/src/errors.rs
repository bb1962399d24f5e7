//! The program's error codes, by name, for messages users can act on.

/// Anchor's first custom error code; the program's enum counts up from here.
pub const CUSTOM_ERROR_BASE: u32 = 6000;

/// The program's errors, in the order of its `MedShareError` enum (code = 6000 + position),
/// with the same messages. `medshare-tests` checks this table against the IDL.
pub const PROGRAM_ERRORS: &[(&str, &str)] = &[
    ("InvalidThreshold", "threshold must satisfy 2 <= t <= n"),
    ("InvalidClusterSize", "cluster size n must be between 2 and 16"),
    ("NotClusterAdmin", "only the cluster admin may do this"),
    ("ClusterFull", "the cluster already has n nodes"),
    ("AlreadyMember", "this authority is already a member of the cluster"),
    ("InvalidTransportKey", "the transport key must not be all zero"),
    ("WrongClusterStatus", "the cluster is not in the state this needs"),
    ("WrongEpoch", "the epoch does not match the cluster's current epoch"),
    ("NotAMember", "the signer is not a member of this cluster"),
    ("NodeSuspended", "the node is suspended"),
    ("InvalidRound1Length", "a round-1 package must be 71 + 32*t bytes"),
    ("ChunkOutOfOrder", "chunks must be written in order, without gaps or overruns"),
    ("Round1Incomplete", "every node must finish round 1 first"),
    ("InvalidReceiver", "the receiver index is not another member"),
    ("CeremonyMismatch", "the confirmation disagrees with an earlier one: restart the ceremony"),
    ("AlreadyConfirmed", "this node has already confirmed this epoch"),
    ("InvalidPublicKey", "a public key is the identity or not a valid Ristretto255 point"),
    ("InvalidKeyProof", "the proof of possession of the key does not verify"),
    ("InvalidVersion", "a new record starts at version 1, and each update is the next version"),
    ("InvalidStorage", "inline records carry no URI; blob records carry a URI and a digest and no inline bytes"),
    ("InvalidCiphertextLength", "the ciphertext length is outside 28..=2048 bytes for inline storage"),
    ("InvalidUri", "the blob URI is empty or longer than 128 bytes"),
    ("InvalidCapsule", "a capsule point is the identity or not a valid Ristretto255 point"),
    ("RecordIncomplete", "the record's ciphertext is not completely written"),
    ("RecipientNotRegistered", "the recipient has not registered an encryption key"),
    ("InvalidExpiry", "the expiry is in the past"),
    ("AccountMismatch", "the account belongs to another cluster or record"),
    ("ShareExpired", "the share request has expired"),
    ("ShareRevoked", "the share request was revoked"),
    ("ShareAlreadyCompleted", "the share request is already completed"),
    ("DuplicatePartial", "this node's partial is already accepted"),
    ("NotRecordOwner", "only the record owner may do this"),
    ("NotClosable", "the account cannot be closed yet"),
    ("InvalidCapsuleProof", "the cluster capsule's proof does not verify for this record: it was copied, re-randomised or tampered with"),
    ("RecordSealedToOldKey", "the record is sealed to an earlier cluster key: re-key it (medshare rekey) before sharing"),
    ("NoFreeSlot", "no member slot is free: remove a member first"),
    ("NotInvited", "the signer has no pending invitation in this cluster"),
    ("DuplicateTransportKey", "another member already registered this transport key"),
    ("InvalidTransportKeyProof", "the transport key's proof of possession does not verify"),
    ("WrongCeremonyPhase", "the ceremony is not in the phase this needs"),
    ("DeadlinePassed", "the deadline for this has passed"),
    ("NothingToAdvance", "nothing to advance: no deadline has passed and nothing is complete"),
    ("NotADealer", "the member is not a dealer of this ceremony"),
    ("NotAReceiver", "the member is not a receiver of this ceremony"),
    ("DealingIncomplete", "the dealer has no complete, verified dealing in this ceremony"),
    ("DealerDisqualified", "the dealer is already disqualified"),
    ("InvalidComplaintProof", "the complaint's proof does not verify"),
    ("DealingsNotFolded", "every qualified dealing must be folded into the ceremony first (fold_dealing)"),
    ("NotEnoughMembers", "too few members for this threshold, or too few serving holders to reshare"),
    ("InvalidWindow", "the ceremony window must be at least one slot"),
    ("WrongMemberStatus", "the member is in a state that does not allow this"),
    ("NotAHolder", "the node holds no share of the serving epoch"),
    ("AlreadyFolded", "this dealing is already folded into the ceremony"),
    ("NotExpired", "the share request is not pending past its expiry"),
];

/// The name and message of a custom error code of the program, if it is one.
pub fn describe(code: u32) -> Option<(&'static str, &'static str)> {
    let position = code.checked_sub(CUSTOM_ERROR_BASE)?;
    PROGRAM_ERRORS.get(position as usize).copied()
}

/// The code of a named program error.
pub fn code(name: &str) -> Option<u32> {
    PROGRAM_ERRORS.iter().position(|(n, _)| *n == name).map(|p| CUSTOM_ERROR_BASE + p as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        assert_eq!(code("InvalidThreshold"), Some(6000));
        assert_eq!(describe(6001).map(|d| d.0), Some("InvalidClusterSize"));
        assert_eq!(describe(5999), None);
        assert_eq!(describe(6000 + PROGRAM_ERRORS.len() as u32), None);
        // append-only: the ceremony's errors follow the record errors
        assert_eq!(code("RecordSealedToOldKey"), Some(6034));
        assert_eq!(code("NoFreeSlot"), Some(6035));
        assert_eq!(code("NotAHolder"), Some(6051));
        assert_eq!(code("NotExpired"), Some(6053));
    }
}
