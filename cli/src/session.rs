//! The wallet, the connection and the helpers every command shares.

use anyhow::{Context, Result, anyhow, bail};
use encrypted_circuits::{keys::UserSecretKey, wallet_message::MAX_KEY_INDEX};
use medshare_client::{Address, accounts, pda, rpc::Connection};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::path::PathBuf;

use crate::Cli;

/// `--commitment`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commitment {
    /// Voted on by a supermajority.
    Confirmed,
    /// Rooted.
    Finalized,
}

/// A command's connection and (lazily read) wallet.
pub struct Session {
    /// JSON-RPC.
    pub connection: Connection,
    keypair: PathBuf,
    /// `--key-domain`: the domain in the message the wallet signs to derive its keys.
    key_domain: String,
    /// `--encryption-key`: a raw key file used instead of derived keys.
    key_file: Option<PathBuf>,
}

/// Where one of the wallet's encryption keys comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// Derived from the wallet's signature of the key message with this index.
    Derived(u32),
    /// The raw key file given with `--encryption-key`.
    File,
}

impl KeySource {
    /// The index, for a derived key.
    pub fn index(self) -> Option<u32> {
        match self {
            KeySource::Derived(index) => Some(index),
            KeySource::File => None,
        }
    }
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Derived(index) => write!(f, "derived key #{index}"),
            KeySource::File => f.write_str("the --encryption-key file"),
        }
    }
}

impl Session {
    /// From the global options.
    pub fn new(cli: &Cli) -> Session {
        let commitment = match cli.commitment {
            Commitment::Confirmed => CommitmentConfig::confirmed(),
            Commitment::Finalized => CommitmentConfig::finalized(),
        };
        let keypair = cli.keypair.clone().unwrap_or_else(default_keypair);
        Session { connection: Connection::new(&cli.url, commitment), keypair, key_domain: cli.key_domain.clone(), key_file: cli.encryption_key.clone() }
    }

    /// The wallet.
    pub fn wallet(&self) -> Result<Keypair> {
        read_keypair(&self.keypair)
    }

    /// The wallet's derived encryption key number `index` (docs/protocol.md §7.1): from its
    /// signature of the key message for `--key-domain`, this program and `index`, so the
    /// keypair file is the only secret a user keeps.
    pub fn derived_key(&self, wallet: &Keypair, index: u32) -> Result<UserSecretKey> {
        Ok(medshare_client::context::user_key_for_domain(wallet, &self.key_domain, index)?)
    }

