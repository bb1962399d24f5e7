//! The wallet, the fee payer, the connection and the helpers every command shares.

use anyhow::{Context, Result, anyhow, bail};
use encrypted_circuits::{keys::UserSecretKey, wallet_message::MAX_KEY_INDEX};
use medshare_client::{
    Address, accounts, pda,
    rpc::{ComputeUnitPrice, Connection, LandingOptions, TxError},
};
use solana_instruction::Instruction;
use solana_remote_wallet::remote_wallet::RemoteWalletManager;
use solana_signature::Signature;
use solana_signer::Signer;
use std::{
    cell::{OnceCell, RefCell},
    collections::HashMap,
    io::IsTerminal,
    path::PathBuf,
    rc::Rc,
};

use crate::{
    Cli,
    config::{self, Settings},
    signer::{self, Form},
};

pub use crate::config::Commitment;

/// A command's connection and (lazily loaded) signers.
pub struct Session {
    /// JSON-RPC.
    pub connection: Connection,
    /// Where the URL, the wallet and the commitment came from.
    pub settings: Settings,
    /// `--fee-payer`, when it is another signer than the wallet.
    fee_payer_source: Option<String>,
    /// The wallet (`--keypair`), loaded on first use: a `prompt://` source asks once.
    wallet: OnceCell<Box<dyn Signer>>,
    /// The fee payer, loaded on first use (when it is not the wallet).
    fee_payer: OnceCell<Box<dyn Signer>>,
    /// The hardware wallet connection, shared by both signers.
    wallet_manager: RefCell<Option<Rc<RemoteWalletManager>>>,
    /// `--yes`: skip confirmations.
    assume_yes: bool,
    /// `--key-domain`: the domain in the message the wallet signs to derive its keys.
    key_domain: String,
    /// `--encryption-key`: a raw key file used instead of derived keys.
    key_file: Option<PathBuf>,
    /// Derived keys by (wallet, index): each costs a signature, which a hardware wallet or a
    /// remote signer asks its user for.
    derived: RefCell<HashMap<(Address, u32), UserSecretKey>>,
}

/// The user said no, or could not be asked.
#[derive(Debug)]
pub struct NotConfirmed {
    /// What would have been done.
    pub action: String,
    /// Whether the user was asked (and declined), as opposed to stdin not being a terminal.
    pub asked: bool,
}

impl std::fmt::Display for NotConfirmed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.asked {
            write!(f, "cancelled: {}; nothing was sent", self.action)
        } else {
            write!(f, "confirmation required: {}; stdin is not a terminal, so pass --yes to proceed (nothing was sent)", self.action)
        }
    }
}

impl std::error::Error for NotConfirmed {}

/// The decision [`Session::confirm`] makes: `--yes` proceeds; without a terminal it refuses
/// without asking; else `ask` gets the answer, and only `y` or `yes` proceeds.
pub fn confirmation(action: &str, assume_yes: bool, terminal: bool, ask: impl FnOnce() -> Result<String>) -> Result<(), anyhow::Error> {
    if assume_yes {
        return Ok(());
    }
    if !terminal {
        return Err(NotConfirmed { action: action.to_owned(), asked: false }.into());
    }
    match ask()?.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(NotConfirmed { action: action.to_owned(), asked: true }.into()),
    }
}

