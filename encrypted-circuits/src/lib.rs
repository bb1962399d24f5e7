//! # encrypted-circuits
//!
//! All of MedShare's cryptography, pure and shared by the on-chain program, the `mpc-node`
//! daemons and the clients. It implements `docs/protocol.md` §3 exactly:
//!
//! - [`hash`]: `H(dst, parts…)`, SHA-256-based hash to a Ristretto255 scalar;
//! - [`keys`]: typed public keys with canonical-encoding checks, user keys derived from a
//!   wallet signature, and a Schnorr proof of possession;
//! - [`wallet_message`]: what a wallet signs to derive its user key — a Sign-In-With-Solana
//!   text naming the app's domain, the program and a key index, in Solana's off-chain
//!   message envelope (`alloc`);
//! - [`record`]: sealing a record under a fresh key point `M` (HKDF-SHA256, AES-256-GCM bound
//!   to its on-chain place) with ElGamal capsules to the cluster and to the owner;
//! - [`capsule`]: labelled cluster capsules — a proof of knowledge of the capsule's
//!   randomness bound to the record it belongs to, so that a capsule copied or re-randomised
//!   into another record is refused (Shoup & Gennaro's TDH1, EUROCRYPT '98; Schnorr &
//!   Jakobsson's signed ElGamal, ASIACRYPT 2000);
//! - [`reencrypt`]: the threshold re-encryption circuit — a node's partial `(A_i, E_i)` with
//!   a Fiat–Shamir proof of knowledge of `(s_i, r_i)` (a Chaum–Pedersen-style Sigma
//!   protocol: Chaum & Pedersen, CRYPTO '92; Fiat & Shamir, CRYPTO '86), and its
//!   verification;
//! - [`aead`]: AES-256-GCM with random nonces, `nonce ‖ ciphertext ‖ tag`, the one symmetric format;
//! - [`threshold`]: Lagrange combination of any `t` partials (Shamir, CACM 1979) and a
//!   shared-work verification of a request's partials;
//! - [`ceremony`]: the distributed key generation (Pedersen, EUROCRYPT '91, with the
//!   proofs of knowledge of Komlo & Goldberg's FROST, SAC 2020) over `frost-ristretto255`,
//!   with round-2 packages sealed to each receiver's X25519 key.
//!
//! The group is Ristretto255 (RFC 9496). Every proof is a Sigma protocol made
//! non-interactive by Fiat–Shamir with a 128-bit challenge ([`hash::challenge_128`]).
//! Verification ([`reencrypt::verify`], [`keys::verify_key_possession`],
//! [`capsule::verify`]) is `no_std + alloc` and is the same code inside the SBF
//! program, where group operations and SHA-256 go through the `sol_curve_multiscalar_mul`
//! and `sol_sha256` syscalls. Everything else needs the default `std` feature.
//!
//! ## Example: seal, share with a 2-of-3 cluster, open
//!
//! ```
//! # fn main() -> Result<(), encrypted_circuits::Error> {
//! use encrypted_circuits::{
//!     ceremony::{CeremonyParams, Participant, TransportSecret},
//!     keys::UserSecretKey,
//!     record::{self, RecordBinding},
//!     reencrypt::{self, RequestContext},
//!     threshold,
//! };
//! use std::collections::BTreeMap;
//! let mut rng = rand::thread_rng();
//!
//! // The cluster's key ceremony: no dealer, three nodes, threshold two.
//! let params = CeremonyParams { cluster: [1; 32], epoch: 0, size: 3, threshold: 2 };
//! let transports: Vec<TransportSecret> = (0..3).map(|_| TransportSecret::random(&mut rng)).collect();
//! let transport_keys: BTreeMap<u16, [u8; 32]> = (1..=3).map(|i| (i, transports[i as usize - 1].public_key())).collect();
//! let (mut nodes, mut round1) = (Vec::new(), BTreeMap::new());
//! for i in 1..=3u16 {
//!     let (node, package) = Participant::round1(&mut rng, params, i)?;
//!     nodes.push(node);
//!     round1.insert(i, package);
//! }
//! let mut inbox: BTreeMap<u16, BTreeMap<u16, Vec<u8>>> = BTreeMap::new();
//! for (i, node) in (1..=3u16).zip(nodes.iter_mut()) {
//!     for (to, sealed) in node.round2(&mut rng, &transports[i as usize - 1], &round1, &transport_keys)? {
//!         inbox.entry(to).or_default().insert(i, sealed);
//!     }
//! }
//! let outputs = (1..=3u16)
//!     .zip(nodes)
//!     .map(|(i, node)| node.finish(&transports[i as usize - 1], &transport_keys, &inbox[&i]))
//!     .collect::<Result<Vec<_>, _>>()?;
//! let cluster_key = outputs[0].cluster_key;
//!
//! // A patient seals a record; a doctor registers a key.
//! let patient = UserSecretKey::random(&mut rng);
//! let doctor = UserSecretKey::random(&mut rng);
//! let binding = RecordBinding { program_id: [2; 32], owner: [3; 32], record_id: 1, version: 1, address: [4; 32] };
//! let sealed = record::seal(&mut rng, &binding, &params.cluster, b"{\"resourceType\":\"Bundle\"}", &cluster_key, &patient.public_key());
//!
//! // The program, every node and the doctor check that the capsule is labelled for this record.
//! let label = binding.capsule_label(&params.cluster, &cluster_key);
//! encrypted_circuits::capsule::verify(&label, &sealed.cluster_capsule.to_bytes(), &sealed.capsule_proof)?;
//!
//! // Nodes 1 and 3 answer the share request; anyone can check their proofs.
//! let context = RequestContext { program_id: [2; 32], cluster: [1; 32], request: [5; 32], epoch: 0 };
//! let mut partials = Vec::new();
//! for output in [&outputs[0], &outputs[2]] {
//!     let partial = output.share.reencrypt(&mut rng, &context, &sealed.cluster_capsule, &doctor.public_key())?;
//!     reencrypt::verify(
//!         &context,
//!         &output.share.verification_share().to_bytes(),
//!         &sealed.cluster_capsule.c1,
//!         &doctor.public_key().to_bytes(),
//!         &partial,
//!     )?;
//!     partials.push(partial);
//! }
//!
//! // The doctor combines and opens; the patient opens their own capsule.
//! let for_doctor = threshold::combine(&sealed.cluster_capsule, &partials, 2)?;
//! let plaintext = record::open(&binding, &for_doctor.open(&doctor)?, &sealed.ciphertext)?;
//! assert_eq!(plaintext, b"{\"resourceType\":\"Bundle\"}");
//! let own = record::open(&binding, &sealed.owner_capsule.open(&patient)?, &sealed.ciphertext)?;
//! assert_eq!(own, plaintext);
//! # Ok(())
//! # }
//! ```

#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod capsule;
pub mod error;
pub mod group;
pub mod hash;
pub mod keys;
pub mod reencrypt;
#[cfg(feature = "alloc")]
pub mod wallet_message;

#[cfg(feature = "std")]
pub mod aead;
#[cfg(feature = "std")]
pub mod ceremony;
#[cfg(feature = "std")]
pub mod record;
#[cfg(feature = "std")]
pub mod threshold;
#[cfg(feature = "std")]
pub mod vectors;

pub use error::{Error, Result};
