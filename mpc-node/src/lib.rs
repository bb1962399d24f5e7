//! # mpc-node
//!
//! The daemon each cluster member (a hospital) runs: it takes part in the key ceremony
//! through the chain, keeps its key share encrypted at rest, and answers every share
//! request with a proven partial re-encryption (`docs/protocol.md` §5).
//!
//! Not built yet: issue #5. The cryptography it will call is in `encrypted-circuits`
//! (`KeyShare::reencrypt`, `ceremony::Participant`), and is tested there.
