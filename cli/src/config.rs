//! Where the connection and the wallet come from, as the Solana CLI decides it: a flag, else
//! the environment (`MEDSHARE_URL`, `MEDSHARE_KEYPAIR`), else the Solana CLI's config file
//! (`~/.config/solana/cli/config.yml`, or `--config FILE`), else the default.
//!
//! The config file is read with the `solana-cli-config` crate, so what `solana config set`
//! writes is what `medshare` reads. A missing default file is not an error (a fresh machine
//! has none); a file that does not parse is, named with its path, and so is a `--config FILE`
//! that does not exist (it was asked for by name, so a typo must not fall back silently).

use anyhow::{Result, anyhow, bail};
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use std::path::{Path, PathBuf};

/// The URL used when neither a flag, the environment nor a config file gives one: a local
/// validator (the Solana CLI's own default is mainnet-beta, where MedShare is not deployed).
pub const DEFAULT_URL: &str = "localhost";

/// Where a setting's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag or its environment variable (clap merges the two; the flag wins).
    Flag,
    /// The Solana CLI config file.
    ConfigFile,
    /// The built-in default.
    Default,
}

impl Source {
    /// A short name for `medshare config get`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Flag => "flag or environment",
            Source::ConfigFile => "config file",
            Source::Default => "default",
        }
    }
}

/// `--commitment`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commitment {
    /// Voted on by a supermajority.
    Confirmed,
    /// Rooted.
    Finalized,
}

impl Commitment {
    /// The RPC commitment.
    pub fn config(self) -> CommitmentConfig {
        match self {
            Commitment::Confirmed => CommitmentConfig::confirmed(),
            Commitment::Finalized => CommitmentConfig::finalized(),
        }
    }

    /// Its name, as the Solana CLI writes it.
    pub fn name(self) -> &'static str {
        match self {
            Commitment::Confirmed => "confirmed",
            Commitment::Finalized => "finalized",
        }
    }
}

/// The Solana CLI config file's values that `medshare` uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileValues {
    /// The file read (`None`: there was none at the default path).
    pub path: Option<PathBuf>,
    /// `json_rpc_url` (empty: not set).
    pub json_rpc_url: String,
    /// `websocket_url` (empty: derived from the RPC URL).
    pub websocket_url: String,
    /// `keypair_path`: a signer source (a file, `prompt://`, `usb://ledger`, …).
    pub keypair_path: String,
    /// `commitment` (empty: not set).
    pub commitment: String,
}

/// Reads the config file: `explicit` (`--config`), else the Solana CLI's default path.
pub fn load(explicit: Option<&Path>) -> Result<FileValues> {
    let path = match explicit {
        Some(path) => {
            if !path.exists() {
                bail!("Solana CLI config file {} does not exist (--config)", path.display());
            }
            path.to_path_buf()
        }
        None => match solana_cli_config::CONFIG_FILE.as_ref() {
            Some(path) if Path::new(path).exists() => PathBuf::from(path),
            // no file at the default path: every setting comes from flags or defaults
            _ => return Ok(FileValues::default()),
        },
    };
    let text = path.to_str().ok_or_else(|| anyhow!("config file path {} is not UTF-8", path.display()))?;
    let config = solana_cli_config::Config::load(text).map_err(|error| anyhow!("malformed Solana CLI config file {}: {error}", path.display()))?;
    Ok(FileValues {
        path: Some(path),
        json_rpc_url: config.json_rpc_url,
        websocket_url: config.websocket_url,
        keypair_path: config.keypair_path,
        commitment: config.commitment,
    })
}

/// The settings a command runs with, each with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The config file read, if any.
    pub config_file: Option<PathBuf>,
    /// JSON-RPC URL or moniker.
    pub url: (String, Source),
    /// The websocket URL (from the config file, else derived from the RPC URL).
    pub websocket_url: (String, Source),
    /// The wallet's signer source.
    pub keypair: (String, Source),
    /// Commitment.
    pub commitment: (Commitment, Source),
    /// A note for stderr about a config value not used as written.
    pub notes: Vec<String>,
}

