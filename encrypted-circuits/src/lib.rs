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
//! - [`record`]: sealing a record under a fresh key point `M` (HKDF-SHA256, then [`stream`]
//!   bound to its on-chain place) with ElGamal capsules to the cluster and to the owner;
//! - [`stream`]: records of any size in 64 KiB chunks with bounded memory — the STREAM
//!   construction (Hoang, Reyhanitabar, Rogaway & Vizár, CRYPTO 2015) over AES-256-GCM, the
//!   one format of a record's payload;
//! - [`capsule`]: labelled cluster capsules — a proof of knowledge of the capsule's
//!   randomness bound to the record it belongs to, so that a capsule copied or re-randomised
//!   into another record is refused (Shoup & Gennaro's TDH1, EUROCRYPT '98; Schnorr &
//!   Jakobsson's signed ElGamal, ASIACRYPT 2000);
//! - [`reencrypt`]: the threshold re-encryption circuit — a node's partial `(A_i, E_i)` with
//!   a Fiat–Shamir proof of knowledge of `(s_i, r_i)` (a Chaum–Pedersen-style Sigma
//!   protocol: Chaum & Pedersen, CRYPTO '92; Fiat & Shamir, CRYPTO '86), and its
//!   verification;
//! - [`aead`]: AES-256-GCM with random nonces, `nonce ‖ ciphertext ‖ tag`, for small secrets
//!   (a node's vault);
//! - [`threshold`]: Lagrange combination of any `t` partials (Shamir, CACM 1979) and a
//!   shared-work verification of a request's partials;
//! - [`ceremony`]: the cluster key's distributed generation (Pedersen's DKG with Feldman
//!   commitments, EUROCRYPT '91, and FROST's proofs of knowledge, Komlo & Goldberg, SAC 2020)
//!   and its resharing to new members (Desmedt & Jajodia 1997; Wong, Wang & Wing 2002), with
//!   sub-shares encrypted to each receiver's Ristretto255 transport key and complaints that
//!   the program judges (Gennaro et al., J. Cryptology 2007; ETHDKG, 2019): every public step
//!   is checked on chain.
//!
//! The group is Ristretto255 (RFC 9496). Every proof is a Sigma protocol made
//! non-interactive by Fiat–Shamir with a 128-bit challenge ([`hash::challenge_128`]).
//! Verification ([`reencrypt::verify`], [`keys::verify_key_possession`],
//! [`capsule::verify`], and the ceremony's [`ceremony::verify_dealing`],
//! [`ceremony::judge_complaint`], [`ceremony::verify_confirmation`],
//! [`ceremony::verify_transport_key`]) is `no_std + alloc` and is the same code inside the SBF
//! program, where group operations and SHA-256 go through the `sol_curve_multiscalar_mul`
//! and `sol_sha256` syscalls. Everything else needs the default `std` feature.
//!
//! ## Example: seal, share with a 2-of-3 cluster, open
//!
//! ```
//! # fn main() -> Result<(), encrypted_circuits::Error> {
//! use encrypted_circuits::{
//!     Error,
//!     ceremony::{self, CeremonyContext, DealingView, TransportSecret},
//!     keys::UserSecretKey,
//!     record::{self, RecordBinding},
//!     reencrypt::{self, RequestContext},
//!     threshold,
//! };
//! use std::collections::BTreeMap;
//! let mut rng = rand::thread_rng();
//!
//! // Three nodes register transport keys; the program checks each proof of possession.
//! let context = CeremonyContext { program_id: [2; 32], cluster: [1; 32], epoch: 0 };
//! let transports: Vec<TransportSecret> = (0..3).map(|_| TransportSecret::random(&mut rng)).collect();
//! for (n, transport) in transports.iter().enumerate() {
//!     let authority = [10 + n as u8; 32];
//!     let proof = transport.prove_possession(&mut rng, &context.program_id, &context.cluster, &authority);
//!     ceremony::verify_transport_key(&context.program_id, &context.cluster, &authority, &transport.public_key(), &proof)?;
//! }
//! let receivers: BTreeMap<u16, [u8; 32]> = (1..=3).map(|j| (j, transports[j as usize - 1].public_key())).collect();
//!
//! // The key generation, no dealer trusted: each node deals (threshold two) to all three;
//! // the program checks each dealing as its last byte lands.
//! let mut dealings = Vec::new();
//! for i in 1..=3u16 {
//!     dealings.push((i, ceremony::deal(&mut rng, &context, i, 2, &receivers, None)?));
//! }
//! let views = dealings.iter().map(|(i, bytes)| Ok((*i, DealingView::parse(bytes, 2)?))).collect::<Result<Vec<_>, Error>>()?;
//! for (i, view) in &views {
//!     ceremony::verify_dealing(&context, *i, view, 0b111, None)?;
//! }
//! // Each node opens its sub-shares, adds them up and confirms; the program checks that the
//! // new share is the one the commitments fix.
//! let mut shares = Vec::new();
//! for j in 1..=3u16 {
//!     let finished = ceremony::finish(&mut rng, &context, j, &transports[j as usize - 1], &views, false)?;
//!     let verification_share = finished.share.verification_share().to_bytes();
//!     ceremony::verify_confirmation(&context, j, &verification_share, &finished.proof, &views, false)?;
//!     shares.push(finished.share);
//! }
//! let cluster_key = ceremony::group_key(&views)?;
//!
//! // A patient seals a record; a doctor registers a key.
//! let patient = UserSecretKey::random(&mut rng);
//! let doctor = UserSecretKey::random(&mut rng);
//! let binding = RecordBinding { program_id: [2; 32], owner: [3; 32], record_id: 1, version: 1, address: [4; 32] };
//! let sealed = record::seal(&mut rng, &binding, &context.cluster, b"{\"resourceType\":\"Bundle\"}", &cluster_key, &patient.public_key());
//!
//! // The program, every node and the doctor check that the capsule is labelled for this record.
//! let label = binding.capsule_label(&context.cluster, &cluster_key);
//! encrypted_circuits::capsule::verify(&label, &sealed.cluster_capsule.to_bytes(), &sealed.capsule_proof)?;
//!
//! // Nodes 1 and 3 answer the share request; anyone can check their proofs.
//! let request = RequestContext { program_id: [2; 32], cluster: [1; 32], request: [5; 32], epoch: 0 };
//! let mut partials = Vec::new();
//! for share in [&shares[0], &shares[2]] {
//!     let partial = share.reencrypt(&mut rng, &request, &sealed.cluster_capsule, &doctor.public_key())?;
//!     reencrypt::verify(
//!         &request,
//!         &share.verification_share().to_bytes(),
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
pub mod ceremony;
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
pub mod record;
#[cfg(feature = "std")]
pub mod stream;
#[cfg(feature = "std")]
pub mod threshold;
#[cfg(feature = "std")]
pub mod vectors;

pub use error::{Error, Result};
