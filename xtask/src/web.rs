//! `cargo xtask web`: the web app of issue #14 as static files in `<repo>/target/web/`
//! (`index.html`, the content-hashed JavaScript bundle, style sheet and `.wasm` under
//! `assets/`, their source maps, `config.example.json`). Any web host can serve that
//! directory once it writes a `config.json` next to `index.html`; the playground
//! (`cargo xtask localnet`) and the browser tests serve it with `tests/src/web.rs`.
//!
//! Steps: the WebAssembly build of the cryptography (`wasm::build`: build and bindings; its
//! test vectors are `cargo xtask wasm`'s), `npm ci` in `web/app` when `node_modules` is older than
//! `package-lock.json`, then `node web/app/build.mjs`, which renders the Codama client from the
//! IDL, type-checks with `tsc --noEmit` and bundles with esbuild. Prints the directory and each
//! file's size, raw and gzipped.

use crate::{paths, run_step, wasm::gzipped_len};
use anyhow::{Context, Result, bail, ensure};
use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

/// The npm project of the web app.
fn app_dir() -> PathBuf {
    paths::repo_root().join("web").join("app")
}

/// Where the built site goes.
pub fn out_dir() -> PathBuf {
    paths::repo_root().join("target").join("web")
}

/// `wasm-bindgen --target web`'s output, which `cargo xtask wasm` writes.
fn wasm_pkg_dir() -> PathBuf {
    paths::cache_dir().join("target-wasm").join("pkg-web")
}

/// The program's IDL, from which the client is rendered.
fn idl_path() -> PathBuf {
    paths::idl_dir().join(format!("{}.json", paths::PROGRAM))
}

/// `cargo xtask web`: the wasm (built and bound; its tests are `cargo xtask wasm`'s), then the app.
pub fn run(extra: &[String]) -> Result<()> {
    if let Some(unknown) = extra.first() {
        bail!("`cargo xtask web` takes no options (got `{unknown}`)");
    }
    crate::setup::run()?;
    if !idl_path().is_file() {
        crate::sbf::build()?;
    }
    crate::wasm::build()?;
    build()
}

/// For the playground: the wasm (seconds when it is up to date; its tests are
/// `cargo xtask wasm`'s and `cargo xtask test`'s), then the app (seconds).
pub fn ensure_built() -> Result<()> {
    crate::wasm::build()?;
    build()
}

/// Builds the app from the wasm already in [`wasm_pkg_dir`] and the IDL already in
/// `target/idl` (`cargo xtask test` calls this right after `cargo xtask wasm`'s step).
pub fn build() -> Result<()> {
    let node = crate::wasm::which("node").context("Node.js builds the web app: `cargo xtask setup` installs it")?;
    ensure!(idl_path().is_file(), "{} is missing: run `cargo xtask build-sbf` first", idl_path().display());
    ensure!(wasm_pkg_dir().is_dir(), "{} is missing: run `cargo xtask wasm` first", wasm_pkg_dir().display());
    let lock = app_dir().join("package-lock.json");
    ensure!(lock.is_file(), "{} is missing", lock.display());
    crate::setup::npm_ci_if_needed(&app_dir(), "web/app")?;
    let started = Instant::now();
    run_step(
        Command::new(node)
            .current_dir(app_dir())
            .arg("build.mjs")
            .arg("--idl")
            .arg(idl_path())
            .arg("--wasm-pkg")
            .arg(wasm_pkg_dir())
            .arg("--out")
            .arg(out_dir()),
        "build the web app (Codama client from the IDL, tsc --noEmit, esbuild)",
    )?;
    let built_in = started.elapsed();
    report_sizes(&out_dir())?;
    eprintln!("xtask: web app built into {} in {built_in:.1?}", out_dir().display());
    Ok(())
}

/// Prints every file of the bundle (not the source maps) with its size, raw and gzipped as a
/// web server would send it, and the totals.
fn report_sizes(dir: &Path) -> Result<()> {
    let assets = dir.join("assets");
    let mut files: Vec<PathBuf> = fs::read_dir(&assets)
        .with_context(|| format!("read {}", assets.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<std::io::Result<_>>()?;
    files.retain(|path| path.extension().is_some_and(|ext| ext == "js" || ext == "css" || ext == "wasm"));
    files.push(dir.join("index.html"));
    files.sort();
    let (mut total_raw, mut total_gzipped) = (0, 0);
    eprintln!("xtask: web app bundle in {}:", dir.display());
    for file in &files {
        let raw = fs::metadata(file)?.len();
        let gzipped = gzipped_len(file)?;
        total_raw += raw;
        total_gzipped += gzipped;
        eprintln!("   {:<48} {:>9} bytes ({:>6.1} KiB), {:>8} gzipped ({:>6.1} KiB)", file.strip_prefix(dir)?.display(), raw, kib(raw), gzipped, kib(gzipped));
    }
    eprintln!("   {:<48} {:>9} bytes ({:>6.1} KiB), {:>8} gzipped ({:>6.1} KiB)", "total", total_raw, kib(total_raw), total_gzipped, kib(total_gzipped));
    Ok(())
}

fn kib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}
