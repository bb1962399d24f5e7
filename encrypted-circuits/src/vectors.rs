//! Test vectors (`tests/vectors/reencrypt.json`): made deterministically from a seed by
//! `cargo run -p encrypted-circuits --example make_test_vectors`, checked by
//! `tests/vectors.rs`, so that another implementation of `docs/protocol.md` can reproduce
//! every byte, not only check it: every random value a prover drew (the capsules'
//! randomness, every proof's nonces, the AEAD nonce as the first 12 bytes of `sealed`) is
//! published. Byte strings are lowercase hex; scalars are 32-byte little-endian; `sealed` is
//! `nonce ‖ ciphertext ‖ tag`; `partials` holds exactly the `t` partials that `combined` uses.

use crate::{
    aead, capsule,
    capsule::CapsuleProof,
    ceremony::{CeremonyOutput, CeremonyParams, Participant, TransportSecret},
    error::{Error, Result},
    keys::{self, KeyPossessionProof, PublicKey, UserSecretKey},
    record::{self, Capsule, RecordBinding, RecordKeyPoint, ReencryptedCapsule},
    reencrypt::{self, Partial, ReencryptionProof, RequestContext},
    threshold,
};
use alloc::{collections::BTreeMap, format, string::String, vec::Vec};
use curve25519_dalek::Scalar;
use rand::{SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

/// The file's format tag.
pub const VERSION: &str = "medshare/v1";

/// The whole file.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct VectorFile {
    pub version: String,
    pub cases: Vec<Case>,
    pub key_possession: Vec<KeyPossessionVector>,
}

/// A proof of possession of a user key for a wallet, with its nonce.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct KeyPossessionVector {
    pub wallet: String,
    pub secret: String,
    pub public: String,
    pub nonce: String,
    pub r: String,
    pub z: String,
}

/// One end-to-end run: ceremony output, a sealed record, `t` partials, the combination.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Case {
    pub t: u16,
    pub n: u16,
    pub cluster_public_key: String,
    pub verification_shares: BTreeMap<String, String>,
    pub program_id: String,
    pub cluster: String,
    pub request: String,
    pub epoch: u64,
    pub record: RecordVector,
    pub record_key_point: String,
    pub record_key: String,
    pub capsule: CapsuleVector,
    pub capsule_randomness: String,
    pub capsule_proof: CapsuleProofVector,
    pub owner_key: RecipientVector,
    pub owner_capsule: CapsuleVector,
    pub owner_capsule_randomness: String,
    pub recipient: RecipientVector,
    pub partials: Vec<PartialVector>,
    pub combined: CapsuleVector,
}

/// The record and its binding.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RecordVector {
    pub owner: String,
    pub record_id: u64,
    pub version: u32,
    pub record_address: String,
    pub plaintext: String,
    pub sealed: String,
}

/// `(c1, c2)`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CapsuleVector {
    pub c1: String,
    pub c2: String,
}

/// The cluster capsule's proof of knowledge of its randomness: nonce `w`, commitment
/// `W = w·G`, challenge `c` and response `z`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CapsuleProofVector {
    pub nonce: String,
    pub commitment: String,
    pub c: String,
    pub z: String,
}

/// A key pair (secret scalar, public point).
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RecipientVector {
    pub secret: String,
    pub public: String,
}

/// One partial with its proof.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PartialVector {
    pub index: u16,
    pub a: String,
    pub e: String,
    pub nonces: PartialNoncesVector,
    pub commitments: Vec<String>,
    pub proof: ProofVector,
}

/// A partial's randomness `r_i` and its proof's nonces `k_s`, `k_r`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PartialNoncesVector {
    pub r: String,
    pub k_s: String,
    pub k_r: String,
}

/// `(c, z_s, z_r)`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ProofVector {
    pub c: String,
    pub z_s: String,
    pub z_r: String,
}

