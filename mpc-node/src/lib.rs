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
//! - answers at most `max_in_flight` requests at once ([`queue`]), reads only summaries of
//!   the pending requests in its scans, and marks requests past their expiry expired instead
//!   of answering them;
//! - sends its transactions through the client's landing (priority fee, re-broadcast,
//!   re-signing) over the configured RPC endpoint and its fail-overs;
//! - retries RPC errors with exponential backoff, shuts down cleanly on SIGTERM, serves
//!   `/healthz` with the reasons it is unhealthy and Prometheus `/metrics` ([`metrics`]),
//!   and logs with `tracing`, RPC URLs redacted ([`redact`]);
//! - refuses to run beside another daemon on the same vault ([`lock`]) and exits with a code
//!   that tells a supervisor whether restarting can help ([`exit`]).
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
pub mod exit;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod lock;
pub mod metrics;
pub mod node;
pub mod pace;
pub mod queue;
pub mod redact;
pub mod serve;
pub mod vault;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use exit::{Classify, ExitKind};
use solana_signer::Signer;
use std::{path::PathBuf, sync::Arc, time::Duration};

/// The MedShare node daemon.
#[derive(Parser, Debug)]
#[command(name = "mpc-node", version, about, after_help = exit::HELP)]
pub struct Cli {
    /// The node's TOML config.
    #[arg(long, short, global = true, default_value = "node.toml")]
    pub config: PathBuf,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// A file holding the vault passphrase, overriding the config's `passphrase_file` (for
    /// systemd's `LoadCredential`: `--passphrase-file %d/passphrase`).
    #[arg(long, global = true)]
    pub passphrase_file: Option<PathBuf>,
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

/// The process entry point of both binaries; the exit code is [`exit::ExitKind`]'s.
pub fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // --help and --version are not errors
            return std::process::ExitCode::from(if error.exit_code() == 0 { 0 } else { ExitKind::Usage.code() });
        }
    };
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mpc-node: cannot start the runtime: {error}");
            return std::process::ExitCode::from(ExitKind::Temporary.code());
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            let code = exit::exit_code(&error);
            let message = redact::scrub_urls(&format!("{error:#}"));
            tracing::error!(exit_code = code, "{message}");
            eprintln!("mpc-node: error: {message}");
            std::process::ExitCode::from(code)
        }
    }
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // every line passes the URL scrubber: errors of the HTTP and websocket clients embed the
    // URL they failed on, API key and all
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(|| redact::Scrubbing(std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Runs one command; errors carry their [`exit::ExitKind`].
pub async fn execute(cli: Cli) -> Result<()> {
    let mut config = config::Config::load(&cli.config).exit(ExitKind::Config)?;
    if let Some(path) = cli.passphrase_file {
        config.passphrase_file = Some(path);
    }
    match cli.command {
        Command::Init => init(&config),
        Command::JoinRequest => join_request(&config),
        Command::Show => show(&config),
        Command::Run => run(config).await,
    }
}

fn init(config: &config::Config) -> Result<()> {
    let authority = config.authority().exit(ExitKind::Config)?.pubkey();
    let vault = vault::Vault::create(&config.key_share, authority, config.passphrase().exit(ExitKind::Config)?).exit(ExitKind::Vault)?;
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
    let authority = config.authority().exit(ExitKind::Config)?.pubkey();
    let cluster = config.cluster_address().exit(ExitKind::Config)?;
    let secrets = vault::load(&config.key_share, &authority, &config.passphrase().exit(ExitKind::Config)?).exit(ExitKind::Vault)?;
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
    let authority = config.authority().exit(ExitKind::Config)?.pubkey();
    let secrets = vault::load(&config.key_share, &authority, &config.passphrase().exit(ExitKind::Config)?).exit(ExitKind::Vault)?;
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
    // before anything else, and held until the process exits: one daemon per vault
    let vault_lock = lock::VaultLock::acquire(&config.key_share).exit(ExitKind::VaultLocked)?;
    let metrics = metrics::Metrics::new();
    metrics.set_min_fee_balance(config.min_fee_balance_lamports);
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
    let cluster = config.cluster_address().exit(ExitKind::Config)?;
    log_started(&config, &link.authority_address(), &cluster, vault_lock.path());
    check_cluster(&link, &cluster).await?;
    link.poll_fee_balance().await;
    let (publish, serving) = tokio::sync::watch::channel(None);
    let driver = ceremony::Driver::new(link.clone(), cluster, vault, publish, config.ceremony_poll(), config.ceremony_stuck_after());
    #[cfg(feature = "fault-injection")]
    let driver = driver.with_fault(config.fault.clone());
    let server = serve::Server::new(link, cluster, serving, config.max_in_flight);
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
    drop(vault_lock);
    result
}

/// The start-up line: who, which cluster, and where — every URL redacted (providers put API
/// keys in them).
fn log_started(config: &config::Config, authority: &medshare_client::Address, cluster: &medshare_client::Address, lock: &std::path::Path) {
    tracing::info!(
        %authority,
        %cluster,
        rpc = %config.redacted_endpoints().join(", "),
        ws = %config.redacted_ws_url(),
        max_in_flight = config.max_in_flight,
        lock = %lock.display(),
        "node started"
    );
}

/// Reads the cluster account before starting: no endpoint answering is
/// [`ExitKind::RpcUnavailable`] (worth a restart later), a missing or foreign account is the
/// config's fault — unless the RPC node says it is not caught up (`getHealth` fails, as a
/// validator replaying its ledger after a restart answers): then the account may well exist
/// at a slot it has not reached, and a restart later can succeed ([`ExitKind::Temporary`]).
async fn check_cluster(link: &node::Link, cluster: &medshare_client::Address) -> Result<()> {
    let data = link
        .retry("getAccountInfo", |_| true, || link.connection.account(cluster))
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))
        .context("no RPC endpoint answered")
        .exit(ExitKind::RpcUnavailable)?;
    let Some(data) = data else {
        if let Err(health) = link.connection.rpc.get_health().await {
            return Err(anyhow::anyhow!(
                "cluster {cluster} is not visible yet and the RPC node is not caught up ({health}): it may still be replaying its ledger"
            ))
            .exit(ExitKind::Temporary);
        }
        return Err(anyhow::anyhow!("cluster {cluster} does not exist on this network: check `cluster` and `rpc_url`")).exit(ExitKind::Config);
    };
    medshare_client::accounts::Cluster::decode(&data).with_context(|| format!("{cluster} is not a MedShare cluster account")).exit(ExitKind::Config)?;
    Ok(())
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

    /// A `tracing` writer collecting what is logged, unscrubbed (so that the test sees what
    /// the code itself logs, not what the scrubbing writer would fix).
    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_start_up_line_names_the_endpoints_without_their_api_keys() {
        let dir = std::env::temp_dir().join(format!("medshare-startup-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("node.toml");
        std::fs::write(
            &path,
            "rpc_url = \"https://mainnet.helius-rpc.com/?api-key=PRIMARY-KEY\"\n\
             rpc_urls = [\"https://solana-mainnet.g.alchemy.com/v2/BACKUP-KEY\", \"devnet\"]\n\
             keypair = \"node.json\"\ncluster = \"G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ\"\n\
             key_share = \"vault.json\"\nmetrics_addr = \"127.0.0.1:9464\"\n",
        )
        .unwrap();
        let config = config::Config::load(&path).unwrap();
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || sink.clone()).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, || {
            log_started(&config, &Address::new_from_array([2; 32]), &config.cluster_address().unwrap(), std::path::Path::new("vault.json.lock"));
        });
        let line = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(line.contains("node started"), "{line}");
        for secret in ["PRIMARY-KEY", "BACKUP-KEY", "api-key", "/v2/"] {
            assert!(!line.contains(secret), "`{secret}` logged: {line}");
        }
        for host in ["mainnet.helius-rpc.com", "solana-mainnet.g.alchemy.com", "api.devnet.solana.com"] {
            assert!(line.contains(host), "{host} missing: {line}");
        }
        assert!(line.contains("ws=wss://mainnet.helius-rpc.com"), "{line}");
    }

    #[test]
    fn bad_command_lines_exit_with_ex_usage_and_help_lists_the_exit_codes() {
        let error = Cli::try_parse_from(["mpc-node", "--config", "node.toml", "dance"]).unwrap_err();
        assert_ne!(error.exit_code(), 0, "an unknown subcommand is a usage error (64 in main)");
        let help = Cli::try_parse_from(["mpc-node", "--help"]).unwrap_err();
        assert_eq!(help.exit_code(), 0, "--help is not an error");
        let text = help.render().to_string();
        for code in ["64", "65", "69", "73", "75", "78"] {
            assert!(text.contains(&format!("  {code}  ")), "exit code {code} missing from --help:\n{text}");
        }
    }

    #[tokio::test]
    async fn a_second_run_on_a_locked_vault_exits_73_and_a_bad_config_78() {
        let dir = std::env::temp_dir().join(format!("medshare-run-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("node.toml");
        let vault = dir.join("vault.json");
        std::fs::write(
            &path,
            format!(
                "rpc_url = \"http://127.0.0.1:9\"\nkeypair = \"{}\"\ncluster = \"G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ\"\n\
                 key_share = \"{}\"\nmetrics_addr = \"127.0.0.1:0\"\n",
                dir.join("node.json").display(),
                vault.display()
            ),
        )
        .unwrap();
        let _first = lock::VaultLock::acquire(&vault).unwrap();
        let cli = |command| Cli { config: path.clone(), log_format: LogFormat::Text, passphrase_file: None, command };
        let error = execute(cli(Command::Run)).await.unwrap_err();
        assert_eq!(exit::exit_code(&error), 73, "{error:#}");
        assert!(format!("{error:#}").contains(&format!("pid {}", std::process::id())), "{error:#}");

        std::fs::write(dir.join("broken.toml"), "rpc_url = 7\n").unwrap();
        let broken = Cli { config: dir.join("broken.toml"), log_format: LogFormat::Text, passphrase_file: None, command: Command::Run };
        assert_eq!(exit::exit_code(&execute(broken).await.unwrap_err()), 78);

        // no keypair file: a config error too, found after the lock
        drop(_first);
        let error = execute(cli(Command::Run)).await.unwrap_err();
        assert_eq!(exit::exit_code(&error), 78, "{error:#}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_wrong_passphrase_exits_65_and_an_unreachable_rpc_69() {
        let dir = std::env::temp_dir().join(format!("medshare-run-vault-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let authority = solana_keypair::Keypair::new();
        solana_keypair::write_keypair_file(&authority, dir.join("node.json")).unwrap();
        let vault = dir.join("vault.json");
        vault::Vault::create(&vault, authority.pubkey(), zeroize::Zeroizing::new("the right passphrase".to_owned())).unwrap();
        let run_with = |passphrase: &str| {
            std::fs::write(dir.join("passphrase"), passphrase).unwrap();
            let path = dir.join("node.toml");
            std::fs::write(
                &path,
                format!(
                    // nothing listens on port 9 (discard): every RPC call fails at once
                    "rpc_url = \"http://127.0.0.1:9\"\nkeypair = \"{}\"\ncluster = \"G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ\"\n\
                     key_share = \"{}\"\nmetrics_addr = \"127.0.0.1:0\"\npassphrase_file = \"{}\"\n",
                    dir.join("node.json").display(),
                    vault.display(),
                    dir.join("passphrase").display()
                ),
            )
            .unwrap();
            execute(Cli { config: path, log_format: LogFormat::Text, passphrase_file: None, command: Command::Run })
        };
        let wrong = run_with("not the passphrase").await.unwrap_err();
        assert_eq!(exit::exit_code(&wrong), 65, "{wrong:#}");
        // --passphrase-file (systemd's credential) wins over the config's
        std::fs::write(dir.join("credential"), "the right passphrase\n").unwrap();
        let show = Cli { config: dir.join("node.toml"), log_format: LogFormat::Text, passphrase_file: Some(dir.join("credential")), command: Command::Show };
        execute(show).await.expect("the credential opens the vault");
        let unavailable = run_with("the right passphrase").await.unwrap_err();
        assert_eq!(exit::exit_code(&unavailable), 69, "{unavailable:#}");
        assert!(format!("{unavailable:#}").starts_with("RPC unavailable: no RPC endpoint answered"), "{unavailable:#}");
    }

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
