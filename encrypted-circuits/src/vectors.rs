//! Test vectors (`tests/vectors/reencrypt.json`, `tests/vectors/ceremony.json`,
//! `tests/vectors/stream.json`): made
//! deterministically from a seed by `cargo run -p encrypted-circuits --example
//! make_test_vectors`, checked by `tests/vectors.rs`, so that another implementation of
//! `docs/protocol.md` can reproduce every byte, not only check it: every random value a prover
//! drew (the capsules' randomness, every proof's nonces, the stream's nonce prefix as the first
//! 7 bytes of `sealed`, the ceremony's polynomials, ephemeral and transport secrets) is
//! published. Byte strings are lowercase hex; scalars are 32-byte little-endian; `sealed` is
//! a sealed stream ([`crate::stream`]: `nonce prefix ‖ chunks`); `partials` holds exactly the
//! `t` partials that `combined` uses.

use crate::{
    capsule,
    capsule::CapsuleProof,
    ceremony::{self, CeremonyContext, DealingView, TransportSecret},
    error::{Error, Result},
    keys::{self, KeyPossessionProof, KeyShare, PublicKey, UserSecretKey},
    record::{self, Capsule, RecordBinding, RecordKeyPoint, ReencryptedCapsule},
    reencrypt::{self, Partial, ReencryptionProof, RequestContext},
    stream::{self, StreamSealer},
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

/// One node's result of an in-memory key generation ([`run_ceremony`]).
#[derive(Debug)]
pub struct CeremonyOutput {
    /// The node's `s_j` (and `S_j`).
    pub share: KeyShare,
    /// `PK`.
    pub cluster_key: PublicKey,
    /// `S_j` of every node, by index, as the commitments fix them.
    pub verification_shares: BTreeMap<u16, PublicKey>,
}

/// Runs a whole key generation in memory for members `1..=size` (all honest, all dealers and
/// receivers), making every check the program makes (each dealing, each confirmation):
/// every node's output, in index order.
pub fn run_ceremony(rng: &mut impl rand_core::CryptoRngCore, context: &CeremonyContext, size: u16, threshold: u8) -> Result<Vec<CeremonyOutput>> {
    if size == 0 || usize::from(size) > ceremony::MAX_MEMBERS {
        return Err(Error::InvalidIndex(size));
    }
    let transports: Vec<TransportSecret> = (0..size).map(|_| TransportSecret::random(rng)).collect();
    let keys: BTreeMap<u16, [u8; 32]> = (1..=size).map(|i| (i, transports[usize::from(i) - 1].public_key())).collect();
    let receivers = mask(keys.keys());
    let dealings = (1..=size).map(|i| Ok((i, ceremony::deal(rng, context, i, threshold, &keys, None)?))).collect::<Result<Vec<_>>>()?;
    let views = dealings.iter().map(|(i, bytes)| Ok((*i, DealingView::parse(bytes, threshold)?))).collect::<Result<Vec<_>>>()?;
    for (i, view) in &views {
        ceremony::verify_dealing(context, *i, view, receivers, None)?;
    }
    let cluster_key = ceremony::group_key(&views)?;
    let verification_shares = (1..=size).map(|j| Ok((j, ceremony::verification_share(j, &views, false)?))).collect::<Result<BTreeMap<_, _>>>()?;
    let mut outputs = Vec::with_capacity(usize::from(size));
    for (j, transport) in (1..=size).zip(&transports) {
        let finished = ceremony::finish(rng, context, j, transport, &views, false)?;
        ceremony::verify_confirmation(context, j, &finished.share.verification_share().to_bytes(), &finished.proof, &views, false)?;
        if finished.share.verification_share() != verification_shares[&j] {
            return Err(Error::Ceremony("a share disagrees with the commitments"));
        }
        outputs.push(CeremonyOutput { share: finished.share, cluster_key, verification_shares: verification_shares.clone() });
    }
    Ok(outputs)
}

/// The bit mask (bit `j − 1` for member `j`) of a set of member indices.
fn mask<'a>(members: impl IntoIterator<Item = &'a u16>) -> u16 {
    members.into_iter().fold(0, |mask, &j| mask | 1 << (j - 1))
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
    let outputs = run_ceremony(rng, &CeremonyContext { program_id, cluster, epoch }, n, u8::try_from(t).map_err(|_| Error::InvalidIndex(t))?)?;
    let cluster_key = outputs[0].cluster_key;
    let owner_key = UserSecretKey::random(rng);
    let recipient = UserSecretKey::random(rng);
    let binding = RecordBinding { program_id, owner, record_id: 1000 + u64::from(number), version: 1, address };
    let m = RecordKeyPoint::random(rng);
    let ciphertext = stream::seal(record::sealer(&binding, &m, rng), plaintext)?;
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

// The key ceremony (`tests/vectors/ceremony.json`).

/// The ceremony file: a key generation (with a corrupted sub-share, its upheld complaint and a
/// dismissed one) and a resharing of the key it made. Every random value is published: the
/// transport secrets and their proofs' nonces, each dealer's coefficients, proof nonce and
/// ephemeral secret, the complaints' and confirmations' nonces.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CeremonyVectorFile {
    pub version: String,
    pub ceremonies: Vec<CeremonyVector>,
}

