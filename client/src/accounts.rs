//! Decoding the program's accounts (zero-copy `#[repr(C)]` layouts, all fields
//! alignment 1, after the 8-byte discriminator `sha256("account:<Name>")[..8]`).
//! Every decoder checks the discriminator and the exact length.

use std::collections::BTreeMap;

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

/// The member indices (1-based) whose bit `i-1` is set in `mask`, ascending.
pub fn indices(mask: u16) -> Vec<u8> {
    (1..=MAX_NODES as u8).filter(|i| mask & (1 << (i - 1)) != 0).collect()
}

/// The mask with bit `i-1` set for every index `i` in `indices` (indices outside `1..=16` are ignored).
pub fn mask_of(indices: impl IntoIterator<Item = u8>) -> u16 {
    indices.into_iter().filter(|i| (1..=MAX_NODES as u8).contains(i)).fold(0, |mask, i| mask | 1 << (i - 1))
}

fn bit(index: u8) -> u16 {
    if (1..=MAX_NODES as u8).contains(&index) { 1 << (index - 1) } else { 0 }
}

/// Where a member slot is in its life (the program's `MemberStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemberStatus {
    /// Free (never used, or an invitation withdrawn).
    Empty = 0,
    /// Invited; the authority has not accepted yet.
    Invited = 1,
    /// Accepted with a proven transport key: deals, receives and serves.
    Active = 2,
    /// Suspended by the admin: no partial accepted, no part in ceremonies.
    Suspended = 3,
    /// Removed by the admin: the slot is reused once it holds no share.
    Removed = 4,
}

impl MemberStatus {
    /// From the stored byte, read as the program reads it (an unknown byte is `Empty`).
    pub fn from_u8(byte: u8) -> MemberStatus {
        match byte {
            1 => MemberStatus::Invited,
            2 => MemberStatus::Active,
            3 => MemberStatus::Suspended,
            4 => MemberStatus::Removed,
            _ => MemberStatus::Empty,
        }
    }

    /// `empty`, `invited`, `active`, `suspended` or `removed`.
    pub fn name(self) -> &'static str {
        match self {
            MemberStatus::Empty => "empty",
            MemberStatus::Invited => "invited",
            MemberStatus::Active => "active",
            MemberStatus::Suspended => "suspended",
            MemberStatus::Removed => "removed",
        }
    }
}

impl std::fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One member slot of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The node's signing wallet.
    pub authority: Address,
    /// `T_i` (Ristretto255), proven at acceptance; all-zero until accepted.
    pub transport_key: [u8; 32],
    /// `S_i` of the serving epoch; all-zero when the member holds no share.
    pub verification_share: [u8; 32],
    /// Misbehaviour proven on chain; never reset.
    pub faults: u32,
    /// Shamir x-coordinate `i` (slot + 1).
    pub index: u8,
    /// Where the slot is in its life.
    pub status: MemberStatus,
}

impl Member {
    /// Whether the member holds a share of the serving epoch.
    pub fn holds_share(&self) -> bool {
        self.verification_share != [0; 32]
    }

    /// Whether the member serves share requests: active and holding a share of the serving epoch.
    pub fn serves(&self) -> bool {
        self.status == MemberStatus::Active && self.holds_share()
    }
}

/// A `Cluster` account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Who may invite, suspend and remove members and start ceremonies.
    pub admin: Address,
    /// Admin-chosen id (part of the address).
    pub cluster_id: u64,
    /// The serving epoch: the ceremony whose shares answer requests (0 before the first activation).
    pub epoch: u64,
    /// The epoch of the key generation that made `public_key` (resharings keep it).
    pub key_epoch: u64,
    /// The latest ceremony started (0 for none); its account is [`crate::pda::ceremony`].
    pub ceremony_epoch: u64,
    /// `PK`, all-zero while there is none.
    pub public_key: [u8; 32],
    /// `t` of the serving epoch.
    pub threshold: u8,
    /// `n`: members holding a share of the serving epoch.
    pub size: u8,
    /// [`Cluster::REGISTERING`], [`Cluster::CEREMONY`] or [`Cluster::ACTIVE`].
    pub status: u8,
    /// The PDA bump.
    pub bump: u8,
    /// The non-empty member slots, by index.
    pub members: Vec<Member>,
}