/// Turns a transaction error into the message a user acts on: a timeout names the signature
/// to look up before retrying (a retry of a transaction that landed would do it twice).
pub fn tx_error(error: TxError) -> anyhow::Error {
    match error {
        TxError::Timeout { signature } => anyhow!(
            "transaction {signature} was not confirmed in time; it may still land: look it up with `solana confirm {signature}` (or an explorer) before retrying"
        ),
        other => other.into(),
    }
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
    /// From the global options, the Solana CLI config file and the defaults.
    pub fn new(cli: &Cli) -> Result<Session> {
        let file = config::load(cli.config.as_deref())?;
        let flags = config::Flags { url: cli.url.clone(), keypair: cli.keypair.clone(), commitment: cli.commitment };
        let settings = config::resolve(&flags, &file)?;
        for note in &settings.notes {
            eprintln!("note: {note}");
        }
        Session::with_settings(cli, settings)
    }

    /// From the global options and settings already resolved.
    pub fn with_settings(cli: &Cli, settings: Settings) -> Result<Session> {
        let mut options = LandingOptions::default();
        if let Some(price) = cli.with_compute_unit_price {
            options.compute_unit_price = ComputeUnitPrice::Fixed(price);
        }
        let connection = Connection::with_options(std::slice::from_ref(&settings.url.0), settings.commitment.0.config(), options);
        let fee_payer_source = cli.fee_payer.clone().filter(|source| *source != settings.keypair.0);
        if let Some(fee_payer) = &fee_payer_source
            && signer::form(fee_payer) == Form::Stdin
            && signer::form(&settings.keypair.0) == Form::Stdin
        {
            bail!("--keypair and --fee-payer cannot both be read from stdin");
        }
        Ok(Session {
            connection,
            settings,
            fee_payer_source,
            wallet: OnceCell::new(),
            fee_payer: OnceCell::new(),
            wallet_manager: RefCell::new(None),
            assume_yes: cli.yes,
            key_domain: cli.key_domain.clone(),
            key_file: cli.encryption_key.clone(),
            derived: RefCell::new(HashMap::new()),
        })
    }

    /// The wallet (`--keypair`, the config file's `keypair_path`, or `~/.config/solana/id.json`).
    pub fn wallet(&self) -> Result<&dyn Signer> {
        if let Some(wallet) = self.wallet.get() {
            return Ok(wallet.as_ref());
        }
        let loaded = signer::load(&self.settings.keypair.0, "keypair", &mut self.wallet_manager.borrow_mut())?;
        Ok(self.wallet.get_or_init(|| loaded).as_ref())
    }

    /// Who pays the fees: `--fee-payer`, else the wallet.
    pub fn fee_payer(&self) -> Result<&dyn Signer> {
        let Some(source) = &self.fee_payer_source else { return self.wallet() };
        if let Some(payer) = self.fee_payer.get() {
            return Ok(payer.as_ref());
        }
        let loaded = signer::load(source, "fee-payer", &mut self.wallet_manager.borrow_mut())?;
        Ok(self.fee_payer.get_or_init(|| loaded).as_ref())
    }

    /// Whether the wallet is read from stdin (which then holds nothing else to read).
    pub fn wallet_reads_stdin(&self) -> bool {
        signer::form(&self.settings.keypair.0) == Form::Stdin || self.fee_payer_source.as_deref().is_some_and(|s| signer::form(s) == Form::Stdin)
    }

    /// The fee payer's address and the signers `instructions` need: the fee payer, and the
    /// wallet when an instruction asks for its signature (loaded only then). Every
    /// other signature an instruction asks for is refused by name.
    pub fn signers(&self, instructions: &[Instruction]) -> Result<(Address, Vec<&dyn Signer>)> {
        let payer = self.fee_payer()?;
        let payer_address = payer.pubkey();
        let mut signers = vec![payer];
        let required: Vec<Address> =
            instructions.iter().flat_map(|i| &i.accounts).filter(|a| a.is_signer && a.pubkey != payer_address).map(|a| a.pubkey).collect();
        if !required.is_empty() {
            let wallet = self.wallet()?;
            if let Some(other) = required.iter().find(|a| **a != wallet.pubkey()) {
                bail!("the transaction needs the signature of {other}, which is neither the wallet ({}) nor the fee payer ({payer_address})", wallet.pubkey());
            }
            signers.push(wallet);
        }
        Ok((payer_address, signers))
    }

    /// Signs `instructions` with the fee payer (and the wallet when they need it), sends
    /// them with a compute budget and priority fee, and waits for the commitment; the
    /// transaction's own error when it did not land.
    pub async fn send_tx(&self, instructions: &[Instruction]) -> Result<std::result::Result<Signature, TxError>> {
        let (payer, signers) = self.signers(instructions)?;
        Ok(self.connection.send_with(&payer, &signers, instructions).await)
    }

    /// [`Session::send_tx`], with a transaction error as the command's error.
    pub async fn send(&self, instructions: &[Instruction]) -> Result<Signature> {
        self.send_tx(instructions).await?.map_err(tx_error)
    }

    /// Asks "Proceed? [y/N]" on the terminal before `action` (a destructive or costly
    /// step), unless `--yes`. When stdin is not a terminal and `--yes` is absent it refuses:
    /// a script must say so explicitly.
    pub fn confirm(&self, action: &str) -> Result<()> {
        let ask = || -> Result<String> {
            eprint!("{action}\nProceed? [y/N] ");
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer).context("reading the answer")?;
            Ok(answer)
        };
        confirmation(action, self.assume_yes, std::io::stdin().is_terminal(), ask)
    }

    /// The wallet's derived encryption key number `index` (docs/protocol.md §7.1): from its
    /// signature of the key message for `--key-domain`, this program and `index`, so the
    /// wallet is the only secret a user keeps. Each key is derived once per command.
    pub fn derived_key(&self, wallet: &dyn Signer, index: u32) -> Result<UserSecretKey> {
        let slot = (wallet.pubkey(), index);
        if let Some(key) = self.derived.borrow().get(&slot) {
            return Ok(key.clone());
        }
        let key = medshare_client::context::user_key_for_domain(wallet, &self.key_domain, index)?;
        self.derived.borrow_mut().insert(slot, key.clone());
        Ok(key)
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
    pub fn find_key<T>(
        &self,
        wallet: &dyn Signer,
        mut attempt: impl FnMut(&UserSecretKey) -> Result<Option<T>>,
    ) -> Result<Option<(KeySource, UserSecretKey, T)>> {
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
    pub fn key_matching(&self, wallet: &dyn Signer, public_key: &[u8; 32]) -> Result<Option<(KeySource, UserSecretKey)>> {
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
    pub async fn sealing_key(&self, wallet: &dyn Signer) -> Result<(KeySource, UserSecretKey)> {
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
pub fn require_signer(wallet: &dyn Signer, expected: &Address, role: &str) -> Result<()> {
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
    use solana_keypair::Keypair;

    pub(crate) fn session(args: &[&str]) -> Session {
        let cli = Cli::parse_from(["medshare"].iter().chain(args).chain(&["list"]));
        // no config file: the tests must not depend on the machine's ~/.config/solana
        let flags = config::Flags { url: cli.url.clone(), keypair: cli.keypair.clone(), commitment: cli.commitment };
        Session::with_settings(&cli, config::resolve(&flags, &config::FileValues::default()).unwrap()).unwrap()
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

    #[test]
    fn a_timeout_names_the_signature_to_look_up() {
        let signature = Signature::from([7; 64]);
        let message = tx_error(TxError::Timeout { signature }).to_string();
        assert!(message.contains(&format!("solana confirm {signature}")) && message.contains("may still land"), "{message}");
        let other = tx_error(TxError::Rpc("connection refused".into())).to_string();
        assert!(other.contains("connection refused") && !other.contains("solana confirm"), "{other}");
    }

    #[test]
    fn confirmations_need_yes_or_a_terminal_answer() {
        let never = || -> Result<String> { panic!("must not ask") };
        assert!(confirmation("revoke", true, false, never).is_ok(), "--yes proceeds without a terminal");
        assert!(confirmation("revoke", true, true, never).is_ok(), "--yes does not ask");
        let refused = confirmation("revoke share request X", false, false, never).unwrap_err();
        let refused = refused.downcast_ref::<NotConfirmed>().expect("a NotConfirmed");
        assert!(!refused.asked && refused.to_string().contains("pass --yes") && refused.to_string().contains("nothing was sent"), "{refused}");
        for yes in ["y\n", "Y\n", "yes\n", " YES "] {
            assert!(confirmation("revoke", false, true, || Ok(yes.to_owned())).is_ok(), "{yes:?}");
        }
        for no in ["\n", "n\n", "no", "yep", ""] {
            let error = confirmation("revoke", false, true, || Ok(no.to_owned())).unwrap_err();
            assert!(error.downcast_ref::<NotConfirmed>().is_some_and(|e| e.asked), "{no:?}: {error}");
        }
    }

    #[test]
    fn the_fee_payer_signs_and_the_wallet_only_when_asked() {
        let dir = std::env::temp_dir().join(format!("medshare-signers-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (owner, payer) = (Keypair::new(), Keypair::new());
        let (owner_path, payer_path) = (dir.join("owner.json"), dir.join("payer.json"));
        solana_keypair::write_keypair_file(&owner, &owner_path).unwrap();
        solana_keypair::write_keypair_file(&payer, &payer_path).unwrap();
        let (owner_path, payer_path) = (owner_path.to_str().unwrap(), payer_path.to_str().unwrap());
        let record = Address::new_from_array([9; 32]);
        let needs_owner = [medshare_client::instructions::close_record(&owner.pubkey(), &record)];
        let anyone = [medshare_client::instructions::expire_share_request(&record)];

        let separate = session(&["--keypair", owner_path, "--fee-payer", payer_path]);
        let (fee_payer, signers) = separate.signers(&needs_owner).unwrap();
        assert_eq!(fee_payer, payer.pubkey());
        assert_eq!(signers.iter().map(|s| s.pubkey()).collect::<Vec<_>>(), vec![payer.pubkey(), owner.pubkey()]);
        let (fee_payer, signers) = separate.signers(&anyone).unwrap();
        assert_eq!((fee_payer, signers.len()), (payer.pubkey(), 1), "the owner does not sign what does not need it");

        let same = session(&["--keypair", owner_path, "--fee-payer", owner_path]);
        let (fee_payer, signers) = same.signers(&needs_owner).unwrap();
        assert_eq!((fee_payer, signers.len()), (owner.pubkey(), 1), "one signature when both are the same key");
        let alone = session(&["--keypair", owner_path]);
        assert_eq!(alone.signers(&needs_owner).unwrap().0, owner.pubkey(), "the wallet pays by default");

        let stranger = [medshare_client::instructions::close_record(&Keypair::new().pubkey(), &record)];
        let error = separate.signers(&stranger).err().unwrap().to_string();
        assert!(error.contains("neither the wallet"), "{error}");

        let cli = Cli::parse_from(["medshare", "--keypair", "stdin", "--fee-payer", "-", "list"]);
        let flags = config::Flags { url: None, keypair: cli.keypair.clone(), commitment: None };
        let error = Session::with_settings(&cli, config::resolve(&flags, &config::FileValues::default()).unwrap()).err().unwrap().to_string();
        assert!(error.contains("cannot both be read from stdin"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