/// One ceremony. `kind` is `"key_generation"` or `"resharing"` (of the key of the ceremony
/// before it in the file, whose confirmed shares the dealers reshare); `receivers` is the bit
/// mask of the members; `weight_lcm` and `weights` are `L` and `w_i` of the confirmation check.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CeremonyVector {
    pub kind: String,
    pub program_id: String,
    pub cluster: String,
    pub epoch: u64,
    pub threshold: u8,
    pub receivers: u16,
    pub members: Vec<MemberVector>,
    pub dealings: Vec<DealingVector>,
    pub complaints: Vec<ComplaintVector>,
    pub qualified: Vec<u16>,
    pub weight_lcm: u64,
    pub weights: Vec<i64>,
    pub confirmations: Vec<ConfirmationVector>,
    pub cluster_public_key: String,
}

/// A member: its authority, transport key `T = τ·G` and the key's proof of possession
/// `R ‖ z` made with `nonce`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct MemberVector {
    pub index: u16,
    pub authority: String,
    pub transport_secret: String,
    pub transport_key: String,
    pub transport_key_proof_nonce: String,
    pub transport_key_proof: String,
}

/// A dealing, made from its coefficients `a_0 … a_{t'−1}`, proof nonce `k` and ephemeral
/// secret `d_i`; `reshared_share` is the dealer's `S_i` (resharing); `corruption`, if any,
/// is XORed into one receiver's slot after dealing (a dealer cheating that receiver).
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct DealingVector {
    pub dealer: u16,
    pub reshared_share: Option<String>,
    pub coefficients: Vec<String>,
    pub proof_nonce: String,
    pub ephemeral_secret: String,
    pub corruption: Option<CorruptionVector>,
    pub dealing: String,
}

/// `xor` applied to receiver `receiver`'s slot `y_j`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CorruptionVector {
    pub receiver: u16,
    pub xor: String,
}

/// A complaint `K_ij ‖ c ‖ z` made with nonce `w`, and the program's verdict
/// (`"upheld"` or `"dismissed"`).
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ComplaintVector {
    pub dealer: u16,
    pub receiver: u16,
    pub nonce: String,
    pub complaint: String,
    pub verdict: String,
}

/// A receiver's new share `s'_j`, `S'_j` and the confirmation proof `c ‖ z` made with `nonce`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ConfirmationVector {
    pub receiver: u16,
    pub secret_share: String,
    pub verification_share: String,
    pub nonce: String,
    pub proof: String,
}

/// What one generated ceremony does.
struct Plan<'a> {
    resharing: bool,
    epoch: u64,
    threshold: u8,
    members: &'a [u16],
    dealers: &'a [u16],
    /// `(dealer, receiver)`: the dealer flips the low bit of that receiver's sub-share.
    corrupt: Option<(u16, u16)>,
    /// `(dealer, receiver)` complaints.
    complaints: &'a [(u16, u16)],
}