    /// The `--encryption-key` file's key, when one is given: exactly 32 raw bytes, the secret
    /// scalar `x` little-endian (canonical, non-zero).
    pub fn key_file(&self) -> Result<Option<UserSecretKey>> {
        let Some(path) = &self.key_file else { return Ok(None) };
        let bytes = std::fs::read(path).with_context(|| format!("reading encryption key file {}", path.display()))?;
        let bytes: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            anyhow!("encryption key file {} must hold exactly 32 raw bytes (the secret scalar, little-endian); it holds {}", path.display(), bytes.len())
        })?;
        let key = UserSecretKey::from_bytes(&bytes).with_context(|| format!("encryption key file {}", path.display()))?;
        Ok(Some(key))
    }

    /// The one search over the wallet's encryption keys: the `--encryption-key` file alone
    /// when one is given, else the derived keys #0, #1, … #[`MAX_KEY_INDEX`] in order. Returns
    /// the first key for which `attempt` gives a value, with where it came from.
    pub fn find_key<T>(&self, wallet: &Keypair, mut attempt: impl FnMut(&UserSecretKey) -> Result<Option<T>>) -> Result<Option<(KeySource, UserSecretKey, T)>> {
        if let Some(key) = self.key_file()? {
            return Ok(attempt(&key)?.map(|found| (KeySource::File, key, found)));
        }
        for index in 0..=MAX_KEY_INDEX {
            let key = self.derived_key(wallet, index)?;
            if let Some(found) = attempt(&key)? {
                return Ok(Some((KeySource::Derived(index), key, found)));
            }
        }
        Ok(None)
    }

    /// The wallet's key whose public key is `public_key` (a registered key, or the key a
    /// share request was made to), if [`Session::find_key`] finds it.
    pub fn key_matching(&self, wallet: &Keypair, public_key: &[u8; 32]) -> Result<Option<(KeySource, UserSecretKey)>> {
        Ok(self.find_key(wallet, |key| Ok((key.public_key().to_bytes() == *public_key).then_some(())))?.map(|(source, key, ())| (source, key)))
    }

    /// Which keys [`Session::find_key`] searches, for error messages.
    pub fn keys_searched(&self) -> String {
        match &self.key_file {
            Some(path) => format!("the key in {}", path.display()),
            None => format!("the keys #0..#{MAX_KEY_INDEX} derived from this wallet for --key-domain {}", self.key_domain),
        }
    }

    /// The public key registered on chain for `wallet`, if any.
    pub async fn registered_key(&self, wallet: &Address) -> Result<Option<[u8; 32]>> {
        // UserKey: discriminator (8), wallet (32), public key (32), ...
        let Some(data) = self.connection.account(&pda::user_key(wallet)).await? else { return Ok(None) };
        let public_key = data.get(40..72).ok_or_else(|| anyhow!("the user key account of {wallet} is too short"))?;
        let mut out = [0u8; 32];
        out.copy_from_slice(public_key);
        Ok(Some(out))
    }

    /// The key one's own records are sealed to: the `--encryption-key` file; else the derived
    /// key that is registered on chain, or #0 when none is registered.
    pub async fn sealing_key(&self, wallet: &Keypair) -> Result<(KeySource, UserSecretKey)> {
        if let Some(key) = self.key_file()? {
            return Ok((KeySource::File, key));
        }
        match self.registered_key(&wallet.pubkey()).await? {
            None => Ok((KeySource::Derived(0), self.derived_key(wallet, 0)?)),
            Some(registered) => self.key_matching(wallet, &registered)?.ok_or_else(|| {
                anyhow!(
                    "the encryption key registered for {} ({}) is none of {}: give its key file with --encryption-key, the --key-domain it was derived for, or replace it with `medshare register-key --rotate`",
                    wallet.pubkey(),
                    hex::encode(registered),
                    self.keys_searched()
                )
            }),
        }
    }

    /// Account bytes, or a clear error naming `what`.
    pub async fn account(&self, address: &Address, what: &str) -> Result<Vec<u8>> {
        self.connection.account(address).await?.ok_or_else(|| anyhow!("{what} {address} does not exist"))
    }

    /// The decoded cluster.
    pub async fn cluster(&self, address: &Address) -> Result<accounts::Cluster> {
        accounts::Cluster::decode(&self.account(address, "cluster").await?).with_context(|| format!("{address} is not a cluster"))
    }

    /// The decoded ceremony `epoch` of `cluster`.
    pub async fn ceremony(&self, cluster: &Address, epoch: u64) -> Result<accounts::Ceremony> {
        let address = pda::ceremony(cluster, epoch);
        accounts::Ceremony::decode(&self.account(&address, &format!("ceremony {epoch} of cluster {cluster}:")).await?)
            .with_context(|| format!("{address} is not a ceremony"))
    }

    /// The decoded record.
    pub async fn record(&self, address: &Address) -> Result<accounts::Record> {
        accounts::Record::decode(&self.account(address, "record").await?).with_context(|| format!("{address} is not a record"))
    }

    /// The decoded share request.
    pub async fn request(&self, address: &Address) -> Result<accounts::ShareRequest> {
        accounts::ShareRequest::decode(&self.account(address, "share request").await?).with_context(|| format!("{address} is not a share request"))
    }
}

/// The Solana CLI's default wallet, `~/.config/solana/id.json`.
fn default_keypair() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".config/solana/id.json")
}

/// Reads a Solana keypair file (a JSON array of 64 bytes).
pub fn read_keypair(path: &std::path::Path) -> Result<Keypair> {
    solana_keypair::read_keypair_file(path).map_err(|e| anyhow!("cannot read keypair {}: {e}", path.display()))
}

/// Parses a base58 address named `what`.
pub fn address(text: &str, what: &str) -> Result<Address> {
    text.parse().map_err(|_| anyhow!("{what} `{text}` is not a base58 address"))
}

/// Parses 32 hex bytes named `what`.
pub fn hex32(text: &str, what: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(text).with_context(|| format!("{what} is not hex"))?;
    bytes.try_into().map_err(|_| anyhow!("{what} must be 32 bytes"))
}

