//! `cargo xtask bench [--report-only] [--no-load] [load options]`: every figure of
//! `docs/BENCHMARKS.md` that a command measures, each goal marked met or missed:
//! - the criterion benchmarks of `encrypted-circuits` and `openssl speed -evp aes-256-gcm`
//!   on the same machine (between the `bench:circuit` markers);
//! - the program's compute units (`cargo xtask cu`, between the `bench:cu` markers);
//! - the load test on a 3-of-5 localnet (`cargo xtask load`, its options passed through:
//!   `--release-validator`, `--requests N`, `--profile`), its tables and, when profiled,
//!   where the CPU went (between the `bench:load` markers). `--no-load` skips it (the load
//!   run takes minutes); `--report-only` measures nothing and rewrites every section from the
//!   last results (`target/criterion`, `target/cu-report.json`, `target/load-report.md`).

use crate::{paths, run_step};
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::{collections::BTreeMap, fmt::Write as _, fs, path::Path, process::Command};

const START: &str = "<!-- bench:circuit:start (written by `cargo xtask bench`) -->";
const END: &str = "<!-- bench:circuit:end -->";
const CU_START: &str = "<!-- bench:cu:start (written by `cargo xtask cu`) -->";
const CU_END: &str = "<!-- bench:cu:end -->";
const LOAD_START: &str = "<!-- bench:load:start (written by `cargo xtask bench` from `cargo xtask load`) -->";
const LOAD_END: &str = "<!-- bench:load:end -->";

/// Compute-unit goals of the program's instructions (issue #9: the store goal is for a new
/// record with 1 KiB inline and its capsule proof).
const CU_GOALS: &[(&str, u64)] =
    &[("share_patient_data_callback", 12_000), ("register_user_key", 7_000), ("store_patient_data", 7_500), ("share_patient_data", 6_000)];

/// One measured transaction of `target/cu-report.json`: what it used and the compute-unit
/// limit the client requests for it (`medshare_client::compute`).
struct Measured {
    used: u64,
    limit: u64,
}

/// `{"transaction": {"used": u, "limit": l}}` as written by `tests/tests/program_cu.rs`.
fn parse_cu_report(text: &str) -> Result<BTreeMap<String, Measured>> {
    let report: BTreeMap<String, Value> = serde_json::from_str(text)?;
    report
        .into_iter()
        .map(|(name, entry)| {
            let field = |key: &str| entry[key].as_u64().with_context(|| format!("{name}: no `{key}` in the CU report"));
            Ok((name.clone(), Measured { used: field("used")?, limit: field("limit")? }))
        })
        .collect()
}

/// `cargo xtask cu`: runs `tests/tests/program_cu.rs`, which writes `target/cu-report.json`,
/// and tabulates it in `docs/BENCHMARKS.md`: per measured transaction the compute units it
/// used next to the limit the client requests, and the goals.
pub fn compute_units() -> Result<()> {
    let report = paths::repo_root().join("target").join("cu-report.json");
    run_step(
        paths::cargo()
            .current_dir(paths::repo_root())
            .args(["test", "-p", "medshare-tests", "--test", "program_cu", "--", "--nocapture"])
            .env("MEDSHARE_CU_REPORT", &report),
        "measure compute units",
    )?;
    write_cu_table(&report)
}

fn write_cu_table(report: &Path) -> Result<()> {
    let units = parse_cu_report(&fs::read_to_string(&report)?).context("read target/cu-report.json")?;
    replace_section(CU_START, CU_END, &cu_table(&units)?)?;
    eprintln!("xtask: wrote {}", report.display());
    Ok(())
}

/// The markdown table of the CU report.
fn cu_table(units: &BTreeMap<String, Measured>) -> Result<String> {
    let mut table = String::from("| transaction | compute units used | limit the client requests | used of limit | goal | met |\n|---|---|---|---|---|---|\n");
    for (name, Measured { used, limit }) in units {
        let goal = CU_GOALS.iter().find(|(g, _)| g == name).map(|(_, g)| *g);
        let (goal_text, met) = match goal {
            Some(g) => (format!("≤ {g}"), if *used <= g { "yes" } else { "**no**" }),
            None => (String::new(), ""),
        };
        let share = 100.0 * *used as f64 / (*limit).max(1) as f64;
        writeln!(table, "| {name} | {used} | {limit} | {share:.0}% | {goal_text} | {met} |")?;
    }
    Ok(table)
}

