//! `cargo xtask fuzz [--seconds N] [--plateau R] [target…]`: builds the cargo-fuzz crate
//! `fuzz/` with the pinned nightly and runs each target for `N` seconds (default
//! [`LONG_RUN_SECONDS`]) on its corpus, then prints executions, coverage (libFuzzer's `cov:`
//! and `ft:`) and time per target. With `--plateau R` each target instead runs in rounds of
//! `R` seconds, each round restarting from the corpus the last one grew, until a whole round
//! finds no new feature (`ft:` at the end equals `ft:` once the corpus is loaded): a
//! coverage plateau; `N` then caps the target's total time. [`ci_smoke`] is the short
//! version `cargo xtask test` runs. docs/FUZZING.md.
//!
//! Corpora: `fuzz/corpus/<target>/` holds the checked-in seeds (written from the JSON test
//! vectors and real encodings by `fuzz/src/bin/seed_corpus.rs`); what libFuzzer discovers
//! goes to `$MEDSHARE_CACHE/fuzz/corpus/<target>/`, outside the clone, so runs never dirty
//! the work tree and a long run's corpus carries over to the next. Inputs that once crashed
//! are kept in `fuzz/regressions/<target>/` and replayed before every run.

use crate::{
    paths::{self, NIGHTLY},
    run_step,
};
use anyhow::{Context, Result, bail};
use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::Instant,
};

/// The default length of a run per target: long enough to reach a coverage plateau.
pub const LONG_RUN_SECONDS: u64 = 600;
/// Per target in CI: every target, with the build, stays well under five minutes warm.
pub const CI_SECONDS: u64 = 12;

/// The fuzz crate's one binary that is not a target: it writes `fuzz/corpus/`.
const SEED_WRITER: &str = "seed_corpus";

/// What one target's run measured.
struct Measured {
    target: String,
    executions: u64,
    coverage: u64,
    features: u64,
    corpus: u64,
    seconds: f64,
    /// `ft:` once the corpus was loaded (libFuzzer's `INITED` line).
    initial_features: u64,
    /// Rounds run, and whether the last one found nothing new (`--plateau`).
    rounds: u32,
    plateau: bool,
}

