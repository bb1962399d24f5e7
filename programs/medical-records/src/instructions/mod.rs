//! One file per instruction: its accounts, arguments, checks and handler.

pub mod append_patient_data;
pub mod close_accounts;
pub mod confirm_ceremony;
pub mod create_cluster;
pub mod init_share_patient_data_comp_def;
pub mod post_round1;
pub mod post_round2;
pub mod register_node;
pub mod register_user_key;
pub mod revoke_share;
pub mod share_patient_data;
pub mod share_patient_data_callback;
pub mod start_epoch;
pub mod store_patient_data;
pub mod suspend_node;

// Every instruction module has its own `handler`, always called by path from lib.rs; the
// globs re-export the account structs (and what the derives generate) for `#[program]`.
#[allow(ambiguous_glob_reexports)]
pub use append_patient_data::*;
#[allow(ambiguous_glob_reexports)]
pub use close_accounts::*;
#[allow(ambiguous_glob_reexports)]
pub use confirm_ceremony::*;
#[allow(ambiguous_glob_reexports)]
pub use create_cluster::*;
#[allow(ambiguous_glob_reexports)]
pub use init_share_patient_data_comp_def::*;
#[allow(ambiguous_glob_reexports)]
pub use post_round1::*;
#[allow(ambiguous_glob_reexports)]
pub use post_round2::*;
#[allow(ambiguous_glob_reexports)]
pub use register_node::*;
#[allow(ambiguous_glob_reexports)]
pub use register_user_key::*;
#[allow(ambiguous_glob_reexports)]
pub use revoke_share::*;
#[allow(ambiguous_glob_reexports)]
pub use share_patient_data::*;
#[allow(ambiguous_glob_reexports)]
pub use share_patient_data_callback::*;
#[allow(ambiguous_glob_reexports)]
pub use start_epoch::*;
#[allow(ambiguous_glob_reexports)]
pub use store_patient_data::*;
#[allow(ambiguous_glob_reexports)]
pub use suspend_node::*;
