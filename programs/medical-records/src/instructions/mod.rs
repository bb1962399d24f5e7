//! One file per instruction: its accounts, arguments, checks and handler.

pub mod accept_invitation;
pub mod advance_ceremony;
pub mod append_patient_data;
pub mod close_accounts;
pub mod complain;
pub mod confirm_ceremony;
pub mod create_cluster;
pub mod expire_share_request;
pub mod fold_dealing;
pub mod init_share_patient_data_comp_def;
pub mod invite_node;
pub mod post_dealing;
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
pub use accept_invitation::*;
#[allow(ambiguous_glob_reexports)]
pub use advance_ceremony::*;
#[allow(ambiguous_glob_reexports)]
pub use append_patient_data::*;
#[allow(ambiguous_glob_reexports)]
pub use close_accounts::*;
#[allow(ambiguous_glob_reexports)]
pub use complain::*;
#[allow(ambiguous_glob_reexports)]
pub use confirm_ceremony::*;
#[allow(ambiguous_glob_reexports)]
pub use create_cluster::*;
#[allow(ambiguous_glob_reexports)]
pub use expire_share_request::*;
#[allow(ambiguous_glob_reexports)]
pub use fold_dealing::*;
#[allow(ambiguous_glob_reexports)]
pub use init_share_patient_data_comp_def::*;
#[allow(ambiguous_glob_reexports)]
pub use invite_node::*;
#[allow(ambiguous_glob_reexports)]
pub use post_dealing::*;
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
