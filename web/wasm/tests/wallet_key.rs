//! The wallet-key fixture `tests/wallet-key.json` is what the native crate derives: the key
//! message a wallet signs, the wallet's Ed25519 signature of it and the user key that
//! signature gives, computed here on the host exactly as the CLI does
//! (`medshare_client::context::user_key_for_domain`). `tests/vectors.test.mjs` checks that the
//! WebAssembly build derives the same bytes in Node. `MEDSHARE_WRITE_FIXTURE=1 cargo test`
//! rewrites the file.

use ed25519_dalek::{Signer, SigningKey};
use encrypted_circuits::{keys::UserSecretKey, wallet_message::UserKeyMessage};
use serde_json::{Value, json};

/// A fixed program id (the message names it in base58).
const PROGRAM_ID: [u8; 32] = [0x42; 32];

/// The wallets (Ed25519 seeds), domains and key indices the fixture covers.
const CASES: [([u8; 32], &str, u32); 3] = [([5; 32], "medshare.app", 0), ([5; 32], "localhost:8080", 0), ([9; 32], "localhost:8080", 3)];

fn derive() -> Value {
    let cases: Vec<Value> = CASES
        .iter()
        .map(|(seed, domain, index)| {
            let wallet = SigningKey::from_bytes(seed);
            let address = wallet.verifying_key().to_bytes();
            let message = UserKeyMessage::new(domain, address, PROGRAM_ID, *index).expect("a valid domain");
            let bytes = message.to_bytes().expect("a message within the off-chain limits");
            let signature = wallet.sign(&bytes).to_bytes();
            let key = UserSecretKey::from_wallet_signature(&signature).expect("a non-zero key");
            json!({
                "wallet_seed": hex::encode(seed),
                "wallet": hex::encode(address),
                "domain": domain,
                "index": index,
                "text": message.text(),
                "message": hex::encode(&bytes),
                "signature": hex::encode(signature),
                "public_key": hex::encode(key.public_key().to_bytes()),
            })
        })
        .collect();
    json!({ "program_id": hex::encode(PROGRAM_ID), "cases": cases })
}

#[test]
fn the_wallet_key_fixture_is_what_the_native_crate_derives() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("wallet-key.json");
    let derived = derive();
    if std::env::var_os("MEDSHARE_WRITE_FIXTURE").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&derived).unwrap() + "\n").unwrap();
    }
    let published: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("the fixture")).expect("JSON");
    assert_eq!(published, derived, "{} differs from the native derivation: rerun with MEDSHARE_WRITE_FIXTURE=1", path.display());
    // three different keys: the domain and the index each change the key
    let keys: std::collections::BTreeSet<&str> = derived["cases"].as_array().unwrap().iter().map(|c| c["public_key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 3);
}
