//! The node's TOML configuration.
//!
//! ```toml
//! rpc_url = "http://127.0.0.1:8899"        # or localhost, devnet, ...
//! # rpc_urls = ["https://backup.example"]  # fail-over endpoints tried after rpc_url, in order
//! ws_url = "ws://127.0.0.1:8900"           # optional: derived from rpc_url as the Solana CLI does
//! keypair = "/etc/medshare/node-authority.json"
//! cluster = "9xQe...cluster address"
//! key_share = "/var/lib/medshare/vault.json"
//! metrics_addr = "127.0.0.1:9464"
//! # passphrase_file = "/run/secrets/medshare"  # else the MPC_NODE_PASSPHRASE environment variable
//! # backfill_seconds = 15          # rescans of pending share requests
//! # ceremony_poll_ms = 1000        # how often the ceremony driver reads the chain
//! # ceremony_stuck_seconds = 300   # a ceremony step failing this long makes /healthz 503
//! # max_in_flight = 8              # share requests answered at once (the rest wait their turn)
//! # min_fee_balance_lamports = 10000000  # below this the authority's balance makes /healthz 503
//! # compute_unit_price = 1000      # fixed priority fee in micro-lamports per CU (absent: automatic)
//! # max_compute_unit_price = 100000  # the automatic priority fee's cap
//! ```

use anyhow::{Context, Result, bail};
use medshare_client::{
    Address,
    rpc::{ComputeUnitPrice, LandingOptions},
};
use serde::Deserialize;
use std::{net::SocketAddr, path::PathBuf};

/// The environment variable holding the vault passphrase when no `passphrase_file` is set.
pub const PASSPHRASE_ENV: &str = "MPC_NODE_PASSPHRASE";

/// What `node.toml` holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// JSON-RPC endpoint (Solana CLI monikers allowed).
    pub rpc_url: String,
    /// Fail-over JSON-RPC endpoints, tried in order after `rpc_url` when it fails or rate
    /// limits (monikers allowed).
    #[serde(default)]
    pub rpc_urls: Vec<String>,
    /// Websocket endpoint; derived from `rpc_url` when absent.
    pub ws_url: Option<String>,
    /// The node authority's Solana keypair file (signs and pays for its transactions).
    pub keypair: PathBuf,
    /// The cluster account this node is a member of.
    pub cluster: String,
    /// The encrypted vault holding the transport key and the key shares.
    pub key_share: PathBuf,
    /// Where `/healthz` and `/metrics` are served.
    pub metrics_addr: SocketAddr,
    /// A file holding the vault passphrase (else [`PASSPHRASE_ENV`]).
    pub passphrase_file: Option<PathBuf>,
    /// Seconds between backfill scans of pending requests (besides start and reconnects).
    #[serde(default = "default_backfill_seconds")]
    pub backfill_seconds: u64,
    /// Milliseconds between the ceremony driver's reads of the chain while it waits.
    #[serde(default = "default_ceremony_poll_ms")]
    pub ceremony_poll_ms: u64,
    /// Seconds a ceremony step may keep failing (or a ceremony stay past a deadline
    /// unadvanced) before `/healthz` reports the node stuck.
    #[serde(default = "default_ceremony_stuck_seconds")]
    pub ceremony_stuck_seconds: u64,
    /// Share requests answered at once; the others wait their turn.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// Below this balance of the authority (which pays every transaction of the node)
    /// `/healthz` reports `fee_balance_low`.
    #[serde(default = "default_min_fee_balance_lamports")]
    pub min_fee_balance_lamports: u64,
    /// A fixed priority fee in micro-lamports per compute unit; absent: from the recent
    /// prioritization fees of the accounts a transaction writes, capped at
    /// `max_compute_unit_price`.
    pub compute_unit_price: Option<u64>,
    /// The cap of the automatic priority fee (micro-lamports per compute unit); a fixed
    /// `compute_unit_price` above it is refused as a likely typo.
    #[serde(default = "default_max_compute_unit_price")]
    pub max_compute_unit_price: u64,
    /// Test-only misbehaviour (the `fault-injection` feature).
    #[cfg(feature = "fault-injection")]
    #[serde(default)]
    pub fault: crate::fault::Fault,
}

fn default_backfill_seconds() -> u64 {
    15
}

fn default_ceremony_poll_ms() -> u64 {
    1000
}

fn default_ceremony_stuck_seconds() -> u64 {
    300
}

fn default_max_in_flight() -> usize {
    8
}

fn default_min_fee_balance_lamports() -> u64 {
    10_000_000
}

fn default_max_compute_unit_price() -> u64 {
    100_000
}

