//! Test-only misbehaviour (cargo feature `fault-injection`, refused in release builds), so
//! that localnet tests can watch the program catch and name a cheating node with real
//! daemons rather than hand-built transactions:
//!
//! ```toml
//! [fault]
//! bad_proofs = true        # partials whose proofs do not verify (once per request)
//! bad_dealing_to = 3       # the sub-share dealt to receiver 3 is garbage: 3 complains, upheld
//! skip_dealing = true      # never deal: dealing closes at the deadline naming this node absent
//! bad_confirmation = true  # one confirmation with a bad proof per ceremony, then none: rejected, then late
//! ```

#[cfg(not(debug_assertions))]
compile_error!("the fault-injection feature is for tests only and must never be in a release build");

use encrypted_circuits::{ceremony::encrypted_share_offset, reencrypt::Partial};
use serde::Deserialize;
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

/// The `[fault]` table of the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Post partials with a corrupted proof.
    #[serde(default)]
    pub bad_proofs: bool,
    /// Deal a sub-share to this receiver index that does not match the commitments.
    #[serde(default)]
    pub bad_dealing_to: Option<u8>,
    /// Never post a dealing.
    #[serde(default)]
    pub skip_dealing: bool,
    /// Send one confirmation with a corrupted proof per ceremony, and none after it.
    #[serde(default)]
    pub bad_confirmation: bool,
    /// Requests already cheated on.
    #[serde(skip)]
    pub cheated: Arc<Mutex<HashSet<medshare_client::Address>>>,
    /// Ceremonies already confirmed badly.
    #[serde(skip)]
    pub confirmed_badly: Arc<Mutex<HashSet<u64>>>,
}

impl Fault {
    /// Corrupts the proof's response `z_s` (still a canonical scalar), if told to.
    pub fn tamper(&self, partial: &mut Partial) {
        if self.bad_proofs {
            partial.proof.z_s[0] ^= 1;
            tracing::warn!(index = partial.index, "fault injection: posting a partial with a corrupted proof");
        }
    }

    /// Flips the lowest bit of `y_j` for `bad_dealing_to = j` (if `j` receives: a non-zero
    /// slot of a non-receiver would have the whole dealing rejected instead).
    pub fn tamper_dealing(&self, threshold: u8, receivers: u16, dealing: &mut [u8]) {
        let Some(receiver) = self.bad_dealing_to else { return };
        if !(1..=16).contains(&receiver) || receivers & (1 << (receiver - 1)) == 0 {
            tracing::warn!(receiver, "fault injection: bad_dealing_to names no receiver of this ceremony; dealing honestly");
            return;
        }
        dealing[encrypted_share_offset(threshold, u16::from(receiver))] ^= 1;
        tracing::warn!(receiver, "fault injection: dealing a bad sub-share");
    }

    /// Corrupts the confirmation's response `z` (still canonical), once per ceremony.
    pub fn tamper_confirmation(&self, epoch: u64, proof: &mut [u8; 64]) {
        if self.bad_confirmation && self.confirmed_badly.lock().expect("lock").insert(epoch) {
            proof[32] ^= 1;
            tracing::warn!(epoch, "fault injection: confirming with a corrupted proof");
        }
    }

    /// Whether this node already sent its bad confirmation of `epoch` (and sends no other).
    pub fn withholds_confirmation(&self, epoch: u64) -> bool {
        self.bad_confirmation && self.confirmed_badly.lock().expect("lock").contains(&epoch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_tamper_where_told() {
        let fault: Fault = toml::from_str("bad_dealing_to = 2\nskip_dealing = true\nbad_confirmation = true\n").unwrap();
        assert_eq!((fault.bad_dealing_to, fault.skip_dealing, fault.bad_confirmation, fault.bad_proofs), (Some(2), true, true, false));
        let len = encrypted_circuits::ceremony::dealing_len(2);
        let mut dealing = vec![0u8; len];
        fault.tamper_dealing(2, 0b011, &mut dealing);
        let at = encrypted_share_offset(2, 2);
        assert_eq!(dealing[at], 1);
        assert_eq!(dealing.iter().filter(|b| **b != 0).count(), 1);
        let mut untouched = vec![0u8; len];
        fault.tamper_dealing(2, 0b101, &mut untouched);
        assert!(untouched.iter().all(|b| *b == 0), "2 is not a receiver");

        let mut proof = [0u8; 64];
        assert!(!fault.withholds_confirmation(1));
        fault.tamper_confirmation(1, &mut proof);
        assert_eq!(proof[32], 1);
        assert!(fault.withholds_confirmation(1) && !fault.withholds_confirmation(2));
        assert!(toml::from_str::<Fault>("colour = 1").is_err());
    }
}