impl Cluster {
    /// Account size.
    pub const LEN: usize = 8 + 104 + MAX_NODES * 104;
    /// `status` before the first key (members being invited, or the first key generation failed).
    pub const REGISTERING: u8 = 0;
    /// `status` while a key generation runs and there is no key.
    pub const CEREMONY: u8 = 1;
    /// `status` while `PK` is set and its holders serve (a resharing may be running).
    pub const ACTIVE: u8 = 2;

    /// The non-empty member whose authority is `authority`.
    pub fn member(&self, authority: &Address) -> Option<&Member> {
        self.members.iter().find(|m| m.authority == *authority)
    }

    /// The non-empty member at `index` (1-based).
    pub fn member_at(&self, index: u8) -> Option<&Member> {
        self.members.iter().find(|m| m.index == index)
    }

    /// Bit `i-1` set for every member with `status`.
    pub fn members_with(&self, status: MemberStatus) -> u16 {
        mask_of(self.members.iter().filter(|m| m.status == status).map(|m| m.index))
    }

    /// Bit `i-1` set for every active member holding a share of the serving epoch (who
    /// serve requests and deal in a resharing).
    pub fn serving_holders(&self) -> u16 {
        mask_of(self.members.iter().filter(|m| m.serves()).map(|m| m.index))
    }

    /// The members that serve requests ([`Member::serves`]), by index.
    pub fn holders(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.serves())
    }

    /// Whether a key is set and serves.
    pub fn is_active(&self) -> bool {
        self.status == Cluster::ACTIVE
    }

    /// `registering`, `ceremony` or `active` (an unknown byte reads as `registering`, as the program reads it).
    pub fn status_name(&self) -> &'static str {
        match self.status {
            Cluster::CEREMONY => "ceremony",
            Cluster::ACTIVE => "active",
            _ => "registering",
        }
    }

    /// The epoch the next ceremony must be started with (`start_epoch` / `reshare`).
    pub fn next_ceremony_epoch(&self) -> u64 {
        self.ceremony_epoch + 1
    }

    /// Decodes a `Cluster` account.
    pub fn decode(data: &[u8]) -> Result<Self, AccountError> {
        let mut r = Reader::new("Cluster", data, Self::LEN)?;
        let (admin, cluster_id, epoch, key_epoch, ceremony_epoch, public_key) = (r.address(), r.u64(), r.u64(), r.u64(), r.u64(), r.bytes());
        let (threshold, size, status, bump) = (r.u8(), r.u8(), r.u8(), r.u8());
        r.skip(4);
        let mut members = Vec::new();
        for _ in 0..MAX_NODES {
            let (authority, transport_key, verification_share, faults, index, status) = (r.address(), r.bytes(), r.bytes(), r.u32(), r.u8(), r.u8());
            r.skip(2);
            let status = MemberStatus::from_u8(status);
            if status != MemberStatus::Empty {
                members.push(Member { authority, transport_key, verification_share, faults, index, status });
            }
        }
        Ok(Cluster { admin, cluster_id, epoch, key_epoch, ceremony_epoch, public_key, threshold, size, status, bump, members })
    }
}

/// What a ceremony makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CeremonyKind {
    /// A new cluster key `PK` (`start_epoch`).
    KeyGeneration = 0,
    /// New shares of the same `PK` (`reshare`).
    Resharing = 1,
}

impl CeremonyKind {
    /// From the stored byte, read as the program reads it (anything but 1 is key generation).
    pub fn from_u8(byte: u8) -> CeremonyKind {
        if byte == 1 { CeremonyKind::Resharing } else { CeremonyKind::KeyGeneration }
    }