/// Fails unless `wallet` is `expected`, naming the role.
pub fn require_signer(wallet: &Keypair, expected: &Address, role: &str) -> Result<()> {
    if wallet.pubkey() != *expected {
        bail!("only the {role} ({expected}) may do this; the wallet is {}", wallet.pubkey());
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use clap::Parser;
    use encrypted_circuits::record::{Capsule, RecordKeyPoint};

    pub(crate) fn session(args: &[&str]) -> Session {
        let cli = Cli::parse_from(["medshare"].iter().chain(args).chain(&["list"]));
        Session::new(&cli)
    }

    pub(crate) fn wallet() -> Keypair {
        Keypair::new_from_array([4; 32])
    }

    #[test]
    fn the_key_search_finds_old_keys_after_a_rotation() {
        let (session, wallet) = (session(&[]), wallet());
        let key0 = session.derived_key(&wallet, 0).unwrap();
        let key1 = session.derived_key(&wallet, 1).unwrap();
        assert_ne!(key0.public_key(), key1.public_key(), "a rotation is a new key");
        assert_eq!(key0.public_key(), medshare_client::context::user_key(&wallet, 0).unwrap().public_key(), "default domain");
        for (index, key) in [(0, &key0), (1, &key1)] {
            let (source, found) = session.key_matching(&wallet, &key.public_key().to_bytes()).unwrap().unwrap();
            assert_eq!((source, found.to_bytes()), (KeySource::Derived(index), key.to_bytes()));
        }
        let last = session.derived_key(&wallet, MAX_KEY_INDEX).unwrap();
        assert_eq!(session.key_matching(&wallet, &last.public_key().to_bytes()).unwrap().unwrap().0, KeySource::Derived(MAX_KEY_INDEX));
        let beyond = session.derived_key(&wallet, MAX_KEY_INDEX + 1).unwrap();
        assert!(session.key_matching(&wallet, &beyond.public_key().to_bytes()).unwrap().is_none());

        // a capsule sealed to key #0 (a share, or an old record) still opens after rotating to #1
        let mut rng = rand::thread_rng();
        let m = RecordKeyPoint::random(&mut rng);
        let capsule = Capsule::seal(&mut rng, &m, &key0.public_key());
        let opened = session.find_key(&wallet, |key| Ok((capsule.open(key)?.to_bytes() == m.to_bytes()).then_some(()))).unwrap();
        assert_eq!(opened.unwrap().0, KeySource::Derived(0));
        let stranger = UserSecretKey::random(&mut rng);
        let foreign = Capsule::seal(&mut rng, &m, &stranger.public_key());
        assert!(session.find_key(&wallet, |key| Ok((foreign.open(key)?.to_bytes() == m.to_bytes()).then_some(()))).unwrap().is_none());
    }

    #[test]
    fn another_domain_derives_other_keys() {
        let wallet = wallet();
        let default = session(&[]).derived_key(&wallet, 0).unwrap().public_key().to_bytes();
        let staging = session(&["--key-domain", "staging.medshare.app"]);
        assert_ne!(staging.derived_key(&wallet, 0).unwrap().public_key().to_bytes(), default);
        assert!(staging.key_matching(&wallet, &default).unwrap().is_none());
        assert!(staging.keys_searched().contains("staging.medshare.app"));
        let error = session(&["--key-domain", "Staging.MedShare.app"]).derived_key(&wallet, 0).unwrap_err().to_string();
        assert!(error.contains("lowercase"), "{error}");
    }

    #[test]
    fn a_key_file_replaces_derivation() {
        let wallet = wallet();
        let dir = std::env::temp_dir().join(format!("medshare-key-file-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = UserSecretKey::random(&mut rand::thread_rng());
        let path = dir.join("key");
        std::fs::write(&path, file.to_bytes()).unwrap();
        let session = session(&["--encryption-key", path.to_str().unwrap()]);
        let (source, found) = session.key_matching(&wallet, &file.public_key().to_bytes()).unwrap().unwrap();
        assert_eq!((source, found.to_bytes()), (KeySource::File, file.to_bytes()));
        let derived = super::tests::session(&[]).derived_key(&wallet, 0).unwrap();
        assert!(session.key_matching(&wallet, &derived.public_key().to_bytes()).unwrap().is_none(), "only the file is searched");

        std::fs::write(&path, hex::encode(file.to_bytes())).unwrap();
        let error = session.key_file().unwrap_err().to_string();
        assert!(error.contains("exactly 32 raw bytes") && error.contains("it holds 64"), "{error}");
        std::fs::write(&path, [0u8; 32]).unwrap();
        assert!(session.key_file().is_err(), "zero is not a key");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
