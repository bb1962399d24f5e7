//! Account types, one file each.

pub mod ceremony;
pub mod circuit;
pub mod cluster;
pub mod dealing;
pub mod record;
pub mod share_request;
pub mod user_key;

pub use ceremony::*;
pub use circuit::*;
pub use cluster::*;
pub use dealing::*;
pub use record::*;
pub use share_request::*;
pub use user_key::*;
