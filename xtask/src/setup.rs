//! `cargo xtask setup`: installs what the build needs, each step skipped when already done.

use crate::{
    paths::{self, NIGHTLY, SBPF_LINKER_VERSION},
    run_step,
};
use anyhow::{Context, Result, bail};
use std::{fs, path::Path, process::Command};

/// Every step; cheap when everything is present.
pub fn run() -> Result<()> {
    debian_packages()?;
    rustfmt()?;
    nightly()?;
    sbpf_linker()?;
    patched_std()?;
    Ok(())
}

/// `clang` and `libclang-dev`: bindgen needs them for librocksdb-sys (the test validator).
fn debian_packages() -> Result<()> {
    let missing: Vec<&str> = ["clang", "libclang-dev"]
        .into_iter()
        .filter(|package| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", package])
                .output()
                .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
                .unwrap_or(false)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask setup: installing Debian packages {missing:?}");
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = sudo.to_vec();
        all.push("apt-get");
        all.extend_from_slice(args);
        let mut command = Command::new(all[0]);
        command.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run_step(&mut apt(&["update", "-qq"]), "apt-get update")?;
    let mut install = apt(&["install", "-y", "-qq"]);
    install.args(&missing);
    run_step(&mut install, "apt-get install")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|out| out.stdout.trim_ascii() == b"0").unwrap_or(false)
}

/// `rustfmt` for the host toolchain (rustup's minimal profile leaves it out).
fn rustfmt() -> Result<()> {
    let present = paths::cargo().args(["fmt", "--version"]).output().map(|out| out.status.success()).unwrap_or(false);
    if present {
        return Ok(());
    }
    run_step(Command::new("rustup").args(["component", "add", "rustfmt"]), "rustup component add rustfmt")
}

/// The pinned nightly with `rust-src` (for `-Zbuild-std`).
fn nightly() -> Result<()> {
    let has_src = Command::new("rustc")
        .args([&format!("+{NIGHTLY}"), "--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| Path::new(String::from_utf8_lossy(&out.stdout).trim()).join("lib/rustlib/src/rust/library/std").is_dir())
        .unwrap_or(false);
    if has_src {
        return Ok(());
    }
    run_step(Command::new("rustup").args(["toolchain", "install", NIGHTLY, "--profile", "minimal", "--component", "rust-src"]), "install the SBF nightly")
}

/// `sbpf-linker` into the tools dir, built by the nightly whose LLVM it loads.
fn sbpf_linker() -> Result<()> {
    let linker = paths::tools_dir().join("bin").join("sbpf-linker");
    let installed =
        Command::new(&linker).arg("--version").output().map(|out| String::from_utf8_lossy(&out.stdout).contains(SBPF_LINKER_VERSION)).unwrap_or(false);
    if installed {
        return Ok(());
    }
    let tools = paths::tools_dir();
    run_step(
        paths::cargo().arg(format!("+{NIGHTLY}")).args(["install", "sbpf-linker", "--version", SBPF_LINKER_VERSION, "--locked", "--root"]).arg(&tools),
        "install sbpf-linker (about 5 minutes)",
    )
}

/// A copy of the nightly's std source with `sbf/std-solana-os.patch` applied, so that std
/// builds for the `os = "solana"` target (route A: the program and its dependencies stay
/// unmodified). A stamp holding the patch text makes a changed patch rebuild the copy.
fn patched_std() -> Result<()> {
    let patch_file = paths::repo_root().join("sbf").join("std-solana-os.patch");
    let patch = fs::read(&patch_file).with_context(|| format!("read {}", patch_file.display()))?;
    let dir = paths::patched_std_dir();
    let stamp = dir.join(".patch-stamp");
    if fs::read(&stamp).ok().as_deref() == Some(patch.as_slice()) {
        return Ok(());
    }
    let out = Command::new("rustc").args([&format!("+{NIGHTLY}"), "--print", "sysroot"]).output()?;
    if !out.status.success() {
        bail!("rustc +{NIGHTLY} --print sysroot failed");
    }
    let library = Path::new(String::from_utf8_lossy(&out.stdout).trim()).join("lib/rustlib/src/rust/library");
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    run_step(Command::new("cp").arg("-a").arg(&library).arg(dir.join("library")), "copy rust-src")?;
    run_step(Command::new("patch").args(["-s", "-p1", "-d"]).arg(dir.join("library/std/src/sys")).arg("-i").arg(&patch_file), "patch std for os = solana")?;
    fs::write(stamp, patch)?;
    Ok(())
}
