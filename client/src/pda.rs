//! Program-derived addresses, with the same seeds as the program's `seeds.rs`.

use crate::{Address, PROGRAM_ID};

/// Seed prefix of `Cluster` accounts.
pub const CLUSTER_SEED: &[u8] = b"cluster";

/// The `Cluster` account of `admin`'s cluster number `cluster_id`, and its bump.
pub fn cluster(admin: &Address, cluster_id: u64) -> (Address, u8) {
    Address::find_program_address(&[CLUSTER_SEED, admin.as_ref(), &cluster_id.to_le_bytes()], &PROGRAM_ID)
}
