//! Test-only misbehaviour (cargo feature `fault-injection`, refused in release builds):
//! with `[fault] bad_proofs = true` the node posts partials whose proofs do not verify,
//! once per request, so tests can watch the program reject them and name the node.

#[cfg(not(debug_assertions))]
compile_error!("the fault-injection feature is for tests only and must never be in a release build");

use encrypted_circuits::reencrypt::Partial;
use serde::Deserialize;
use std::{collections::HashSet, sync::Arc, sync::Mutex};

/// The `[fault]` table of the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Post partials with a corrupted proof.
    #[serde(default)]
    pub bad_proofs: bool,
    /// Requests already cheated on.
    #[serde(skip)]
    pub cheated: Arc<Mutex<HashSet<medshare_client::Address>>>,
}

impl Fault {
    /// Corrupts the proof's response `z_s` (still a canonical scalar), if told to.
    pub fn tamper(&self, partial: &mut Partial) {
        if self.bad_proofs {
            partial.proof.z_s[0] ^= 1;
            tracing::warn!(index = partial.index, "fault injection: posting a partial with a corrupted proof");
        }
    }
}