/// Replaces the text between two markers of `docs/BENCHMARKS.md`.
fn replace_section(start: &str, end: &str, body: &str) -> Result<()> {
    let doc = paths::repo_root().join("docs").join("BENCHMARKS.md");
    let text = fs::read_to_string(&doc).context("read docs/BENCHMARKS.md")?;
    let (Some(a), Some(b)) = (text.find(start), text.find(end)) else { bail!("docs/BENCHMARKS.md lacks the markers {start}") };
    fs::write(&doc, format!("{}{start}\n{body}{}", &text[..a], &text[b..]))?;
    eprintln!("xtask: updated {}", doc.display());
    Ok(())
}

/// `cargo xtask bench`: see the module docs.
pub fn run(args: &[String]) -> Result<()> {
    let report_only = args.iter().any(|a| a == "--report-only");
    let no_load = args.iter().any(|a| a == "--no-load");
    let load_args: Vec<String> = args.iter().filter(|a| *a != "--report-only" && *a != "--no-load").cloned().collect();
    circuit(report_only)?;
    if report_only {
        write_cu_table(&paths::repo_root().join("target").join("cu-report.json"))?;
    } else {
        crate::setup::run()?;
        crate::sbf::build()?;
        compute_units()?;
    }
    if !no_load {
        if !report_only {
            // the tables are written before the test asserts its invariants: a run that
            // breaks one still reports, and the failure is returned after
            let outcome = crate::load::run(&load_args);
            write_load_section()?;
            return outcome;
        }
        write_load_section()?;
    }
    Ok(())
}

/// The load run's tables, and where its CPU went when it was profiled.
fn write_load_section() -> Result<()> {
    let tables = crate::load::tables_path();
    let mut body = fs::read_to_string(&tables).with_context(|| format!("read {} (run `cargo xtask load` first)", tables.display()))?;
    if let Ok(profile) = fs::read_to_string(crate::load::profile_path()) {
        body.push_str("\nWhere the CPU went (`cargo xtask load --profile`, `perf record -F 99 -g`):\n\n```text\n");
        body.push_str(profile.trim_end());
        body.push_str("\n```\n");
    }
    replace_section(LOAD_START, LOAD_END, &body)
}

/// The criterion benchmarks (unless `report_only`) and their table.
fn circuit(report_only: bool) -> Result<()> {
    if !report_only {
        run_step(
            paths::cargo().current_dir(paths::repo_root()).args([
                "bench",
                "-p",
                "encrypted-circuits",
                "--bench",
                "circuit",
                "--",
                "--warm-up-time",
                "1",
                "--measurement-time",
                "4",
            ]),
            "criterion benchmarks",
        )?;
    }
    let times = criterion_medians(&paths::host_target_dir()?.join("criterion"))?;
    let openssl = openssl_aes_gcm_8k()?;
    let report = report(&times, openssl)?;
    println!("{report}");
    replace_section(START, END, &report)
}

/// `full_id → median ns` from every `new/` result criterion wrote.
fn criterion_medians(dir: &Path) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).with_context(|| format!("read {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "new") {
                    let bench: Value = serde_json::from_str(&fs::read_to_string(path.join("benchmark.json"))?)?;
                    let estimates: Value = serde_json::from_str(&fs::read_to_string(path.join("estimates.json"))?)?;
                    let id = bench["full_id"].as_str().unwrap_or_default().to_owned();
                    let median = estimates["median"]["point_estimate"].as_f64().unwrap_or(f64::NAN);
                    out.insert(id, median);
                } else {
                    stack.push(path);
                }
            }
        }
    }
    Ok(out)
}

/// Bytes per second of `openssl speed -evp aes-256-gcm` on 8 KiB blocks.
fn openssl_aes_gcm_8k() -> Result<f64> {
    let out = Command::new("openssl").args(["speed", "-evp", "aes-256-gcm", "-bytes", "8192", "-seconds", "3"]).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "AES-256-GCM  <rate>k" : thousands of bytes per second
    let line = text.lines().rev().find(|l| l.to_ascii_lowercase().starts_with("aes-256-gcm")).context("openssl speed output")?;
    let rate = line.split_whitespace().last().context("openssl rate")?.trim_end_matches('k');
    Ok(rate.parse::<f64>()? * 1000.0)
}

