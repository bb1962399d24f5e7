//! Account types, one file each.

pub mod cluster;

pub use cluster::*;
