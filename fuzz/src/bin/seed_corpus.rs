//! Writes the seed corpus `fuzz/corpus/<target>/` from the JSON test vectors in
//! `encrypted-circuits/tests/vectors/` and from real encodings (accounts, events, log lines,
//! a sealed vault), in the layout each target reads (`medshare_fuzz::Input`).
//!
//! `cargo xtask fuzz` runs it when a target has no seed directory; the seeds are checked in,
//! so this only runs after a vector or layout change (delete `fuzz/corpus/` and rerun).

use base64::Engine;
use encrypted_circuits::{
    aead,
    ceremony::{self, DealingView},
    group::{BASEPOINT, IDENTITY},
    keys::KeyShare,
};
use medshare_client::{PROGRAM_ID, discriminator, events};
use medshare_fuzz::{ACCOUNT_NAMES, Seed, VAULT_PASSPHRASE, account_len, vault_authority};
use serde_json::Value;
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

/// `ℓ`, the group order: the smallest non-canonical scalar.
const ELL: [u8; 32] =
    [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];

struct Corpus {
    root: PathBuf,
    written: BTreeMap<&'static str, usize>,
}

impl Corpus {
    fn write(&mut self, target: &'static str, name: &str, seed: Seed) {
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).expect("create the corpus directory");
        std::fs::write(dir.join(name), seed.0).expect("write a seed");
        *self.written.entry(target).or_default() += 1;
    }
}

fn hex32(value: &Value) -> [u8; 32] {
    hex::decode(value.as_str().unwrap_or_else(|| panic!("{value} is not hex"))).expect("hex").try_into().expect("32 bytes")
}

fn hexv(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap_or_else(|| panic!("{value} is not hex"))).expect("hex")
}

fn load(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).expect("vector JSON")
}

fn main() {
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vectors = fuzz_dir.join("../encrypted-circuits/tests/vectors");
    let mut corpus = Corpus { root: fuzz_dir.join("corpus"), written: BTreeMap::new() };
    reencrypt_seeds(&mut corpus, &load(&vectors.join("reencrypt.json")));
    ceremony_seeds(&mut corpus, &load(&vectors.join("ceremony.json")));
    stream_seeds(&mut corpus, &load(&vectors.join("stream.json")));
    edge_seeds(&mut corpus);
    client_seeds(&mut corpus);
    vault_seeds(&mut corpus);
    for (target, count) in &corpus.written {
        println!("{target}: {count} seeds");
    }
}

/// `stream_open`: every published stream, undamaged and with each kind of damage (the
/// target's layout: key ‖ prefix ‖ u8 AAD length ‖ AAD ‖ u32 plaintext length ‖ u8 damage
/// kind ‖ u32 position ‖ u8 value ‖ the sealed bytes when the file publishes them).
fn stream_seeds(corpus: &mut Corpus, file: &Value) {
    for (n, case) in file["cases"].as_array().expect("cases").iter().enumerate() {
        let aad = hexv(&case["aad"]);
        let sealed = case.get("sealed").filter(|v| !v.is_null()).map(hexv).unwrap_or_default();
        for damage in 0..4u8 {
            corpus.write(
                "stream_open",
                &format!("case{n}-damage{damage}"),
                Seed::default()
                    .bytes(&hex32(&case["key"]))
                    .bytes(&hexv(&case["nonce_prefix"]))
                    .u8(u8::try_from(aad.len()).expect("a short AAD"))
                    .bytes(&aad)
                    .u32(case["plaintext_len"].as_u64().expect("plaintext_len") as u32)
                    .u8(damage)
                    .u32(7 + 16 * u32::from(damage))
                    .u8(0x80)
                    .bytes(&sealed),
            );
        }
    }
}