/// The shares and the key a ceremony ends with.
type Outcome = (BTreeMap<u16, KeyShare>, PublicKey);

const PROGRAM_ID: [u8; 32] = [0x11; 32];
const CLUSTER: [u8; 32] = [0x22; 32];

/// The ceremonies of the published file: a 2-of-3 key generation in which dealer 2 cheats
/// receiver 3 (upheld) and receiver 1 complains against honest dealer 3 (dismissed), so
/// `Q = {1, 3}`; then a resharing of that key by all three holders to members `1..=4` (4
/// joins, everyone's transport key rotated) with threshold 3.
pub fn generate_ceremonies() -> Result<CeremonyVectorFile> {
    let mut rng = StdRng::seed_from_u64(0x6d65_6473_6861_7265 ^ 0x0064_6b67); // "medshare" ^ "dkg"
    let key_generation =
        Plan { resharing: false, epoch: 7, threshold: 2, members: &[1, 2, 3], dealers: &[1, 2, 3], corrupt: Some((2, 3)), complaints: &[(2, 3), (3, 1)] };
    let (first, outcome) = ceremony_case(&mut rng, &key_generation, None)?;
    let resharing = Plan { resharing: true, epoch: 8, threshold: 3, members: &[1, 2, 3, 4], dealers: &[1, 2, 3], corrupt: None, complaints: &[] };
    let (second, _) = ceremony_case(&mut rng, &resharing, Some(&outcome))?;
    Ok(CeremonyVectorFile { version: VERSION.into(), ceremonies: vec![first, second] })
}