/// The flag (or environment) values before the config file and defaults are applied.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--url` / `MEDSHARE_URL`.
    pub url: Option<String>,
    /// `--keypair` / `MEDSHARE_KEYPAIR`.
    pub keypair: Option<String>,
    /// `--commitment`.
    pub commitment: Option<Commitment>,
}

/// Applies the precedence flag > environment > config file > default.
pub fn resolve(flags: &Flags, file: &FileValues) -> Result<Settings> {
    let mut notes = Vec::new();
    let pick = |flag: &Option<String>, from_file: &str| -> Option<(String, Source)> {
        match flag {
            Some(value) if !value.is_empty() => Some((value.clone(), Source::Flag)),
            _ if !from_file.is_empty() => Some((from_file.to_owned(), Source::ConfigFile)),
            _ => None,
        }
    };
    let url = pick(&flags.url, &file.json_rpc_url).unwrap_or_else(|| (DEFAULT_URL.to_owned(), Source::Default));
    let keypair = pick(&flags.keypair, &file.keypair_path).unwrap_or_else(|| (default_keypair(), Source::Default));
    let websocket_url = match (&url.1, file.websocket_url.is_empty()) {
        // a websocket URL written in the file belongs to the file's RPC URL, not to a --url flag
        (Source::ConfigFile, false) => (file.websocket_url.clone(), Source::ConfigFile),
        _ => (medshare_client::rpc::websocket_url(&medshare_client::rpc::expand_url(&url.0)), Source::Default),
    };
    let commitment = match (flags.commitment, file.commitment.as_str()) {
        (Some(commitment), _) => (commitment, Source::Flag),
        (None, "") => (Commitment::Confirmed, Source::Default),
        (None, "confirmed") => (Commitment::Confirmed, Source::ConfigFile),
        (None, "finalized") => (Commitment::Finalized, Source::ConfigFile),
        (None, "processed") => {
            // reads at `processed` may see a fork that is rolled back: never for MedShare
            notes.push("the config file's commitment `processed` is not used by medshare (it may read rolled-back state): using `confirmed`".to_owned());
            (Commitment::Confirmed, Source::Default)
        }
        (None, other) => {
            let file = file.path.as_ref().map_or_else(String::new, |p| format!(" {}", p.display()));
            bail!("malformed Solana CLI config file{file}: commitment `{other}` is none of processed, confirmed, finalized")
        }
    };
    Ok(Settings { config_file: file.path.clone(), url, websocket_url, keypair, commitment, notes })
}

impl Settings {
    /// `medshare config get` as JSON.
    pub fn json(&self, fee_payer: Option<&str>) -> serde_json::Value {
        json!({
            "config_file": self.config_file.as_ref().map(|p| p.display().to_string()),
            "json_rpc_url": medshare_client::rpc::expand_url(&self.url.0), "json_rpc_url_source": self.url.1.name(),
            "websocket_url": self.websocket_url.0, "websocket_url_source": self.websocket_url.1.name(),
            "keypair": self.keypair.0, "keypair_source": self.keypair.1.name(),
            "fee_payer": fee_payer,
            "commitment": self.commitment.0.name(), "commitment_source": self.commitment.1.name(),
        })
    }

    /// `medshare config get` for people, like `solana config get`.
    pub fn text(&self, fee_payer: Option<&str>) -> String {
        let source = |s: Source| if s == Source::Default { " (default)".to_owned() } else { format!(" ({})", s.name()) };
        format!(
            "Config File: {}\nRPC URL: {}{}\nWebSocket URL: {}{}\nKeypair Path: {}{}\nFee Payer: {}\nCommitment: {}{}",
            self.config_file.as_ref().map_or_else(|| "(none)".to_owned(), |p| p.display().to_string()),
            medshare_client::rpc::expand_url(&self.url.0),
            source(self.url.1),
            self.websocket_url.0,
            source(self.websocket_url.1),
            self.keypair.0,
            source(self.keypair.1),
            fee_payer.unwrap_or("(the keypair)"),
            self.commitment.0.name(),
            source(self.commitment.1),
        )
    }
}