fn reencrypt_seeds(corpus: &mut Corpus, file: &Value) {
    for (n, case) in file["cases"].as_array().expect("cases").iter().enumerate() {
        let (program, cluster, request) = (hex32(&case["program_id"]), hex32(&case["cluster"]), hex32(&case["request"]));
        let epoch = case["epoch"].as_u64().expect("epoch");
        let record = &case["record"];
        let capsule = Seed::default().bytes(&hex32(&case["capsule"]["c1"])).bytes(&hex32(&case["capsule"]["c2"]));
        let proof = Seed::default().bytes(&hex32(&case["capsule_proof"]["c"])).bytes(&hex32(&case["capsule_proof"]["z"]));
        corpus.write(
            "capsules",
            &format!("case{n}-cluster-capsule"),
            Seed::default()
                .bytes(&capsule.0)
                .bytes(&proof.0)
                .bytes(&program)
                .bytes(&cluster)
                .bytes(&hex32(&case["cluster_public_key"]))
                .bytes(&hex32(&record["owner"]))
                .bytes(&hex32(&record["record_address"]))
                .u32(record["version"].as_u64().expect("version") as u32)
                .bytes(&capsule.0),
        );
        corpus.write(
            "sealed_records",
            &format!("case{n}-record"),
            Seed::default()
                .bytes(&hex32(&case["record_key_point"]))
                .bytes(&program)
                .bytes(&hex32(&record["owner"]))
                .u64(record["record_id"].as_u64().expect("record_id"))
                .u32(record["version"].as_u64().expect("version") as u32)
                .bytes(&hex32(&record["record_address"]))
                .bytes(&hexv(&record["sealed"])),
        );
        let mut points = vec![hex32(&case["cluster_public_key"]), hex32(&case["capsule"]["c1"]), hex32(&case["capsule"]["c2"])];
        points.extend([hex32(&case["owner_key"]["public"]), hex32(&case["recipient"]["public"]), hex32(&case["combined"]["c1"])]);
        let mut scalars = vec![hex32(&case["owner_key"]["secret"]), hex32(&case["recipient"]["secret"]), hex32(&case["capsule_proof"]["z"])];
        for (k, partial) in case["partials"].as_array().expect("partials").iter().enumerate() {
            let index = partial["index"].as_u64().expect("index") as u16;
            let proof = &partial["proof"];
            let partial_bytes = Seed::default()
                .u16(index)
                .bytes(&hex32(&partial["a"]))
                .bytes(&hex32(&partial["e"]))
                .bytes(&hex32(&proof["c"]))
                .bytes(&hex32(&proof["z_s"]))
                .bytes(&hex32(&proof["z_r"]));
            let share = hex32(&case["verification_shares"][index.to_string()]);
            let seed = Seed::default()
                .bytes(&partial_bytes.0)
                .bytes(&program)
                .bytes(&cluster)
                .bytes(&request)
                .u64(epoch)
                .bytes(&share)
                .bytes(&hex32(&case["capsule"]["c1"]))
                .bytes(&hex32(&case["recipient"]["public"]));
            corpus.write("differential", &format!("case{n}-partial{k}-paths"), Seed::default().u8(1).bytes(&seed.0));
            corpus.write(
                "differential",
                &format!("case{n}-partial{k}-group"),
                Seed::default()
                    .u8(0)
                    .u8(1)
                    .bytes(&hex32(&proof["z_s"]))
                    .bytes(&hex32(&proof["z_r"]))
                    .bytes(&share)
                    .bytes(&hex32(&proof["c"]))
                    .bytes(&hex32(&partial["a"])),
            );
            corpus.write("partials", &format!("case{n}-partial{k}"), Seed::default().bytes(&seed.0).bytes(&partial_bytes.0));
            points.extend([hex32(&partial["a"]), hex32(&partial["e"]), share]);
            scalars.extend([hex32(&proof["c"]), hex32(&proof["z_s"]), hex32(&proof["z_r"])]);
        }
        for (k, point) in points.iter().enumerate() {
            corpus.write("points", &format!("case{n}-point{k}"), Seed::default().bytes(point));
        }
        for (k, scalar) in scalars.iter().enumerate() {
            corpus.write("scalars", &format!("case{n}-scalar{k}"), Seed::default().bytes(scalar).u16(k as u16 + 1));
        }
    }
    for (n, vector) in file["key_possession"].as_array().expect("key_possession").iter().enumerate() {
        corpus.write(
            "key_possession",
            &format!("user-key{n}"),
            Seed::default().u8(0).bytes(&hex32(&vector["wallet"])).bytes(&hex32(&vector["public"])).bytes(&hex32(&vector["r"])).bytes(&hex32(&vector["z"])),
        );
    }
}