fn ceremony_case(rng: &mut StdRng, plan: &Plan, previous: Option<&Outcome>) -> Result<(CeremonyVector, Outcome)> {
    let ctx = CeremonyContext { program_id: PROGRAM_ID, cluster: CLUSTER, epoch: plan.epoch };
    let t = plan.threshold;
    let mut transports = BTreeMap::new();
    let mut members = Vec::new();
    for &j in plan.members {
        let authority = [0xa0 + j as u8; 32];
        let transport = TransportSecret::random(rng);
        let nonce = Scalar::random(rng);
        let proof = transport.prove_possession_with(&nonce, &PROGRAM_ID, &CLUSTER, &authority);
        members.push(MemberVector {
            index: j,
            authority: hex::encode(authority),
            transport_secret: hex::encode(transport.to_bytes()),
            transport_key: hex::encode(transport.public_key()),
            transport_key_proof_nonce: hex::encode(nonce.to_bytes()),
            transport_key_proof: hex::encode(proof),
        });
        transports.insert(j, transport);
    }
    let keys: BTreeMap<u16, [u8; 32]> = transports.iter().map(|(&j, transport)| (j, transport.public_key())).collect();
    let mut dealings = Vec::new();
    let mut dealt = Vec::new();
    for &i in plan.dealers {
        let reshared = match previous {
            Some((shares, _)) => Some(shares.get(&i).ok_or(Error::InvalidIndex(i))?),
            None => None,
        };
        let mut coefficients = vec![reshared.map_or_else(|| Scalar::random(rng), |share| share.secret)];
        coefficients.extend((1..t).map(|_| Scalar::random(rng)));
        let (nonce, ephemeral) = (Scalar::random(rng), Scalar::random(rng));
        let mut bytes = ceremony::deal_with(&ctx, i, &coefficients, &nonce, &ephemeral, &keys)?;
        let corruption = plan.corrupt.filter(|(dealer, _)| *dealer == i).map(|(_, j)| {
            let mut xor = [0u8; 32];
            xor[0] = 0x01;
            let offset = ceremony::encrypted_share_offset(t, j);
            bytes[offset..offset + 32].iter_mut().zip(xor).for_each(|(b, x)| *b ^= x);
            CorruptionVector { receiver: j, xor: hex::encode(xor) }
        });
        dealings.push(DealingVector {
            dealer: i,
            reshared_share: reshared.map(|share| hex::encode(share.verification_share().to_bytes())),
            coefficients: coefficients.iter().map(|a| hex::encode(a.to_bytes())).collect(),
            proof_nonce: hex::encode(nonce.to_bytes()),
            ephemeral_secret: hex::encode(ephemeral.to_bytes()),
            corruption,
            dealing: hex::encode(&bytes),
        });
        dealt.push((i, bytes));
    }
    let views = dealt.iter().map(|(i, bytes)| Ok((*i, DealingView::parse(bytes, t)?))).collect::<Result<Vec<_>>>()?;
    let receivers = mask(plan.members);
    for (i, view) in &views {
        let reshared = previous.map(|(shares, _)| shares[i].verification_share().to_bytes());
        ceremony::verify_dealing(&ctx, *i, view, receivers, reshared.as_ref())?;
    }
    let mut complaints = Vec::new();
    let mut disqualified = Vec::new();
    for &(dealer, receiver) in plan.complaints {
        let view = &views.iter().find(|(i, _)| *i == dealer).ok_or(Error::InvalidIndex(dealer))?.1;
        let nonce = Scalar::random(rng);
        let complaint = ceremony::complain_with(&ctx, dealer, receiver, &transports[&receiver], view, &nonce)?;
        let verdict = ceremony::judge_complaint(&ctx, dealer, receiver, &keys[&receiver], view, &complaint)?;
        if verdict == ceremony::ComplaintVerdict::Upheld {
            disqualified.push(dealer);
        }
        complaints.push(ComplaintVector {
            dealer,
            receiver,
            nonce: hex::encode(nonce.to_bytes()),
            complaint: hex::encode(complaint),
            verdict: verdict_name(verdict).into(),
        });
    }
    let qualified_views: Vec<(u16, DealingView)> = views.iter().filter(|(i, _)| !disqualified.contains(i)).copied().collect();
    let qualified: Vec<u16> = qualified_views.iter().map(|(i, _)| *i).collect();
    let (lcm, weights) = ceremony::share_weights(&qualified, plan.resharing)?;
    let mut confirmations = Vec::new();
    let mut shares = BTreeMap::new();
    for &j in plan.members {
        let nonce = Scalar::random(rng);
        let finished = ceremony::finish_with(&ctx, j, &transports[&j], &qualified_views, plan.resharing, &nonce)?;
        let share = finished.share.verification_share().to_bytes();
        ceremony::verify_confirmation(&ctx, j, &share, &finished.proof, &qualified_views, plan.resharing)?;
        confirmations.push(ConfirmationVector {
            receiver: j,
            secret_share: hex::encode(finished.share.secret_bytes()),
            verification_share: hex::encode(share),
            nonce: hex::encode(nonce.to_bytes()),
            proof: hex::encode(finished.proof),
        });
        shares.insert(j, finished.share);
    }
    let cluster_key = match previous {
        Some((_, key)) => *key,
        None => ceremony::group_key(&qualified_views)?,
    };
    let vector = CeremonyVector {
        kind: if plan.resharing { "resharing" } else { "key_generation" }.into(),
        program_id: hex::encode(PROGRAM_ID),
        cluster: hex::encode(CLUSTER),
        epoch: plan.epoch,
        threshold: t,
        receivers,
        members,
        dealings,
        complaints,
        qualified,
        weight_lcm: lcm,
        weights: weights.clone(),
        confirmations,
        cluster_public_key: hex::encode(cluster_key.to_bytes()),
    };
    Ok((vector, (shares, cluster_key)))
}

fn verdict_name(verdict: ceremony::ComplaintVerdict) -> &'static str {
    match verdict {
        ceremony::ComplaintVerdict::Upheld => "upheld",
        ceremony::ComplaintVerdict::Dismissed => "dismissed",
    }
}

/// Checks every ceremony of the file, in order (a resharing reshares the key of the one
/// before it), recomputing every byte from the published randomness and running every check
/// the program makes. Returns the first mismatch as an error naming the ceremony and field.
pub fn check_ceremonies(file: &CeremonyVectorFile) -> core::result::Result<(), String> {
    if file.version != VERSION {
        return Err(format!("version {} is not {VERSION}", file.version));
    }
    let mut previous: Option<Outcome> = None;
    for (number, vector) in file.ceremonies.iter().enumerate() {
        previous = Some(check_ceremony(vector, previous.as_ref()).map_err(|e| format!("ceremony {number} ({}): {e}", vector.kind))?);
    }
    Ok(())
}

