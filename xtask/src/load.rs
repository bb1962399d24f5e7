//! `cargo xtask load [--release-validator] [--requests N] [--profile]`: the load test of issue #12 on a
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
//!
//! `--profile` runs the test under `perf record -g` (it follows the test process, whose
//! threads are the validator's, and the daemons it spawns) and writes where the CPU time went,
//! by process and thread and by function, to `target/load-profile.txt`.

use crate::{paths, run_step, sbf, setup};
use anyhow::{Context, Result, bail};
use std::{fs, path::Path, process::Command};

/// The command line `cargo xtask load` takes.
pub const USAGE: &str = "cargo xtask load [--release-validator] [--requests N] [--profile]";

/// Where the run's tables are written (`target/load-report.md`), for `cargo xtask bench`.
pub fn tables_path() -> std::path::PathBuf {
    paths::repo_root().join("target").join("load-report.md")
}

/// Where `--profile` writes its summary.
pub fn profile_path() -> std::path::PathBuf {
    paths::repo_root().join("target").join("load-profile.txt")
}

/// Runs the long load test and reports where its figures are.
pub fn run(args: &[String]) -> Result<()> {
    let mut release_validator = false;
    let mut profile = false;
    let mut requests: Option<String> = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--release-validator" => release_validator = true,
            "--profile" => profile = true,
            "--requests" => requests = Some(rest.next().context("--requests needs a number")?.clone()),
            other => bail!("unknown `cargo xtask load` argument `{other}` (usage: {USAGE})"),
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
    let _ = fs::remove_file(profile_path());
    let bin_dir = paths::host_target_dir()?.join("release");
    let cargo_test = |extra: &[&str]| {
        let mut test = paths::cargo();
        test.current_dir(paths::repo_root()).args(["test", "-p", "medshare-tests", "--test", "localnet_load"]);
        if release_validator {
            test.arg("--release");
        }
        test.args(extra);
        test
    };
    // built first, so that a profile holds the run and not the compiler
    run_step(&mut cargo_test(&["--no-run"]), "build the load test")?;
    let perf_data = paths::repo_root().join("target").join("load-perf.data");
    let mut test = if profile {
        let mut perf = Command::new("perf");
        // 99 Hz with call graphs: a few MB per minute; `perf record` follows every process
        // the test spawns (the daemons) and every thread of the test (the validator)
        perf.args(["record", "-F", "99", "-g", "-o"]).arg(&perf_data).arg("--").arg("cargo").current_dir(paths::repo_root());
        perf.env_remove("RUSTUP_TOOLCHAIN").env_remove("CARGO_MANIFEST_DIR");
        perf.args(cargo_test(&[]).get_args());
        perf
    } else {
        cargo_test(&[])
    };
    test.args(["--", "--ignored", "--exact", "a_thousand_share_requests_and_the_saturation_point", "--nocapture"])
        .env("MEDSHARE_BIN_DIR", &bin_dir)
        .env("MEDSHARE_LOAD_REPORT", &report);
    if let Some(n) = &requests {
        test.env("MEDSHARE_LOAD_REQUESTS", n);
    }
    let outcome = run_step(&mut test, "load test (3-of-5, release daemons)");
    if profile {
        match summarize_profile(&perf_data) {
            Ok(summary) => {
                fs::write(profile_path(), &summary)?;
                eprintln!("xtask: wrote {} (from {})", profile_path().display(), perf_data.display());
            }
            Err(error) => eprintln!("xtask: no profile summary: {error:#}"),
        }
    }
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

/// Where the CPU time of a profiled run went: by process (`comm`), then the hottest
/// functions of the daemons (`mpc-node`) and of everything else (the validator's threads).
fn summarize_profile(perf_data: &Path) -> Result<String> {
    let report = |sort: &str, extra: &[&str]| -> Result<String> {
        let out = Command::new("perf")
            .args(["report", "--stdio", "--no-children", "--percent-limit", "1", "-g", "none", "--sort", sort, "-i"])
            .arg(perf_data)
            .args(extra)
            .output()
            .context("run perf report")?;
        anyhow::ensure!(out.status.success(), "perf report failed: {}", String::from_utf8_lossy(&out.stderr));
        Ok(String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).take(40).collect::<Vec<_>>().join("\n"))
    };
    let mut text = String::from("CPU samples by process/thread name (perf record -F 99 -g, the whole load run):\n\n");
    text.push_str(&report("comm", &[])?);
    text.push_str("\n\nHottest functions of the daemons (comm mpc-node):\n\n");
    text.push_str(&report("dso,symbol", &["--comms", "mpc-node"])?);
    text.push_str("\n\nHottest functions overall:\n\n");
    text.push_str(&report("comm,dso,symbol", &[])?);
    text.push('\n');
    Ok(text)
}
