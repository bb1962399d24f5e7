//! The program's one error enum. Codes start at 6000 (Anchor's custom-error base) and are
//! append-only: clients and auditors match on them.

use anchor_lang::prelude::*;

/// Every way an instruction of this program can fail on its own checks.
#[error_code]
#[allow(missing_docs)]
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
