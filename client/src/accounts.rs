//! Decoding the program's accounts (zero-copy `#[repr(C)]` layouts, all fields
//! alignment 1, after the 8-byte discriminator `sha256("account:<Name>")[..8]`).
//! Every decoder checks the discriminator and the exact length.

use crate::{Address, discriminator};

/// Why account bytes are not the account asked for.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    /// Wrong discriminator (another account type, or not initialised).
    #[error("not a {0} account")]
    WrongType(&'static str),
    /// Wrong length.
    #[error("{name} account must be {expected} bytes, got {got}")]
    WrongLength {
        /// The account type.
        name: &'static str,
        /// Its size.
        expected: usize,
        /// What was given.
        got: usize,
    },
}

/// The most nodes a cluster has (the program's `MAX_NODES`).
pub const MAX_NODES: usize = 16;

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(name: &'static str, data: &'a [u8], len: usize) -> Result<Self, AccountError> {
        if data.len() != len {
            return Err(AccountError::WrongLength { name, expected: len, got: data.len() });
        }
        if data[..8] != discriminator("account", name) {
            return Err(AccountError::WrongType(name));
        }
        Ok(Reader { data, at: 8 })
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.data[self.at..self.at + N]);
        self.at += N;
        out
    }
    fn address(&mut self) -> Address {
        Address::new_from_array(self.bytes())
    }
    fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }
    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.bytes())
    }
    fn skip(&mut self, n: usize) {
        self.at += n;
    }
}

/// One member node of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Member {
    pub authority: Address,
    pub transport_key: [u8; 32],
    pub verification_share: [u8; 32],
    pub faults: u32,
    pub index: u8,
    pub active: bool,
}

/// A `Cluster` account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Cluster {
    pub admin: Address,
    pub cluster_id: u64,
    pub epoch: u64,
    pub public_key: [u8; 32],
    pub threshold: u8,
    pub size: u8,
    /// 0 registering, 1 ceremony, 2 active.
    pub status: u8,
    pub member_count: u8,
    pub bump: u8,
    pub confirmations: u16,
    pub round1_done: u16,
    /// The filled member slots.
    pub members: Vec<Member>,
}

impl Cluster {
    /// Account size.
    pub const LEN: usize = 8 + 92 + MAX_NODES * 104 + 32 + MAX_NODES * 32;
    /// `status` while nodes register.
    pub const REGISTERING: u8 = 0;
    /// `status` while the key ceremony of the current epoch runs.
    pub const CEREMONY: u8 = 1;
    /// `status` once the cluster key is agreed.
    pub const ACTIVE: u8 = 2;

    /// The member whose authority is `authority`.
    pub fn member(&self, authority: &Address) -> Option<&Member> {
        self.members.iter().find(|m| m.authority == *authority)
    }

    /// Decodes a `Cluster` account.
    pub fn decode(data: &[u8]) -> Result<Self, AccountError> {
        let mut r = Reader::new("Cluster", data, Self::LEN)?;
        let (admin, cluster_id, epoch, public_key) = (r.address(), r.u64(), r.u64(), r.bytes());
        let (threshold, size, status, member_count, bump) = (r.u8(), r.u8(), r.u8(), r.u8(), r.u8());
        r.skip(1);
        let (confirmations, round1_done) = (r.u16(), r.u16());
        r.skip(2);
        let mut members = Vec::new();
        for slot in 0..MAX_NODES {
            let member =
                Member { authority: r.address(), transport_key: r.bytes(), verification_share: r.bytes(), faults: r.u32(), index: r.u8(), active: r.u8() == 1 };
            r.skip(2);
            if slot < usize::from(member_count) {
                members.push(member);
            }
        }
        Ok(Cluster { admin, cluster_id, epoch, public_key, threshold, size, status, member_count, bump, confirmations, round1_done, members })
    }
}

/// A `Dealing` account: one node's part of one ceremony epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Dealing {
    pub cluster: Address,
    pub epoch: u64,
    pub dealer: u8,
    /// The round-1 package, as far as written.
    pub round1: Vec<u8>,
    /// Whether the round-1 package is complete.
    pub round1_complete: bool,
    /// `round2[j-1]`: the package sealed to node `j`, if posted.
    pub round2: Vec<Option<[u8; 65]>>,
}

impl Dealing {
    /// Account size.
    pub const LEN: usize = 8 + 48 + (71 + 32 * MAX_NODES) + MAX_NODES * 65;

    /// Decodes a `Dealing` account.
    pub fn decode(data: &[u8]) -> Result<Self, AccountError> {
        let mut r = Reader::new("Dealing", data, Self::LEN)?;
        let (cluster, epoch, round1_len, round1_written, round2_posted) = (r.address(), r.u64(), r.u16(), r.u16(), r.u16());
        let dealer = r.u8();
        r.skip(1);
        let round1_all: [u8; 71 + 32 * MAX_NODES] = r.bytes();
        let round1 = round1_all[..usize::from(round1_written.min(round1_len))].to_vec();
        let round2 = (0..MAX_NODES).map(|j| {
            let sealed: [u8; 65] = r.bytes();
            (round2_posted & (1 << j) != 0).then_some(sealed)
        });
        let round2 = round2.collect();
        Ok(Dealing { cluster, epoch, dealer, round1, round1_complete: round1_len != 0 && round1_written == round1_len, round2 })
    }
}

