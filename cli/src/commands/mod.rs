//! The commands, one module per role.

pub mod audit;
pub mod cluster;
pub mod keys;
pub mod records;
pub mod shares;

use crate::{Cli, output::Report, session::Session};
use anyhow::Result;
use clap::Subcommand;

/// `medshare` commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Registers the wallet's encryption key (derived from a wallet signature) with a proof of possession; --rotate moves to the next key.
    RegisterKey(keys::RegisterArgs),
    /// Seals a file and stores it as a record (FHIR R4 JSON unless --raw).
    Store(records::StoreArgs),
    /// Re-keys one's record: the same bytes as the next version under the cluster's current key.
    Rekey(records::RekeyArgs),
    /// Lists an owner's records.
    List {
        /// The owner (default: the wallet).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Shares a record with a recipient's wallet (consent, optionally expiring).
    Share(shares::ShareArgs),
    /// Revokes a share request (asks first; --yes to skip).
    Revoke {
        /// The share request.
        request: String,
    },
    /// Marks a pending share request past its expiry as expired (anyone may; the owner can then close it).
    Expire {
        /// The share request.
        request: String,
    },
    /// Closes one's record and returns its rent; its ciphertext leaves the chain (asks first; --yes to skip).
    CloseRecord {
        /// The record (yours).
        record: String,
    },
    /// Closes a finished share request (completed, revoked or expired) and returns its rent to the owner (asks first; --yes to skip).
    CloseRequest {
        /// The share request (of your record).
        request: String,
    },
    /// Lists share requests: to a recipient (default: the wallet), by an owner, or of a record.
    Requests(Scope),
    /// Opens a completed share (as its recipient) or one's own record (as its owner).
    Open(records::OpenArgs),
    /// The history of a record, an owner or a recipient (default: everything), rebuilt from on-chain events alone, with a dated timeline.
    Audit(audit::AuditArgs),
    /// The wallet's address (and the fee payer's, when another), as `solana address` prints it.
    Address,
    /// The settings in effect and where each came from (flag, environment, Solana CLI config file, default).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Cluster administration.
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
}

/// `config`.
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Prints the settings in effect, like `solana config get`.
    Get,
}

/// Whose history or requests: one of a record, an owner or a recipient.
#[derive(clap::Args, Debug)]
pub struct Scope {
    /// One record.
    #[arg(long, conflicts_with_all = ["owner", "recipient"])]
    pub record: Option<String>,
    /// Everything an owner stored and shared.
    #[arg(long, conflicts_with = "recipient")]
    pub owner: Option<String>,
    /// Everything shared with a recipient.
    #[arg(long)]
    pub recipient: Option<String>,
}

/// A parsed [`Scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// One record.
    Record(medshare_client::Address),
    /// An owner's records and shares.
    Owner(medshare_client::Address),
    /// The shares to a recipient.
    Recipient(medshare_client::Address),
}

impl Scope {
    /// The subject given, if any.
    pub fn subject(&self) -> Result<Option<Subject>> {
        use crate::session::address;
        Ok(match (&self.record, &self.owner, &self.recipient) {
            (Some(record), _, _) => Some(Subject::Record(address(record, "record")?)),
            (_, Some(owner), _) => Some(Subject::Owner(address(owner, "owner")?)),
            (_, _, Some(recipient)) => Some(Subject::Recipient(address(recipient, "recipient")?)),
            _ => None,
        })
    }
}

/// Runs `cli`'s command.
pub async fn run(cli: Cli) -> Result<Report> {
    let session = Session::new(&cli)?;
    match cli.command {
        Command::RegisterKey(args) => keys::register(&session, args).await,
        Command::Store(args) => records::store(&session, args).await,
        Command::Rekey(args) => records::rekey(&session, args).await,
        Command::List { owner } => records::list(&session, owner).await,
        Command::Share(args) => shares::share(&session, args).await,
        Command::Revoke { request } => shares::revoke(&session, &request).await,
        Command::Expire { request } => shares::expire(&session, &request).await,
        Command::CloseRecord { record } => records::close_record(&session, &record).await,
        Command::CloseRequest { request } => shares::close_request(&session, &request).await,
        Command::Requests(args) => shares::requests(&session, args).await,
        Command::Open(args) => records::open(&session, args).await,
        Command::Audit(args) => audit::audit(&session, args).await,
        Command::Cluster(command) => cluster::run(&session, command).await,
        Command::Address => keys::address(&session),
        Command::Config(ConfigCommand::Get) => {
            let fee_payer = cli.fee_payer.as_deref();
            Ok(Report::new(session.settings.json(fee_payer), session.settings.text(fee_payer)))
        }
    }
}
