//! Every field of a partial, its proof, its context and a sealed record is bound: changing
//! any of them is rejected, and non-canonical encodings never decode.

use curve25519_dalek::{Scalar, constants::RISTRETTO_BASEPOINT_POINT as G};
use encrypted_circuits::{
    Error,
    ceremony::CeremonyContext,
    group,
    keys::{KeyPossessionProof, PublicKey, UserSecretKey, verify_key_possession},
    record::{self, Capsule, RecordBinding},
    reencrypt::{self, Partial, ReencryptionProof, RequestContext},
    vectors::run_ceremony,
};
use rand::{SeedableRng, rngs::StdRng};

/// The cluster account the test capsules are labelled with.
const CLUSTER: [u8; 32] = [0xc1; 32];

/// ℓ, the group order, little-endian: the smallest non-canonical scalar encoding.
const ELL: [u8; 32] =
    [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];

struct Fixture {
    context: RequestContext,
    share: [u8; 32],
    c1: [u8; 32],
    recipient: [u8; 32],
    partial: Partial,
}

fn fixture() -> Fixture {
    let mut rng = StdRng::seed_from_u64(11);
    let nodes = run_ceremony(&mut rng, &CeremonyContext { program_id: [3; 32], cluster: [1; 32], epoch: 0 }, 3, 2).unwrap();
    let recipient = UserSecretKey::random(&mut rng).public_key();
    let owner = UserSecretKey::random(&mut rng).public_key();
    let binding = RecordBinding { program_id: [3; 32], owner: [4; 32], record_id: 1, version: 1, address: [5; 32] };
    let sealed = record::seal(&mut rng, &binding, &CLUSTER, b"x", &nodes[0].cluster_key, &owner);
    let context = RequestContext { program_id: [3; 32], cluster: [1; 32], request: [6; 32], epoch: 0 };
    let partial = nodes[1].share.reencrypt(&mut rng, &context, &sealed.cluster_capsule, &recipient).unwrap();
    Fixture { context, share: nodes[1].share.verification_share().to_bytes(), c1: sealed.cluster_capsule.c1, recipient: recipient.to_bytes(), partial }
}

fn verify(f: &Fixture) -> Result<(), Error> {
    reencrypt::verify(&f.context, &f.share, &f.c1, &f.recipient, &f.partial)
}

fn other_point() -> [u8; 32] {
    (G * Scalar::from(1234u64)).compress().to_bytes()
}

#[test]
fn the_untampered_partial_verifies_and_round_trips_through_bytes() {
    let f = fixture();
    verify(&f).unwrap();
    assert_eq!(Partial::from_bytes(&f.partial.to_bytes()).unwrap(), f.partial);
    assert!(Partial::from_bytes(&f.partial.to_bytes()[1..]).is_err());
}

#[test]
fn every_tampered_field_is_rejected() {
    type Tamper = fn(&mut Fixture);
    let cases: &[(&str, Tamper)] = &[
        ("A_i", |f| f.partial.a = other_point()),
        ("E_i", |f| f.partial.e = other_point()),
        ("index", |f| f.partial.index = 3),
        ("c", |f| f.partial.proof.c[0] ^= 1),
        ("z_s", |f| f.partial.proof.z_s[0] ^= 1),
        ("z_r", |f| f.partial.proof.z_r[0] ^= 1),
        ("program id", |f| f.context.program_id[0] ^= 1),
        ("cluster", |f| f.context.cluster[0] ^= 1),
        ("request", |f| f.context.request[0] ^= 1),
        ("epoch", |f| f.context.epoch += 1),
        ("verification share", |f| f.share = other_point()),
        ("capsule C1", |f| f.c1 = other_point()),
        ("recipient", |f| f.recipient = other_point()),
        ("proof swapped with another's", |f| f.partial.proof = ReencryptionProof { c: f.partial.proof.z_s, z_s: f.partial.proof.c, z_r: f.partial.proof.z_r }),
    ];
    for (name, tamper) in cases {
        let mut f = fixture();
        tamper(&mut f);
        let result = verify(&f);
        assert!(result.is_err(), "tampered {name} must not verify");
        println!("{name}: {}", result.unwrap_err());
    }
}

