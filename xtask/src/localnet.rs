//! `cargo xtask localnet`: the local playground that stays up (`tests/src/bin/localnet.rs`),
//! and the build step it shares with `cargo xtask demo`: both binaries link the in-process
//! `solana-test-validator`, whose first build takes a quarter of an hour on two cores, so it
//! is built in its own step with cargo's progress shown and said to be long, instead of
//! silently under `cargo run --quiet`.

use crate::{paths, run_step};
use anyhow::{Context, Result};
use std::{os::unix::process::CommandExt, path::PathBuf};

/// `cargo xtask localnet [--wallets DIR] [--web-port PORT]`: builds what the playground runs,
/// then becomes it (`exec`), so that Ctrl-C reaches the playground itself, which stops its
/// daemons and the validator before it exits.
pub fn run(extra: &[String]) -> Result<()> {
    crate::setup::run()?;
    crate::sbf::build()?;
    crate::build_binaries()?;
    // the web app the playground serves (seconds when the wasm is built already)
    crate::web::ensure_built()?;
    let binary = build_validator_binary("localnet")?;
    eprintln!("xtask: starting the playground: {} {}", binary.display(), extra.join(" "));
    let error = std::process::Command::new(&binary).args(extra).current_dir(paths::repo_root()).exec();
    Err(error).with_context(|| format!("exec {}", binary.display()))
}

/// Builds the `medshare-tests` binary `bin` (which links the local validator) with cargo's
/// progress on screen, saying first how long a cold build takes, and returns its path.
pub fn build_validator_binary(bin: &str) -> Result<PathBuf> {
    let binary = paths::host_target_dir()?.join("debug").join(bin);
    if binary.is_file() {
        eprintln!("xtask: building `{bin}` (seconds when nothing changed)");
    } else {
        eprintln!(
            "xtask: first build of `{bin}`: it links the local validator (solana-test-validator, agave 4.2.2, several hundred crates), \
             which takes 15 to 20 minutes on 2 cores; cargo's progress follows. Later runs take seconds."
        );
    }
    let mut cargo = paths::cargo();
    cargo.current_dir(paths::repo_root()).args(["build", "-p", "medshare-tests", "--bin", bin]);
    run_step(&mut cargo, &format!("build {bin} (with the local validator)"))?;
    anyhow::ensure!(binary.is_file(), "cargo built `{bin}` but {} is missing", binary.display());
    Ok(binary)
}
