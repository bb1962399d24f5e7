//! `cargo xtask <command>`: the project's one entry point for tooling.
//!
//! | command     | does |
//! |-------------|------|
//! | `setup`     | installs what the build needs, idempotently: `rustfmt`, the pinned nightly with `rust-src`, `sbpf-linker` into the tools dir, the patched std source for the SBF target, Debian's `clang libclang-dev`, `s3s-fs` 0.14.1 (the tests' S3 server), Node/npm and `tests/js`'s pinned packages (`npm ci`) |
//! | `build-sbf` | builds `programs/medical-records` for SBF and writes `target/deploy/medical_records.so`, its keypair, and `target/idl/medical_records.json` |
//! | `test`      | everything CI runs: `rustfmt --check`, `build-sbf`, the program's host unit tests, the binaries the localnet tests run, then every test of the host workspace (LiteSVM on the real `.so`, localnet on a real validator with `mpc-node` processes and the CLI) |
//! | `demo`      | the main job: the whole story on a local validator — ceremony, store, share, proven partials, open, revoke, audit, then a hospital leaves and another joins by resharing (same `PK`, no re-key) |
//! | `bench`     | `bench [--report-only] [--no-load] [load options]`: criterion benchmarks of the cryptography and `openssl speed`, the compute units, and the load run, each written into its section of `docs/BENCHMARKS.md` with its goals met or missed |
//! | `fuzz`      | `fuzz [--seconds N] [--plateau R] [target…]`: builds the cargo-fuzz targets in `fuzz/` with the pinned nightly and runs each for N seconds (default 600), or in rounds of R seconds to a coverage plateau, on its corpus; prints executions, coverage and time (docs/FUZZING.md) |
//! | `load`      | `load [--release-validator] [--requests N] [--profile]`: the load test of issue #12: release daemons, 1,000 share requests to a 3-of-5 cluster and the saturation stages; writes `target/load-report.json` and `.md`, and with `--profile` where the CPU went (`perf`) |
//! | `cu`        | every instruction once on the real `.so`: `target/cu-report.json`, and the table in `docs/BENCHMARKS.md` |
//! | `keys`      | `keys sync --program-keypair FILE` writes a deployer's own program id where it appears (`declare_id!`, the client's `PROGRAM_ID`, `Anchor.toml`); `keys list` shows them |
//! | `localnet`  | `localnet [--wallets DIR] [--web-port PORT]`: the playground that stays up — validator, program, a 3-of-5 cluster of `mpc-node` daemons, funded demo wallets with registered keys; prints the URLs and CLI lines; Ctrl-C stops it all |
//! | `web`       | `web`: the web app (issue #14) as static files in `target/web/`: the wasm (built and bound as `wasm` does; its tests are `wasm`'s), `npm ci` in `web/app` when stale, the Codama client rendered from the IDL, `tsc --noEmit`, the esbuild bundle; prints each file's size raw and gzipped |
//! | `wasm`      | `wasm`: builds `encrypted-circuits` for `wasm32-unknown-unknown` (`web/wasm`, the pinned nightly with `-Zbuild-std`), runs `wasm-bindgen`, checks the published test vectors in Node and reports the bundle size |
//!
//! Caches (tools, patched std, SBF and program target dirs) live under `$MEDSHARE_CACHE`
//! (default `~/.cache/medshare`), outside the clone, so a fresh clone reuses them.

mod bench;
mod fuzz;
mod keys;
mod load;
mod localnet;
mod paths;
mod sbf;
mod setup;
mod wasm;
mod web;

use anyhow::{Result, bail};
use std::process::Command;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    match command {
        "setup" => setup::run(),
        "build-sbf" => {
            setup::run()?;
            sbf::build()
        }
        "test" => test(rest),
        "demo" => demo(rest),
        "bench" => bench::run(rest),
        "cu" => {
            setup::run()?;
            sbf::build()?;
            bench::compute_units()
        }
        "fuzz" => fuzz::run(rest),
        "load" => load::run(rest),
        "keys" => keys::run(rest),
        "localnet" => localnet::run(rest),
        "wasm" => wasm::run(rest),
        "web" => web::run(rest),
        "help" | "--help" | "-h" => {
            println!(
                "usage: cargo xtask <setup | build-sbf | test [cargo test args] | demo | bench [--report-only] [--no-load] [load options] | cu | keys <sync --program-keypair FILE | list> | fuzz [--seconds N] [--plateau R] [target…] | load [--release-validator] [--requests N] [--profile] | localnet [--wallets DIR] [--web-port PORT] | wasm | web>"
            );
            Ok(())
        }
        other => bail!("unknown xtask command `{other}` (try `cargo xtask help`)"),
    }
}

/// Everything CI runs, in dependency order; stops at the first failure.
fn test(extra: &[String]) -> Result<()> {
    setup::run()?;
    for dir in [paths::repo_root(), paths::program_dir()] {
        run_step(paths::cargo().current_dir(&dir).args(["fmt", "--check"]), "rustfmt (rustfmt.toml)")?;
    }
    sbf::build()?;
    sbf::host_unit_tests()?;
    fuzz::ci_smoke()?;
    // the browser's cryptography: the same vectors in Node
    wasm::run(&[])?;
    // the web app the browser tests serve, from that wasm
    web::build()?;
    build_binaries()?;
    let mut cargo = paths::cargo();
    cargo.current_dir(paths::repo_root()).args(["test", "--workspace"]).args(extra);
    run_step(&mut cargo, "host workspace tests")
}

/// The main job: the MedShare story on a real local validator (see `tests/src/bin/localnet-demo.rs`).
fn demo(extra: &[String]) -> Result<()> {
    setup::run()?;
    sbf::build()?;
    build_binaries()?;
    // built in a step of its own, with cargo's progress: a cold build of the validator is long
    let binary = localnet::build_validator_binary("localnet-demo")?;
    run_step(Command::new(binary).current_dir(paths::repo_root()).args(extra), "localnet demo")
}

/// The binaries the localnet tests and the demo run as processes: `mpc-node`, `medshare`,
/// `medshare-migrations`, and `mpc-node-faulty` (the test-only fault-injection build).
fn build_binaries() -> Result<()> {
    let mut faulty = paths::cargo();
    faulty.current_dir(paths::repo_root()).args(["build", "-p", "mpc-node", "--features", "fault-injection", "--bin", "mpc-node-faulty"]);
    run_step(&mut faulty, "build mpc-node-faulty (test-only fault injection)")?;
    let mut binaries = paths::cargo();
    binaries.current_dir(paths::repo_root()).args(["build", "-p", "mpc-node", "-p", "medshare-cli", "-p", "medshare-migrations", "--bins"]);
    run_step(&mut binaries, "build mpc-node, medshare, medshare-migrations")
}

/// Runs a command, echoing it, and turns a non-zero exit into an error naming `what`.
pub fn run_step(command: &mut Command, what: &str) -> Result<()> {
    eprintln!("xtask: {what}: {command:?}");
    let status = command.status()?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}
