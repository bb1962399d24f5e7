//! Every PDA seed prefix the program uses, in one place, so that clients and the program
//! cannot drift apart. Client code mirrors these in `medshare-client`; a test there checks
//! the derived addresses against the program's.

/// `Cluster` PDA: `["cluster", admin, u64le(cluster_id)]`.
pub const CLUSTER: &[u8] = b"cluster";