/// `cargo xtask fuzz [--seconds N] [target…]`.
pub fn run(args: &[String]) -> Result<()> {
    let mut seconds = LONG_RUN_SECONDS;
    let mut plateau_round = None;
    let mut targets = Vec::new();
    let mut args = args.iter();
    let number = |option: &str, value: Option<&String>| -> Result<u64> {
        let value = value.with_context(|| format!("{option} needs a number"))?;
        value.parse().with_context(|| format!("{option} {value}: not a whole number of seconds"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = number("--seconds", args.next())?,
            "--plateau" => plateau_round = Some(number("--plateau", args.next())?.max(1)),
            other if other.starts_with('-') => bail!("unknown option `{other}` (usage: cargo xtask fuzz [--seconds N] [--plateau R] [target…])"),
            target => targets.push(target.to_owned()),
        }
    }
    fuzz(seconds, plateau_round, &targets)
}

/// The short run for CI: every target for [`CI_SECONDS`] on its corpus, after replaying the
/// regressions. Fails on any crash, leak, timeout or failed assertion.
pub fn ci_smoke() -> Result<()> {
    fuzz(CI_SECONDS, None, &[])
}

fn fuzz(seconds: u64, plateau_round: Option<u64>, targets: &[String]) -> Result<()> {
    install()?;
    let all = list()?;
    for target in targets {
        if !all.contains(target) {
            bail!("no fuzz target `{target}` (the targets: {})", all.join(", "));
        }
    }
    let targets = if targets.is_empty() { all } else { targets.to_vec() };
    let started = Instant::now();
    run_step(fuzz_cargo().args(["fuzz", "build", "-O", "--target-dir"]).arg(target_dir()), "build the fuzz targets")?;
    eprintln!("xtask fuzz: built in {:.0} s", started.elapsed().as_secs_f64());
    seed(&targets)?;
    let mut measured = Vec::new();
    for target in &targets {
        replay_regressions(target)?;
        measured.push(match plateau_round {
            Some(round) => run_to_plateau(target, round, seconds)?,
            None => run_target(target, seconds)?,
        });
    }
    println!("\n| target | executions | exec/s | cov | ft | corpus | seconds | rounds | plateau |\n|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for m in &measured {
        let rate = if m.seconds > 0.0 { m.executions as f64 / m.seconds } else { 0.0 };
        let plateau = match (plateau_round, m.plateau) {
            (None, _) => "",
            (Some(_), true) => "yes",
            (Some(_), false) => "**no** (time cap)",
        };
        println!(
            "| `{}` | {} | {:.0} | {} | {} | {} | {:.0} | {} | {plateau} |",
            m.target, m.executions, rate, m.coverage, m.features, m.corpus, m.seconds, m.rounds
        );
    }
    let how = match plateau_round {
        Some(round) => format!("to a plateau ({round} s rounds, at most {seconds} s each)"),
        None => format!("{seconds} s each"),
    };
    println!("\nxtask fuzz: {} targets, {how}, no crash; {:.0} s in all", measured.len(), started.elapsed().as_secs_f64());
    Ok(())
}

/// Runs `target` in rounds of `round` seconds until a round ends with no feature beyond
/// those its loaded corpus already had, or `cap` seconds in all.
fn run_to_plateau(target: &str, round: u64, cap: u64) -> Result<Measured> {
    let mut total: Option<Measured> = None;
    loop {
        let m = run_target(target, round)?;
        let plateau = m.features <= m.initial_features;
        let all = match total.take() {
            None => Measured { rounds: 1, plateau, ..m },
            Some(t) => Measured {
                executions: t.executions + m.executions,
                seconds: t.seconds + m.seconds,
                initial_features: t.initial_features,
                rounds: t.rounds + 1,
                plateau,
                ..m
            },
        };
        eprintln!("xtask fuzz: {target} round {}: ft {} -> {}{}", all.rounds, m.initial_features, m.features, if plateau { " (plateau)" } else { "" });
        if plateau || all.seconds >= cap as f64 {
            return Ok(all);
        }
        total = Some(all);
    }
}

/// The pinned nightly and `cargo-fuzz` (built from crates.io), each only when missing.
fn install() -> Result<()> {
    let nightly = Command::new("rustc").arg(format!("+{NIGHTLY}")).arg("--version").output().map(|out| out.status.success()).unwrap_or(false);
    if !nightly {
        run_step(Command::new("rustup").args(["toolchain", "install", NIGHTLY, "--profile", "minimal"]), "install the pinned nightly")?;
    }
    let cargo_fuzz = paths::cargo().args(["fuzz", "--version"]).output().map(|out| out.status.success()).unwrap_or(false);
    if !cargo_fuzz {
        run_step(paths::cargo().args(["install", "cargo-fuzz", "--locked"]), "install cargo-fuzz (about 2 minutes)")?;
    }
    Ok(())
}

fn fuzz_dir() -> PathBuf {
    paths::repo_root().join("fuzz")
}

/// Outside the clone and apart from the workspace's target dir: the instrumented nightly
/// build shares nothing with the stable one, and must not wait on its lock.
fn target_dir() -> PathBuf {
    paths::cache_dir().join("fuzz-target")
}

/// Where libFuzzer adds what it finds.
fn grown_corpus(target: &str) -> PathBuf {
    paths::cache_dir().join("fuzz").join("corpus").join(target)
}

/// `cargo +NIGHTLY` in `fuzz/`.
fn fuzz_cargo() -> Command {
    let mut cargo = paths::cargo();
    cargo.current_dir(fuzz_dir()).arg(format!("+{NIGHTLY}"));
    cargo
}

fn list() -> Result<Vec<String>> {
    let out = fuzz_cargo().args(["fuzz", "list"]).output().context("cargo fuzz list")?;
    if !out.status.success() {
        bail!("cargo fuzz list failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::trim).filter(|l| !l.is_empty() && *l != SEED_WRITER).map(str::to_owned).collect())
}

/// Writes the seeds when a target has none (a fresh layout; normally they are checked in),
/// with the `seed_corpus` binary the fuzz build made.
fn seed(targets: &[String]) -> Result<()> {
    if targets.iter().all(|t| fuzz_dir().join("corpus").join(t).is_dir()) {
        return Ok(());
    }
    let writer = target_dir().join("x86_64-unknown-linux-gnu").join("release").join(SEED_WRITER);
    run_step(&mut Command::new(writer), "write the seed corpus from the test vectors")
}

/// Runs every input in `fuzz/regressions/<target>/` once: a fixed finding stays fixed.
fn replay_regressions(target: &str) -> Result<()> {
    let dir = fuzz_dir().join("regressions").join(target);
    let inputs: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && p.extension().is_none()).collect(),
        Err(_) => return Ok(()),
    };
    if inputs.is_empty() {
        return Ok(());
    }
    run_step(
        fuzz_cargo().args(["fuzz", "run", "-O", "--target-dir"]).arg(target_dir()).arg(target).args(&inputs).args(["--", "-runs=1"]),
        &format!("replay {} regression input(s) of {target}", inputs.len()),
    )
}

fn run_target(target: &str, seconds: u64) -> Result<Measured> {
    let grown = grown_corpus(target);
    std::fs::create_dir_all(&grown)?;
    let seeds = fuzz_dir().join("corpus").join(target);
    let mut command = fuzz_cargo();
    command
        .args(["fuzz", "run", "-O", "--target-dir"])
        .arg(target_dir())
        .arg(target)
        .arg(&grown)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .args(["-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048", "-max_len=8192"])
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    eprintln!("xtask fuzz: {target} for {seconds} s: {command:?}");
    let started = Instant::now();
    let out = command.spawn()?.wait_with_output()?;
    let elapsed = started.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        eprintln!("{log}");
        bail!(
            "fuzz target {target} failed ({}): a finding. The input is under {}; replay it with `cd fuzz && cargo +{NIGHTLY} fuzz run {target} <input>`",
            out.status,
            artifacts(target).display()
        );
    }
    parse(target, &log, elapsed).with_context(|| format!("reading libFuzzer's output for {target}:\n{log}"))
}

