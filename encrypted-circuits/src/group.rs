//! The group operations that verification needs, behind one small API with two backends:
//! on chain (`target_os = "solana"`) the `sol_curve_multiscalar_mul` syscall through
//! `solana-curve25519`; elsewhere curve25519-dalek's variable-time multiscalar
//! multiplication (every input of a verification is public). The verification code above
//! this module is the same on both.

use crate::error::{Error, Result};
use curve25519_dalek::Scalar;

/// The canonical encoding of the Ristretto255 base point `G`.
pub const BASEPOINT: [u8; 32] = curve25519_dalek::constants::RISTRETTO_BASEPOINT_COMPRESSED.to_bytes();

/// The canonical encoding of the identity point (all zero).
pub const IDENTITY: [u8; 32] = [0u8; 32];

/// Whether `bytes` is a canonical encoding of a Ristretto255 point other than the identity
/// (the `sol_curve_validate_point` syscall on chain, decompression elsewhere).
pub fn is_valid_public_point(bytes: &[u8; 32]) -> bool {
    #[cfg(target_os = "solana")]
    let valid = solana_curve25519::ristretto::validate_ristretto(&solana_curve25519::ristretto::PodRistrettoPoint(*bytes));
    #[cfg(not(target_os = "solana"))]
    let valid = curve25519_dalek::ristretto::CompressedRistretto(*bytes).decompress().is_some();
    *bytes != IDENTITY && valid
}

/// ℓ, the order of the group, little-endian.
#[cfg(test)]
const ELL: [u8; 32] =
    [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];

/// ℓ as four little-endian 64-bit limbs.
const ELL_LIMBS: [u64; 4] = [0x5812_631a_5cf5_d3ed, 0x14de_f9de_a2f7_9cd6, 0, 0x1000_0000_0000_0000];