/// A `Record` account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Record {
    pub owner: Address,
    pub cluster: Address,
    pub record_id: u64,
    pub version: u32,
    pub ciphertext_len: u32,
    pub written: u32,
    pub share_count: u32,
    pub created_at: i64,
    pub updated_at: i64,
    /// 0 inline, 1 blob.
    pub storage: u8,
    pub cluster_capsule: [u8; 64],
    pub owner_capsule: [u8; 64],
    /// The cluster key `PK` the cluster capsule is sealed to.
    pub cluster_key: [u8; 32],
    /// The cluster's epoch when this version was stored.
    pub sealed_epoch: u64,
    /// `c ‖ z`: the cluster capsule's labelled proof.
    pub capsule_proof: [u8; 64],
    pub digest: [u8; 32],
    pub uri: Vec<u8>,
    /// The inline ciphertext written so far.
    pub inline: Vec<u8>,
}

impl Record {
    /// Account size.
    pub const LEN: usize = 8 + 112 + 128 + 104 + 32 + 128 + 2048;
    /// Where `owner` starts (for `getProgramAccounts` filters).
    pub const OWNER_OFFSET: usize = 8;
    /// `storage` of a record kept in the account.
    pub const INLINE: u8 = 0;
    /// `storage` of a record kept off chain (digest and URI on chain).
    pub const BLOB: u8 = 1;

    /// Decodes a `Record` account.
    pub fn decode(data: &[u8]) -> Result<Self, AccountError> {
        let mut r = Reader::new("Record", data, Self::LEN)?;
        let (owner, cluster, record_id, version) = (r.address(), r.address(), r.u64(), r.u32());
        let (ciphertext_len, written, share_count, created_at, updated_at) = (r.u32(), r.u32(), r.u32(), r.i64(), r.i64());
        let (storage, _bump, uri_len) = (r.u8(), r.u8(), r.u8());
        r.skip(5);
        let (cluster_capsule, owner_capsule, cluster_key, sealed_epoch, capsule_proof) = (r.bytes(), r.bytes(), r.bytes(), r.u64(), r.bytes());
        let digest = r.bytes();
        let uri_all: [u8; 128] = r.bytes();
        let inline_all: [u8; 2048] = r.bytes();
        let inline = if storage == 0 { inline_all[..(written as usize).min(2048)].to_vec() } else { Vec::new() };
        Ok(Record {
            owner,
            cluster,
            record_id,
            version,
            ciphertext_len,
            written,
            share_count,
            created_at,
            updated_at,
            storage,
            cluster_capsule,
            owner_capsule,
            cluster_key,
            sealed_epoch,
            capsule_proof,
            digest,
            uri: uri_all[..usize::from(uri_len).min(128)].to_vec(),
            inline,
        })
    }
}

/// A `ShareRequest` account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ShareRequest {
    pub record: Address,
    pub owner: Address,
    pub recipient: Address,
    pub recipient_key: [u8; 32],
    pub cluster: Address,
    pub capsule: [u8; 64],
    pub epoch: u64,
    pub expires_at: i64,
    pub created_at: i64,
    pub record_version: u32,
    pub accepted: u16,
    pub circuit_version: u16,
    pub threshold: u8,
    pub accepted_count: u8,
    /// 0 pending, 1 completed, 2 revoked.
    pub status: u8,
    /// `(index, A_i, E_i)` of every accepted partial, by index.
    pub partials: Vec<(u8, [u8; 32], [u8; 32])>,
    /// The record version's capsule proof `c ‖ z`.
    pub capsule_proof: [u8; 64],
}

impl ShareRequest {
    /// Account size.
    pub const LEN: usize = 8 + 264 + MAX_NODES * 64 + 64;
    /// Where `record` starts (for `getProgramAccounts` filters).
    pub const RECORD_OFFSET: usize = 8;
    /// Where `owner` starts.
    pub const OWNER_OFFSET: usize = 8 + 32;
    /// Where `recipient` starts.
    pub const RECIPIENT_OFFSET: usize = 8 + 64;
    /// Where `cluster` starts.
    pub const CLUSTER_OFFSET: usize = 8 + 128;
    /// Where `status` is.
    pub const STATUS_OFFSET: usize = 8 + 258;
    /// `status` of a request waiting for partials.
    pub const PENDING: u8 = 0;
    /// `status` of a completed request.
    pub const COMPLETED: u8 = 1;
    /// `status` of a revoked request.
    pub const REVOKED: u8 = 2;

    /// Whether the consent ended before `unix_time` (the program refuses partials then).
    pub fn expired_at(&self, unix_time: i64) -> bool {
        self.expires_at != 0 && unix_time > self.expires_at
    }

    /// Whether node `index`'s partial is accepted.
    pub fn has_partial_from(&self, index: u8) -> bool {
        (1..=MAX_NODES as u8).contains(&index) && self.accepted & (1 << (index - 1)) != 0
    }

    /// Decodes a `ShareRequest` account.
    pub fn decode(data: &[u8]) -> Result<Self, AccountError> {
        let mut r = Reader::new("ShareRequest", data, Self::LEN)?;
        let (record, owner, recipient, recipient_key, cluster, capsule) = (r.address(), r.address(), r.address(), r.bytes(), r.address(), r.bytes());
        let (epoch, expires_at, created_at, record_version) = (r.u64(), r.i64(), r.i64(), r.u32());
        let (accepted, circuit_version, threshold, accepted_count, status) = (r.u16(), r.u16(), r.u8(), r.u8(), r.u8());
        r.skip(5);
        let mut partials = Vec::new();
        for i in 0..MAX_NODES {
            let (a, e) = (r.bytes(), r.bytes());
            if accepted & (1 << i) != 0 {
                partials.push((i as u8 + 1, a, e));
            }
        }
        let capsule_proof = r.bytes();
        Ok(ShareRequest {
            record,
            owner,
            recipient,
            recipient_key,
            cluster,
            capsule,
            epoch,
            expires_at,
            created_at,
            record_version,
            accepted,
            circuit_version,
            threshold,
            accepted_count,
            status,
            partials,
            capsule_proof,
        })
    }
}
