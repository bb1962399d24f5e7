//! The key ceremony (DESIGN §3.5): a Pedersen DKG with Feldman commitments, run with
//! `frost-ristretto255`'s `keys::dkg::part1/2/3` (Komlo–Goldberg, "FROST", SAC 2020, Fig. 1),
//! so that no dealer ever knows the cluster secret `s`.
//!
//! Round-1 packages (commitments and a proof of knowledge) are public bytes, posted on
//! chain. Round-2 packages (one secret share per other node) are sealed to the receiver's
//! X25519 transport key: X25519 → HKDF-SHA256 → AES-256-GCM with
//! AAD = `cluster ‖ u64le(epoch) ‖ u16le(from) ‖ u16le(to)`. Every failure that one dealer
//! caused is [`Error::BadDealing`] naming it, so the ceremony can restart without it.

use crate::{
    aead,
    error::{Error, Result},
    keys::{KeyShare, PublicKey},
};
use alloc::{collections::BTreeMap, vec::Vec};
use frost_ristretto255::{
    Identifier,
    keys::dkg::{self, round1, round2},
};
use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

/// HKDF `info` prefix of the round-2 transport key (followed by both public keys).
pub const TRANSPORT_KEY_INFO: &[u8] = b"medshare/v1/dkg-round2";

/// Length of a round-1 package for threshold `t`: frost's header, `t` commitment points,
/// and the proof of knowledge.
pub const fn round1_len(t: u16) -> usize {
    ROUND1_FIXED_LEN + 32 * t as usize
}

/// Bytes of a round-1 package besides its `t` commitments.
pub const ROUND1_FIXED_LEN: usize = 71;

/// Length of a sealed round-2 package: nonce ‖ AES-256-GCM(frost package) ‖ tag.
pub const SEALED_ROUND2_LEN: usize = 65;

/// What every participant agrees on before the ceremony starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CeremonyParams {
    /// The cluster account.
    pub cluster: [u8; 32],
    /// The ceremony's epoch (a restart is a new epoch).
    pub epoch: u64,
    /// `n`.
    pub size: u16,
    /// `t`.
    pub threshold: u16,
}

/// A node's X25519 transport key pair (the public half is registered on chain).
pub struct TransportSecret(x25519_dalek::StaticSecret);

impl TransportSecret {
    /// A fresh key.
    pub fn random(rng: &mut impl CryptoRngCore) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut_slice());
        TransportSecret(x25519_dalek::StaticSecret::from(*bytes))
    }

    /// From its stored 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TransportSecret(x25519_dalek::StaticSecret::from(bytes))
    }

    /// The stored 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key to register.
    pub fn public_key(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&self.0).to_bytes()
    }

    /// The AES key for packages between `from` and `to` (the same on both sides).
    fn package_key(&self, params: &CeremonyParams, from_key: &[u8; 32], to_key: &[u8; 32], peer: &[u8; 32]) -> Option<Zeroizing<[u8; 32]>> {
        let shared = self.0.diffie_hellman(&x25519_dalek::PublicKey::from(*peer));
        if !shared.was_contributory() {
            return None;
        }
        let mut salt = [0u8; 40];
        salt[..32].copy_from_slice(&params.cluster);
        salt[32..].copy_from_slice(&params.epoch.to_le_bytes());
        let info = [TRANSPORT_KEY_INFO, from_key, to_key].concat();
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf::Hkdf::<sha2::Sha256>::new(Some(&salt), shared.as_bytes()).expand(&info, key.as_mut_slice()).ok()?;
        Some(key)
    }
}

fn package_aad(params: &CeremonyParams, from: u16, to: u16) -> [u8; 44] {
    let mut aad = [0u8; 44];
    aad[..32].copy_from_slice(&params.cluster);
    aad[32..40].copy_from_slice(&params.epoch.to_le_bytes());
    aad[40..42].copy_from_slice(&from.to_le_bytes());
    aad[42..].copy_from_slice(&to.to_le_bytes());
    aad
}

fn identifier(index: u16) -> Result<Identifier> {
    Identifier::try_from(index).map_err(|_| Error::InvalidIndex(index))
}

/// Maps a frost error to ours, naming the dealer when frost names one.
fn named(error: frost_ristretto255::Error, indices: &[u16], what: &'static str) -> Error {
    match error.culprit() {
        Some(culprit) => {
            indices.iter().find(|&&i| identifier(i).is_ok_and(|id| id == culprit)).map_or(Error::Ceremony(what), |&dealer| Error::BadDealing { dealer })
        }
        None => Error::Ceremony(what),
    }
}

/// A node's state between rounds. Secret; never printed.
pub struct Participant {
    params: CeremonyParams,
    index: u16,
    round1_secret: Option<round1::SecretPackage>,
    round2_secret: Option<round2::SecretPackage>,
    round1_packages: BTreeMap<Identifier, round1::Package>,
}

impl core::fmt::Debug for Participant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Participant").field("params", &self.params).field("index", &self.index).finish_non_exhaustive()
    }
}

/// The result of a ceremony for one node.
#[derive(Debug)]
pub struct CeremonyOutput {
    /// This node's `s_i` (and `S_i`).
    pub share: KeyShare,
    /// `PK`.
    pub cluster_key: PublicKey,
    /// `S_j` of every node, by index.
    pub verification_shares: BTreeMap<u16, PublicKey>,
}

