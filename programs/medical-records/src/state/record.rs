//! The `Record` account: one encrypted medical record and the capsules of its key.

use anchor_lang::prelude::*;

/// The largest ciphertext (nonce ‖ ciphertext ‖ tag) kept inline in the account; larger
/// records go to a content-addressed blob store, with their SHA-256 digest and URI here.
pub const MAX_INLINE_CIPHERTEXT: usize = 2048;
/// The longest blob URI.
pub const MAX_URI_LEN: usize = 128;
/// AES-256-GCM's nonce and tag: no ciphertext is shorter.
pub const MIN_CIPHERTEXT: usize = 28;

/// Where a record's ciphertext lives (stored as `u8` in [`Record::storage`]).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// In [`Record::inline`], written in chunks.
    Inline = 0,
    /// In a blob store: [`Record::digest`] and [`Record::uri`].
    Blob = 1,
}

/// A patient's record. PDA: `["record", owner, u64le(record_id)]`. Its address is the
/// HKDF salt of the record key, and `(program id, owner, record_id, version)` the AEAD's
/// associated data, so a ciphertext cannot be moved or replayed.
#[account]
pub struct Record {
    /// The patient.
    pub owner: Address,
    /// The cluster whose key the cluster capsule is sealed to.
    pub cluster: Address,
    /// The owner's record number.
    pub record_id: PodU64,
    /// Bumped by every update or re-key (a new `M`, so a new record key).
    pub version: PodU32,
    /// Bytes of the sealed ciphertext (inline or in the blob).
    pub ciphertext_len: PodU32,
    /// Inline bytes written so far; the record is complete when it equals `ciphertext_len`.
    pub written: PodU32,
    /// Share requests made so far (the next request's seed).
    pub share_count: PodU32,
    /// Unix time of creation.
    pub created_at: PodI64,
    /// Unix time of the last version.
    pub updated_at: PodI64,
    /// A [`Storage`] as `u8`.
    pub storage: u8,
    /// The PDA bump.
    pub bump: u8,
    /// Length of `uri`.
    pub uri_len: u8,
    /// Explicit padding.
    pub reserved: [u8; 5],
    /// `C1 ‖ C2` of `M` to the cluster key `PK`.
    pub cluster_capsule: [u8; 64],
    /// `C1 ‖ C2` of `M` to the owner's own key.
    pub owner_capsule: [u8; 64],
    /// The cluster key `PK` the cluster capsule is sealed to (the cluster's key when this
    /// version was stored); a record sealed to another key than the cluster's current one
    /// cannot be shared until it is re-keyed.
    pub cluster_key: [u8; 32],
    /// The cluster's epoch when this version was stored (for people: which key it is under).
    pub sealed_epoch: PodU64,
    /// `c ‖ z`: the proof of knowledge of the cluster capsule's randomness, bound to its label
    /// (program id, cluster, `cluster_key`, owner, this record's address, `version`, `C1`, `C2`),
    /// verified by `store_patient_data` and again by every node before it answers.
    pub capsule_proof: [u8; 64],
    /// SHA-256 of the blob (blob storage only).
    pub digest: [u8; 32],
    /// Where the blob is (blob storage only).
    pub uri: [u8; MAX_URI_LEN],
    /// The ciphertext (inline storage only).
    pub inline: [u8; MAX_INLINE_CIPHERTEXT],
}

impl Record {
    /// Whether every byte of the ciphertext is on chain (always, for blobs).
    pub fn is_complete(&self) -> bool {
        self.storage == Storage::Blob as u8 || self.written.get() == self.ciphertext_len.get()
    }
}