fn report(times: &BTreeMap<String, f64>, openssl: f64) -> Result<String> {
    let get = |id: &str| times.get(id).copied().with_context(|| format!("no criterion result for {id}"));
    let base = get("baseline/scalar_mul")?;
    let mut out = String::new();
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned()))
        .unwrap_or_else(|| "unknown".into());
    writeln!(
        out,
        "Machine: {cpu}, {} cores. Medians of criterion runs; `x` = multiples of one variable-base scalar multiplication ({:.1} µs) measured in the same run.\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        base / 1e3
    )?;
    writeln!(out, "| operation | time | ratio | goal | met |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    let row = |out: &mut String, name: &str, ns: f64, goal: Option<f64>| -> Result<()> {
        let ratio = ns / base;
        let (goal_text, met) = match goal {
            Some(g) => (format!("≤ {g}x"), if ratio <= g { "yes" } else { "**no**" }),
            None => (String::new(), ""),
        };
        writeln!(out, "| {name} | {:.1} µs | {ratio:.2}x | {goal_text} | {met} |", ns / 1e3)?;
        Ok(())
    };
    row(&mut out, "partial with proof", get("circuit/partial_with_proof")?, Some(4.4))?;
    row(&mut out, "verify one partial", get("circuit/verify")?, Some(4.0))?;
    let single = get("circuit/verify")?;
    for t in [3, 8, 16] {
        let batch = get(&format!("circuit/verify_request_partials/{t}"))?;
        let per = batch / t as f64;
        row(&mut out, &format!("verify a request's {t} partials together, per partial"), per, None)?;
        writeln!(
            out,
            "|  ↳ cheaper per partial than single verifies | | {:.2} of single | < 1 | {} |",
            per / single,
            if per < single { "yes" } else { "**no**" }
        )?;
    }
    for t in [3, 8, 16] {
        row(&mut out, &format!("combine + open (t = {t})"), get(&format!("circuit/combine_and_open/{t}"))?, None)?;
    }
    writeln!(out, "\n| record / AEAD | size | time | throughput |")?;
    writeln!(out, "|---|---|---|---|")?;
    for (id, label) in [
        ("record/seal", "record seal (STREAM + 2 capsules)"),
        ("record/open", "record open"),
        ("aes256gcm/seal", "AES-256-GCM seal"),
        ("aes256gcm/open", "AES-256-GCM open"),
    ] {
        for size in [1024u64, 1 << 20] {
            let ns = get(&format!("{id}/{size}"))?;
            writeln!(out, "| {label} | {} | {:.1} µs | {:.0} MB/s |", if size == 1024 { "1 KiB" } else { "1 MiB" }, ns / 1e3, size as f64 / ns * 1e3)?;
        }
    }
    let seal_rate = (1u64 << 20) as f64 / get("aes256gcm/seal/1048576")? * 1e9;
    writeln!(
        out,
        "\nAES-256-GCM seal at 1 MiB: {:.0} MB/s; `openssl speed -evp aes-256-gcm` (8 KiB): {:.0} MB/s; ratio {:.0}% (goal ≥ 90%: {}).",
        seal_rate / 1e6,
        openssl / 1e6,
        seal_rate / openssl * 100.0,
        if seal_rate >= 0.9 * openssl { "met" } else { "**not met**" }
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cu_table_shows_what_each_transaction_used_next_to_the_limit_requested() {
        let units = parse_cu_report(r#"{"fold_dealing (t' = 16)": {"used": 57067, "limit": 71634}, "share_patient_data": {"used": 3937, "limit": 34300}}"#)
            .expect("a report");
        let table = cu_table(&units).expect("a table");
        assert!(table.contains("| fold_dealing (t' = 16) | 57067 | 71634 | 80% |  |  |\n"), "{table}");
        assert!(table.contains("| share_patient_data | 3937 | 34300 | 11% | ≤ 6000 | yes |\n"), "{table}");
        assert!(parse_cu_report(r#"{"fold_dealing": 57067}"#).is_err(), "the old format (units only) is refused by name");
    }
}