    /// `key_generation` or `resharing`.
    pub fn name(self) -> &'static str {
        match self {
            CeremonyKind::KeyGeneration => "key_generation",
            CeremonyKind::Resharing => "resharing",
        }
    }
}

/// Where a ceremony is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CeremonyPhase {
    /// Dealers post their dealings.
    Dealing = 0,
    /// `Q` is fixed; receivers complain or confirm.
    Confirming = 1,
    /// Activated: its shares serve (late receivers may still confirm).
    Done = 2,
    /// Ended without a key.
    Failed = 3,
}

impl CeremonyPhase {
    /// From the stored byte, read as the program reads it (an unknown byte is `Failed`).
    pub fn from_u8(byte: u8) -> CeremonyPhase {
        match byte {
            0 => CeremonyPhase::Dealing,
            1 => CeremonyPhase::Confirming,
            2 => CeremonyPhase::Done,
            _ => CeremonyPhase::Failed,
        }
    }

    /// `dealing`, `confirming`, `done` or `failed`.
    pub fn name(self) -> &'static str {
        match self {
            CeremonyPhase::Dealing => "dealing",
            CeremonyPhase::Confirming => "confirming",
            CeremonyPhase::Done => "done",
            CeremonyPhase::Failed => "failed",
        }
    }
}

/// A `Ceremony` account: one key generation or resharing, its snapshot and its progress.
/// Member sets are masks with bit `i-1` for member `i` (see [`indices`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// The cluster.
    pub cluster: Address,
    /// This ceremony's epoch.
    pub epoch: u64,
    /// Slot by which every dealing must be complete.
    pub deal_deadline: u64,
    /// Slot after which `advance_ceremony` activates with the confirmations in, or fails.
    pub confirm_deadline: u64,
    /// What it makes.
    pub kind: CeremonyKind,
    /// Where it is.
    pub phase: CeremonyPhase,
    /// `t'`: the threshold of the shares it makes (commitments per dealing).
    pub threshold: u8,
    /// `t` of the serving epoch when it started (the qualified dealers a resharing needs).
    pub old_threshold: u8,
    /// The PDA bump.
    pub bump: u8,
    /// Who deals.
    pub dealers: u16,
    /// Who receives.
    pub receivers: u16,
    /// Whose dealing is complete and verified.
    pub dealt: u16,
    /// Who is disqualified (rejected dealing or upheld complaint).
    pub disqualified: u16,
    /// `Q`, once dealing closed (shrunk by upheld complaints).
    pub qualified: u16,
    /// Whose confirmation verified against the current `Q`.
    pub confirmed: u16,
    /// Whose dealings are folded into `aggregate` (`fold_dealing`).
    pub folded: u16,
    /// `aggregate[k] = Σ_{i folded} w_i·C_{i,k}` for `k < t'`; once all of `Q` is folded,
    /// confirmations are checked against it and a key generation's `PK` is `aggregate[0]`.
    pub aggregate: [[u8; 32]; MAX_NODES],
    /// `transport_keys[j-1]`: receiver `j`'s `T_j` when the ceremony started.
    pub transport_keys: [[u8; 32]; MAX_NODES],
    /// `verification_shares[j-1]`: receiver `j`'s confirmed `S'_j`.
    pub verification_shares: [[u8; 32]; MAX_NODES],
}

impl Ceremony {
    /// Account size.
    pub const LEN: usize = 8 + 32 + 24 + 8 + 14 + 3 * MAX_NODES * 32;

