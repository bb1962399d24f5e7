//! Test vectors (`tests/vectors/reencrypt.json`): made deterministically from a seed by
//! `cargo run -p encrypted-circuits --example make_test_vectors`, checked by
//! `tests/vectors.rs`, so that another implementation of `docs/protocol.md` can check
//! itself against every intermediate value. Byte strings are lowercase hex; scalars are
//! 32-byte little-endian; `sealed` is `nonce ‖ ciphertext ‖ tag`; `partials` holds exactly
//! the `t` partials that `combined` uses.

use crate::{
    ceremony::{CeremonyOutput, CeremonyParams, Participant, TransportSecret},
    error::{Error, Result},
    keys::{PublicKey, UserSecretKey},
    record::{self, Capsule, RecordBinding, RecordKeyPoint, ReencryptedCapsule},
    reencrypt::{self, Partial, ReencryptionProof, RequestContext},
    threshold,
};
use alloc::{collections::BTreeMap, format, string::String, vec::Vec};
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

/// The recipient's key pair.
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
    pub proof: ProofVector,
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
    Ok(VectorFile { version: VERSION.into(), cases })
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
    let sealed = record::seal_with(rng, &binding, plaintext, &m, &cluster_key, &owner_key.public_key());
    let context = RequestContext { program_id, cluster, request, epoch };
    // the last t nodes answer, so that the indices are not always 1..t
    let partials = outputs[usize::from(n - t)..]
        .iter()
        .map(|o| o.share.reencrypt(rng, &context, &sealed.cluster_capsule, &recipient.public_key()))
        .collect::<Result<Vec<_>>>()?;
    let combined = threshold::combine(&sealed.cluster_capsule, &partials, usize::from(t))?;
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
            sealed: hex::encode(&sealed.ciphertext),
        },
        record_key_point: hex::encode(m.to_bytes()),
        record_key: hex::encode(*m.record_key(&address)),
        capsule: CapsuleVector { c1: hex::encode(sealed.cluster_capsule.c1), c2: hex::encode(sealed.cluster_capsule.c2) },
        recipient: RecipientVector { secret: hex::encode(recipient.to_bytes()), public: hex::encode(recipient.public_key().to_bytes()) },
        partials: partials
            .iter()
            .map(|p| PartialVector {
                index: p.index,
                a: hex::encode(p.a),
                e: hex::encode(p.e),
                proof: ProofVector { c: hex::encode(p.proof.c), z_s: hex::encode(p.proof.z_s), z_r: hex::encode(p.proof.z_r) },
            })
            .collect(),
        combined: CapsuleVector { c1: hex::encode(combined.c1), c2: hex::encode(combined.c2) },
    })
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
        let mut partials = Vec::new();
        for p in &case.partials {
            let proof =
                ReencryptionProof { c: bytes32(&p.proof.c, "proof.c")?, z_s: bytes32(&p.proof.z_s, "proof.z_s")?, z_r: bytes32(&p.proof.z_r, "proof.z_r")? };
            let partial = Partial { index: p.index, a: bytes32(&p.a, "a")?, e: bytes32(&p.e, "e")?, proof };
            let share = shares.get(&p.index).ok_or(Error::InvalidIndex(p.index))?;
            reencrypt::verify(&context, &share.to_bytes(), &capsule.c1, &recipient.public_key().to_bytes(), &partial)?;
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
        let m = expected.open(&recipient)?;
        if m.to_bytes() != bytes32(&case.record_key_point, "record_key_point")? {
            return Err(Error::InvalidPoint("record_key_point"));
        }
        let address = bytes32(&case.record.record_address, "record_address")?;
        if *m.record_key(&address) != bytes32(&case.record_key, "record_key")? {
            return Err(Error::InvalidLength { what: "record_key", expected: 32, got: 32 });
        }
        let binding =
            RecordBinding { program_id, owner: bytes32(&case.record.owner, "owner")?, record_id: case.record.record_id, version: case.record.version, address };
        record::open(&binding, &m, &lowercase_hex(&case.record.sealed, "sealed")?)
    };
    let plaintext = run().map_err(|e| format!("t={} n={}: {e}", case.t, case.n))?;
    if hex::encode(plaintext) != case.record.plaintext {
        return Err(mismatch("plaintext"));
    }
    Ok(())
}
