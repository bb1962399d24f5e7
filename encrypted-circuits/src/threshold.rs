//! Combining partials (DESIGN §3.4): any `t` verified partials, by Lagrange interpolation at
//! zero, turn the cluster capsule into a capsule the recipient alone can open; and a batch
//! verification of all partials of one request, cheaper per partial than single checks.

use crate::{
    error::{Error, Result},
    keys::PublicKey,
    record::{Capsule, ReencryptedCapsule},
    reencrypt::{Partial, RequestContext, challenge},
};
use alloc::vec::Vec;
use curve25519_dalek::{
    Scalar,
    ristretto::{CompressedRistretto, RistrettoPoint},
    traits::VartimeMultiscalarMul,
};

/// `λ_i = Π_{j ∈ I, j ≠ i} j / (j − i)` for each index of `indices` (distinct, non-zero).
pub fn lagrange_at_zero(indices: &[u16]) -> Result<Vec<Scalar>> {
    for (position, &i) in indices.iter().enumerate() {
        if i == 0 {
            return Err(Error::InvalidIndex(0));
        }
        if indices[..position].contains(&i) {
            return Err(Error::DuplicateIndex(i));
        }
    }
    let mut numerators = Vec::with_capacity(indices.len());
    let mut denominators = Vec::with_capacity(indices.len());
    for &i in indices {
        let (mut num, mut den) = (Scalar::ONE, Scalar::ONE);
        for &j in indices.iter().filter(|&&j| j != i) {
            num *= Scalar::from(j);
            den *= Scalar::from(j) - Scalar::from(i);
        }
        numerators.push(num);
        denominators.push(den);
    }
    Scalar::batch_invert(&mut denominators);
    Ok(numerators.into_iter().zip(denominators).map(|(n, d)| n * d).collect())
}

/// Combines exactly the first `threshold` of `partials` (which the caller — or the chain —
/// has verified) into the recipient's capsule. Fewer than `threshold` is an error; with
/// wrong or too few shares the result opens to a wrong key, which the AEAD then rejects.
pub fn combine(capsule: &Capsule, partials: &[Partial], threshold: usize) -> Result<ReencryptedCapsule> {
    if threshold == 0 || partials.len() < threshold {
        return Err(Error::NotEnoughPartials { needed: threshold.max(1), got: partials.len() });
    }
    let used = &partials[..threshold];
    let indices: Vec<u16> = used.iter().map(|p| p.index).collect();
    let lambdas = lagrange_at_zero(&indices)?;
    let decode = |bytes: &[u8; 32], what| CompressedRistretto(*bytes).decompress().ok_or(Error::InvalidPoint(what));
    let a = used.iter().map(|p| decode(&p.a, "partial A_i")).collect::<Result<Vec<_>>>()?;
    let e = used.iter().map(|p| decode(&p.e, "partial E_i")).collect::<Result<Vec<_>>>()?;
    let c2 = decode(&capsule.c2, "capsule C2")?;
    let c1_new = RistrettoPoint::vartime_multiscalar_mul(&lambdas, &a);
    let c2_new = c2 - RistrettoPoint::vartime_multiscalar_mul(&lambdas, &e);
    Ok(ReencryptedCapsule { c1: c1_new.compress().to_bytes(), c2: c2_new.compress().to_bytes() })
}

/// Verifies all partials of one request together, with exactly the outcome of
/// [`crate::reencrypt::verify`] on each, in order.
///
/// A proof carries its challenge, not its commitments, so every `T` must still be
/// recomputed and hashed; what is shared is everything about the request: `C1` and `P_R`
/// are decoded once and get precomputed tables (so each `T3` is cheaper), the `G` terms use
/// dalek's basepoint tables, and all `3t` commitments are encoded with one batched
/// inversion.
pub fn verify_request_partials(
    context: &RequestContext,
    capsule_c1: &[u8; 32],
    recipient: &PublicKey,
    partials: &[(PublicKey, Partial)],
) -> Result<Vec<Result<()>>> {
    use crate::group::canonical_scalar;
    use curve25519_dalek::{ristretto::VartimeRistrettoPrecomputation, traits::VartimePrecomputedMultiscalarMul};
    let c1 = CompressedRistretto(*capsule_c1).decompress().ok_or(Error::InvalidPoint("capsule C1"))?;
    let request_points = VartimeRistrettoPrecomputation::new([c1, recipient.point]);
    let half = crate::group::half();

    // decode and recompute T1, T2, T3 (halved, for the batched encoding) per partial
    let mut outcomes: Vec<Result<()>> = Vec::with_capacity(partials.len());
    let mut halves: Vec<RistrettoPoint> = Vec::with_capacity(3 * partials.len());
    let mut checked: Vec<(usize, Scalar)> = Vec::with_capacity(partials.len());
    for (position, (share, partial)) in partials.iter().enumerate() {
        let decoded = (|| {
            crate::reencrypt::check_partial_shape(partial)?;
            let c = canonical_scalar(&crate::group::canonical_challenge(&partial.proof.c, "proof challenge c")?, "proof challenge c")?;
            let z_s = canonical_scalar(&partial.proof.z_s, "proof response z_s")?;
            let z_r = canonical_scalar(&partial.proof.z_r, "proof response z_r")?;
            let a = CompressedRistretto(partial.a).decompress().ok_or(Error::InvalidPoint("partial A_i"))?;
            let e = CompressedRistretto(partial.e).decompress().ok_or(Error::InvalidPoint("partial E_i"))?;
            Ok((c, z_s, z_r, a, e))
        })();
        match decoded {
            Ok((c, z_s, z_r, a, e)) => {
                let minus_c = -(c * half);
                halves.push(RistrettoPoint::vartime_double_scalar_mul_basepoint(&minus_c, &share.point, &(z_s * half)));
                halves.push(RistrettoPoint::vartime_double_scalar_mul_basepoint(&minus_c, &a, &(z_r * half)));
                halves.push(request_points.vartime_mixed_multiscalar_mul([z_s * half, z_r * half], [minus_c], [e]));
                checked.push((position, c));
                outcomes.push(Ok(()));
            }
            Err(error) => outcomes.push(Err(error)),
        }
    }
    let commitments = RistrettoPoint::double_and_compress_batch(&halves);
    for (k, (position, c)) in checked.into_iter().enumerate() {
        let (share, partial) = &partials[position];
        let t = [commitments[3 * k].to_bytes(), commitments[3 * k + 1].to_bytes(), commitments[3 * k + 2].to_bytes()];
        let expected = challenge(context, partial.index, &share.to_bytes(), capsule_c1, &recipient.to_bytes(), &partial.a, &partial.e, [&t[0], &t[1], &t[2]]);
        if expected != c.to_bytes() {
            outcomes[position] = Err(Error::InvalidProof);
        }
    }
    Ok(outcomes)
}