fn ceremony_seeds(corpus: &mut Corpus, file: &Value) {
    for (n, vector) in file["ceremonies"].as_array().expect("ceremonies").iter().enumerate() {
        let (program, cluster, epoch) = (hex32(&vector["program_id"]), hex32(&vector["cluster"]), vector["epoch"].as_u64().expect("epoch"));
        let threshold = vector["threshold"].as_u64().expect("threshold") as u8;
        let receivers = vector["receivers"].as_u64().expect("receivers") as u16;
        let resharing = vector["kind"].as_str() == Some("resharing");
        let mut transport_keys = BTreeMap::new();
        for member in vector["members"].as_array().expect("members") {
            let index = member["index"].as_u64().expect("index") as u16;
            transport_keys.insert(index, hex32(&member["transport_key"]));
            corpus.write(
                "key_possession",
                &format!("ceremony{n}-transport{index}"),
                Seed::default()
                    .u8(1)
                    .bytes(&program)
                    .bytes(&cluster)
                    .bytes(&hex32(&member["authority"]))
                    .bytes(&hex32(&member["transport_key"]))
                    .bytes(&hexv(&member["transport_key_proof"])),
            );
            corpus.write("points", &format!("ceremony{n}-transport{index}"), Seed::default().bytes(&hex32(&member["transport_key"])));
            corpus.write("scalars", &format!("ceremony{n}-transport{index}"), Seed::default().bytes(&hex32(&member["transport_secret"])).u16(index));
        }
        let mut dealings: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
        for dealing in vector["dealings"].as_array().expect("dealings") {
            let dealer = dealing["dealer"].as_u64().expect("dealer") as u16;
            let bytes = hexv(&dealing["dealing"]);
            let reshared = dealing["reshared_share"].as_str().map(|s| hex32(&Value::from(s))).unwrap_or([0; 32]);
            corpus.write(
                "dealings",
                &format!("ceremony{n}-dealer{dealer}"),
                Seed::default()
                    .u8(threshold)
                    .u16(receivers)
                    .u16(dealer)
                    .bytes(&program)
                    .bytes(&cluster)
                    .u64(epoch)
                    .u8(u8::from(resharing))
                    .bytes(&reshared)
                    .bytes(&bytes),
            );
            dealings.insert(dealer, bytes);
        }
        for (k, complaint) in vector["complaints"].as_array().expect("complaints").iter().enumerate() {
            let (dealer, receiver) = (complaint["dealer"].as_u64().expect("dealer") as u16, complaint["receiver"].as_u64().expect("receiver") as u16);
            corpus.write(
                "complaints",
                &format!("ceremony{n}-complaint{k}-{}", complaint["verdict"].as_str().unwrap_or("unknown")),
                Seed::default()
                    .u16(dealer)
                    .u16(receiver)
                    .bytes(&transport_keys[&receiver])
                    .bytes(&program)
                    .bytes(&cluster)
                    .u64(epoch)
                    .bytes(&hexv(&complaint["complaint"]))
                    .u8(threshold)
                    .bytes(&dealings[&dealer]),
            );
        }
        // the aggregate the program folds from the qualified dealings (fold_dealing), for each confirmation
        let qualified: Vec<u16> = vector["qualified"].as_array().expect("qualified").iter().map(|q| q.as_u64().expect("index") as u16).collect();
        let (lcm, weights) = ceremony::share_weights(&qualified, resharing).expect("the vector's qualified set");
        let mut aggregate = vec![IDENTITY; usize::from(threshold)];
        for (dealer, weight) in qualified.iter().zip(weights) {
            let view = DealingView::parse(&dealings[dealer], threshold).expect("the vector's dealing");
            ceremony::fold_dealing(&mut aggregate, &view, weight).expect("fold");
        }
        let mask = qualified.iter().fold(0u16, |mask, j| mask | 1 << (j - 1));
        for confirmation in vector["confirmations"].as_array().expect("confirmations") {
            let receiver = confirmation["receiver"].as_u64().expect("receiver") as u16;
            corpus.write(
                "confirmations",
                &format!("ceremony{n}-receiver{receiver}"),
                Seed::default()
                    .u16(receiver)
                    .bytes(&program)
                    .bytes(&cluster)
                    .u64(epoch)
                    .bytes(&hex32(&confirmation["verification_share"]))
                    .bytes(&hexv(&confirmation["proof"]))
                    .u64(lcm)
                    .u16(mask)
                    .bytes(&aggregate.concat()),
            );
            corpus.write("scalars", &format!("ceremony{n}-share{receiver}"), Seed::default().bytes(&hex32(&confirmation["secret_share"])).u16(receiver));
            if let Ok(share) = KeyShare::from_parts(receiver, &hex32(&confirmation["secret_share"])) {
                corpus.write("points", &format!("ceremony{n}-share{receiver}"), Seed::default().bytes(&share.verification_share().to_bytes()));
            }
        }
    }
}

/// Boundary encodings no vector holds: identity, basepoint, `ℓ − 1`, `ℓ`, all ones.
fn edge_seeds(corpus: &mut Corpus) {
    let mut below_ell = ELL;
    below_ell[0] -= 1;
    for (name, point) in [("identity", IDENTITY), ("basepoint", BASEPOINT), ("high-bit", [0xff; 32])] {
        corpus.write("points", name, Seed::default().bytes(&point));
    }
    for (name, scalar) in [
        ("zero", [0; 32]),
        ("one", {
            let mut one = [0; 32];
            one[0] = 1;
            one
        }),
        ("ell-minus-one", below_ell),
        ("ell", ELL),
        ("all-ones", [0xff; 32]),
    ] {
        corpus.write("scalars", name, Seed::default().bytes(&scalar).u16(1));
    }
    for (name, domain) in [("default", "medshare.app"), ("port", "localhost:8899"), ("ipv4", "127.0.0.1:3000"), ("upper", "MedShare.app"), ("empty", "")] {
        corpus.write("wallet_message", name, Seed::default().u32(0).bytes(&[1; 32]).bytes(&[2; 32]).bytes(domain.as_bytes()));
    }
    let text = encrypted_circuits::wallet_message::UserKeyMessage::new("medshare.app", [1; 32], [2; 32], 3).expect("message").text();
    corpus.write("wallet_message", "key-text", Seed::default().u32(3).bytes(&[1; 32]).bytes(&[2; 32]).bytes(text.as_bytes()));
}