#[test]
fn non_canonical_encodings_are_rejected() {
    let f = fixture();
    // scalars: ℓ itself, ℓ + c (the same residue as c), and all-ones
    for bad in [ELL, [0xff; 32]] {
        for field in 0..3 {
            let mut g = fixture();
            match field {
                0 => g.partial.proof.c = bad,
                1 => g.partial.proof.z_s = bad,
                _ => g.partial.proof.z_r = bad,
            }
            assert!(matches!(verify(&g), Err(Error::InvalidScalar(_))), "field {field}");
        }
    }
    let mut plus_ell = fixture();
    let c = Scalar::from_canonical_bytes(f.partial.proof.c).unwrap();
    let mut wide = [0u8; 64];
    wide[..32].copy_from_slice(&(c + Scalar::ZERO).to_bytes());
    let mut sum = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(f.partial.proof.c[i]) + u16::from(ELL[i]) + carry;
        sum[i] = s as u8;
        carry = s >> 8;
    }
    plus_ell.partial.proof.c = sum; // c + ℓ < 2^256: same value mod ℓ, not canonical
    assert!(matches!(verify(&plus_ell), Err(Error::InvalidScalar(_))));

    // points: the high bit, a negative field element, and a non-square
    let mut high_bit = f.partial.a;
    high_bit[31] |= 0x80;
    let mut negative = [0u8; 32];
    negative[0] = 1; // s = 1 is "negative" (odd): not a canonical Ristretto encoding
    // the first even, canonical field element that is not the encoding of a point
    let not_a_point = (1u8..)
        .map(|k| {
            let mut b = [0u8; 32];
            b[0] = 2 * k;
            b
        })
        .find(|b| curve25519_dalek::ristretto::CompressedRistretto(*b).decompress().is_none())
        .unwrap();
    for bad in [high_bit, negative, not_a_point] {
        let mut g = fixture();
        g.partial.a = bad;
        assert!(matches!(verify(&g), Err(Error::InvalidPoint(_))));
        assert!(group::element(&bad, "x").is_err());
        assert!(PublicKey::from_bytes(&bad, "x").is_err());
        assert!(Capsule::from_bytes(&[bad, f.c1].concat()).is_err());
    }
    assert_eq!(PublicKey::from_bytes(&[0; 32], "P").unwrap_err(), Error::IdentityPoint("P"));
    assert!(UserSecretKey::from_bytes(&ELL).is_err());
    assert!(UserSecretKey::from_bytes(&[0; 32]).is_err());
}

#[test]
fn sealed_records_reject_every_tampered_byte_and_binding() {
    let mut rng = StdRng::seed_from_u64(12);
    let owner = UserSecretKey::random(&mut rng);
    let cluster = UserSecretKey::random(&mut rng).public_key();
    let binding = RecordBinding { program_id: [3; 32], owner: [4; 32], record_id: 1, version: 1, address: [5; 32] };
    let sealed = record::seal(&mut rng, &binding, &CLUSTER, b"hemoglobin A1c 6.1%", &cluster, &owner.public_key());
    let m = sealed.owner_capsule.open(&owner).unwrap();
    assert_eq!(record::open(&binding, &m, &sealed.ciphertext).unwrap(), b"hemoglobin A1c 6.1%");

    let n = sealed.ciphertext.len();
    for position in 0..n {
        let mut tampered = sealed.ciphertext.clone();
        tampered[position] ^= 0x01;
        assert_eq!(record::open(&binding, &m, &tampered).unwrap_err(), Error::DecryptionFailed, "byte {position} (prefix, ciphertext or tag)");
    }
    for cut in [0, 6, 7, 22] {
        assert_eq!(record::open(&binding, &m, &sealed.ciphertext[..cut]).unwrap_err(), Error::StreamTruncated, "cut to {cut} bytes");
    }
    assert_eq!(record::open(&binding, &m, &sealed.ciphertext[..n - 1]).unwrap_err(), Error::DecryptionFailed, "the last byte of the tag cut");
    let mut longer = sealed.ciphertext.clone();
    longer.push(0);
    assert_eq!(record::open(&binding, &m, &longer).unwrap_err(), Error::DecryptionFailed, "a byte appended to a short last chunk shifts its tag");
    type Rebind = fn(&mut RecordBinding);
    let rebinds: &[(&str, Rebind)] = &[
        ("program id", |b| b.program_id[0] ^= 1),
        ("owner", |b| b.owner[0] ^= 1),
        ("record id", |b| b.record_id += 1),
        ("version", |b| b.version += 1),
        ("address (HKDF salt)", |b| b.address[0] ^= 1),
    ];
    for (name, rebind) in rebinds {
        let mut moved = binding;
        rebind(&mut moved);
        assert_eq!(record::open(&moved, &m, &sealed.ciphertext).unwrap_err(), Error::DecryptionFailed, "{name}");
    }
}

