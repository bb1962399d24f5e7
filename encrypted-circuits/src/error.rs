//! The crate's one error type.

use core::fmt;

/// Every way an operation of this crate can fail. No operation panics on any input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A byte string that should be a canonical Ristretto255 encoding is not one.
    InvalidPoint(&'static str),
    /// The identity point where a public key is required.
    IdentityPoint(&'static str),
    /// A 32-byte scalar that is not reduced mod ℓ (or zero where zero is not allowed).
    InvalidScalar(&'static str),
    /// A field of the wrong length.
    InvalidLength {
        /// Which field.
        what: &'static str,
        /// Bytes expected.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// A node index of 0 (indices are 1-based Shamir x-coordinates) or above `n`.
    InvalidIndex(u16),
    /// The same node index twice in one set of partials.
    DuplicateIndex(u16),
    /// Fewer partials than the threshold.
    NotEnoughPartials {
        /// `t`.
        needed: usize,
        /// How many were given.
        got: usize,
    },
    /// A re-encryption proof that does not verify.
    InvalidProof,
    /// A proof of possession of a user key that does not verify.
    InvalidKeyPossessionProof,
    /// A cluster capsule whose proof does not verify for its label: copied, re-randomised,
    /// moved to another record, version, owner, cluster or key, or tampered.
    InvalidCapsuleProof,
    /// AES-256-GCM rejected the ciphertext: wrong key, tampered data or wrong binding (AAD).
    /// For a sealed stream ([`crate::stream`]): its first chunk did not open.
    DecryptionFailed,
    /// A sealed stream ([`crate::stream`]) ends before its last chunk: cut at a chunk
    /// boundary, or shorter than a header and one tag.
    StreamTruncated,
    /// Chunk `chunk` (from 0) of a sealed stream does not authenticate although the chunks
    /// before it did (so the key and binding are right): tampered, reordered, duplicated,
    /// taken from another stream, or cut inside.
    StreamChunkInvalid {
        /// The chunk's index.
        chunk: u64,
    },
    /// Bytes follow a sealed stream's last chunk (an appended chunk, or garbage).
    StreamTrailingData,
    /// A payload longer than a sealed stream can hold (2^32 chunks of 64 KiB).
    StreamTooLong,
    /// A length that no payload seals to (a last chunk shorter than its tag, or empty after
    /// full chunks).
    InvalidStreamLength(u64),
    /// A key-ceremony dealing that the program must reject (its dealer is disqualified), and why.
    InvalidDealing(DealingFault),
    /// A key-ceremony complaint whose Chaum–Pedersen proof does not verify, or whose revealed
    /// key `K_ij` is not a valid point: the program refuses it.
    InvalidComplaintProof,
    /// A key-ceremony confirmation whose proof of possession of `s'_j` does not verify.
    InvalidConfirmationProof,
    /// A key-ceremony confirmation whose `S'_j` is not what the qualified dealings' commitments fix.
    InvalidConfirmation,
    /// A transport key's proof of possession does not verify.
    InvalidTransportKeyProof,
    /// A sub-share this receiver was dealt that does not open or does not match its dealer's
    /// commitments (off chain: the receiver then complains against `dealer`).
    BadDealing {
        /// The index of the node that dealt it.
        dealer: u16,
    },
    /// A key-ceremony step failed for a reason that names no dealer.
    Ceremony(&'static str),
    /// A curve operation failed (an invalid point reached a multiscalar multiplication).
    CurveOperation,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidPoint(what) => write!(f, "{what} is not a canonical Ristretto255 point encoding"),
            Error::IdentityPoint(what) => write!(f, "{what} is the identity point"),
            Error::InvalidScalar(what) => write!(f, "{what} is not a canonical non-zero scalar"),
            Error::InvalidLength { what, expected, got } => write!(f, "{what} must be {expected} bytes, got {got}"),
            Error::InvalidIndex(i) => write!(f, "node index {i} is out of range"),
            Error::DuplicateIndex(i) => write!(f, "node index {i} appears twice"),
            Error::NotEnoughPartials { needed, got } => write!(f, "{needed} partials are needed, got {got}"),
            Error::InvalidProof => f.write_str("the re-encryption proof does not verify"),
            Error::InvalidKeyPossessionProof => f.write_str("the proof of possession of the key does not verify"),
            Error::InvalidCapsuleProof => f.write_str("the capsule's proof does not verify for this record: it was copied, re-randomised or tampered with"),
            Error::DecryptionFailed => f.write_str("decryption failed: wrong key, tampered data or wrong record binding"),
            Error::StreamTruncated => f.write_str("the sealed record is truncated: it ends before its last chunk"),
            Error::StreamChunkInvalid { chunk } => {
                write!(f, "chunk {chunk} of the sealed record does not authenticate: tampered, reordered or taken from another record")
            }
            Error::StreamTrailingData => f.write_str("the sealed record has bytes after its last chunk"),
            Error::StreamTooLong => f.write_str("the record is longer than a sealed record can be (2^32 chunks of 64 KiB)"),
            Error::InvalidStreamLength(len) => write!(f, "{len} bytes is not the length of any sealed record"),
            Error::InvalidDealing(fault) => write!(f, "invalid key-ceremony dealing: {fault}"),
            Error::InvalidComplaintProof => f.write_str("the complaint's proof does not verify"),
            Error::InvalidConfirmationProof => f.write_str("the confirmation's proof of possession does not verify"),
            Error::InvalidConfirmation => f.write_str("the confirmed verification share is not the one the dealings' commitments fix"),
            Error::InvalidTransportKeyProof => f.write_str("the proof of possession of the transport key does not verify"),
            Error::BadDealing { dealer } => write!(f, "node {dealer} dealt an invalid key-ceremony share"),
            Error::Ceremony(why) => write!(f, "key ceremony failed: {why}"),
            Error::CurveOperation => f.write_str("a curve operation received an invalid point"),
        }
    }
}

impl core::error::Error for Error {}

/// Why the program rejects a key-ceremony dealing (each a distinct check of
/// [`crate::ceremony::verify_dealing`] or [`crate::ceremony::DealingView::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealingFault {
    /// The threshold `t'` (the number of commitments) is not in `1..=16`.
    Threshold,
    /// The ephemeral key `D_i` is not a canonical Ristretto255 encoding.
    EphemeralKeyNotCanonical,
    /// The ephemeral key `D_i` is the identity.
    EphemeralKeyIdentity,
    /// The commitment `C_k` is not a canonical Ristretto255 encoding.
    CommitmentNotCanonical {
        /// `k`.
        k: u8,
    },
    /// The constant-term commitment `C_0` is the identity.
    ConstantTermIdentity,
    /// Resharing: `C_0` is not the dealer's verification share `S_i`.
    ConstantTermNotShare,
    /// The encrypted-share slot of a member who is not a receiver is not all zero.
    NonZeroSlot {
        /// The member whose slot it is.
        member: u16,
    },
    /// The proof's challenge `c` is not below `2^128` (its upper 16 bytes are not zero).
    ChallengeNotCanonical,
    /// The proof's response `z` is not below `ℓ`.
    ResponseNotCanonical,
    /// The proof of knowledge of the constant term does not verify.
    ProofOfKnowledge,
}

impl fmt::Display for DealingFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DealingFault::Threshold => f.write_str("the threshold must be between 1 and 16"),
            DealingFault::EphemeralKeyNotCanonical => f.write_str("the ephemeral key D_i is not a canonical point"),
            DealingFault::EphemeralKeyIdentity => f.write_str("the ephemeral key D_i is the identity"),
            DealingFault::CommitmentNotCanonical { k } => write!(f, "the commitment C_{k} is not a canonical point"),
            DealingFault::ConstantTermIdentity => f.write_str("the commitment C_0 is the identity"),
            DealingFault::ConstantTermNotShare => f.write_str("the commitment C_0 is not the dealer's verification share"),
            DealingFault::NonZeroSlot { member } => write!(f, "the slot of member {member}, not a receiver, is not zero"),
            DealingFault::ChallengeNotCanonical => f.write_str("the proof's challenge is not below 2^128"),
            DealingFault::ResponseNotCanonical => f.write_str("the proof's response is not a canonical scalar"),
            DealingFault::ProofOfKnowledge => f.write_str("the proof of knowledge of the constant term does not verify"),
        }
    }
}

/// This crate's result type.
pub type Result<T> = core::result::Result<T, Error>;
