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
    DecryptionFailed,
    /// A key-ceremony dealing that is malformed or inconsistent with its dealer's commitments.
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
            Error::BadDealing { dealer } => write!(f, "node {dealer} dealt an invalid key-ceremony share"),
            Error::Ceremony(why) => write!(f, "key ceremony failed: {why}"),
            Error::CurveOperation => f.write_str("a curve operation received an invalid point"),
        }
    }
}

impl core::error::Error for Error {}

/// This crate's result type.
pub type Result<T> = core::result::Result<T, Error>;