/// Runs a whole ceremony in memory (all `n` nodes honest): every node's output, in index order.
pub fn run_ceremony(rng: &mut impl rand_core::CryptoRngCore, params: CeremonyParams) -> Result<Vec<CeremonyOutput>> {
    let n = params.size;
    let transports: Vec<TransportSecret> = (0..n).map(|_| TransportSecret::random(rng)).collect();
    let keys: BTreeMap<u16, [u8; 32]> = (1..=n).map(|i| (i, transports[usize::from(i) - 1].public_key())).collect();
    let mut nodes = Vec::new();
    let mut round1 = BTreeMap::new();
    for i in 1..=n {
        let (node, package) = Participant::round1(rng, params, i)?;
        nodes.push(node);
        round1.insert(i, package);
    }
    let mut inbox: BTreeMap<u16, BTreeMap<u16, Vec<u8>>> = BTreeMap::new();
    for (i, node) in (1..=n).zip(nodes.iter_mut()) {
        for (to, sealed) in node.round2(rng, &transports[usize::from(i) - 1], &round1, &keys)? {
            inbox.entry(to).or_default().insert(i, sealed);
        }
    }
    (1..=n).zip(nodes).map(|(i, node)| node.finish(&transports[usize::from(i) - 1], &keys, &inbox[&i])).collect()
}

