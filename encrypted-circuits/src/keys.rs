//! Keys (DESIGN §3.2): typed public keys with canonical-encoding checks, user encryption
//! keys (from a wallet signature or a raw key file) with their proof of possession, and a
//! node's share of the cluster key.

use crate::{
    error::{Error, Result},
    group::{self, IDENTITY, canonical_scalar_bytes, element, negate},
    hash::{DST_KEY_POSSESSION, challenge_128},
};

/// A proof of possession `(R = k·G, z = k + e·x)` of the secret of a user key `P = x·G`,
/// with the 128-bit challenge `e = H128("medshare/v1/key-pop", wallet, P, R)`: 64 bytes `R ‖ z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyPossessionProof {
    /// The commitment `R`.
    pub r: [u8; 32],
    /// The response `z`.
    pub z: [u8; 32],
}

impl KeyPossessionProof {
    /// Encoded length.
    pub const LEN: usize = 64;

    /// `R ‖ z`.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..32].copy_from_slice(&self.r);
        out[32..].copy_from_slice(&self.z);
        out
    }

    /// Splits 64 bytes; validity is checked by [`verify_key_possession`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != Self::LEN {
            return Err(Error::InvalidLength { what: "key possession proof", expected: Self::LEN, got: bytes.len() });
        }
        let mut proof = KeyPossessionProof { r: [0; 32], z: [0; 32] };
        proof.r.copy_from_slice(&bytes[..32]);
        proof.z.copy_from_slice(&bytes[32..]);
        Ok(proof)
    }
}

/// Checks that whoever registers `public_key` for `wallet` knows its secret: `z·G − e·P = R`
/// (one multiscalar multiplication). Refuses the identity point. no_std; runs in the program.
pub fn verify_key_possession(wallet: &[u8; 32], public_key: &[u8; 32], proof: &KeyPossessionProof) -> Result<()> {
    if *public_key == IDENTITY {
        return Err(Error::IdentityPoint("user public key"));
    }
    let z = canonical_scalar_bytes(&proof.z, "proof response z")?;
    let point = element(public_key, "user public key")?;
    let e = challenge_128(DST_KEY_POSSESSION, &[wallet, public_key, &proof.r]);
    let r = group::combinations(&[(&[z, negate(&e)], &[&group::basepoint(), &point])])?;
    if r[0] == proof.r { Ok(()) } else { Err(Error::InvalidKeyPossessionProof) }
}

#[cfg(feature = "std")]
pub use secret::*;

#[cfg(feature = "std")]
mod secret {
    use super::*;
    use crate::{
        group::canonical_scalar,
        hash::{DST_USER_KEY, hash_to_scalar},
    };
    use curve25519_dalek::{
        Scalar,
        constants::RISTRETTO_BASEPOINT_TABLE,
        ristretto::{CompressedRistretto, RistrettoPoint},
    };
    use rand_core::CryptoRngCore;
    use zeroize::{Zeroize, ZeroizeOnDrop};