/// The four little-endian 64-bit limbs of a 256-bit integer. Limbs, not bytes: on chain every
/// loop iteration costs compute units, so four beat thirty-two.
fn limbs(bytes: &[u8; 32]) -> [u64; 4] {
    core::array::from_fn(|i| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes")))
}

/// Whether a little-endian 256-bit integer is below ℓ (every input here is public).
fn below_ell(bytes: &[u8; 32]) -> bool {
    let value = limbs(bytes);
    for i in (0..4).rev() {
        if value[i] != ELL_LIMBS[i] {
            return value[i] < ELL_LIMBS[i];
        }
    }
    false
}

/// Checks that 32 bytes encode a canonical scalar (`< ℓ`) and keeps them as bytes:
/// verification needs no scalar arithmetic beyond [`negate`], so on chain scalars never
/// enter curve25519-dalek's software reduction.
pub fn canonical_scalar_bytes(bytes: &[u8; 32], what: &'static str) -> Result<[u8; 32]> {
    if below_ell(bytes) { Ok(*bytes) } else { Err(Error::InvalidScalar(what)) }
}

/// `−s mod ℓ` of a canonical scalar, on its limbs (`ℓ − s`, and 0 for 0).
pub fn negate(scalar: &[u8; 32]) -> [u8; 32] {
    let value = limbs(scalar);
    if value == [0; 4] {
        return [0u8; 32];
    }
    let mut out = [0u8; 32];
    let mut borrow = false;
    for i in 0..4 {
        let (difference, borrow_a) = ELL_LIMBS[i].overflowing_sub(value[i]);
        let (difference, borrow_b) = difference.overflowing_sub(u64::from(borrow));
        borrow = borrow_a || borrow_b;
        out[8 * i..8 * i + 8].copy_from_slice(&difference.to_le_bytes());
    }
    out
}

/// Checks that 32 bytes encode a 128-bit Fiat–Shamir challenge (a little-endian integer
/// below `2^128`: its upper 16 bytes are zero; see [`crate::hash::challenge_128`]).
pub fn canonical_challenge(bytes: &[u8; 32], what: &'static str) -> Result<[u8; 32]> {
    if bytes[16..] == [0u8; 16] { Ok(*bytes) } else { Err(Error::InvalidScalar(what)) }
}

/// `(ℓ + 1) / 2`, the inverse of 2 mod ℓ, little-endian: a constant instead of an inversion
/// on every call.
const HALF: [u8; 32] = [247, 233, 122, 46, 141, 49, 9, 44, 107, 206, 123, 81, 239, 124, 111, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8];

/// `1/2 mod ℓ` (batched encodings compute `2·(P/2)`).
pub fn half() -> Scalar {
    Scalar::from_bytes_mod_order(HALF)
}

/// Decodes a scalar that must be canonical (`< ℓ`).
pub fn canonical_scalar(bytes: &[u8; 32], what: &'static str) -> Result<Scalar> {
    if !below_ell(bytes) {
        return Err(Error::InvalidScalar(what));
    }
    Option::from(Scalar::from_canonical_bytes(*bytes)).ok_or(Error::InvalidScalar(what))
}

#[cfg(not(target_os = "solana"))]
mod backend {
    use super::*;
    use alloc::vec::Vec;
    use curve25519_dalek::{
        ristretto::{CompressedRistretto, RistrettoPoint},
        traits::VartimeMultiscalarMul,
    };

    /// A decoded group element; `G` is marked so that sums with it use dalek's basepoint tables.
    #[derive(Clone, Copy, Debug)]
    pub struct Element {
        pub(crate) point: RistrettoPoint,
        is_basepoint: bool,
    }

    /// Decodes a canonical encoding; a non-canonical or invalid one is an error.
    pub fn element(bytes: &[u8; 32], what: &'static str) -> Result<Element> {
        let point = CompressedRistretto(*bytes).decompress().ok_or(Error::InvalidPoint(what))?;
        Ok(Element { point, is_basepoint: false })
    }

    /// `G` as an element.
    pub fn basepoint() -> Element {
        Element { point: curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT, is_basepoint: true }
    }

    /// `Σ scalars[j]·points[j]` for each of several sums, encoded. Computed as
    /// `2·Σ (scalars[j]/2)·points[j]` so that all results share one batched inversion.
    pub fn combinations(sums: &[(&[[u8; 32]], &[&Element])]) -> Result<Vec<[u8; 32]>> {
        let half = half();
        let mut halves: Vec<RistrettoPoint> = Vec::with_capacity(sums.len());
        for (scalars, points) in sums {
            let scalars = scalars
                .iter()
                .map(|s| Option::<Scalar>::from(Scalar::from_canonical_bytes(*s)).map(|s| s * half).ok_or(Error::InvalidScalar("scalar")))
                .collect::<Result<Vec<Scalar>>>()?;
            halves.push(match (scalars.as_slice(), points) {
                ([b, a], [g, p]) if g.is_basepoint => RistrettoPoint::vartime_double_scalar_mul_basepoint(a, &p.point, b),
                _ => RistrettoPoint::vartime_multiscalar_mul(scalars, points.iter().map(|p| p.point)),
            });
        }
        Ok(RistrettoPoint::double_and_compress_batch(&halves).into_iter().map(|c| c.to_bytes()).collect())
    }
}

#[cfg(target_os = "solana")]
mod backend {
    use super::*;
    use alloc::vec::Vec;
    use solana_curve25519::{
        ristretto::{PodRistrettoPoint, multiscalar_multiply_ristretto},
        scalar::PodScalar,
    };

    /// An encoding, validated by the syscall when it is used.
    #[derive(Clone, Copy, Debug)]
    pub struct Element(pub(crate) [u8; 32]);

    /// Keeps the encoding: the syscall rejects invalid points (as [`Error::CurveOperation`]).
    pub fn element(bytes: &[u8; 32], _what: &'static str) -> Result<Element> {
        Ok(Element(*bytes))
    }

    /// `G` as an element.
    pub fn basepoint() -> Element {
        Element(BASEPOINT)
    }

    /// `Σ scalars[j]·points[j]` for each sum, one syscall each.
    ///
    /// Every vector is allocated at its final size and filled by a loop: a vector that grows
    /// (as `collect` into a `Result` does past four items) reaches the SBF target's broken
    /// 128-bit libcall through its size arithmetic (docs/protocol.md §7.3).
    pub fn combinations(sums: &[(&[[u8; 32]], &[&Element])]) -> Result<Vec<[u8; 32]>> {
        let mut out = Vec::with_capacity(sums.len());
        for (scalars, points) in sums {
            let mut pod_scalars: Vec<PodScalar> = Vec::with_capacity(scalars.len());
            for scalar in scalars.iter() {
                pod_scalars.push(PodScalar(*scalar));
            }
            let mut pod_points: Vec<PodRistrettoPoint> = Vec::with_capacity(points.len());
            for point in points.iter() {
                pod_points.push(PodRistrettoPoint(point.0));
            }
            out.push(multiscalar_multiply_ristretto(&pod_scalars, &pod_points).map(|p| p.0).ok_or(Error::CurveOperation)?);
        }
        Ok(out)
    }
}

pub use backend::{Element, basepoint, combinations, element};

#[cfg(all(test, not(target_os = "solana")))]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;

    #[test]
    fn combinations_match_plain_arithmetic() {
        let p = G * Scalar::from(7u64);
        let q = G * Scalar::from(11u64);
        let (pe, qe) = (element(&p.compress().to_bytes(), "p").unwrap(), element(&q.compress().to_bytes(), "q").unwrap());
        let a = Scalar::from(3u64);
        let b = -Scalar::from(5u64);
        let g = basepoint();
        let out = combinations(&[(&[Scalar::from(2u64).to_bytes(), a.to_bytes(), b.to_bytes()], &[&g, &pe, &qe]), (&[a.to_bytes()], &[&qe])]).unwrap();
        assert_eq!(out[0], (G * Scalar::from(2u64) + p * a + q * b).compress().to_bytes());
        assert_eq!(out[1], (q * a).compress().to_bytes());
    }

    #[test]
    fn agrees_with_the_solana_curve25519_fallback() {
        // the on-chain backend calls solana-curve25519; off chain that crate computes the same
        use solana_curve25519::{
            ristretto::{PodRistrettoPoint, multiscalar_multiply_ristretto},
            scalar::PodScalar,
        };
        let p = (G * Scalar::from(123u64)).compress().to_bytes();
        let (a, b) = (Scalar::from(99u64), -Scalar::from(4u64));
        let ours = combinations(&[(&[a.to_bytes(), b.to_bytes()], &[&basepoint(), &element(&p, "p").unwrap()])]).unwrap()[0];
        let theirs =
            multiscalar_multiply_ristretto(&[PodScalar(a.to_bytes()), PodScalar(b.to_bytes())], &[PodRistrettoPoint(BASEPOINT), PodRistrettoPoint(p)]).unwrap();
        assert_eq!(ours, theirs.0);
    }

    #[test]
    fn the_limbs_of_ell_are_ell() {
        let mut bytes = [0u8; 32];
        for (i, limb) in ELL_LIMBS.iter().enumerate() {
            bytes[8 * i..8 * i + 8].copy_from_slice(&limb.to_le_bytes());
        }
        assert_eq!(bytes, ELL);
    }

    #[test]
    fn half_is_the_inverse_of_two() {
        assert_eq!(half(), Scalar::from(2u64).invert());
        assert_eq!(half().to_bytes(), HALF);
    }

    #[test]
    fn challenges_are_below_two_to_the_128() {
        let mut c = [0xffu8; 32];
        c[16..].fill(0);
        assert!(canonical_challenge(&c, "c").is_ok());
        c[16] = 1;
        assert_eq!(canonical_challenge(&c, "c").unwrap_err(), Error::InvalidScalar("c"));
    }

    #[test]
    fn byte_negation_and_canonicity_match_dalek() {
        for s in [Scalar::ZERO, Scalar::ONE, -Scalar::ONE, Scalar::from(0x1234_5678u64), Scalar::from_bytes_mod_order([0xab; 32])] {
            assert_eq!(negate(&s.to_bytes()), (-s).to_bytes());
            assert!(canonical_scalar_bytes(&s.to_bytes(), "s").is_ok());
        }
        assert!(canonical_scalar_bytes(&ELL, "s").is_err());
        let mut below = ELL;
        below[0] -= 1;
        assert!(canonical_scalar_bytes(&below, "s").is_ok());
    }

    #[test]
    fn rejects_non_canonical_encodings() {
        let mut p = G.compress().to_bytes();
        p[31] |= 0x80; // high bit set: never canonical
        assert_eq!(element(&p, "p").unwrap_err(), Error::InvalidPoint("p"));
        let mut s = [0xffu8; 32];
        assert_eq!(canonical_scalar(&s, "s").unwrap_err(), Error::InvalidScalar("s"));
        s = curve25519_dalek::Scalar::ONE.to_bytes();
        assert!(canonical_scalar(&s, "s").is_ok());
    }
}
