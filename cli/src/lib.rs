//! # medshare-cli
//!
//! The `medshare` tool, the Solana CLI's sibling: it reads the Solana CLI's config file
//! (`~/.config/solana/cli/config.yml`, or `--config`) for the RPC URL, the wallet and the
//! commitment when no flag or environment variable gives them; takes signers in the Solana
//! CLI's forms (a keypair file, `prompt://`, `stdin`, `usb://ledger`) for `--keypair` and
//! `--fee-payer`; sets a priority fee (`--with-compute-unit-price`, else from recent fees);
//! and asks before destructive or costly steps (`--yes` to skip). Every command prints either
//! a human summary or, with `--output json`, one JSON document on stdout. Errors go to stderr
//! with the program's error name when the program refused, and the exit code is 1.
//!
//! | who       | commands |
//! |-----------|----------|
//! | patient   | `register-key`, `store`, `list`, `share`, `revoke`, `open` (own record), `close-record`, `close-request` |
//! | recipient | `register-key`, `requests`, `open` (a completed share) |
//! | auditor   | `audit --record / --owner / --recipient` (from on-chain events alone; `--limit`, `--before` page it) |
//! | admin     | `cluster create`, `cluster invite`, `cluster suspend-node / remove-node / replace-node`, `cluster new-epoch` (key generation), `cluster reshare`, `cluster register-circuit`, `cluster status` |
//! | node      | `cluster accept --join-request FILE` (signed by the node authority), `cluster close-dealing` |
//! | anyone    | `cluster advance` (past a ceremony deadline), `cluster status`, `expire` (a request past its expiry), `address`, `config get` |

#![forbid(unsafe_code)]

pub mod commands;
pub mod config;
pub mod fhir;
pub mod output;
pub mod session;
pub mod signer;
pub mod time;

use clap::Parser;
use std::path::PathBuf;

/// MedShare: encrypted medical records on Solana, shared by threshold re-encryption.
#[derive(Parser, Debug)]
#[command(name = "medshare", version, about)]
pub struct Cli {
    /// The Solana CLI config file to read the URL, keypair and commitment from [default: ~/.config/solana/cli/config.yml].
    #[arg(long, short = 'C', global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// JSON-RPC URL or moniker (localhost, devnet, testnet, mainnet-beta) [default: the config file's json_rpc_url, else localhost].
    #[arg(long, short = 'u', global = true, env = "MEDSHARE_URL")]
    pub url: Option<String>,
    /// The wallet: a keypair file, prompt:// (seed phrase), stdin (a JSON keypair on stdin) or usb://ledger [default: the config file's keypair_path, else ~/.config/solana/id.json].
    #[arg(long, short = 'k', global = true, env = "MEDSHARE_KEYPAIR", value_name = "SIGNER")]
    pub keypair: Option<String>,
    /// Who pays the transaction fees, in the same forms as --keypair [default: the wallet]. The wallet still pays the rent of the accounts it owns.
    #[arg(long, global = true, value_name = "SIGNER")]
    pub fee_payer: Option<String>,
    /// The priority fee, in micro-lamports per compute unit [default: from the recent fees of the accounts written, capped].
    #[arg(long, global = true, value_name = "MICRO_LAMPORTS")]
    pub with_compute_unit_price: Option<u64>,
    /// Do not ask before destructive or costly steps (required when stdin is not a terminal).
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// The domain in the message the wallet signs to derive its encryption keys: the host (and
    /// port) of the deployment's web app, lowercase. Another domain derives other keys.
    #[arg(long, global = true, env = "MEDSHARE_KEY_DOMAIN", default_value = encrypted_circuits::wallet_message::DEFAULT_DOMAIN)]
    pub key_domain: String,
    /// A raw encryption key file (exactly 32 bytes: the secret scalar, little-endian) to use
    /// instead of keys derived from the wallet, e.g. for a wallet that does not sign deterministically.
    #[arg(long, global = true, env = "MEDSHARE_ENCRYPTION_KEY", value_name = "FILE")]
    pub encryption_key: Option<PathBuf>,
    /// Commitment level for reads and confirmations [default: the config file's commitment, else confirmed].
    #[arg(long, global = true, value_enum)]
    pub commitment: Option<session::Commitment>,
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = output::Format::Display)]
    pub output: output::Format,
    /// What to do.
    #[command(subcommand)]
    pub command: commands::Command,
}

/// Parses the command line, runs the command, prints its report or the error.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let format = cli.output;
    match runtime.block_on(commands::run(cli)) {
        Ok(report) => {
            report.print(format);
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