/// A crate error, or a published value that is not what it should be.
fn named<T>(result: Result<T>, what: &str) -> core::result::Result<T, String> {
    result.map_err(|e| format!("{what}: {e}"))
}

fn expect(holds: bool, what: &str) -> core::result::Result<(), String> {
    if holds { Ok(()) } else { Err(format!("{what} does not match")) }
}

fn hex_array<const N: usize>(text: &str, what: &'static str) -> core::result::Result<[u8; N], String> {
    let bytes = named(lowercase_hex(text, what), what)?;
    bytes.as_slice().try_into().map_err(|_| format!("{what}: {} bytes, not {N}", bytes.len()))
}

fn hex_scalar(text: &str, what: &'static str) -> core::result::Result<Scalar, String> {
    named(crate::group::canonical_scalar(&hex_array(text, what)?, what), what)
}

fn check_ceremony(v: &CeremonyVector, previous: Option<&Outcome>) -> core::result::Result<Outcome, String> {
    let resharing = match (v.kind.as_str(), previous) {
        ("key_generation", _) => false,
        ("resharing", Some(_)) => true,
        ("resharing", None) => return Err("a resharing needs a ceremony before it".into()),
        (kind, _) => return Err(format!("unknown kind {kind}")),
    };
    let (program_id, cluster) = (hex_array::<32>(&v.program_id, "program_id")?, hex_array::<32>(&v.cluster, "cluster")?);
    let ctx = CeremonyContext { program_id, cluster, epoch: v.epoch };
    let t = v.threshold;

    // members, their transport keys and proofs
    let mut transports = BTreeMap::new();
    for m in &v.members {
        let transport = named(TransportSecret::from_bytes(hex_array(&m.transport_secret, "transport_secret")?), "transport_secret")?;
        let (key, authority) = (hex_array::<32>(&m.transport_key, "transport_key")?, hex_array::<32>(&m.authority, "authority")?);
        let proof = hex_array::<64>(&m.transport_key_proof, "transport_key_proof")?;
        expect(transport.public_key() == key, "transport_key")?;
        named(ceremony::verify_transport_key(&program_id, &cluster, &authority, &key, &proof), "transport_key_proof")?;
        let nonce = hex_scalar(&m.transport_key_proof_nonce, "transport_key_proof_nonce")?;
        expect(transport.prove_possession_with(&nonce, &program_id, &cluster, &authority) == proof, "transport_key_proof (from its nonce)")?;
        transports.insert(m.index, transport);
    }
    expect(transports.len() == v.members.len(), "member indices (distinct)")?;
    let keys: BTreeMap<u16, [u8; 32]> = transports.iter().map(|(&j, transport)| (j, transport.public_key())).collect();
    expect(v.receivers == mask(keys.keys()), "receivers")?;

    // dealings, remade from their randomness
    let mut dealt = Vec::new();
    for d in &v.dealings {
        let what = format!("dealing of {}", d.dealer);
        let coefficients = d.coefficients.iter().map(|a| hex_scalar(a, "coefficient")).collect::<core::result::Result<Vec<_>, _>>()?;
        expect(coefficients.len() == usize::from(t), &format!("{what}: number of coefficients"))?;
        let reshared = match (previous, &d.reshared_share) {
            (Some((shares, _)), Some(text)) if resharing => {
                let share = shares.get(&d.dealer).ok_or(format!("{what}: the dealer held no share"))?;
                let published = hex_array::<32>(text, "reshared_share")?;
                expect(published == share.verification_share().to_bytes() && coefficients[0] == share.secret, &format!("{what}: reshared share"))?;
                Some(published)
            }
            (_, None) if !resharing => None,
            _ => return Err(format!("{what}: reshared_share")),
        };
        let (nonce, ephemeral) = (hex_scalar(&d.proof_nonce, "proof_nonce")?, hex_scalar(&d.ephemeral_secret, "ephemeral_secret")?);
        let mut bytes = named(ceremony::deal_with(&ctx, d.dealer, &coefficients, &nonce, &ephemeral, &keys), &what)?;
        if let Some(corruption) = &d.corruption {
            named(keys.get(&corruption.receiver).map(|_| ()).ok_or(Error::InvalidIndex(corruption.receiver)), &what)?;
            let offset = ceremony::encrypted_share_offset(t, corruption.receiver);
            let xor = hex_array::<32>(&corruption.xor, "xor")?;
            bytes[offset..offset + 32].iter_mut().zip(xor).for_each(|(b, x)| *b ^= x);
        }
        expect(hex::encode(&bytes) == d.dealing, &what)?;
        dealt.push((d.dealer, bytes, reshared));
    }
    let views =
        dealt.iter().map(|(i, bytes, _)| Ok((*i, named(DealingView::parse(bytes, t), "dealing")?))).collect::<core::result::Result<Vec<_>, String>>()?;
    for ((i, view), (_, _, reshared)) in views.iter().zip(&dealt) {
        named(ceremony::verify_dealing(&ctx, *i, view, v.receivers, reshared.as_ref()), &format!("dealing of {i}"))?;
        // every receiver opens its sub-share, except the one the dealer cheated
        let corrupted = v.dealings.iter().find(|d| d.dealer == *i).and_then(|d| d.corruption.as_ref()).map(|c| c.receiver);
        for (&j, transport) in &transports {
            let opened = ceremony::open_sub_share(&ctx, *i, j, transport, view);
            expect(opened.is_err() == (corrupted == Some(j)), &format!("receiver {j}'s sub-share of dealer {i}"))?;
        }
    }

    // complaints
    let mut disqualified = Vec::new();
    for c in &v.complaints {
        let what = format!("complaint of {} against {}", c.receiver, c.dealer);
        let view = &views.iter().find(|(i, _)| *i == c.dealer).ok_or(format!("{what}: no such dealing"))?.1;
        let transport = transports.get(&c.receiver).ok_or(format!("{what}: no such receiver"))?;
        let complaint = hex_array::<96>(&c.complaint, "complaint")?;
        let nonce = hex_scalar(&c.nonce, "complaint nonce")?;
        expect(named(ceremony::complain_with(&ctx, c.dealer, c.receiver, transport, view, &nonce), &what)? == complaint, &what)?;
        let verdict = named(ceremony::judge_complaint(&ctx, c.dealer, c.receiver, &keys[&c.receiver], view, &complaint), &what)?;
        expect(verdict_name(verdict) == c.verdict, &format!("{what}: verdict"))?;
        if verdict == ceremony::ComplaintVerdict::Upheld {
            disqualified.push(c.dealer);
        }
    }
    let qualified_views: Vec<(u16, DealingView)> = views.iter().filter(|(i, _)| !disqualified.contains(i)).copied().collect();
    let qualified: Vec<u16> = qualified_views.iter().map(|(i, _)| *i).collect();
    expect(qualified == v.qualified, "qualified")?;
    let (lcm, weights) = named(ceremony::share_weights(&qualified, resharing), "weights")?;
    expect(lcm == v.weight_lcm && weights.iter().copied().eq(v.weights.iter().copied()), "weights")?;

    // confirmations
    let mut shares = BTreeMap::new();
    for c in &v.confirmations {
        let what = format!("confirmation of {}", c.receiver);
        let transport = transports.get(&c.receiver).ok_or(format!("{what}: no such receiver"))?;
        let (share, proof) = (hex_array::<32>(&c.verification_share, "verification_share")?, hex_array::<64>(&c.proof, "proof")?);
        named(ceremony::verify_confirmation(&ctx, c.receiver, &share, &proof, &qualified_views, resharing), &what)?;
        let nonce = hex_scalar(&c.nonce, "confirmation nonce")?;
        let finished = named(ceremony::finish_with(&ctx, c.receiver, transport, &qualified_views, resharing, &nonce), &what)?;
        expect(hex::encode(finished.share.secret_bytes()) == c.secret_share, &format!("{what}: secret_share"))?;
        expect(finished.share.verification_share().to_bytes() == share && finished.proof == proof, &what)?;
        expect(named(ceremony::verification_share(c.receiver, &qualified_views, resharing), &what)?.to_bytes() == share, &what)?;
        shares.insert(c.receiver, finished.share);
    }
    expect(shares.keys().eq(transports.keys()), "confirmation set")?;

    // the key: Σ C_{i,0} (key generation) or the previous one (resharing); any t' shares open it
    let cluster_key = named(PublicKey::from_bytes(&hex_array(&v.cluster_public_key, "cluster_public_key")?, "PK"), "cluster_public_key")?;
    match previous {
        Some((_, key)) => expect(*key == cluster_key, "cluster_public_key (unchanged by resharing)")?,
        None => expect(named(ceremony::group_key(&qualified_views), "PK")? == cluster_key, "cluster_public_key")?,
    }
    let indices: Vec<u16> = shares.keys().copied().collect();
    for window in [&indices[..usize::from(t)], &indices[indices.len() - usize::from(t)..]] {
        let lambdas = named(threshold::lagrange_at_zero(window), "indices")?;
        let secret: Scalar = window.iter().zip(&lambdas).map(|(j, l)| shares[j].secret * l).sum();
        expect(
            (&secret * curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE).compress().to_bytes() == cluster_key.to_bytes(),
            "Lagrange interpolation of the shares",
        )?;
    }
    Ok((shares, cluster_key))
}