    /// Decodes a `Ceremony` account.
    pub fn decode(data: &[u8]) -> Result<Self, AccountError> {
        let mut r = Reader::new("Ceremony", data, Self::LEN)?;
        let (cluster, epoch, deal_deadline, confirm_deadline) = (r.address(), r.u64(), r.u64(), r.u64());
        let (kind, phase, threshold, old_threshold, bump) = (CeremonyKind::from_u8(r.u8()), CeremonyPhase::from_u8(r.u8()), r.u8(), r.u8(), r.u8());
        r.skip(3);
        let (dealers, receivers, dealt, disqualified, qualified, confirmed, folded) = (r.u16(), r.u16(), r.u16(), r.u16(), r.u16(), r.u16(), r.u16());
        let mut aggregate = [[0; 32]; MAX_NODES];
        for point in &mut aggregate {
            *point = r.bytes();
        }
        let mut transport_keys = [[0; 32]; MAX_NODES];
        for key in &mut transport_keys {
            *key = r.bytes();
        }
        let mut verification_shares = [[0; 32]; MAX_NODES];
        for share in &mut verification_shares {
            *share = r.bytes();
        }
        Ok(Ceremony {
            cluster,
            epoch,
            deal_deadline,
            confirm_deadline,
            kind,
            phase,
            threshold,
            old_threshold,
            bump,
            dealers,
            receivers,
            dealt,
            disqualified,
            qualified,
            confirmed,
            folded,
            aggregate,
            transport_keys,
            verification_shares,
        })
    }

    /// Whether the ceremony still takes dealings, complaints or (non-late) confirmations.
    pub fn is_running(&self) -> bool {
        matches!(self.phase, CeremonyPhase::Dealing | CeremonyPhase::Confirming)
    }

    /// Whether it is a resharing.
    pub fn is_resharing(&self) -> bool {
        self.kind == CeremonyKind::Resharing
    }

    /// Whether member `index` deals.
    pub fn is_dealer(&self, index: u8) -> bool {
        self.dealers & bit(index) != 0
    }

    /// Whether member `index` receives.
    pub fn is_receiver(&self, index: u8) -> bool {
        self.receivers & bit(index) != 0
    }

    /// Whether dealer `index`'s dealing is complete and verified.
    pub fn has_dealt(&self, index: u8) -> bool {
        self.dealt & bit(index) != 0
    }

    /// Whether dealer `index` is disqualified.
    pub fn is_disqualified(&self, index: u8) -> bool {
        self.disqualified & bit(index) != 0
    }

    /// Whether dealer `index` is in `Q`.
    pub fn is_qualified(&self, index: u8) -> bool {
        self.qualified & bit(index) != 0
    }

    /// Whether receiver `index`'s confirmation is in.
    pub fn has_confirmed(&self, index: u8) -> bool {
        self.confirmed & bit(index) != 0
    }

    /// `Q`'s dealer indices, ascending.
    pub fn qualified_dealers(&self) -> Vec<u8> {
        indices(self.qualified)
    }

    /// Qualified dealers whose dealing is not folded yet: `fold_dealing` each before anyone confirms.
    pub fn unfolded(&self) -> Vec<u8> {
        indices(self.qualified & !self.folded)
    }

    /// Whether dealer `index`'s dealing is folded into the aggregate.
    pub fn is_folded(&self, index: u8) -> bool {
        self.folded & bit(index) != 0
    }

    /// Whether dealing closed and every dealing of `Q` is folded: confirmations are checked from then on.
    pub fn all_folded(&self) -> bool {
        self.phase != CeremonyPhase::Dealing && self.qualified != 0 && self.qualified & !self.folded == 0
    }

    /// The key a key generation makes (`aggregate[0]`), once every dealing of `Q` is folded.
    pub fn folded_public_key(&self) -> Option<[u8; 32]> {
        (self.kind == CeremonyKind::KeyGeneration && self.all_folded()).then_some(self.aggregate[0])
    }

    /// The dealers neither dealt nor disqualified: still to deal while dealing runs, absent once it closed.
    pub fn undealt(&self) -> u16 {
        self.dealers & !(self.dealt | self.disqualified)
    }

    /// Whose confirmations activation waits for: `Q` (key generation) or every receiver (resharing).
    pub fn required(&self) -> u16 {
        match self.kind {
            CeremonyKind::KeyGeneration => self.qualified,
            CeremonyKind::Resharing => self.receivers,
        }
    }