#[test]
fn key_possession_proofs_bind_wallet_key_and_commitment() {
    let mut rng = StdRng::seed_from_u64(13);
    let key = UserSecretKey::random(&mut rng);
    let public = key.public_key().to_bytes();
    let wallet = [9u8; 32];
    let proof = key.prove_possession(&mut rng, &wallet);
    verify_key_possession(&wallet, &public, &proof).unwrap();
    assert_eq!(KeyPossessionProof::from_bytes(&proof.to_bytes()).unwrap(), proof);
    assert_eq!(verify_key_possession(&[8; 32], &public, &proof).unwrap_err(), Error::InvalidKeyPossessionProof);
    let other = UserSecretKey::random(&mut rng).public_key().to_bytes();
    assert_eq!(verify_key_possession(&wallet, &other, &proof).unwrap_err(), Error::InvalidKeyPossessionProof);
    let mut bad_z = proof;
    bad_z.z[0] ^= 1;
    assert!(verify_key_possession(&wallet, &public, &bad_z).is_err());
    let mut bad_r = proof;
    bad_r.r = other;
    assert!(verify_key_possession(&wallet, &public, &bad_r).is_err());
    assert_eq!(verify_key_possession(&wallet, &[0; 32], &proof).unwrap_err(), Error::IdentityPoint("user public key"));
    bad_z.z = ELL;
    assert!(matches!(verify_key_possession(&wallet, &public, &bad_z), Err(Error::InvalidScalar(_))));
}

#[test]
fn wallet_signature_derivation_is_deterministic_and_domain_separated() {
    let signature = [0x5a; 64];
    let a = UserSecretKey::from_wallet_signature(&signature).unwrap();
    let b = UserSecretKey::from_wallet_signature(&signature).unwrap();
    assert_eq!(a.to_bytes(), b.to_bytes());
    let mut other = signature;
    other[63] ^= 1;
    assert_ne!(UserSecretKey::from_wallet_signature(&other).unwrap().to_bytes(), a.to_bytes());
    assert_eq!(UserSecretKey::from_bytes(&a.to_bytes()).unwrap().public_key(), a.public_key());
    assert!(!format!("{a:?}").contains(&format!("{:?}", a.to_bytes()[0])) || format!("{a:?}") == "UserSecretKey(..)");
}

/// The attack of the consent-binding review, at the library level: a victim's cluster capsule
/// copied, or re-randomised, into an attacker's record fails the capsule proof for the
/// attacker's label, and so does any change of the label.
mod labelled_capsules {
    use super::*;
    use curve25519_dalek::ristretto::CompressedRistretto;
    use encrypted_circuits::capsule::{self, CapsuleLabel, CapsuleProof};

    fn victim() -> (CapsuleLabel, Capsule, CapsuleProof, PublicKey) {
        let mut rng = StdRng::seed_from_u64(9);
        let cluster = UserSecretKey::random(&mut rng).public_key();
        let owner = UserSecretKey::random(&mut rng);
        let binding = RecordBinding { program_id: [1; 32], owner: [2; 32], record_id: 7, version: 3, address: [3; 32] };
        let sealed = record::seal(&mut rng, &binding, &CLUSTER, b"diagnosis", &cluster, &owner.public_key());
        (binding.capsule_label(&CLUSTER, &cluster), sealed.cluster_capsule, sealed.capsule_proof, cluster)
    }