/// The cases of the published file: 2-of-3, 3-of-5, 5-of-5, and an empty plaintext.
pub fn generate() -> Result<VectorFile> {
    let mut rng = StdRng::seed_from_u64(0x6d65_6473_6861_7265); // "medshare"
    let specs: [(u16, u16, &[u8]); 4] = [
        (2, 3, br#"{"resourceType":"Patient","id":"example","name":[{"family":"Chalmers","given":["Peter"]}]}"#),
        (3, 5, br#"{"resourceType":"Observation","status":"final","code":{"text":"Hemoglobin A1c"},"valueQuantity":{"value":6.1,"unit":"%"}}"#),
        (5, 5, br#"{"resourceType":"Bundle","type":"collection","entry":[]}"#),
        (2, 3, b""),
    ];
    let cases = specs.iter().enumerate().map(|(number, (t, n, plaintext))| case(&mut rng, number as u8, *t, *n, plaintext)).collect::<Result<Vec<_>>>()?;
    let key_possession = (0..2u8)
        .map(|number| {
            let wallet = [0x66 + number; 32];
            let secret = UserSecretKey::random(&mut rng);
            let nonce = Scalar::random(&mut rng);
            let proof = secret.prove_possession_with(&nonce, &wallet);
            KeyPossessionVector {
                wallet: hex::encode(wallet),
                secret: hex::encode(secret.to_bytes()),
                public: hex::encode(secret.public_key().to_bytes()),
                nonce: hex::encode(nonce.to_bytes()),
                r: hex::encode(proof.r),
                z: hex::encode(proof.z),
            }
        })
        .collect();
    Ok(VectorFile { version: VERSION.into(), cases, key_possession })
}

/// Checks a key-possession vector: the proof verifies and is exactly what its nonce makes.
pub fn check_key_possession(vector: &KeyPossessionVector) -> core::result::Result<(), String> {
    let run = || -> Result<bool> {
        let wallet = bytes32(&vector.wallet, "wallet")?;
        let secret = UserSecretKey::from_bytes(&bytes32(&vector.secret, "secret")?)?;
        let public = bytes32(&vector.public, "public")?;
        let proof = KeyPossessionProof { r: bytes32(&vector.r, "r")?, z: bytes32(&vector.z, "z")? };
        keys::verify_key_possession(&wallet, &public, &proof)?;
        let nonce = crate::group::canonical_scalar(&bytes32(&vector.nonce, "nonce")?, "nonce")?;
        Ok(secret.public_key().to_bytes() == public && secret.prove_possession_with(&nonce, &wallet) == proof)
    };
    match run() {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("key possession for wallet {}: not what the nonce makes", vector.wallet)),
        Err(e) => Err(format!("key possession for wallet {}: {e}", vector.wallet)),
    }
}

fn case(rng: &mut StdRng, number: u8, t: u16, n: u16, plaintext: &[u8]) -> Result<Case> {
    let fill = |byte: u8| {
        let mut out = [byte; 32];
        out[31] = number;
        out
    };
    let (program_id, cluster, request, owner, address) = (fill(0x11), fill(0x22), fill(0x33), fill(0x44), fill(0x55));
    let epoch = u64::from(number);
    let params = CeremonyParams { cluster, epoch, size: n, threshold: t };
    let outputs = run_ceremony(rng, params)?;
    let cluster_key = outputs[0].cluster_key;
    let owner_key = UserSecretKey::random(rng);
    let recipient = UserSecretKey::random(rng);
    let binding = RecordBinding { program_id, owner, record_id: 1000 + u64::from(number), version: 1, address };
    let m = RecordKeyPoint::random(rng);
    let ciphertext = aead::seal(rng, &m.record_key(&address), &binding.aad(), plaintext);
    let [k, w, k_owner] = [(); 3].map(|_| Scalar::random(rng));
    let (cluster_capsule, capsule_proof) = Capsule::seal_labelled_with(&k, &w, &m, &cluster_key, &binding.capsule_label(&cluster, &cluster_key));
    let owner_capsule = Capsule::seal_with(&k_owner, &m, &owner_key.public_key());
    let context = RequestContext { program_id, cluster, request, epoch };
    // the last t nodes answer, so that the indices are not always 1..t
    let mut partials = Vec::new();
    let mut nonces = Vec::new();
    for output in &outputs[usize::from(n - t)..] {
        let halves = [(); 3].map(|_| Scalar::random(rng));
        partials.push(output.share.reencrypt_from_halves(&context, &cluster_capsule, &recipient.public_key(), &halves)?);
        nonces.push(halves.map(|h| h + h));
    }
    let combined = threshold::combine(&cluster_capsule, &partials, usize::from(t))?;
    Ok(Case {
        t,
        n,
        cluster_public_key: hex::encode(cluster_key.to_bytes()),
        verification_shares: outputs[0].verification_shares.iter().map(|(i, s)| (format!("{i}"), hex::encode(s.to_bytes()))).collect(),
        program_id: hex::encode(program_id),
        cluster: hex::encode(cluster),
        request: hex::encode(request),
        epoch,
        record: RecordVector {
            owner: hex::encode(owner),
            record_id: binding.record_id,
            version: binding.version,
            record_address: hex::encode(address),
            plaintext: hex::encode(plaintext),
            sealed: hex::encode(&ciphertext),
        },
        record_key_point: hex::encode(m.to_bytes()),
        record_key: hex::encode(*m.record_key(&address)),
        capsule: CapsuleVector { c1: hex::encode(cluster_capsule.c1), c2: hex::encode(cluster_capsule.c2) },
        capsule_randomness: hex::encode(k.to_bytes()),
        capsule_proof: CapsuleProofVector {
            nonce: hex::encode(w.to_bytes()),
            commitment: hex::encode((&w * curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE).compress().to_bytes()),
            c: hex::encode(capsule_proof.c),
            z: hex::encode(capsule_proof.z),
        },
        owner_key: RecipientVector { secret: hex::encode(owner_key.to_bytes()), public: hex::encode(owner_key.public_key().to_bytes()) },
        owner_capsule: CapsuleVector { c1: hex::encode(owner_capsule.c1), c2: hex::encode(owner_capsule.c2) },
        owner_capsule_randomness: hex::encode(k_owner.to_bytes()),
        recipient: RecipientVector { secret: hex::encode(recipient.to_bytes()), public: hex::encode(recipient.public_key().to_bytes()) },
        partials: partials
            .iter()
            .zip(&nonces)
            .map(|(p, [r, k_s, k_r])| PartialVector {
                index: p.index,
                a: hex::encode(p.a),
                e: hex::encode(p.e),
                nonces: PartialNoncesVector { r: hex::encode(r.to_bytes()), k_s: hex::encode(k_s.to_bytes()), k_r: hex::encode(k_r.to_bytes()) },
                commitments: partial_commitments(&cluster_capsule, &recipient.public_key(), k_s, k_r).map(hex::encode).to_vec(),
                proof: ProofVector { c: hex::encode(p.proof.c), z_s: hex::encode(p.proof.z_s), z_r: hex::encode(p.proof.z_r) },
            })
            .collect(),
        combined: CapsuleVector { c1: hex::encode(combined.c1), c2: hex::encode(combined.c2) },
    })
}

/// `T1 = k_s·G`, `T2 = k_r·G`, `T3 = k_s·C1 + k_r·P_R`.
fn partial_commitments(capsule: &Capsule, recipient: &PublicKey, k_s: &Scalar, k_r: &Scalar) -> [[u8; 32]; 3] {
    use curve25519_dalek::{constants::RISTRETTO_BASEPOINT_TABLE as G, ristretto::CompressedRistretto};
    let c1 = CompressedRistretto(capsule.c1).decompress().expect("a capsule this module sealed");
    [k_s * G, k_r * G, c1 * k_s + recipient.point * k_r].map(|p| p.compress().to_bytes())
}

fn bytes32(hex_text: &str, what: &'static str) -> Result<[u8; 32]> {
    let bytes = lowercase_hex(hex_text, what)?;
    bytes.as_slice().try_into().map_err(|_| Error::InvalidLength { what, expected: 32, got: bytes.len() })
}

fn lowercase_hex(hex_text: &str, what: &'static str) -> Result<Vec<u8>> {
    if hex_text.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(Error::InvalidLength { what, expected: 0, got: 0 });
    }
    hex::decode(hex_text).map_err(|_| Error::InvalidLength { what, expected: 0, got: hex_text.len() })
}

/// Checks every relation a case claims, recomputing what is deterministic:
/// the shares interpolate to `PK`, every proof verifies, the combination, `M`, `K` and the
/// plaintext. Returns the first mismatch as an error naming the field.
pub fn check(case: &Case) -> core::result::Result<(), String> {
    let mismatch = |what: &str| format!("t={} n={}: {what} does not match", case.t, case.n);
    let cluster_key =
        PublicKey::from_bytes(&bytes32(&case.cluster_public_key, "cluster_public_key").map_err(|e| format!("{e}"))?, "PK").map_err(|e| format!("{e}"))?;
    let mut shares = BTreeMap::new();
    for (index, share) in &case.verification_shares {
        let index: u16 = index.parse().map_err(|_| mismatch("verification share index"))?;
        let share = PublicKey::from_bytes(&bytes32(share, "S_i").map_err(|e| format!("{e}"))?, "S_i").map_err(|e| format!("{e}"))?;
        shares.insert(index, share);
    }
    if shares.len() != usize::from(case.n) || (1..=case.n).any(|i| !shares.contains_key(&i)) {
        return Err(mismatch("verification share set"));
    }
    // any t shares interpolate to PK in the exponent (checked for the first and last t)
    for window in [1..=case.t, (case.n - case.t + 1)..=case.n] {
        let indices: Vec<u16> = window.collect();
        let lambdas = threshold::lagrange_at_zero(&indices).map_err(|e| format!("{e}"))?;
        let pk: curve25519_dalek::RistrettoPoint = indices.iter().zip(&lambdas).map(|(i, l)| shares[i].point * l).sum();
        if pk != cluster_key.point {
            return Err(mismatch("Lagrange interpolation of verification shares"));
        }
    }
    let run = || -> Result<Vec<u8>> {
        let program_id = bytes32(&case.program_id, "program_id")?;
        let context =
            RequestContext { program_id, cluster: bytes32(&case.cluster, "cluster")?, request: bytes32(&case.request, "request")?, epoch: case.epoch };
        let capsule = Capsule { c1: bytes32(&case.capsule.c1, "capsule.c1")?, c2: bytes32(&case.capsule.c2, "capsule.c2")? };
        let recipient = UserSecretKey::from_bytes(&bytes32(&case.recipient.secret, "recipient.secret")?)?;
        if recipient.public_key().to_bytes() != bytes32(&case.recipient.public, "recipient.public")? {
            return Err(Error::InvalidPoint("recipient.public"));
        }
        let scalar = |text: &str, what| crate::group::canonical_scalar(&bytes32(text, what)?, what);
        let address = bytes32(&case.record.record_address, "record_address")?;
        let binding =
            RecordBinding { program_id, owner: bytes32(&case.record.owner, "owner")?, record_id: case.record.record_id, version: case.record.version, address };
        let m = RecordKeyPoint::from_bytes(&bytes32(&case.record_key_point, "record_key_point")?)?;
        // the cluster capsule and its labelled proof, checked and remade from their randomness
        let label = binding.capsule_label(&context.cluster, &cluster_key);
        let proof = CapsuleProof { c: bytes32(&case.capsule_proof.c, "capsule_proof.c")?, z: bytes32(&case.capsule_proof.z, "capsule_proof.z")? };
        capsule::verify(&label, &capsule.to_bytes(), &proof)?;
        let (k, w) = (scalar(&case.capsule_randomness, "capsule_randomness")?, scalar(&case.capsule_proof.nonce, "capsule_proof.nonce")?);
        if Capsule::seal_labelled_with(&k, &w, &m, &cluster_key, &label) != (capsule, proof)
            || (&w * curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE).compress().to_bytes() != bytes32(&case.capsule_proof.commitment, "commitment")?
        {
            return Err(Error::InvalidCapsuleProof);
        }
        // the owner's capsule
        let owner_key = UserSecretKey::from_bytes(&bytes32(&case.owner_key.secret, "owner_key.secret")?)?;
        let owner_capsule = Capsule { c1: bytes32(&case.owner_capsule.c1, "owner_capsule.c1")?, c2: bytes32(&case.owner_capsule.c2, "owner_capsule.c2")? };
        if owner_key.public_key().to_bytes() != bytes32(&case.owner_key.public, "owner_key.public")?
            || Capsule::seal_with(&scalar(&case.owner_capsule_randomness, "owner_capsule_randomness")?, &m, &owner_key.public_key()) != owner_capsule
            || owner_capsule.open(&owner_key)?.to_bytes() != m.to_bytes()
        {
            return Err(Error::InvalidPoint("owner_capsule"));
        }
        let mut partials = Vec::new();
        for p in &case.partials {
            let proof =
                ReencryptionProof { c: bytes32(&p.proof.c, "proof.c")?, z_s: bytes32(&p.proof.z_s, "proof.z_s")?, z_r: bytes32(&p.proof.z_r, "proof.z_r")? };
            let partial = Partial { index: p.index, a: bytes32(&p.a, "a")?, e: bytes32(&p.e, "e")?, proof };
            let share = shares.get(&p.index).ok_or(Error::InvalidIndex(p.index))?;
            reencrypt::verify(&context, &share.to_bytes(), &capsule.c1, &recipient.public_key().to_bytes(), &partial)?;
            // remade from the published nonces (the share itself is not published: the
            // commitments and the challenge are what an outside prover must reproduce)
            let (k_s, k_r) = (scalar(&p.nonces.k_s, "k_s")?, scalar(&p.nonces.k_r, "k_r")?);
            let commitments = partial_commitments(&capsule, &recipient.public_key(), &k_s, &k_r);
            let published = p.commitments.iter().map(|c| bytes32(c, "commitment")).collect::<Result<Vec<_>>>()?;
            let r = scalar(&p.nonces.r, "r")?;
            let a = (&r * curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE).compress().to_bytes();
            let c = reencrypt::challenge(
                &context,
                p.index,
                &share.to_bytes(),
                &capsule.c1,
                &recipient.public_key().to_bytes(),
                &partial.a,
                &partial.e,
                [&commitments[0], &commitments[1], &commitments[2]],
            );
            if published != commitments || a != partial.a || c != partial.proof.c {
                return Err(Error::InvalidProof);
            }
            partials.push(partial);
        }
        if partials.len() != usize::from(case.t) {
            return Err(Error::NotEnoughPartials { needed: usize::from(case.t), got: partials.len() });
        }
        let combined = threshold::combine(&capsule, &partials, usize::from(case.t))?;
        let expected = ReencryptedCapsule { c1: bytes32(&case.combined.c1, "combined.c1")?, c2: bytes32(&case.combined.c2, "combined.c2")? };
        if combined != expected {
            return Err(Error::InvalidPoint("combined"));
        }
        if expected.open(&recipient)?.to_bytes() != m.to_bytes() {
            return Err(Error::InvalidPoint("record_key_point"));
        }
        if *m.record_key(&address) != bytes32(&case.record_key, "record_key")? {
            return Err(Error::InvalidLength { what: "record_key", expected: 32, got: 32 });
        }
        record::open(&binding, &m, &lowercase_hex(&case.record.sealed, "sealed")?)
    };
    let plaintext = run().map_err(|e| format!("t={} n={}: {e}", case.t, case.n))?;
    if hex::encode(plaintext) != case.record.plaintext {
        return Err(mismatch("plaintext"));
    }
    Ok(())
}
