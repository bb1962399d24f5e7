//! `cargo xtask load [--release-validator] [--requests N]`: the load test of issue #12 on a
//! real 3-of-5 cluster (`tests/tests/localnet_load.rs`, the `#[ignore]`d long test): release
//! builds of `mpc-node` and `medshare` run as the daemons and the CLI, 1,000 share requests
//! at 10/s from 8 clients, then 20, 40 and 80 per second to find the saturation point.
//!
//! Writes `target/load-report.json` (every figure, the memory series, the refusals) and
//! `target/load-report.md` (the tables for `docs/BENCHMARKS.md`), and prints the tables.
//!
//! The validator runs inside the test process, so it is built with the test's profile: the
//! dev profile by default (its cryptography crates are optimised, the rest of agave is not:
//! a release build of the whole validator is a long cold build on 2 cores), or release with
//! `--release-validator` (the numbers a production-like validator gives).

use crate::{paths, run_step, sbf, setup};
use anyhow::{Context, Result, bail};
use std::fs;

/// Runs the long load test and reports where its figures are.
pub fn run(args: &[String]) -> Result<()> {
    let mut release_validator = false;
    let mut requests: Option<String> = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--release-validator" => release_validator = true,
            "--requests" => requests = Some(rest.next().context("--requests needs a number")?.clone()),
            other => bail!("unknown `cargo xtask load` argument `{other}` (usage: cargo xtask load [--release-validator] [--requests N])"),
        }
    }
    if let Some(n) = &requests {
        let n: u64 = n.parse().with_context(|| format!("--requests {n}: not a number"))?;
        anyhow::ensure!(n >= 1, "--requests must be at least 1");
    }
    setup::run()?;
    sbf::build()?;
    let mut daemons = paths::cargo();
    daemons.current_dir(paths::repo_root()).args(["build", "--release", "-p", "mpc-node", "-p", "medshare-cli", "--bins"]);
    run_step(&mut daemons, "build mpc-node and medshare (release)")?;

    let report = paths::repo_root().join("target").join("load-report.json");
    let tables = report.with_extension("md");
    // a stale report must not pass for this run's
    let _ = fs::remove_file(&report);
    let _ = fs::remove_file(&tables);
    let bin_dir = paths::host_target_dir()?.join("release");
    let mut test = paths::cargo();
    test.current_dir(paths::repo_root()).args(["test", "-p", "medshare-tests", "--test", "localnet_load"]);
    if release_validator {
        test.arg("--release");
    }
    test.args(["--", "--ignored", "--exact", "a_thousand_share_requests_and_the_saturation_point", "--nocapture"])
        .env("MEDSHARE_BIN_DIR", &bin_dir)
        .env("MEDSHARE_LOAD_REPORT", &report);
    if let Some(n) = &requests {
        test.env("MEDSHARE_LOAD_REQUESTS", n);
    }
    let outcome = run_step(&mut test, "load test (3-of-5, release daemons)");
    // the report is written before the invariants are asserted: show it either way
    match fs::read_to_string(&tables) {
        Ok(text) => {
            println!("{text}");
            eprintln!("xtask: wrote {} and {}", report.display(), tables.display());
        }
        Err(_) => eprintln!("xtask: the load test wrote no report ({} is missing)", tables.display()),
    }
    outcome
}
