//! # medshare-tests
//!
//! Harnesses for the tests in `tests/tests/`:
//! - [`svm`]: the real SBF binary (`target/deploy/medical_records.so`) in LiteSVM;
//! - [`localnet`]: an in-process `solana-test-validator` (agave 4.2.2, the same line as
//!   LiteSVM) with the program deployed through the upgradeable loader, reached over
//!   JSON-RPC and the websocket, as a real cluster is;
//! - [`deployment`]: a whole deployment (validator, `mpc-node` processes, the CLI), with
//!   [`rpc_proxy`] (a fault-injecting JSON-RPC proxy: 429s, latency, resets, stale reads,
//!   swallowed sends, short-lived blockhashes) and [`proxy`] (a websocket a test can cut)
//!   between a node and the validator;
//! - [`s3`]: a real S3-compatible server (`s3s-fs`) for the blob stores;
//! - [`web`]: the web app's server (static files, `config.json`, a content-addressed blob store).
//!
//! All but the proxies need `cargo xtask build-sbf` to have run (`cargo xtask test` does it first).

pub mod chain;
pub mod deployment;
pub mod load;
pub mod localnet;
pub mod proxy;
pub mod rpc_proxy;
pub mod s3;
pub mod story;
pub mod svm;
pub mod web;
pub mod world;

use std::path::PathBuf;

/// The program binary under test: `$MEDSHARE_PROGRAM_SO`, or `target/deploy/medical_records.so`
/// of this clone. Panics with the command to run when it is missing.
pub fn program_so() -> PathBuf {
    let path = std::env::var_os("MEDSHARE_PROGRAM_SO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("deploy").join("medical_records.so"));
    assert!(path.is_file(), "{} is missing: run `cargo xtask build-sbf` first", path.display());
    path
}

/// The IDL the program build wrote (`target/idl/medical_records.json`), parsed.
pub fn program_idl() -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("idl").join("medical_records.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}: run `cargo xtask build-sbf` first", path.display()));
    serde_json::from_str(&text).expect("the IDL is JSON")
}