impl Participant {
    /// Round 1: deals a random polynomial; returns the state and the public package bytes.
    pub fn round1(rng: &mut impl CryptoRngCore, params: CeremonyParams, index: u16) -> Result<(Participant, Vec<u8>)> {
        if index == 0 || index > params.size {
            return Err(Error::InvalidIndex(index));
        }
        if params.threshold == 0 || params.threshold > params.size {
            return Err(Error::Ceremony("threshold must satisfy 1 <= t <= n"));
        }
        if params.threshold == 1 || params.size == 1 {
            // frost's DKG needs t ≥ 2; a 1-of-n cluster would let any node decrypt alone
            return Err(Error::Ceremony("the key ceremony needs t >= 2"));
        }
        let (secret, package) = dkg::part1(identifier(index)?, params.size, params.threshold, &mut *rng).map_err(|_| Error::Ceremony("round 1 failed"))?;
        let bytes = package.serialize().map_err(|_| Error::Ceremony("round 1 package does not serialize"))?;
        Ok((Participant { params, index, round1_secret: Some(secret), round2_secret: None, round1_packages: BTreeMap::new() }, bytes))
    }

    /// Round 2: from every other node's round-1 package (by index) and transport key,
    /// returns one sealed package per other node (by receiver index).
    pub fn round2(
        &mut self,
        rng: &mut impl CryptoRngCore,
        transport: &TransportSecret,
        round1_packages: &BTreeMap<u16, Vec<u8>>,
        transport_keys: &BTreeMap<u16, [u8; 32]>,
    ) -> Result<BTreeMap<u16, Vec<u8>>> {
        let secret = self.round1_secret.take().ok_or(Error::Ceremony("round 2 called twice or before round 1"))?;
        let others: Vec<u16> = round1_packages.keys().copied().filter(|&i| i != self.index).collect();
        let mut packages = BTreeMap::new();
        for &from in &others {
            let package = round1::Package::deserialize(&round1_packages[&from]).map_err(|_| Error::BadDealing { dealer: from })?;
            packages.insert(identifier(from)?, package);
        }
        let (secret2, outgoing) = dkg::part2(secret, &packages).map_err(|e| named(e, &others, "round 2 failed"))?;
        let my_key = transport.public_key();
        let mut sealed = BTreeMap::new();
        for &to in &others {
            let package = &outgoing[&identifier(to)?];
            let their_key = transport_keys.get(&to).ok_or(Error::Ceremony("a receiver has no transport key"))?;
            let key = transport.package_key(&self.params, &my_key, their_key, their_key).ok_or(Error::InvalidPoint("transport key"))?;
            let plaintext = Zeroizing::new(package.serialize().map_err(|_| Error::Ceremony("round 2 package does not serialize"))?);
            sealed.insert(to, aead::seal(rng, &key, &package_aad(&self.params, self.index, to), &plaintext));
        }
        self.round2_secret = Some(secret2);
        self.round1_packages = packages;
        Ok(sealed)
    }

    /// Finishes: opens the round-2 packages sealed to this node (by sender index), checks
    /// each against its dealer's commitments, and returns `s_i`, `PK` and every `S_j`.
    pub fn finish(
        self,
        transport: &TransportSecret,
        transport_keys: &BTreeMap<u16, [u8; 32]>,
        sealed_to_me: &BTreeMap<u16, Vec<u8>>,
    ) -> Result<CeremonyOutput> {
        let secret2 = self.round2_secret.as_ref().ok_or(Error::Ceremony("finish called before round 2"))?;
        let my_key = transport.public_key();
        let mut packages = BTreeMap::new();
        let dealers: Vec<u16> = sealed_to_me.keys().copied().collect();
        for (&from, sealed) in sealed_to_me {
            let their_key = transport_keys.get(&from).ok_or(Error::Ceremony("a dealer has no transport key"))?;
            let key = transport.package_key(&self.params, their_key, &my_key, their_key).ok_or(Error::BadDealing { dealer: from })?;
            let plaintext =
                Zeroizing::new(aead::open(&key, &package_aad(&self.params, from, self.index), sealed).map_err(|_| Error::BadDealing { dealer: from })?);
            let package = round2::Package::deserialize(&plaintext).map_err(|_| Error::BadDealing { dealer: from })?;
            packages.insert(identifier(from)?, package);
        }
        let (key_package, public_package) = dkg::part3(secret2, &self.round1_packages, &packages).map_err(|e| named(e, &dealers, "final round failed"))?;
        let secret: [u8; 32] =
            key_package.signing_share().serialize().as_slice().try_into().map_err(|_| Error::Ceremony("signing share has the wrong length"))?;
        let share = KeyShare::from_parts(self.index, &secret)?;
        let encode = |bytes: Vec<u8>, what| -> Result<PublicKey> {
            let bytes: [u8; 32] = bytes.as_slice().try_into().map_err(|_| Error::InvalidPoint(what))?;
            PublicKey::from_bytes(&bytes, what)
        };
        let cluster_key = encode(public_package.verifying_key().serialize().map_err(|_| Error::Ceremony("group key does not serialize"))?, "cluster key PK")?;
        let mut verification_shares = BTreeMap::new();
        for index in 1..=self.params.size {
            let share = public_package.verifying_shares().get(&identifier(index)?).ok_or(Error::Ceremony("a verification share is missing"))?;
            verification_shares.insert(index, encode(share.serialize().map_err(|_| Error::Ceremony("share does not serialize"))?, "verification share S_i")?);
        }
        if verification_shares.get(&self.index) != Some(&share.verification_share()) {
            return Err(Error::Ceremony("own verification share disagrees with the group's"));
        }
        Ok(CeremonyOutput { share, cluster_key, verification_shares })
    }
}
