//! Every PDA seed prefix the program uses, in one place. `medshare-client` mirrors them;
//! a test there checks the derived addresses against the program's IDL.

/// `Cluster`: `["cluster", admin, u64le(cluster_id)]`.
pub const CLUSTER: &[u8] = b"cluster";
/// `Dealing`: `["dealing", cluster, u64le(epoch), [dealer]]`.
pub const DEALING: &[u8] = b"dealing";
/// `Ceremony`: `["ceremony", cluster, u64le(epoch)]`.
pub const CEREMONY: &[u8] = b"ceremony";
/// `CircuitDefinition`: `["comp_def", cluster]`.
pub const COMP_DEF: &[u8] = b"comp_def";
/// `UserKey`: `["user_key", wallet]`.
pub const USER_KEY: &[u8] = b"user_key";
/// `Record`: `["record", owner, u64le(record_id)]`.
pub const RECORD: &[u8] = b"record";
/// `ShareRequest`: `["share", record, u32le(n)]`.
pub const SHARE: &[u8] = b"share";
