//! The program's one error enum. Codes start at 6000 (Anchor's custom-error base) and are
//! append-only: clients and auditors match on them.

use anchor_lang::prelude::*;

/// Every way an instruction of this program can fail on its own checks.
#[error_code]
pub enum MedShareError {
    /// 6000
    #[msg("threshold must satisfy 2 <= t <= n")]
    InvalidThreshold,
    /// 6001
    #[msg("cluster size n must be between 2 and 16")]
    InvalidClusterSize,
}