    /// Required receivers that have not confirmed (named late if the ceremony activates without them).
    pub fn unconfirmed(&self) -> u16 {
        self.required() & !self.confirmed
    }

    /// The fewest qualified dealers the ceremony can finish with: `t'` (key generation) or the old `t` (resharing).
    pub fn fewest_qualified(&self) -> u8 {
        match self.kind {
            CeremonyKind::KeyGeneration => self.threshold,
            CeremonyKind::Resharing => self.old_threshold,
        }
    }

    /// Whether every dealer is dealt or disqualified (dealing closes by itself then).
    pub fn every_dealer_is_in(&self) -> bool {
        self.undealt() == 0
    }

    /// Whether `advance_ceremony` would move the ceremony at `slot`: dealing past its deadline,
    /// or confirming past its deadline.
    pub fn can_advance(&self, slot: u64) -> bool {
        match self.phase {
            CeremonyPhase::Dealing => slot > self.deal_deadline,
            CeremonyPhase::Confirming => slot > self.confirm_deadline,
            _ => false,
        }
    }

    /// Receiver `index`'s transport key in this ceremony.
    pub fn transport_key(&self, index: u8) -> Option<[u8; 32]> {
        self.is_receiver(index).then(|| self.transport_keys[usize::from(index - 1)])
    }

    /// Every receiver's transport key by index: what a dealer encrypts its sub-shares to.
    pub fn receiver_keys(&self) -> BTreeMap<u16, [u8; 32]> {
        indices(self.receivers).into_iter().map(|j| (u16::from(j), self.transport_keys[usize::from(j - 1)])).collect()
    }

    /// Receiver `index`'s confirmed `S'_j`.
    pub fn verification_share(&self, index: u8) -> Option<[u8; 32]> {
        self.has_confirmed(index).then(|| self.verification_shares[usize::from(index - 1)])
    }

    /// Bytes of each dealing in this ceremony.
    pub fn dealing_len(&self) -> usize {
        dealing_len(self.threshold)
    }

    /// The addresses of `Q`'s dealings, ascending by dealer.
    pub fn qualified_dealings(&self) -> Vec<Address> {
        self.qualified_dealers().into_iter().map(|dealer| crate::pda::dealing(&self.cluster, self.epoch, dealer)).collect()
    }
}

/// Bytes of a dealing with `t'` commitments: `D_i ‖ c ‖ z ‖ C_0..C_{t'-1} ‖ y_1..y_16`.
pub const fn dealing_len(threshold: u8) -> usize {
    96 + 32 * threshold as usize + 32 * MAX_NODES
}

/// The longest dealing (`t' = 16`).
pub const MAX_DEALING_LEN: usize = dealing_len(MAX_NODES as u8);

/// A `Dealing` account: one dealer's dealing in one ceremony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dealing {
    /// The cluster.
    pub cluster: Address,
    /// The ceremony epoch.
    pub epoch: u64,
    /// The dealer's index.
    pub dealer: u8,
    /// `t'` of the ceremony.
    pub threshold: u8,
    /// Bytes of the whole dealing.
    pub len: u16,
    /// Bytes written so far.
    pub written: u16,
    /// The bytes written so far.
    pub bytes: Vec<u8>,
}

impl Dealing {
    /// Account size.
    pub const LEN: usize = 8 + 48 + MAX_DEALING_LEN;
    /// Where `cluster` starts (for `getProgramAccounts` filters).
    pub const CLUSTER_OFFSET: usize = 8;
    /// Where `epoch` starts.
    pub const EPOCH_OFFSET: usize = 40;

