//! Program-derived addresses, with the same seeds as the program's `seeds.rs` (checked
//! against the IDL by `medshare-tests`).

use crate::{Address, PROGRAM_ID};

/// Seed prefix of `Cluster` accounts.
pub const CLUSTER_SEED: &[u8] = b"cluster";
/// Seed prefix of `Dealing` accounts.
pub const DEALING_SEED: &[u8] = b"dealing";
/// Seed prefix of `Ceremony` accounts.
pub const CEREMONY_SEED: &[u8] = b"ceremony";
/// Seed prefix of `CircuitDefinition` accounts.
pub const COMP_DEF_SEED: &[u8] = b"comp_def";
/// Seed prefix of `UserKey` accounts.
pub const USER_KEY_SEED: &[u8] = b"user_key";
/// Seed prefix of `Record` accounts.
pub const RECORD_SEED: &[u8] = b"record";
/// Seed prefix of `ShareRequest` accounts.
pub const SHARE_SEED: &[u8] = b"share";

fn find(seeds: &[&[u8]]) -> Address {
    Address::find_program_address(seeds, &PROGRAM_ID).0
}

/// `admin`'s cluster number `cluster_id`, and its bump.
pub fn cluster(admin: &Address, cluster_id: u64) -> (Address, u8) {
    Address::find_program_address(&[CLUSTER_SEED, admin.as_ref(), &cluster_id.to_le_bytes()], &PROGRAM_ID)
}

/// Node `dealer`'s dealing in ceremony `epoch`.
pub fn dealing(cluster: &Address, epoch: u64, dealer: u8) -> Address {
    find(&[DEALING_SEED, cluster.as_ref(), &epoch.to_le_bytes(), &[dealer]])
}

/// The cluster's ceremony number `epoch` (the first is epoch 1).
pub fn ceremony(cluster: &Address, epoch: u64) -> Address {
    find(&[CEREMONY_SEED, cluster.as_ref(), &epoch.to_le_bytes()])
}

/// The cluster's share circuit definition.
pub fn circuit(cluster: &Address) -> Address {
    find(&[COMP_DEF_SEED, cluster.as_ref()])
}

/// `wallet`'s encryption key account.
pub fn user_key(wallet: &Address) -> Address {
    find(&[USER_KEY_SEED, wallet.as_ref()])
}

/// `owner`'s record number `record_id`.
pub fn record(owner: &Address, record_id: u64) -> Address {
    find(&[RECORD_SEED, owner.as_ref(), &record_id.to_le_bytes()])
}

/// The `n`-th share request of `record` (`n` = the record's `share_count` when made).
pub fn share_request(record: &Address, n: u32) -> Address {
    find(&[SHARE_SEED, record.as_ref(), &n.to_le_bytes()])
}
