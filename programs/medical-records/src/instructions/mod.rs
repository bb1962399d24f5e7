//! One file per instruction: its accounts, arguments, checks and handler.

pub mod create_cluster;

pub use create_cluster::*;