    /// Decodes a `Dealing` account.
    pub fn decode(data: &[u8]) -> Result<Self, AccountError> {
        let mut r = Reader::new("Dealing", data, Self::LEN)?;
        let (cluster, epoch, len, written, dealer, threshold, _bump) = (r.address(), r.u64(), r.u16(), r.u16(), r.u8(), r.u8(), r.u8());
        r.skip(1);
        let all: [u8; MAX_DEALING_LEN] = r.bytes();
        let bytes = all[..usize::from(written.min(len)).min(MAX_DEALING_LEN)].to_vec();
        Ok(Dealing { cluster, epoch, dealer, threshold, len, written, bytes })
    }

    /// The whole dealing, once every byte is written; `None` for a declared length the
    /// account cannot hold (found by fuzzing: it read as complete with fewer bytes).
    pub fn complete(&self) -> Option<&[u8]> {
        (self.len != 0 && self.written == self.len && usize::from(self.len) <= MAX_DEALING_LEN).then_some(self.bytes.as_slice())
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
    /// `status` of a request marked expired (`expire_share_request`) while pending.
    pub const EXPIRED: u8 = 3;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dealing_declaring_more_than_the_account_holds_is_never_complete() {
        let body = |len: u16, written: u16| {
            let mut body = [3u8; 32].to_vec();
            body.extend(7u64.to_le_bytes());
            body.extend(len.to_le_bytes());
            body.extend(written.to_le_bytes());
            body.extend([2, 2, 255, 0]);
            body.extend(vec![9u8; MAX_DEALING_LEN]);
            account("Dealing", body)
        };
        let full = Dealing::decode(&body(MAX_DEALING_LEN as u16, MAX_DEALING_LEN as u16)).unwrap();
        assert_eq!(full.complete().map(<[u8]>::len), Some(MAX_DEALING_LEN));
        // the fuzzer's input: len = written = 65535 read as "complete" with 1,120 bytes
        let past = Dealing::decode(&body(u16::MAX, u16::MAX)).unwrap();
        assert_eq!(past.complete(), None);
        assert_eq!(Dealing::decode(&body(10, 9)).unwrap().complete(), None, "not all written");
    }

    fn account(name: &str, body: Vec<u8>) -> Vec<u8> {
        let mut data = discriminator("account", name).to_vec();
        data.extend(body);
        data
    }

    #[test]
    fn cluster_members_are_decoded_by_slot_and_status() {
        let mut body = Vec::new();
        body.extend([1; 32]); // admin
        for v in [9u64, 3, 1, 4] {
            body.extend(v.to_le_bytes()); // cluster_id, epoch, key_epoch, ceremony_epoch
        }
        body.extend([7; 32]); // public key
        body.extend([2, 3, Cluster::ACTIVE, 254, 0, 0, 0, 0]);
        for slot in 0..MAX_NODES as u8 {
            let status = match slot {
                0 => 2,
                1 => 4,
                3 => 1,
                _ => 0,
            };
            body.extend([10 + slot; 32]);
            body.extend([20 + slot; 32]);
            body.extend(if slot == 0 { [30; 32] } else { [0; 32] });
            body.extend(u32::from(slot).to_le_bytes());
            body.extend([if status == 0 { 0 } else { slot + 1 }, status, 0, 0]);
        }
        let cluster = Cluster::decode(&account("Cluster", body)).unwrap();
        assert_eq!((cluster.cluster_id, cluster.epoch, cluster.key_epoch, cluster.ceremony_epoch), (9, 3, 1, 4));
        assert_eq!((cluster.threshold, cluster.size, cluster.status_name(), cluster.bump), (2, 3, "active", 254));
        assert_eq!(
            cluster.members.iter().map(|m| (m.index, m.status)).collect::<Vec<_>>(),
            [(1, MemberStatus::Active), (2, MemberStatus::Removed), (4, MemberStatus::Invited)]
        );
        assert_eq!(cluster.member_at(4).unwrap().authority, Address::new_from_array([13; 32]));
        assert_eq!(cluster.member(&Address::new_from_array([11; 32])).unwrap().faults, 1);
        assert!(cluster.member_at(3).is_none(), "empty slots are not members");
        assert_eq!(cluster.serving_holders(), 0b1);
        assert_eq!(cluster.members_with(MemberStatus::Removed), 0b10);
        assert_eq!(cluster.next_ceremony_epoch(), 5);
        assert_eq!(
            Cluster::decode(&account("Cluster", vec![0; Cluster::LEN - 9])),
            Err(AccountError::WrongLength { name: "Cluster", expected: Cluster::LEN, got: Cluster::LEN - 1 })
        );
    }

    #[test]
    fn ceremony_progress_and_qualified_dealings() {
        let mut body = Vec::new();
        body.extend([5; 32]);
        for v in [2u64, 100, 250] {
            body.extend(v.to_le_bytes());
        }
        body.extend([1, 1, 3, 2, 255, 0, 0, 0]); // resharing, confirming, t' = 3, old t = 2
        for mask in [0b1111u16, 0b11111, 0b1011, 0b0001, 0b1010, 0b10000, 0b0010] {
            body.extend(mask.to_le_bytes());
        }
        for k in 0..MAX_NODES as u8 {
            body.extend([100 + k; 32]);
        }
        for j in 0..MAX_NODES as u8 {
            body.extend([j + 1; 32]);
        }
        for j in 0..MAX_NODES as u8 {
            body.extend(if j == 4 { [50; 32] } else { [0; 32] });
        }
        let ceremony = Ceremony::decode(&account("Ceremony", body)).unwrap();
        assert_eq!((ceremony.kind, ceremony.phase, ceremony.threshold, ceremony.old_threshold), (CeremonyKind::Resharing, CeremonyPhase::Confirming, 3, 2));
        assert_eq!(ceremony.qualified_dealers(), [2, 4]);
        let cluster = Address::new_from_array([5; 32]);
        assert_eq!(ceremony.qualified_dealings(), [crate::pda::dealing(&cluster, 2, 2), crate::pda::dealing(&cluster, 2, 4)]);
        assert_eq!(indices(ceremony.undealt()), [3], "dealer 3 neither dealt nor was disqualified");
        assert_eq!(indices(ceremony.unconfirmed()), [1, 2, 3, 4], "a resharing waits for every receiver");
        assert_eq!(ceremony.verification_share(5), Some([50; 32]));
        assert_eq!(ceremony.receiver_keys().keys().copied().collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert_eq!(ceremony.transport_key(6), None);
        assert_eq!(ceremony.fewest_qualified(), 2);
        assert!(!ceremony.can_advance(250) && ceremony.can_advance(251));
        assert_eq!(ceremony.dealing_len(), 608 + 96);
        assert_eq!((ceremony.unfolded(), ceremony.is_folded(2), ceremony.all_folded(), ceremony.folded_public_key()), (vec![4], true, false, None));
        assert_eq!(ceremony.aggregate[1], [101; 32]);
    }

    #[test]
    fn a_dealing_is_complete_when_every_byte_is_written() {
        let mut body = Vec::new();
        body.extend([5; 32]);
        body.extend(2u64.to_le_bytes());
        body.extend(672u16.to_le_bytes());
        body.extend(500u16.to_le_bytes());
        body.extend([3, 2, 255, 0]);
        body.extend(vec![6; MAX_DEALING_LEN]);
        let mut data = account("Dealing", body);
        let dealing = Dealing::decode(&data).unwrap();
        assert_eq!((dealing.dealer, dealing.threshold, dealing.bytes.len(), dealing.complete()), (3, 2, 500, None));
        data[8 + 42..8 + 44].copy_from_slice(&672u16.to_le_bytes());
        assert_eq!(Dealing::decode(&data).unwrap().complete().map(<[u8]>::len), Some(672));
        assert_eq!(mask_of(indices(0b1010_0000_0000_0001)), 0b1010_0000_0000_0001);
        for t in 2..=MAX_NODES as u8 {
            assert_eq!(dealing_len(t), encrypted_circuits::ceremony::dealing_len(t), "t' = {t}");
        }
    }
}