/// The Solana CLI's default wallet, `~/.config/solana/id.json`.
fn default_keypair() -> String {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".config/solana/id.json").display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str, ws: &str, keypair: &str, commitment: &str) -> FileValues {
        FileValues {
            path: Some(PathBuf::from("/tmp/config.yml")),
            json_rpc_url: url.into(),
            websocket_url: ws.into(),
            keypair_path: keypair.into(),
            commitment: commitment.into(),
        }
    }

    #[test]
    fn flags_win_over_the_config_file_which_wins_over_defaults() {
        let from_file = file("https://api.devnet.solana.com", "", "/keys/patient.json", "finalized");
        let settings = resolve(&Flags::default(), &from_file).unwrap();
        assert_eq!(settings.url, ("https://api.devnet.solana.com".to_owned(), Source::ConfigFile));
        assert_eq!(settings.websocket_url, ("wss://api.devnet.solana.com".to_owned(), Source::Default), "derived from the file's URL");
        assert_eq!(settings.keypair, ("/keys/patient.json".to_owned(), Source::ConfigFile));
        assert_eq!(settings.commitment, (Commitment::Finalized, Source::ConfigFile));

        let flags = Flags { url: Some("http://10.0.0.1:8899".into()), keypair: Some("prompt://".into()), commitment: Some(Commitment::Confirmed) };
        let settings = resolve(&flags, &from_file).unwrap();
        assert_eq!(settings.url, ("http://10.0.0.1:8899".to_owned(), Source::Flag));
        assert_eq!(settings.websocket_url.0, "ws://10.0.0.1:8900");
        assert_eq!(settings.keypair, ("prompt://".to_owned(), Source::Flag));
        assert_eq!(settings.commitment, (Commitment::Confirmed, Source::Flag));

        let settings = resolve(&Flags::default(), &FileValues::default()).unwrap();
        assert_eq!(settings.url, (DEFAULT_URL.to_owned(), Source::Default));
        assert!(settings.keypair.0.ends_with(".config/solana/id.json") && settings.keypair.1 == Source::Default);
        assert_eq!(settings.commitment, (Commitment::Confirmed, Source::Default));
    }

    #[test]
    fn the_files_websocket_url_goes_with_the_files_rpc_url_only() {
        let from_file = file("http://127.0.0.1:8899", "ws://127.0.0.1:9999", "", "");
        assert_eq!(resolve(&Flags::default(), &from_file).unwrap().websocket_url, ("ws://127.0.0.1:9999".to_owned(), Source::ConfigFile));
        let flags = Flags { url: Some("devnet".into()), ..Flags::default() };
        assert_eq!(resolve(&flags, &from_file).unwrap().websocket_url.0, "wss://api.devnet.solana.com");
    }

    #[test]
    fn bad_commitments_are_named_and_processed_is_not_used() {
        let error = resolve(&Flags::default(), &file("", "", "", "recent")).unwrap_err().to_string();
        assert!(error.contains("malformed Solana CLI config file /tmp/config.yml") && error.contains("`recent`"), "{error}");
        let settings = resolve(&Flags::default(), &file("", "", "", "processed")).unwrap();
        assert_eq!(settings.commitment.0, Commitment::Confirmed);
        assert!(settings.notes[0].contains("processed"));
    }

    #[test]
    fn config_files_load_or_fail_by_name() {
        let dir = std::env::temp_dir().join(format!("medshare-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.yml");
        std::fs::write(
            &good,
            "---\njson_rpc_url: \"https://api.devnet.solana.com\"\nwebsocket_url: \"\"\nkeypair_path: /k/id.json\naddress_labels:\n  \"11111111111111111111111111111111\": System Program\ncommitment: confirmed\n",
        )
        .unwrap();
        let values = load(Some(&good)).unwrap();
        assert_eq!(
            (values.json_rpc_url.as_str(), values.keypair_path.as_str(), values.commitment.as_str()),
            ("https://api.devnet.solana.com", "/k/id.json", "confirmed")
        );
        assert_eq!(values.path.as_deref(), Some(good.as_path()));

        let bad = dir.join("bad.yml");
        std::fs::write(&bad, "json_rpc_url: [not, a, string\n").unwrap();
        let error = load(Some(&bad)).unwrap_err().to_string();
        assert!(error.starts_with("malformed Solana CLI config file") && error.contains("bad.yml"), "{error}");
        let error = load(Some(&dir.join("missing.yml"))).unwrap_err().to_string();
        assert!(error.contains("does not exist"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
