//! # medshare-cli
//!
//! The `medshare` tool. Every command reads and writes the chain through JSON-RPC with a
//! Solana keypair file as the wallet, and prints either a human summary or, with
//! `--output json`, one JSON document on stdout. Errors go to stderr with the program's
//! error name when the program refused, and the exit code is 1.
//!
//! | who       | commands |
//! |-----------|----------|
//! | patient   | `register-key`, `store`, `list`, `share`, `revoke`, `open` (own record) |
//! | recipient | `register-key`, `requests`, `open` (a completed share) |
//! | auditor   | `audit --record / --owner / --recipient` (from on-chain events alone) |
//! | admin     | `cluster create`, `cluster invite`, `cluster suspend-node / remove-node / replace-node`, `cluster new-epoch` (key generation), `cluster reshare`, `cluster register-circuit`, `cluster status` |
//! | node      | `cluster accept --join-request FILE` (signed by the node authority) |
//! | anyone    | `cluster advance` (past a ceremony deadline), `cluster status` |

#![forbid(unsafe_code)]

pub mod commands;
pub mod output;
pub mod session;

use clap::Parser;
use std::path::PathBuf;

/// MedShare: encrypted medical records on Solana, shared by threshold re-encryption.
#[derive(Parser, Debug)]
#[command(name = "medshare", version, about)]
pub struct Cli {
    /// JSON-RPC URL or moniker (localhost, devnet, testnet, mainnet-beta).
    #[arg(long, short = 'u', global = true, default_value = "localhost", env = "MEDSHARE_URL")]
    pub url: String,
    /// The wallet: a Solana keypair file.
    #[arg(long, short = 'k', global = true, env = "MEDSHARE_KEYPAIR")]
    pub keypair: Option<PathBuf>,
    /// The domain in the message the wallet signs to derive its encryption keys: the host (and
    /// port) of the deployment's web app, lowercase. Another domain derives other keys.
    #[arg(long, global = true, env = "MEDSHARE_KEY_DOMAIN", default_value = encrypted_circuits::wallet_message::DEFAULT_DOMAIN)]
    pub key_domain: String,
    /// A raw encryption key file (exactly 32 bytes: the secret scalar, little-endian) to use
    /// instead of keys derived from the wallet, e.g. for a wallet that does not sign deterministically.
    #[arg(long, global = true, env = "MEDSHARE_ENCRYPTION_KEY", value_name = "FILE")]
    pub encryption_key: Option<PathBuf>,
    /// Commitment level for reads and confirmations.
    #[arg(long, global = true, value_enum, default_value_t = session::Commitment::Confirmed)]
    pub commitment: session::Commitment,
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