    #[test]
    fn an_honest_capsule_verifies() {
        let (label, capsule, proof, _) = victim();
        capsule::verify(&label, &capsule.to_bytes(), &proof).unwrap();
        assert_eq!(CapsuleProof::from_bytes(&proof.to_bytes()).unwrap(), proof);
    }

    #[test]
    fn a_copied_capsule_fails_under_any_other_label() {
        let (label, capsule, proof, _) = victim();
        let edits: [fn(&mut CapsuleLabel); 6] = [
            |l| l.program_id[0] ^= 1,
            |l| l.cluster[0] ^= 1,
            |l| l.cluster_key = G.compress().to_bytes(),
            |l| l.owner[0] ^= 1,
            |l| l.record[0] ^= 1,
            |l| l.version += 1,
        ];
        for edit in edits {
            let mut attacker = label;
            edit(&mut attacker);
            assert_eq!(capsule::verify(&attacker, &capsule.to_bytes(), &proof), Err(Error::InvalidCapsuleProof));
        }
    }

    #[test]
    fn a_re_randomised_capsule_fails() {
        let (label, capsule, proof, cluster) = victim();
        let a = Scalar::from(12345u64);
        let c1 = CompressedRistretto(capsule.c1).decompress().unwrap() + G * a;
        let c2 = CompressedRistretto(capsule.c2).decompress().unwrap() + CompressedRistretto(cluster.to_bytes()).decompress().unwrap() * a;
        let rerandomised = Capsule { c1: c1.compress().to_bytes(), c2: c2.compress().to_bytes() };
        assert_eq!(capsule::verify(&label, &rerandomised.to_bytes(), &proof), Err(Error::InvalidCapsuleProof));
        // and a capsule with either half changed
        let mut swapped = capsule;
        swapped.c2 = G.compress().to_bytes();
        assert_eq!(capsule::verify(&label, &swapped.to_bytes(), &proof), Err(Error::InvalidCapsuleProof));
    }

    #[test]
    fn malformed_proofs_and_points_are_refused_by_name() {
        let (label, capsule, proof, _) = victim();
        let mut wide_c = proof;
        wide_c.c[20] = 1;
        assert_eq!(capsule::verify(&label, &capsule.to_bytes(), &wide_c), Err(Error::InvalidScalar("capsule proof challenge c")));
        let mut big_z = proof;
        big_z.z = ELL;
        assert_eq!(capsule::verify(&label, &capsule.to_bytes(), &big_z), Err(Error::InvalidScalar("capsule proof response z")));
        let mut identity = capsule.to_bytes();
        identity[..32].fill(0);
        assert_eq!(capsule::verify(&label, &identity, &proof), Err(Error::IdentityPoint("capsule C1")));
        let mut bad_c2 = capsule.to_bytes();
        bad_c2[63] |= 0x80;
        assert_eq!(capsule::verify(&label, &bad_c2, &proof), Err(Error::InvalidPoint("capsule C2")));
        assert!(matches!(CapsuleProof::from_bytes(&[0; 63]), Err(Error::InvalidLength { .. })));
        let mut other = proof;
        other.z[0] ^= 1;
        assert_eq!(capsule::verify(&label, &capsule.to_bytes(), &other), Err(Error::InvalidCapsuleProof));
    }
}

#[test]
fn identity_partial_points_are_refused_by_name() {
    let fixture = fixture();
    for (a, e, what) in [([0u8; 32], fixture.partial.e, "partial A_i"), (fixture.partial.a, [0u8; 32], "partial E_i")] {
        let partial = Partial { a, e, ..fixture.partial };
        assert_eq!(reencrypt::verify(&fixture.context, &fixture.share, &fixture.c1, &fixture.recipient, &partial), Err(Error::IdentityPoint(what)));
    }
}

#[test]
fn challenges_of_129_bits_or_more_are_refused() {
    let fixture = fixture();
    let mut partial = fixture.partial;
    partial.proof.c[16] = 1;
    assert_eq!(reencrypt::verify(&fixture.context, &fixture.share, &fixture.c1, &fixture.recipient, &partial), Err(Error::InvalidScalar("proof challenge c")));
}
