//! # mpc-node
//!
//! The daemon each cluster member (a hospital) runs (`docs/protocol.md` §4–§5). It
//!
//! - takes part in the key ceremony through the chain ([`ceremony`]) and keeps its
//!   transport key and key shares in a vault sealed with Argon2id + AES-256-GCM ([`vault`]);
//! - subscribes to the program's logs and, on start, after every reconnect and every
//!   `backfill_seconds`, scans the cluster's pending share requests, so nothing is missed
//!   ([`serve`]);
//! - posts one partial re-encryption with its proof per request, idempotently: before
//!   posting it reads the request, and the chain says whether its partial is in;
//! - retries RPC errors with exponential backoff, shuts down cleanly on SIGTERM, serves
//!   `/healthz` and Prometheus `/metrics` ([`metrics`]) and logs with `tracing`.
//!
//! ```text
//! mpc-node init --config node.toml   # creates the vault, prints the authority and transport key
//! mpc-node run  --config node.toml   # ceremony if the cluster needs one, then serve
//! mpc-node show --config node.toml   # what the vault holds (no secrets)
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

use anyhow::{Context, Result, bail};
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
    /// Creates the vault with a fresh transport key and prints what the admin registers.
    Init,
    /// Runs the node: the ceremony if the cluster needs one, then serves share requests.
    Run,
    /// Prints the authority, transport key and epochs the vault holds (no secrets).
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
        Command::Show => show(&config),
        Command::Run => run(config).await,
    }
}

fn init(config: &config::Config) -> Result<()> {
    if config.key_share.exists() {
        bail!("{} exists: refusing to overwrite a vault", config.key_share.display());
    }
    let authority = config.authority()?.pubkey();
    let secrets = vault::Secrets::generate();
    vault::save(&config.key_share, &authority, &config.passphrase()?, &secrets)?;
    println!(
        "{}",
        serde_json::json!({ "authority": authority.to_string(), "transport_key": hex::encode(secrets.transport()?.public_key()), "vault": config.key_share })
    );
    Ok(())
}

fn show(config: &config::Config) -> Result<()> {
    let authority = config.authority()?.pubkey();
    let secrets = vault::load(&config.key_share, &authority, &config.passphrase()?)?;
    println!(
        "{}",
        serde_json::json!({ "authority": authority.to_string(), "transport_key": hex::encode(secrets.transport()?.public_key()), "shares": secrets.epochs() })
    );
    Ok(())
}

async fn run(config: config::Config) -> Result<()> {
    let metrics = metrics::Metrics::new();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        let _ = stop.send(true);
    });

    let listener = tokio::net::TcpListener::bind(config.metrics_addr).await.with_context(|| format!("binding {}", config.metrics_addr))?;
    let mut metrics_shutdown = shutdown.clone();
    let http = tokio::spawn(metrics::serve(listener, metrics.clone(), async move {
        let _ = metrics_shutdown.wait_for(|stop| *stop).await;
    }));
    tracing::info!(addr = %config.metrics_addr, "serving /healthz and /metrics");

    let mut node = node::Node::open(&config, metrics.clone(), shutdown.clone())?;
    tracing::info!(authority = %node.authority_address(), cluster = %node.cluster, rpc = %config.rpc_url(), "node started");
    loop {
        let server = match node.prepare().await {
            Ok(server) => server,
            Err(error) if error.is::<node::ShuttingDown>() => break,
            Err(error) => return Err(error),
        };
        #[cfg(feature = "fault-injection")]
        let server = server.with_fault(config.fault.clone());
        metrics.set_phase(metrics::Phase::Serving);
        match Arc::new(server).run(config.ws_url(), Duration::from_secs(config.backfill_seconds)).await? {
            serve::Stop::Shutdown => break,
            serve::Stop::NewEpoch => metrics.set_phase(metrics::Phase::Starting),
        }
    }
    metrics.set_phase(metrics::Phase::Stopping);
    let _ = http.await;
    tracing::info!("stopped");
    Ok(())
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
