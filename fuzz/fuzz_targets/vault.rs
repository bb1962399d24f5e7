//! The node's vault file: opening arbitrary bytes with a fixed passphrase is an error with a
//! message (never a panic), and only a file sealed under that passphrase opens.
//!
//! The input is the file. Inputs whose Argon2id cost exceeds a small bound are skipped so
//! that executions measure the parser and not the KDF (see `VAULT_FUZZ_MAX_MEMORY_KIB`:
//! unbounded costs are finding F1, docs/FUZZING.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use medshare_fuzz::{VAULT_FUZZ_MAX_ITERATIONS, VAULT_FUZZ_MAX_MEMORY_KIB, VAULT_FUZZ_MAX_PARALLELISM, VAULT_PASSPHRASE, vault_authority};
use std::{io::Write, path::PathBuf, sync::OnceLock};

/// One file per fuzzing process, rewritten for every input (`/dev/shm` when there is one).
fn vault_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let dir = if shm.is_dir() { shm } else { std::env::temp_dir() };
        dir.join(format!("medshare-fuzz-vault-{}.json", std::process::id()))
    })
}

/// Whether the file's KDF cost is cheap enough to run (or there is no parsable cost at all).
/// `MEDSHARE_FUZZ_VAULT_UNBOUNDED=1` lets every cost through: it reproduces finding F1 from
/// `fuzz/regressions/vault/`, and shows it fixed once `vault::load` bounds the cost.
fn affordable(data: &[u8]) -> bool {
    static UNBOUNDED: OnceLock<bool> = OnceLock::new();
    if *UNBOUNDED.get_or_init(|| std::env::var_os("MEDSHARE_FUZZ_VAULT_UNBOUNDED").is_some_and(|v| v == "1")) {
        return true;
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return true;
    };
    let cost = |field: &str, max: u64| value["kdf"][field].as_u64().is_none_or(|v| v <= max);
    cost("memory_kib", VAULT_FUZZ_MAX_MEMORY_KIB) && cost("iterations", VAULT_FUZZ_MAX_ITERATIONS) && cost("parallelism", VAULT_FUZZ_MAX_PARALLELISM)
}

fuzz_target!(|data: &[u8]| {
    if !affordable(data) {
        return;
    }
    let path = vault_path();
    std::fs::File::create(path).and_then(|mut file| file.write_all(data)).expect("write the fuzzed vault");
    match mpc_node::vault::load(path, &vault_authority(), VAULT_PASSPHRASE) {
        Ok(secrets) => {
            // only a file sealed under the passphrase opens, and then its transport key is valid
            secrets.transport().expect("an opened vault has a transport key");
        }
        Err(error) => assert!(!format!("{error:#}").is_empty()),
    }
});