/// The raw bytes of `name`'s event with every field byte `fill` (the shortest body that decodes).
fn event_bytes(name: &str, fill: u8) -> Vec<u8> {
    for len in 0..512 {
        let mut raw = discriminator("event", name).to_vec();
        raw.resize(8 + len, fill);
        if events::decode(&raw).is_ok() {
            return raw;
        }
    }
    panic!("no body of up to 512 bytes decodes as {name}");
}

fn client_seeds(corpus: &mut Corpus) {
    for (selector, name) in ACCOUNT_NAMES.iter().enumerate() {
        let body_len = account_len(selector as u8) - 8;
        corpus.write("accounts", &format!("{name}-zero"), Seed::default().u8(selector as u8).bytes(&vec![0; body_len]));
        // status and index bytes of 1 make members, dealers and partials present
        corpus.write("accounts", &format!("{name}-ones"), Seed::default().u8(selector as u8).bytes(&vec![1; body_len]));
        let mut raw = discriminator("account", name).to_vec();
        raw.resize(account_len(selector as u8), 2);
        corpus.write("accounts", &format!("{name}-raw"), Seed::default().u8(0x80 | selector as u8).bytes(&raw));
    }
    let program = PROGRAM_ID.to_string();
    let mut lines = vec![format!("Program {program} invoke [1]"), "Program log: Instruction: ShareRequested".to_owned()];
    for name in events::EVENT_NAMES {
        // bools must be 0 or 1: a body of ones decodes for every event
        let raw = event_bytes(name, 1);
        corpus.write("events", &format!("raw-{name}"), Seed::default().u8(0).bytes(&raw));
        lines.push(format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(&raw)));
    }
    lines.push(format!("Program {program} success"));
    corpus.write("events", "logs-every-event", Seed::default().u8(1).bytes(lines.join("\n").as_bytes()));
    let nested = [
        format!("Program {program} invoke [1]"),
        "Program 11111111111111111111111111111111 invoke [2]".to_owned(),
        format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(event_bytes("ShareCompleted", 1))),
        "Program 11111111111111111111111111111111 success".to_owned(),
        format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(event_bytes("PartialAccepted", 1))),
        "Program data: not base64!".to_owned(),
        "Log truncated".to_owned(),
        format!("Program {program} failed: custom program error: 0x1770"),
    ];
    corpus.write("events", "logs-nested-and-truncated", Seed::default().u8(1).bytes(nested.join("\n").as_bytes()));
}

/// A vault sealed under the fuzzing passphrase with a cheap KDF cost, and its near misses.
fn vault_seeds(corpus: &mut Corpus) {
    let mut secrets = mpc_node::vault::Secrets::generate();
    let cluster = solana_address::Address::new_from_array([3; 32]);
    secrets.set_dealing(&cluster, 1, &[9; 640]);
    secrets.add_complaint(&cluster, 1, 2);
    let share = KeyShare::from_parts(1, &{
        let mut s = [0; 32];
        s[0] = 5;
        s
    })
    .expect("share");
    secrets.insert_share(&cluster, 1, mpc_node::vault::EpochShare::new(&share, BASEPOINT));
    let plaintext = serde_json::to_vec(&secrets).expect("secrets serialise");
    let authority = vault_authority().to_string();
    let salt = [4u8; 16];
    let params = argon2::Params::new(8, 1, 1, Some(32)).expect("params");
    let mut key = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(VAULT_PASSPHRASE.as_bytes(), &salt, &mut key)
        .expect("argon2");
    let aad = format!("{}|{authority}", mpc_node::vault::FORMAT);
    let sealed = aead::seal(&mut rand::rngs::OsRng, &key, aad.as_bytes(), &plaintext);
    let file = |format: &str, authority: &str| {
        serde_json::to_vec_pretty(&serde_json::json!({
            "format": format, "authority": authority, "kdf": {"memory_kib": 8, "iterations": 1, "parallelism": 1},
            "salt": hex::encode(salt), "sealed": hex::encode(&sealed),
        }))
        .expect("json")
    };
    corpus.write("vault", "opens", Seed::default().bytes(&file(mpc_node::vault::FORMAT, &authority)));
    corpus.write("vault", "format-v1", Seed::default().bytes(&file("medshare-node-vault-v1", &authority)));
    corpus.write("vault", "other-authority", Seed::default().bytes(&file(mpc_node::vault::FORMAT, "11111111111111111111111111111111")));
}
