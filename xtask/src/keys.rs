//! `cargo xtask keys sync --program-keypair <FILE>` (Anchor's `anchor keys sync`): writes the
//! program id of a deployer's own keypair everywhere the id appears — the program's
//! `declare_id!`, the client's `PROGRAM_ID`, `Anchor.toml` — so that a real deployment never
//! uses the repository's committed test key. `cargo xtask keys list` prints the id in each
//! place. Generate a keypair with `solana-keygen new -o <FILE>` and keep it outside the clone.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

use crate::paths;

/// One place the program id is written, and how to find it on its line.
struct Site {
    /// Path from the repository root.
    path: &'static str,
    /// A line holding the id contains this, then the id in double quotes.
    marker: &'static str,
}

const SITES: &[Site] = &[
    Site { path: "programs/medical-records/src/lib.rs", marker: "declare_id!(" },
    Site { path: "client/src/lib.rs", marker: "pub const PROGRAM_ID: Address = solana_address::address!(" },
    Site { path: "Anchor.toml", marker: "medical_records = " },
];

/// Runs `keys <sync | list>`.
pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("list") => {
            for site in SITES {
                let text = std::fs::read_to_string(paths::repo_root().join(site.path))?;
                for id in ids_in(&text, site.marker) {
                    println!("{id}  {}", site.path);
                }
            }
            Ok(())
        }
        Some("sync") => {
            let keypair = match (args.get(1).map(String::as_str), args.get(2)) {
                (Some("--program-keypair"), Some(path)) => PathBuf::from(path),
                _ => bail!("usage: cargo xtask keys sync --program-keypair <FILE>"),
            };
            let id = program_id_of(&keypair)?;
            for site in SITES {
                let path = paths::repo_root().join(site.path);
                let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                let synced = sync_text(&text, site.marker, &id).with_context(|| format!("in {}", site.path))?;
                if synced != text {
                    std::fs::write(&path, synced)?;
                    println!("xtask: {} now names program {id}", site.path);
                }
            }
            println!("xtask: rebuild the program and the binaries (`cargo xtask build-sbf`, `cargo build --release`) before deploying");
            Ok(())
        }
        _ => bail!("usage: cargo xtask keys <sync --program-keypair FILE | list>"),
    }
}

/// The address (base58) of a Solana keypair file: a JSON array of 64 bytes, secret then
/// public half.
pub fn program_id_of(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let bytes: Vec<u8> = serde_json::from_str(&text).with_context(|| format!("{} is not a Solana keypair file (a JSON array of 64 bytes)", path.display()))?;
    if bytes.len() != 64 {
        bail!("{} holds {} bytes, not a 64-byte keypair", path.display(), bytes.len());
    }
    Ok(bs58::encode(&bytes[32..]).into_string())
}

/// The quoted ids on the lines holding `marker`.
fn ids_in<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.lines().filter_map(|line| line.split_once(marker)).filter_map(|(_, rest)| rest.split('"').nth(1)).collect()
}

/// `text` with the quoted id on every line holding `marker` replaced by `id`; an error if
/// no line holds it (the file changed shape: better to stop than to deploy half-synced).
fn sync_text(text: &str, marker: &str, id: &str) -> Result<String> {
    let mut found = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.split_once(marker) {
            Some((before, rest)) => {
                let mut parts = rest.splitn(3, '"');
                let (lead, _old, tail) = (parts.next().unwrap_or(""), parts.next(), parts.next());
                let Some(tail) = tail else { bail!("the line `{}` has no quoted id", line.trim_end()) };
                found = true;
                out.push_str(&format!("{before}{marker}{lead}\"{id}\"{tail}"));
            }
            None => out.push_str(line),
        }
    }
    if !found {
        bail!("no line holds `{marker}`");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &str = "BPFLoaderUpgradeab1e11111111111111111111111";

    #[test]
    fn every_site_of_the_id_is_rewritten_and_nothing_else() {
        let anchor = "[programs.localnet]\nmedical_records = \"G9Jk\"\n\n[programs.devnet]\nmedical_records = \"G9Jk\"\nother = \"x\"\n";
        let synced = sync_text(anchor, "medical_records = ", NEW).unwrap();
        assert_eq!(synced, anchor.replace("G9Jk", NEW));
        let lib = "use x;\ndeclare_id!(\"G9Jk\");\nfn f() {}\n";
        assert_eq!(sync_text(lib, "declare_id!(", NEW).unwrap(), lib.replace("G9Jk", NEW));
        assert_eq!(ids_in(&sync_text(lib, "declare_id!(", NEW).unwrap(), "declare_id!("), vec![NEW]);
    }

    #[test]
    fn a_file_without_the_id_stops_the_sync() {
        assert!(sync_text("fn main() {}\n", "declare_id!(", NEW).is_err());
        assert!(sync_text("declare_id!(ID);\n", "declare_id!(", NEW).is_err(), "an unquoted id is not guessed at");
    }

    #[test]
    fn the_committed_sites_agree_with_the_committed_test_key() {
        let key = paths::program_dir().join("keys").join(format!("{}-keypair.json", paths::PROGRAM));
        let id = program_id_of(&key).unwrap();
        for site in SITES {
            let text = std::fs::read_to_string(paths::repo_root().join(site.path)).unwrap();
            let ids = ids_in(&text, site.marker);
            assert!(!ids.is_empty() && ids.iter().all(|found| *found == id), "{}: {ids:?} vs {id}", site.path);
        }
    }

    #[test]
    fn keypair_files_are_read_strictly() {
        let dir = std::env::temp_dir().join(format!("xtask-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let short = dir.join("short.json");
        std::fs::write(&short, "[1,2,3]").unwrap();
        assert!(program_id_of(&short).is_err());
        let text = dir.join("text.json");
        std::fs::write(&text, "not json").unwrap();
        assert!(program_id_of(&text).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
