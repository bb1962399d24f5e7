//! `cargo xtask wasm`: `encrypted-circuits` for the browser. Builds `web/wasm` (its own cargo
//! workspace: the bindings the web app calls) for `wasm32-unknown-unknown` with the pinned
//! nightly and `-Zbuild-std` (rustup cannot download that target's std here, and the nightly
//! has `rust-src`, as for the SBF build), runs `wasm-bindgen` (the CLI at exactly the version of
//! the `wasm-bindgen` crate, installed into the tools dir), then the tests: the native side of
//! the wallet-key fixture (`cargo test` on the host) and `web/wasm/tests/vectors.test.mjs` in
//! Node, which checks the published vectors in the wasm module. Prints the bundle's size, raw
//! and gzipped, and the build time.
//!
//! Outputs, under `$MEDSHARE_CACHE/target-wasm`: `pkg-web/` (ES module for browsers: the
//! bundle) and `pkg-node/` (CommonJS, for the Node tests).

use crate::{
    paths::{self, NIGHTLY},
    run_step,
};
use anyhow::{Context, Result, bail};
use std::{path::PathBuf, process::Command, time::Instant};

/// The `wasm-bindgen` crate's version in `web/wasm/Cargo.toml`: the CLI must match it exactly.
const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// The crate's directory (its own workspace).
fn crate_dir() -> PathBuf {
    paths::repo_root().join("web").join("wasm")
}

/// Its target dir, outside the clone like the SBF one.
fn target_dir() -> PathBuf {
    paths::cache_dir().join("target-wasm")
}

/// `cargo xtask wasm`: build, bind, test, report.
pub fn run(extra: &[String]) -> Result<()> {
    if let Some(unknown) = extra.first() {
        bail!("`cargo xtask wasm` takes no options (got `{unknown}`)");
    }
    crate::setup::run()?;
    // looked up before the minutes of a cold build, so that a missing Node fails at once
    let node = which("node").context("Node.js is needed to test the WebAssembly build: `apt-get install nodejs`")?;
    let started = Instant::now();
    let bundle = build()?;
    let build_time = started.elapsed();

    run_step(
        paths::cargo().current_dir(crate_dir()).args(["test", "--target-dir"]).arg(target_dir()).env_remove("CARGO_TARGET_DIR"),
        "web/wasm native tests (the wallet-key fixture is what the native crate derives)",
    )?;
    run_step(
        Command::new(node).args(["--test"]).arg(crate_dir().join("tests").join("vectors.test.mjs")).env("MEDSHARE_WASM_PKG", target_dir().join("pkg-node")),
        "the test vectors in the WebAssembly build, in Node",
    )?;

    let wasm = bundle.join("medshare_wasm_bg.wasm");
    let glue = bundle.join("medshare_wasm.js");
    let raw = std::fs::metadata(&wasm)?.len();
    let gzipped = gzipped_len(&wasm)?;
    let glue_raw = std::fs::metadata(&glue)?.len();
    eprintln!(
        "xtask: wasm bundle {}: medshare_wasm_bg.wasm {raw} bytes ({:.0} KiB), {gzipped} gzipped ({:.0} KiB); JS glue {glue_raw} bytes, {} gzipped; built in {build_time:.1?}",
        bundle.display(),
        raw as f64 / 1024.0,
        gzipped as f64 / 1024.0,
        gzipped_len(&glue)?,
    );
    Ok(())
}

/// Builds `web/wasm` for `wasm32-unknown-unknown` and runs `wasm-bindgen` for browsers
/// (`pkg-web`) and Node (`pkg-node`); no tests. Returns the `pkg-web` directory the web app
/// bundles. Seconds when nothing changed (cargo's incremental build); the caller has run
/// `cargo xtask setup`'s steps (the pinned nightly with `rust-src`).
pub fn build() -> Result<PathBuf> {
    let bindgen = wasm_bindgen_cli()?;
    run_step(
        paths::cargo()
            .current_dir(crate_dir())
            .arg(format!("+{NIGHTLY}"))
            .args(["build", "--release", "--target", "wasm32-unknown-unknown", "-Zbuild-std=std,panic_abort", "--target-dir"])
            .arg(target_dir())
            .env_remove("CARGO_TARGET_DIR"),
        "build web/wasm for wasm32-unknown-unknown (a cold build compiles std too: minutes)",
    )?;
    let built = target_dir().join("wasm32-unknown-unknown").join("release").join("medshare_wasm.wasm");
    for (target, dir) in [("web", "pkg-web"), ("nodejs", "pkg-node")] {
        run_step(
            Command::new(&bindgen).args(["--target", target, "--out-dir"]).arg(target_dir().join(dir)).arg(&built),
            &format!("wasm-bindgen --target {target}"),
        )?;
    }
    Ok(target_dir().join("pkg-web"))
}

/// `wasm-bindgen` at [`WASM_BINDGEN_VERSION`] from the tools dir, installed there if missing.
fn wasm_bindgen_cli() -> Result<PathBuf> {
    let root = paths::tools_dir();
    let bin = root.join("bin").join("wasm-bindgen");
    let installed = Command::new(&bin).arg("--version").output().ok().map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    if installed.as_deref() == Some(&format!("wasm-bindgen {WASM_BINDGEN_VERSION}")) {
        return Ok(bin);
    }
    let install = |locked: bool| {
        let mut cargo = paths::cargo();
        cargo.args(["install", "wasm-bindgen-cli", "--version", &format!("={WASM_BINDGEN_VERSION}"), "--root"]).arg(&root).env_remove("CARGO_TARGET_DIR");
        if locked {
            cargo.arg("--locked");
        }
        run_step(&mut cargo, &format!("install wasm-bindgen-cli {WASM_BINDGEN_VERSION} into {} (a few minutes, once)", root.display()))
    };
    // Its published lockfile pins crates (webpki-roots 1.0.11) that the registry these
    // machines reach may not have yet: then resolve afresh, within the same semver ranges.
    if install(true).is_err() {
        eprintln!("xtask: the locked install failed; installing with a fresh resolution instead");
        install(false)?;
    }
    Ok(bin)
}

/// The length of `path` compressed by `gzip -9`, as a web server would send it.
pub(crate) fn gzipped_len(path: &std::path::Path) -> Result<u64> {
    let out = Command::new("gzip").arg("-9").arg("-c").arg(path).output().context("gzip")?;
    anyhow::ensure!(out.status.success(), "gzip {} failed", path.display());
    Ok(out.stdout.len() as u64)
}

/// The first `name` on `PATH`.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|path| path.is_file())
}
