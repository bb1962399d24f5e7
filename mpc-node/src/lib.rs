//! # mpc-node
//!
//! The daemon each cluster member (a hospital) runs (`docs/protocol.md` §3.5, §5). It
//!
//! - joins the cluster by itself: the admin invites its authority, and the node accepts
//!   with its own transport key and a proof of possession, so the admin never holds a
//!   node's key ([`ceremony`]);
//! - takes part in every key generation and resharing through the chain as a resumable
//!   state machine beside serving (a resharing runs while the old holders keep serving),
//!   keeping its transport key, ceremony progress and key shares in a vault sealed with
//!   Argon2id + AES-256-GCM ([`vault`]), and rotating its transport key after each
//!   ceremony it received shares in;
//! - subscribes to the cluster's pending share requests and, on start, after every
//!   reconnect, every `backfill_seconds` and whenever its serving share changes, scans them,
//!   so nothing is missed ([`serve`]);
//! - posts one partial re-encryption with its proof per request, idempotently: before
//!   posting it reads the request, and the chain says whether its partial is in;
//! - retries RPC errors with exponential backoff, shuts down cleanly on SIGTERM, serves
//!   `/healthz` and Prometheus `/metrics` ([`metrics`]) and logs with `tracing`.
//!
//! ```text
//! mpc-node init         --config node.toml  # creates the vault, prints the authority and transport key
//! mpc-node join-request --config node.toml  # prints what `medshare cluster accept --join-request` takes
//! mpc-node run          --config node.toml  # accept the invitation if pending, ceremonies, serve
//! mpc-node show         --config node.toml  # what the vault holds (no secrets)
//! ```
//!
//! The vault passphrase comes from `passphrase_file` or the `MPC_NODE_PASSPHRASE`
//! environment variable. Secrets are never logged.

#![forbid(unsafe_code)]

pub mod ceremony;
pub mod config;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod metrics;
pub mod node;
pub mod serve;
pub mod vault;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use solana_signer::Signer;
use std::{path::PathBuf, sync::Arc, time::Duration};

/// The MedShare node daemon.
#[derive(Parser, Debug)]
#[command(name = "mpc-node", version, about)]
pub struct Cli {
    /// The node's TOML config.
    #[arg(long, short, global = true, default_value = "node.toml")]
    pub config: PathBuf,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `mpc-node` commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Creates the vault with a fresh transport key and prints the authority the admin invites.
    Init,
    /// Prints the node's acceptance of its invitation (cluster, authority, transport key and
    /// its proof of possession) as JSON, for `medshare cluster accept --join-request FILE`.
    JoinRequest,
    /// Runs the node: accepts a pending invitation, takes part in ceremonies, serves share requests.
    Run,
    /// Prints the authority, transport keys, shares and ceremony state the vault holds (no secrets).
    Show,
}

/// The process entry point of both binaries.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mpc-node: cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("mpc-node: error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Runs one command.
pub async fn execute(cli: Cli) -> Result<()> {
    let config = config::Config::load(&cli.config)?;
    match cli.command {
        Command::Init => init(&config),
        Command::JoinRequest => join_request(&config),
        Command::Show => show(&config),
        Command::Run => run(config).await,
    }
}

fn init(config: &config::Config) -> Result<()> {
    let authority = config.authority()?.pubkey();
    let vault = vault::Vault::create(&config.key_share, authority, config.passphrase()?)?;
    println!(
        "{}",
        serde_json::json!({
            "authority": authority.to_string(),
            "transport_key": hex::encode(vault.secrets.transport()?.public_key()),
            "vault": config.key_share,
            "next": "have the admin invite this authority (medshare cluster invite), then run `mpc-node run`: it accepts by itself",
        })
    );
    Ok(())
}

/// What `accept_invitation` takes, proven for this program, cluster and authority: the node
/// sends it itself on start, and an operator who would rather have the admin's tooling see
/// it first hands this JSON over.
pub fn join_request(config: &config::Config) -> Result<()> {
    let authority = config.authority()?.pubkey();
    let cluster = config.cluster_address()?;
    let secrets = vault::load(&config.key_share, &authority, &config.passphrase()?)?;
    println!("{}", serde_json::to_string(&join_request_of(&secrets, cluster, authority)?)?);
    Ok(())
}