/// The most share requests a node may answer at once: each holds a proof computation and an
/// RPC round trip or two; more only gets the node rate limited.
pub const MAX_IN_FLIGHT_LIMIT: usize = 256;

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &std::path::Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        let config: Config = toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))?;
        config.cluster_address()?;
        if config.backfill_seconds == 0 {
            bail!("backfill_seconds must be at least 1");
        }
        if !(50..=60_000).contains(&config.ceremony_poll_ms) {
            bail!("ceremony_poll_ms must be between 50 and 60000");
        }
        if config.ceremony_stuck_seconds == 0 {
            bail!("ceremony_stuck_seconds must be at least 1");
        }
        if !(1..=MAX_IN_FLIGHT_LIMIT).contains(&config.max_in_flight) {
            bail!("max_in_flight must be between 1 and {MAX_IN_FLIGHT_LIMIT}");
        }
        if let Some(price) = config.compute_unit_price
            && price > config.max_compute_unit_price
        {
            bail!(
                "compute_unit_price {price} is above max_compute_unit_price {} (micro-lamports per compute unit): raise the cap if you mean it",
                config.max_compute_unit_price
            );
        }
        for url in std::iter::once(&config.rpc_url).chain(&config.rpc_urls) {
            let expanded = medshare_client::rpc::expand_url(url);
            if !(expanded.starts_with("http://") || expanded.starts_with("https://")) {
                bail!("RPC endpoint `{}` is neither a moniker nor an http(s) URL", medshare_client::rpc::redact_url(&expanded));
            }
        }
        Ok(config)
    }

    /// The ceremony driver's poll interval.
    pub fn ceremony_poll(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.ceremony_poll_ms)
    }

    /// How long a failing ceremony step may last before the node reports itself stuck.
    pub fn ceremony_stuck_after(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.ceremony_stuck_seconds)
    }

    /// The cluster address.
    pub fn cluster_address(&self) -> Result<Address> {
        self.cluster.parse().map_err(|_| anyhow::anyhow!("cluster `{}` is not a base58 address", self.cluster))
    }

    /// The RPC URL with monikers expanded.
    pub fn rpc_url(&self) -> String {
        medshare_client::rpc::expand_url(&self.rpc_url)
    }

    /// Every RPC endpoint, monikers expanded: `rpc_url` first, then the fail-overs.
    pub fn rpc_endpoints(&self) -> Vec<String> {
        std::iter::once(&self.rpc_url).chain(&self.rpc_urls).map(|url| medshare_client::rpc::expand_url(url)).collect()
    }

    /// Every RPC endpoint as it may be logged: scheme, host and port only.
    pub fn redacted_endpoints(&self) -> Vec<String> {
        self.rpc_endpoints().iter().map(|url| medshare_client::rpc::redact_url(url)).collect()
    }

    /// The websocket URL as it may be logged.
    pub fn redacted_ws_url(&self) -> String {
        medshare_client::rpc::redact_url(&self.ws_url())
    }

    /// How the node's transactions land: the priority fee from `compute_unit_price` or
    /// `max_compute_unit_price`, the rest the client's defaults.
    pub fn landing_options(&self) -> LandingOptions {
        let compute_unit_price = match self.compute_unit_price {
            Some(price) => ComputeUnitPrice::Fixed(price),
            None => ComputeUnitPrice::Auto { max: self.max_compute_unit_price },
        };
        LandingOptions { compute_unit_price, ..LandingOptions::default() }
    }

    /// The websocket URL.
    pub fn ws_url(&self) -> String {
        self.ws_url.clone().unwrap_or_else(|| medshare_client::rpc::websocket_url(&self.rpc_url()))
    }

    /// The vault passphrase, from the file or the environment.
    pub fn passphrase(&self) -> Result<zeroize::Zeroizing<String>> {
        let passphrase = match &self.passphrase_file {
            Some(path) => {
                std::fs::read_to_string(path).with_context(|| format!("reading passphrase file {}", path.display()))?.trim_end_matches(['\n', '\r']).to_owned()
            }
            None => std::env::var(PASSPHRASE_ENV).map_err(|_| anyhow::anyhow!("set {PASSPHRASE_ENV} or passphrase_file in the config"))?,
        };
        if passphrase.len() < 8 {
            bail!("the vault passphrase must be at least 8 characters");
        }
        Ok(zeroize::Zeroizing::new(passphrase))
    }

    /// Reads the authority keypair file.
    pub fn authority(&self) -> Result<solana_keypair::Keypair> {
        solana_keypair::read_keypair_file(&self.keypair).map_err(|e| anyhow::anyhow!("reading keypair {}: {e}", self.keypair.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("medshare-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    const CONFIG: &str = r#"
rpc_url = "localhost"
keypair = "node.json"
cluster = "G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ"
key_share = "vault.json"
metrics_addr = "127.0.0.1:9464"
"#;

    #[test]
    fn a_config_parses_with_defaults_and_derived_urls() {
        let config = Config::load(&write("ok.toml", CONFIG)).unwrap();
        assert_eq!(config.rpc_url(), "http://127.0.0.1:8899");
        assert_eq!(config.ws_url(), "ws://127.0.0.1:8900");
        assert_eq!(config.backfill_seconds, 15);
        assert_eq!(config.ceremony_poll(), std::time::Duration::from_secs(1));
        assert_eq!(config.ceremony_stuck_after(), std::time::Duration::from_secs(300));
        assert_eq!(config.cluster_address().unwrap().to_string(), "G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ");
        // the fields of issue #11 default so that old configs keep loading
        assert_eq!(config.rpc_endpoints(), ["http://127.0.0.1:8899"]);
        assert_eq!(config.max_in_flight, 8);
        assert_eq!(config.min_fee_balance_lamports, 10_000_000);
        assert_eq!(config.compute_unit_price, None);
        assert_eq!(config.max_compute_unit_price, 100_000);
        assert!(matches!(config.landing_options().compute_unit_price, ComputeUnitPrice::Auto { max: 100_000 }));
    }

    #[test]
    fn fail_over_endpoints_and_fees_are_read_and_urls_logged_redacted() {
        let text = format!(
            "{}rpc_urls = [\"devnet\", \"https://rpc.example.com/v2/SECRET-KEY\"]\nmax_in_flight = 2\nmin_fee_balance_lamports = 5\n\
             compute_unit_price = 1500\nmax_compute_unit_price = 2000\n",
            CONFIG.replace("rpc_url = \"localhost\"", "rpc_url = \"https://mainnet.helius-rpc.com/?api-key=SECRET-KEY\"")
        );
        let config = Config::load(&write("failover.toml", &text)).unwrap();
        assert_eq!(
            config.rpc_endpoints(),
            ["https://mainnet.helius-rpc.com/?api-key=SECRET-KEY", "https://api.devnet.solana.com", "https://rpc.example.com/v2/SECRET-KEY"]
        );
        assert_eq!(config.ws_url(), "wss://mainnet.helius-rpc.com/?api-key=SECRET-KEY", "the websocket follows the primary");
        let shown = format!("{:?} {}", config.redacted_endpoints(), config.redacted_ws_url());
        assert!(!shown.contains("SECRET-KEY"), "{shown}");
        assert!(shown.contains("mainnet.helius-rpc.com") && shown.contains("api.devnet.solana.com") && shown.contains("rpc.example.com"), "{shown}");
        assert_eq!((config.max_in_flight, config.min_fee_balance_lamports), (2, 5));
        assert!(matches!(config.landing_options().compute_unit_price, ComputeUnitPrice::Fixed(1500)));
    }

    #[test]
    fn bad_fee_and_concurrency_settings_are_refused_by_name() {
        let in_flight = Config::load(&write("inflight.toml", &format!("{CONFIG}max_in_flight = 0\n"))).unwrap_err();
        assert!(in_flight.to_string().contains("max_in_flight"), "{in_flight}");
        let price = Config::load(&write("price.toml", &format!("{CONFIG}compute_unit_price = 100001\n"))).unwrap_err();
        assert!(price.to_string().contains("above max_compute_unit_price"), "{price}");
        let scheme = Config::load(&write("scheme.toml", &format!("{CONFIG}rpc_urls = [\"ftp://rpc.example.com/KEY\"]\n"))).unwrap_err();
        assert!(scheme.to_string().contains("neither a moniker nor an http(s) URL") && !scheme.to_string().contains("KEY"), "{scheme}");
    }

    #[test]
    fn bad_configs_are_refused_by_name() {
        let unknown = Config::load(&write("unknown.toml", &format!("{CONFIG}colour = \"blue\"\n"))).unwrap_err();
        assert!(format!("{unknown:#}").contains("unknown field `colour`"), "{unknown:#}");
        let cluster = Config::load(&write("cluster.toml", &CONFIG.replace("G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ", "not-base58!"))).unwrap_err();
        assert!(cluster.to_string().contains("not a base58 address"), "{cluster}");
        let missing = Config::load(&write("missing.toml", "rpc_url = \"localhost\"\n")).unwrap_err();
        assert!(format!("{missing:#}").contains("missing field"), "{missing:#}");
        let zero = Config::load(&write("zero.toml", &format!("{CONFIG}backfill_seconds = 0\n"))).unwrap_err();
        assert!(zero.to_string().contains("backfill_seconds"), "{zero}");
        let poll = Config::load(&write("poll.toml", &format!("{CONFIG}ceremony_poll_ms = 1\n"))).unwrap_err();
        assert!(poll.to_string().contains("ceremony_poll_ms"), "{poll}");
        let stuck = Config::load(&write("stuck.toml", &format!("{CONFIG}ceremony_stuck_seconds = 0\n"))).unwrap_err();
        assert!(stuck.to_string().contains("ceremony_stuck_seconds"), "{stuck}");
    }

    #[test]
    fn the_passphrase_file_wins_and_short_passphrases_are_refused() {
        let passphrase = write("passphrase", "long enough passphrase\n");
        let mut config = Config::load(&write("pass.toml", CONFIG)).unwrap();
        config.passphrase_file = Some(passphrase);
        assert_eq!(config.passphrase().unwrap().as_str(), "long enough passphrase");
        config.passphrase_file = Some(write("short", "short"));
        assert!(config.passphrase().unwrap_err().to_string().contains("at least 8"));
    }
}