// The sealed-record stream (`tests/vectors/stream.json`).

/// The stream file: sealed streams of several chunk counts, at and around the chunk boundary.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct StreamVectorFile {
    pub version: String,
    pub chunk_len: u64,
    pub cases: Vec<StreamVector>,
}

/// One sealed stream. The plaintext is `plaintext_len` bytes, byte `i` being `i mod 251`
/// (published as `plaintext` in full only when short); `aad` is a record binding's AAD and
/// `key` the record key. `sealed_sha256` and the per-chunk `tags` fix every byte of the
/// sealed stream; `sealed` is published in full when it is at most
/// [`STREAM_VECTOR_INLINE_LEN`] bytes.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct StreamVector {
    pub name: String,
    pub key: String,
    pub aad: String,
    pub nonce_prefix: String,
    pub plaintext_len: u64,
    pub plaintext_sha256: String,
    pub plaintext: Option<String>,
    pub chunks: u64,
    pub sealed_len: u64,
    pub sealed_sha256: String,
    pub tags: Vec<String>,
    pub sealed: Option<String>,
}

/// Up to this many sealed bytes a stream vector carries `sealed` (and `plaintext`) in full.
pub const STREAM_VECTOR_INLINE_LEN: u64 = 2048;

/// The plaintext of a stream vector: byte `i` is `i mod 251`.
pub fn stream_vector_plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The tags of a sealed stream's chunks, in order.
fn stream_tags(sealed: &[u8]) -> Vec<String> {
    let body = &sealed[stream::HEADER_LEN.min(sealed.len())..];
    body.chunks(stream::SEALED_CHUNK_LEN).map(|chunk| hex::encode(&chunk[chunk.len().saturating_sub(stream::TAG_LEN)..])).collect()
}