    /// A validated public key: a canonical, non-identity Ristretto255 point (user keys `P`,
    /// verification shares `S_i`, the cluster key `PK`, recipient keys `P_R`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PublicKey {
        pub(crate) point: RistrettoPoint,
        pub(crate) bytes: [u8; 32],
    }

    impl PublicKey {
        /// Decodes and validates; `what` names the field in the error.
        pub fn from_bytes(bytes: &[u8; 32], what: &'static str) -> Result<Self> {
            if *bytes == IDENTITY {
                return Err(Error::IdentityPoint(what));
            }
            let point = CompressedRistretto(*bytes).decompress().ok_or(Error::InvalidPoint(what))?;
            Ok(PublicKey { point, bytes: *bytes })
        }

        /// From a point known to be valid; refuses the identity.
        pub(crate) fn from_point(point: RistrettoPoint, what: &'static str) -> Result<Self> {
            let bytes = point.compress().to_bytes();
            if bytes == IDENTITY {
                return Err(Error::IdentityPoint(what));
            }
            Ok(PublicKey { point, bytes })
        }

        /// The canonical 32-byte encoding.
        pub fn to_bytes(&self) -> [u8; 32] {
            self.bytes
        }
    }

    /// A user's secret encryption key `x` (non-zero). Zeroised on drop; never printed.
    #[derive(Clone, Zeroize, ZeroizeOnDrop)]
    pub struct UserSecretKey(pub(crate) Scalar);

    impl core::fmt::Debug for UserSecretKey {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("UserSecretKey(..)")
        }
    }

    impl UserSecretKey {
        /// `x = H("medshare/v1/user-key", sig)` where `sig` is the wallet's 64-byte Ed25519
        /// signature (RFC 8032, `R ‖ S`) of the bytes of a
        /// [`UserKeyMessage`](crate::wallet_message::UserKeyMessage) (its `to_bytes`: the
        /// Sign-In-With-Solana text naming the domain, program and key index, in Solana's
        /// off-chain message envelope). Ed25519 signatures are deterministic, so the wallet
        /// is the only secret a person keeps; a wallet that signs otherwise must be refused
        /// by the caller (sign twice, compare).
        pub fn from_wallet_signature(signature: &[u8; 64]) -> Result<Self> {
            let x = hash_to_scalar(DST_USER_KEY, &[signature]);
            if x == Scalar::ZERO {
                return Err(Error::InvalidScalar("derived user key"));
            }
            Ok(UserSecretKey(x))
        }

        /// A raw key file: 32 bytes, a canonical non-zero scalar.
        pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
            let x = canonical_scalar(bytes, "user secret key")?;
            if x == Scalar::ZERO {
                return Err(Error::InvalidScalar("user secret key"));
            }
            Ok(UserSecretKey(x))
        }

        /// A fresh random key.
        pub fn random(rng: &mut impl CryptoRngCore) -> Self {
            loop {
                let x = Scalar::random(rng);
                if x != Scalar::ZERO {
                    return UserSecretKey(x);
                }
            }
        }

        /// The raw 32 bytes, for a key file.
        pub fn to_bytes(&self) -> [u8; 32] {
            self.0.to_bytes()
        }

        /// `P = x·G`.
        pub fn public_key(&self) -> PublicKey {
            PublicKey::from_point(&self.0 * RISTRETTO_BASEPOINT_TABLE, "user public key").expect("x is non-zero")
        }

        /// Proves possession of `x` for `wallet` (bound to it, so a proof cannot be replayed
        /// to register the same key under another wallet).
        pub fn prove_possession(&self, rng: &mut impl CryptoRngCore, wallet: &[u8; 32]) -> KeyPossessionProof {
            let mut k = Scalar::random(rng);
            let proof = self.prove_possession_with(&k, wallet);
            k.zeroize();
            proof
        }

        /// [`UserSecretKey::prove_possession`] with a given nonce `k` (test vectors).
        pub(crate) fn prove_possession_with(&self, k: &Scalar, wallet: &[u8; 32]) -> KeyPossessionProof {
            let r = (k * RISTRETTO_BASEPOINT_TABLE).compress().to_bytes();
            let e = Scalar::from_bytes_mod_order(challenge_128(DST_KEY_POSSESSION, &[wallet, &self.public_key().to_bytes(), &r]));
            let z = k + e * self.0;
            KeyPossessionProof { r, z: z.to_bytes() }
        }
    }

    /// A node's share of the cluster key from the key ceremony: index `i`, secret `s_i`,
    /// and the public `S_i = s_i·G`. Zeroised on drop; never printed.
    #[derive(Clone, Zeroize, ZeroizeOnDrop)]
    pub struct KeyShare {
        pub(crate) index: u16,
        pub(crate) secret: Scalar,
        #[zeroize(skip)]
        pub(crate) verification_share: PublicKey,
    }

    impl core::fmt::Debug for KeyShare {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("KeyShare").field("index", &self.index).field("verification_share", &self.verification_share).finish_non_exhaustive()
        }
    }

    impl KeyShare {
        /// Rebuilds a share from its stored parts, checking `S_i = s_i·G`.
        pub fn from_parts(index: u16, secret: &[u8; 32]) -> Result<Self> {
            if index == 0 {
                return Err(Error::InvalidIndex(0));
            }
            let secret = canonical_scalar(secret, "key share s_i")?;
            let verification_share = PublicKey::from_point(&secret * RISTRETTO_BASEPOINT_TABLE, "verification share S_i")?;
            Ok(KeyShare { index, secret, verification_share })
        }

        /// The node's index `i`.
        pub fn index(&self) -> u16 {
            self.index
        }

        /// `S_i`.
        pub fn verification_share(&self) -> PublicKey {
            self.verification_share
        }

        /// `s_i`, for encrypted storage at rest only.
        pub fn secret_bytes(&self) -> [u8; 32] {
            self.secret.to_bytes()
        }
    }
}
