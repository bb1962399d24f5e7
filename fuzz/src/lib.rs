//! Shared by the fuzz targets (`fuzz_targets/*.rs`) and the seed-corpus writer
//! (`src/bin/seed_corpus.rs`): the byte layout each target reads its input in, so that a
//! seed written from a test vector lands on the same fields the target decodes.
//!
//! Inputs are plain byte strings cut into fixed-width fields by [`Input`], not `arbitrary`
//! structures: the seeds are then real encodings (a dealing, a partial, an account) that
//! libFuzzer mutates byte by byte, which reaches the deep checks behind a valid prefix.

/// A cursor over a fuzz input. Past the end every field reads as zeros, so that any input
/// (even an empty one) is a complete, if mostly zero, set of fields.
pub struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    /// Starts at the first byte of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, at: 0 }
    }

    /// The next `N` bytes, zero-padded past the end.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(remaining) = self.data.get(self.at..) {
            let available = remaining.len().min(N);
            out[..available].copy_from_slice(&remaining[..available]);
        }
        self.at += N;
        out
    }

    /// The next byte (zero past the end).
    pub fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }

    /// The next little-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    /// The next little-endian `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    /// The next little-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    /// Everything not read yet (empty past the end).
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.at..).unwrap_or(&[])
    }
}

/// Builds a seed field by field in the layout [`Input`] reads.
#[derive(Default)]
pub struct Seed(pub Vec<u8>);

impl Seed {
    /// Appends raw bytes.
    pub fn bytes(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }

    /// Appends a byte.
    pub fn u8(self, value: u8) -> Self {
        self.bytes(&[value])
    }

    /// Appends a little-endian `u16`.
    pub fn u16(self, value: u16) -> Self {
        self.bytes(&value.to_le_bytes())
    }

    /// Appends a little-endian `u32`.
    pub fn u32(self, value: u32) -> Self {
        self.bytes(&value.to_le_bytes())
    }

    /// Appends a little-endian `u64`.
    pub fn u64(self, value: u64) -> Self {
        self.bytes(&value.to_le_bytes())
    }
}

/// The fixed passphrase the `vault` target opens every input with.
pub const VAULT_PASSPHRASE: &str = "fuzzing passphrase";

/// The node authority the `vault` target opens every input for (bytes `7, 7, …`).
pub fn vault_authority() -> medshare_client::Address {
    medshare_client::Address::new_from_array([7; 32])
}

/// The largest Argon2id cost the `vault` target lets through: 64 KiB, 2 passes, 2 lanes
/// keep one execution well under a millisecond. Larger costs are skipped because each would
/// spend seconds (or, for a forged `memory_kib`, gigabytes) in the KDF instead of the parser:
/// that unbounded cost is finding F1 in docs/FUZZING.md, reproduced by
/// `fuzz/regressions/vault/`.
pub const VAULT_FUZZ_MAX_MEMORY_KIB: u64 = 64;
/// See [`VAULT_FUZZ_MAX_MEMORY_KIB`].
pub const VAULT_FUZZ_MAX_ITERATIONS: u64 = 2;
/// See [`VAULT_FUZZ_MAX_MEMORY_KIB`].
pub const VAULT_FUZZ_MAX_PARALLELISM: u64 = 2;

/// Which account the `accounts` target decodes: selector byte `% 5`.
pub const ACCOUNT_NAMES: [&str; 5] = ["Cluster", "Ceremony", "Dealing", "Record", "ShareRequest"];

/// The exact size of each account in [`ACCOUNT_NAMES`].
pub fn account_len(selector: u8) -> usize {
    use medshare_client::accounts::{Ceremony, Cluster, Dealing, Record, ShareRequest};
    [Cluster::LEN, Ceremony::LEN, Dealing::LEN, Record::LEN, ShareRequest::LEN][usize::from(selector) % 5]
}
