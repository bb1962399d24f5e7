//! `cargo xtask build-sbf`: the program's `.so` (route A of `sbf/README.md`), its keypair
//! and IDL at Anchor's usual paths; and the program crate's host unit tests.

use crate::{
    paths::{self, NIGHTLY, PROGRAM},
    run_step,
};
use anyhow::{Context, Result};
use std::fs;

/// Builds `target/deploy/medical_records.so` and `target/idl/medical_records.json`.
pub fn build() -> Result<()> {
    let repo = paths::repo_root();
    let sbf_target_dir = paths::cache_dir().join("target-sbf");
    let linker = paths::tools_dir().join("bin").join("sbpf-linker");
    run_step(
        paths::cargo()
            .current_dir(paths::program_dir())
            .arg(format!("+{NIGHTLY}"))
            .args(["build", "--release", "--target"])
            .arg(repo.join("sbf").join("bpfel-solana.json"))
            .args(["-Zbuild-std=std,panic_abort", "-Zjson-target-spec", "--config"])
            .arg(repo.join("sbf").join("sbpf-v3.toml"))
            .arg("--target-dir")
            .arg(&sbf_target_dir)
            // cargo reads this itself: build std from the patched copy
            .env("__CARGO_TESTS_ONLY_SRC_ROOT", paths::patched_std_dir().join("library"))
            // std's build script refuses unknown OSes without it
            .env("RUSTC_BOOTSTRAP_SYNTHETIC_TARGET", "1")
            .env("CARGO_TARGET_BPFEL_SOLANA_LINKER", &linker)
            .env_remove("CARGO_TARGET_DIR"),
        "build the program for SBF",
    )?;

    let deploy = paths::deploy_dir();
    fs::create_dir_all(&deploy)?;
    let built = sbf_target_dir.join("bpfel-solana").join("release").join(format!("lib{PROGRAM}.so"));
    let so = deploy.join(format!("{PROGRAM}.so"));
    fs::copy(&built, &so).with_context(|| format!("copy {}", built.display()))?;
    let keypair = format!("{PROGRAM}-keypair.json");
    fs::copy(paths::program_dir().join("keys").join(&keypair), deploy.join(&keypair))?;
    eprintln!("xtask: wrote {} ({} bytes)", so.display(), fs::metadata(&so)?.len());
    idl()
}

/// The IDL without the anchor CLI: anchor-lang-idl's builder runs the program's
/// `idl-build` test on the host, as `anchor idl build` does.
fn idl() -> Result<()> {
    // anchor-lang-idl 0.2.0 passes a literal "+{toolchain}" to cargo when RUSTUP_TOOLCHAIN
    // is set, as `cargo run` sets it for xtask.
    // Its builds go to the program's host target dir; the host workspace's own target dir
    // is put back afterwards so that later steps do not build there.
    let host_target_dir = std::env::var_os("CARGO_TARGET_DIR");
    // SAFETY: single-threaded here; no other thread reads the environment.
    unsafe {
        std::env::remove_var("RUSTUP_TOOLCHAIN");
        std::env::set_var("CARGO_TARGET_DIR", program_host_target_dir());
    }
    let idl = anchor_lang_idl::build::IdlBuilder::new().program_path(paths::program_dir()).skip_lint(true).build();
    // SAFETY: as above.
    unsafe {
        match host_target_dir {
            Some(dir) => std::env::set_var("CARGO_TARGET_DIR", dir),
            None => std::env::remove_var("CARGO_TARGET_DIR"),
        }
    }
    let idl = idl.context("build the IDL")?;
    let dir = paths::idl_dir();
    fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{PROGRAM}.json"));
    fs::write(&path, serde_json::to_string_pretty(&idl)? + "\n")?;
    eprintln!("xtask: wrote {}", path.display());
    Ok(())
}

/// The program crate's own unit tests, natively on the stable toolchain.
pub fn host_unit_tests() -> Result<()> {
    run_step(paths::cargo().current_dir(paths::program_dir()).arg("test").env("CARGO_TARGET_DIR", program_host_target_dir()), "program host unit tests")
}

/// The program's host builds (unit tests, IDL) get their own target dir: its dependency
/// graph is not the host workspace's.
fn program_host_target_dir() -> std::path::PathBuf {
    paths::cache_dir().join("target-program")
}
