//! Where things are: the clone, the caches outside it, and the pinned toolchain.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The nightly that builds the program for SBF (its LLVM matches sbpf-linker 0.2.6).
pub const NIGHTLY: &str = "nightly-2026-08-10";
/// The SBF linker, from crates.io.
pub const SBPF_LINKER_VERSION: &str = "0.2.6";
/// The program's crate (library) name, which names its `.so`, keypair and IDL.
pub const PROGRAM: &str = "medical_records";

/// The root of the clone (the workspace this xtask belongs to).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the repo root").to_path_buf()
}

/// The program crate's directory (its own cargo workspace).
pub fn program_dir() -> PathBuf {
    repo_root().join("programs").join("medical-records")
}

/// Caches kept across clones: `$MEDSHARE_CACHE`, default `~/.cache/medshare`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MEDSHARE_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".cache").join("medshare")
}

/// Where `sbpf-linker` is installed (`<tools>/bin/sbpf-linker`).
pub fn tools_dir() -> PathBuf {
    cache_dir().join("tools")
}

/// The nightly's std source with the `os = "solana"` patch applied.
pub fn patched_std_dir() -> PathBuf {
    cache_dir().join(format!("sbf-std-{NIGHTLY}"))
}

/// `target/deploy` of the clone: Anchor's usual place for the `.so` and its keypair.
pub fn deploy_dir() -> PathBuf {
    repo_root().join("target").join("deploy")
}

/// `target/idl` of the clone: Anchor's usual place for the IDL.
pub fn idl_dir() -> PathBuf {
    repo_root().join("target").join("idl")
}

/// A `cargo` command through rustup's proxy (so that `+toolchain` works), without the
/// variables `cargo run` set for xtask itself (they would leak into the child build).
pub fn cargo() -> Command {
    let mut command = Command::new("cargo");
    command.env_remove("RUSTUP_TOOLCHAIN").env_remove("CARGO_MANIFEST_DIR");
    command
}

/// Cargo's target dir for the host workspace (wherever `CARGO_TARGET_DIR` or a config put it).
pub fn host_target_dir() -> anyhow::Result<PathBuf> {
    let out = cargo().current_dir(repo_root()).args(["metadata", "--format-version", "1", "--no-deps"]).output()?;
    anyhow::ensure!(out.status.success(), "cargo metadata failed");
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let dir = metadata["target_directory"].as_str().ok_or_else(|| anyhow::anyhow!("cargo metadata has no target_directory"))?;
    Ok(PathBuf::from(dir))
}