/// The acceptance `secrets`' current transport key makes for `authority` in `cluster`.
fn join_request_of(
    secrets: &vault::Secrets,
    cluster: medshare_client::Address,
    authority: medshare_client::Address,
) -> Result<medshare_client::join::JoinRequest> {
    let transport = secrets.transport()?;
    let proof = transport.prove_possession(&mut rand::rngs::OsRng, &medshare_client::PROGRAM_ID.to_bytes(), &cluster.to_bytes(), &authority.to_bytes());
    Ok(medshare_client::join::JoinRequest { cluster, authority, transport_key: transport.public_key(), proof })
}

fn show(config: &config::Config) -> Result<()> {
    let authority = config.authority()?.pubkey();
    let secrets = vault::load(&config.key_share, &authority, &config.passphrase()?)?;
    println!(
        "{}",
        serde_json::json!({
            "authority": authority.to_string(),
            "format": vault::FORMAT,
            "transport_key": hex::encode(secrets.transport()?.public_key()),
            "pending_transport_key": secrets.pending_transport()?.map(|t| hex::encode(t.public_key())),
            "shares": secrets.epochs(),
            "ceremonies": secrets.ceremonies(),
        })
    );
    Ok(())
}

async fn run(config: config::Config) -> Result<()> {
    let metrics = metrics::Metrics::new();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let stop = Arc::new(stop);
    let signalled = Arc::clone(&stop);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        let _ = signalled.send(true);
    });

    let listener = tokio::net::TcpListener::bind(config.metrics_addr).await.with_context(|| format!("binding {}", config.metrics_addr))?;
    let mut metrics_shutdown = shutdown.clone();
    let http = tokio::spawn(metrics::serve(listener, metrics.clone(), async move {
        let _ = metrics_shutdown.wait_for(|stop| *stop).await;
    }));
    tracing::info!(addr = %config.metrics_addr, "serving /healthz and /metrics");

    let (link, vault) = node::open(&config, metrics.clone(), shutdown.clone())?;
    let cluster = config.cluster_address()?;
    tracing::info!(authority = %link.authority_address(), %cluster, rpc = %config.rpc_url(), "node started");
    let (publish, serving) = tokio::sync::watch::channel(None);
    let driver = ceremony::Driver::new(link.clone(), cluster, vault, publish, config.ceremony_poll(), config.ceremony_stuck_after());
    #[cfg(feature = "fault-injection")]
    let driver = driver.with_fault(config.fault.clone());
    let server = serve::Server::new(link, cluster, serving);
    #[cfg(feature = "fault-injection")]
    let server = server.with_fault(config.fault.clone());
    metrics.set_phase(metrics::Phase::Running);

    let mut driver = tokio::spawn(driver.run());
    let mut server = tokio::spawn(Arc::new(server).run(config.ws_url(), Duration::from_secs(config.backfill_seconds)));
    // Either ends on shutdown; the driver also ends on a fatal error, which stops the server.
    let result = tokio::select! {
        driven = &mut driver => {
            let _ = stop.send(true);
            let served = server.await;
            flatten(driven).and(flatten(served))
        }
        served = &mut server => {
            let _ = stop.send(true);
            let driven = driver.await;
            flatten(served).and(flatten(driven))
        }
    };
    metrics.set_phase(metrics::Phase::Stopping);
    let _ = stop.send(true);
    let _ = http.await;
    tracing::info!("stopped");
    result
}

fn flatten(joined: Result<Result<()>, tokio::task::JoinError>) -> Result<()> {
    joined.map_err(|error| anyhow::anyhow!("a node task panicked: {error}"))?
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = terminate.recv() => {},
                _ = tokio::signal::ctrl_c() => {},
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use medshare_client::{Address, PROGRAM_ID};

    #[test]
    fn a_join_request_carries_a_proof_the_program_accepts_for_its_authority_only() {
        let secrets = vault::Secrets::generate();
        let (cluster, authority) = (Address::new_from_array([1; 32]), Address::new_from_array([2; 32]));
        let request = join_request_of(&secrets, cluster, authority).unwrap();
        assert_eq!(request.transport_key, secrets.transport().unwrap().public_key());
        let verify = |authority: &Address| {
            encrypted_circuits::ceremony::verify_transport_key(
                &PROGRAM_ID.to_bytes(),
                &cluster.to_bytes(),
                &authority.to_bytes(),
                &request.transport_key,
                &request.proof,
            )
        };
        assert!(verify(&authority).is_ok());
        assert!(verify(&Address::new_from_array([3; 32])).is_err(), "bound to the authority");
        let json: serde_json::Value = serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
        assert_eq!(json["authority"], authority.to_string());
        assert_eq!(json["transport_key"], hex::encode(request.transport_key));
        assert_eq!(json["proof"].as_str().unwrap().len(), 128);
    }
}
