//! `cargo xtask setup`: installs what the build and the tests need, each step skipped when already done.

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
    s3s_fs()?;
    chromium()?;
    node_packages()?;
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

/// Where Debian's `chromium` package puts the browser the web app's end-to-end tests drive
/// (`web/e2e/run.mjs`, through playwright-core and the DevTools protocol).
const CHROMIUM: &str = "/usr/bin/chromium";

/// Debian's `chromium` and `chromium-driver` when the browser is missing: the web app's
/// end-to-end tests (`tests/tests/web_e2e.rs`) run it headless. Playwright's own browser
/// download is not used: a Debian package is what the machines here can install, and it is
/// updated with the system's security fixes.
fn chromium() -> Result<()> {
    if Path::new(CHROMIUM).is_file() {
        return Ok(());
    }
    eprintln!("xtask setup: installing Debian packages [\"chromium\", \"chromium-driver\"] (the web app's end-to-end tests)");
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let steps: [&[&str]; 2] = [&["apt-get", "update", "-qq"], &["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "chromium-driver"]];
    for args in steps {
        let all: Vec<&str> = sudo.iter().chain(args).copied().collect();
        run_step(Command::new(all[0]).args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive"), "apt-get (chromium, chromium-driver)")?;
    }
    if !Path::new(CHROMIUM).is_file() {
        bail!("{CHROMIUM} is still missing after apt-get install chromium");
    }
    Ok(())
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

/// The S3-compatible server the blob-store tests run (`tests/src/s3.rs`): `s3s-fs`, the s3s
/// project's file-system-backed S3 server, from crates.io. 0.14.1 is its last release that
/// builds on stable 1.95 (0.15 and later need 1.96).
const S3S_FS_VERSION: &str = "0.14.1";

/// `s3s-fs` into the tools dir (about 3 minutes on 2 cores), built by the stable toolchain.
fn s3s_fs() -> Result<()> {
    let server = paths::tools_dir().join("bin").join("s3s-fs");
    let installed = Command::new(&server).arg("--version").output().map(|out| String::from_utf8_lossy(&out.stdout).contains(S3S_FS_VERSION)).unwrap_or(false);
    if installed {
        return Ok(());
    }
    let tools = paths::tools_dir();
    run_step(
        paths::cargo().args(["install", "s3s-fs", "--version", S3S_FS_VERSION, "--features", "binary", "--locked", "--root"]).arg(&tools),
        "install s3s-fs (the tests' S3-compatible server, about 3 minutes)",
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

/// The oldest Node.js the npm packages run on (`@codama/renderers-js`'s `engines`).
const NODE_MIN: (u32, u32) = (20, 18);

/// The npm projects of the repository, each with a committed `package-lock.json`: the IDL as a
/// third party uses it (`tests/js`), the web app (`web/app`, built by `cargo xtask web`) and its
/// end-to-end tests (`web/e2e`). A project whose lock file is not there yet is skipped.
const NPM_PROJECTS: [&str; 3] = ["tests/js", "web/app", "web/e2e"];

/// Node.js and npm (Debian's `nodejs npm` when `node` is missing), then `npm ci` in each of
/// [`NPM_PROJECTS`] whose `node_modules` is missing, older than its lock file, or lacks a
/// dependency at its pinned version.
fn node_packages() -> Result<()> {
    let version = |tool: &str| {
        Command::new(tool).arg("--version").output().ok().filter(|out| out.status.success()).map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    if version("node").is_none() || version("npm").is_none() {
        eprintln!("xtask setup: installing Debian packages [\"nodejs\", \"npm\"]");
        let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
        for args in [&["apt-get", "update", "-qq"][..], &["apt-get", "install", "-y", "-qq", "nodejs", "npm"]] {
            let all: Vec<&str> = sudo.iter().chain(args).copied().collect();
            run_step(Command::new(all[0]).args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive"), "apt-get (nodejs, npm)")?;
        }
    }
    let node = version("node").context("node is still missing after apt-get install nodejs")?;
    let parsed: Vec<u32> = node.trim_start_matches('v').split('.').take(2).filter_map(|part| part.parse().ok()).collect();
    if parsed.len() != 2 || (parsed[0], parsed[1]) < NODE_MIN {
        bail!("Node.js {node} is too old for the npm packages (needs v{}.{} or later): install a newer nodejs package", NODE_MIN.0, NODE_MIN.1);
    }
    for project in NPM_PROJECTS {
        let dir = paths::repo_root().join(project);
        if dir.join("package-lock.json").is_file() {
            npm_ci_if_needed(&dir, project)?;
        }
    }
    Ok(())
}

/// `npm ci` in `project` (named `label` in the step) unless [`js_packages_installed`].
pub(crate) fn npm_ci_if_needed(project: &Path, label: &str) -> Result<()> {
    if js_packages_installed(project)? {
        return Ok(());
    }
    run_step(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(project), &format!("npm ci in {label}"))
}

/// Whether `node_modules` is at least as new as `package-lock.json` (npm writes
/// `node_modules/.package-lock.json` on every install, so a lock changed by a pull is newer)
/// and holds every dependency and dev dependency of `package.json` at its pinned version.
fn js_packages_installed(project: &Path) -> Result<bool> {
    let modified = |path: &Path| fs::metadata(path).and_then(|meta| meta.modified()).ok();
    let (Some(lock), Some(installed)) = (modified(&project.join("package-lock.json")), modified(&project.join("node_modules").join(".package-lock.json")))
    else {
        return Ok(false);
    };
    if installed < lock {
        return Ok(false);
    }
    let manifest_path = project.join("package.json");
    let manifest: serde_json::Value = serde_json::from_str(&fs::read_to_string(&manifest_path).with_context(|| format!("read {}", manifest_path.display()))?)
        .with_context(|| format!("parse {}", manifest_path.display()))?;
    let pinned = ["dependencies", "devDependencies"].into_iter().filter_map(|section| manifest[section].as_object()).flatten();
    Ok(pinned.into_iter().all(|(name, version)| {
        let installed = fs::read_to_string(project.join("node_modules").join(name).join("package.json")).ok();
        installed.and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok()).is_some_and(|package| &package["version"] == version)
    }))
}