fn artifacts(target: &str) -> PathBuf {
    fuzz_dir().join("artifacts").join(target)
}

/// The last status line (`#N … cov: C ft: F corp: K/…`) and the final stats of a run.
fn parse(target: &str, log: &str, seconds: f64) -> Result<Measured> {
    let field = |line: &str, name: &str| -> Option<u64> {
        let mut words = line.split_whitespace();
        words.by_ref().find(|w| *w == name)?;
        words.next()?.split('/').next()?.parse().ok()
    };
    let status = log.lines().rev().find(|l| l.starts_with('#') && l.contains(" cov: ")).context("no libFuzzer status line")?;
    let executions = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:").and_then(|n| n.trim().parse().ok()))
        .or_else(|| status[1..].split_whitespace().next()?.parse().ok())
        .context("no execution count")?;
    let initial_features = log.lines().find(|l| l.starts_with('#') && l.contains("INITED")).and_then(|l| field(l, "ft:")).unwrap_or(0);
    Ok(Measured {
        target: target.to_owned(),
        initial_features,
        rounds: 1,
        plateau: false,
        executions,
        coverage: field(status, "cov:").context("no cov:")?,
        features: field(status, "ft:").context("no ft:")?,
        corpus: field(status, "corp:").context("no corp:")?,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_reads_its_loaded_and_final_coverage() {
        let log = "INFO: seed\n#2\tINITED cov: 100 ft: 250 corp: 40/2Kb exec/s: 0 rss: 30Mb\n#4096\tpulse  cov: 101 ft: 260 corp: 41/2Kb\n#9000\tDONE   cov: 102 ft: 262 corp: 43/2Kb lim: 80 exec/s: 900 rss: 40Mb\nstat::number_of_executed_units: 9000\n";
        let m = parse("t", log, 10.0).expect("parsed");
        assert_eq!((m.initial_features, m.features, m.coverage, m.corpus, m.executions), (250, 262, 102, 43, 9000));
        let flat = "#2\tINITED cov: 100 ft: 262 corp: 43/2Kb\n#500\tDONE   cov: 100 ft: 262 corp: 43/2Kb\n";
        let m = parse("t", flat, 10.0).expect("parsed");
        assert!(m.features <= m.initial_features, "a round that found nothing new is a plateau");
    }
}