/// The stream cases: the empty record, one byte, a typical inline record, one byte short of
/// a chunk, exactly one chunk, one byte over, exactly two chunks, and four chunks.
pub fn generate_stream() -> Result<StreamVectorFile> {
    let mut rng = StdRng::seed_from_u64(0x7374_7265_616d); // "stream"
    const C: u64 = stream::CHUNK_LEN as u64;
    let specs: [(&str, u64); 8] = [
        ("empty", 0),
        ("one byte", 1),
        ("inline record", 1000),
        ("one byte short of a chunk", C - 1),
        ("exactly one chunk", C),
        ("one byte over a chunk", C + 1),
        ("exactly two chunks", 2 * C),
        ("four chunks", 3 * C + 100),
    ];
    let cases = specs
        .iter()
        .enumerate()
        .map(|(number, (name, len))| {
            let mut key = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut rng, &mut key);
            let binding =
                RecordBinding { program_id: [0x11; 32], owner: [0x44; 32], record_id: 2000 + number as u64, version: 1 + number as u32, address: [0x55; 32] };
            let mut prefix = [0u8; stream::NONCE_PREFIX_LEN];
            rand_core::RngCore::fill_bytes(&mut rng, &mut prefix);
            let plaintext = stream_vector_plaintext(*len as usize);
            let sealed = stream::seal(StreamSealer::with_nonce_prefix(&key, &binding.aad(), prefix), &plaintext)?;
            let inline = sealed.len() as u64 <= STREAM_VECTOR_INLINE_LEN;
            Ok(StreamVector {
                name: (*name).into(),
                key: hex::encode(key),
                aad: hex::encode(binding.aad()),
                nonce_prefix: hex::encode(prefix),
                plaintext_len: *len,
                plaintext_sha256: sha256_hex(&plaintext),
                plaintext: inline.then(|| hex::encode(&plaintext)),
                chunks: stream::chunk_count(*len),
                sealed_len: sealed.len() as u64,
                sealed_sha256: sha256_hex(&sealed),
                tags: stream_tags(&sealed),
                sealed: inline.then(|| hex::encode(&sealed)),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(StreamVectorFile { version: VERSION.into(), chunk_len: C, cases })
}

/// Checks every stream case: the stream remade from its key, AAD and prefix is exactly the
/// published one (length, chunk count, tags, SHA-256, and the bytes when published), the
/// length formula and its inverse agree, and the published stream opens to the plaintext.
pub fn check_streams(file: &StreamVectorFile) -> core::result::Result<(), String> {
    if file.version != VERSION {
        return Err(format!("version {} is not {VERSION}", file.version));
    }
    expect(file.chunk_len == stream::CHUNK_LEN as u64, "chunk_len")?;
    for case in &file.cases {
        check_stream(case).map_err(|e| format!("stream case {:?}: {e}", case.name))?;
    }
    Ok(())
}

fn check_stream(v: &StreamVector) -> core::result::Result<(), String> {
    let key = hex_array::<32>(&v.key, "key")?;
    let aad = named(lowercase_hex(&v.aad, "aad"), "aad")?;
    let prefix = hex_array::<{ stream::NONCE_PREFIX_LEN }>(&v.nonce_prefix, "nonce_prefix")?;
    let len = usize::try_from(v.plaintext_len).map_err(|_| "plaintext_len does not fit in memory".to_string())?;
    let plaintext = stream_vector_plaintext(len);
    expect(sha256_hex(&plaintext) == v.plaintext_sha256, "plaintext_sha256")?;
    if let Some(published) = &v.plaintext {
        expect(*published == hex::encode(&plaintext), "plaintext")?;
    }
    let sealed = named(stream::seal(StreamSealer::with_nonce_prefix(&key, &aad, prefix), &plaintext), "seal")?;
    expect(sealed[..stream::HEADER_LEN] == prefix, "the nonce prefix as the first bytes")?;
    expect(sealed.len() as u64 == v.sealed_len && named(stream::ciphertext_len(v.plaintext_len), "ciphertext_len")? == v.sealed_len, "sealed_len")?;
    expect(named(stream::plaintext_len(v.sealed_len), "plaintext_len")? == v.plaintext_len, "plaintext_len (from sealed_len)")?;
    expect(stream::chunk_count(v.plaintext_len) == v.chunks && v.tags.len() as u64 == v.chunks, "chunks")?;
    expect(stream_tags(&sealed) == v.tags, "tags")?;
    expect(sha256_hex(&sealed) == v.sealed_sha256, "sealed_sha256")?;
    let opened = match &v.sealed {
        Some(published) => {
            let published = named(lowercase_hex(published, "sealed"), "sealed")?;
            expect(published == sealed, "sealed")?;
            named(stream::open(&key, &aad, &published), "open")?
        }
        None => named(stream::open(&key, &aad, &sealed), "open")?,
    };
    expect(opened == plaintext, "opened plaintext")
}
