//! The node's secrets at rest, sealed with AES-256-GCM under a key derived from a passphrase
//! with Argon2id (RFC 9106; OWASP's minimum profile: 19 MiB, 2 passes, 1 lane). The file is
//! JSON: the KDF parameters and salt in the clear, the secrets sealed, and the authority's
//! address in the AAD so that a vault cannot be moved to another node's config.
//!
//! Why it holds more than keys: the ceremony is run through the chain over minutes and a
//! node may be killed at any point of it, so everything the node must not recompute
//! differently after a restart is written here *before* the transaction that depends on it:
//!
//! - the **pending transport secret**, before `rotate_transport_key` is sent, so that a crash
//!   between sending and recording still finds the key the chain may now list;
//! - the **dealing bytes** of the running ceremony, before the first chunk is posted: the
//!   chain's dealing is written once, in order, so a restart must post the *same* bytes
//!   (a fresh random dealing would never complete); erased once the chain has it all;
//! - the **new share**, before `confirm_ceremony` is sent;
//! - the dealers this node **complained** against, so a restart does not complain twice.
//!
//! Old shares are erased once the serving epoch moves past them (the spec: vaults keep
//! only the serving epoch's share once a new one is active), and the old transport secret
//! once the rotated one is current (forward secrecy: a vault stolen later opens no past
//! dealing). Nothing here implements `Display` or `Debug` of a secret: they never reach
//! the logs; every secret string is zeroized on drop.
//!
//! Format `medshare-node-vault-v2` (the transport key became a Ristretto255 scalar with the
//! ceremony redesign); a `v1` vault (X25519 transport key) is refused with the remedy.

use anyhow::{Context, Result, bail};
use encrypted_circuits::{ceremony::TransportSecret, keys::KeyShare};
use medshare_client::Address;
use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};
use zeroize::{Zeroize, Zeroizing};

/// The format this build writes and reads.
pub const FORMAT: &str = "medshare-node-vault-v2";
/// The format before the ceremony redesign (X25519 transport key, no ceremony state).
const FORMAT_V1: &str = "medshare-node-vault-v1";

/// Argon2id cost parameters, stored with the vault.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The profile new vaults use.
    pub const DEFAULT: KdfParams = KdfParams { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 };
}

#[derive(Serialize, Deserialize)]
struct VaultFile {
    format: String,
    authority: String,
    kdf: KdfParams,
    salt: String,
    sealed: String,
}

/// A key share the node holds for one epoch, with the cluster key it belongs to.
#[derive(Serialize, Deserialize, Clone)]
pub struct EpochShare {
    /// This node's index.
    pub index: u16,
    /// `s_i` (hex).
    secret: String,
    /// `PK` (hex).
    pub cluster_key: String,
}

impl EpochShare {
    /// Wraps a ceremony's share.
    pub fn new(share: &KeyShare, cluster_key: [u8; 32]) -> EpochShare {
        EpochShare { index: share.index(), secret: hex::encode(share.secret_bytes()), cluster_key: hex::encode(cluster_key) }
    }

    /// The key share.
    pub fn key_share(&self) -> Result<KeyShare> {
        let secret = Zeroizing::new(<[u8; 32]>::try_from(Zeroizing::new(hex::decode(&self.secret)?).as_slice()).context("a 32-byte secret")?);
        Ok(KeyShare::from_parts(self.index, &secret)?)
    }

    /// `S_i` of the share.
    pub fn verification_share(&self) -> Result<[u8; 32]> {
        Ok(self.key_share()?.verification_share().to_bytes())
    }

    /// The cluster key `PK` this share belongs to: the node checks every capsule's label
    /// against it, not against what its RPC provider says the key is.
    pub fn cluster_key(&self) -> Result<[u8; 32]> {
        <[u8; 32]>::try_from(hex::decode(&self.cluster_key)?.as_slice()).context("a 32-byte cluster key")
    }
}

impl Drop for EpochShare {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// What the node keeps about one ceremony until it is over.
#[derive(Serialize, Deserialize, Clone, Default)]
struct CeremonyState {
    /// The dealing this node computed (hex), until the chain holds all of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dealing: Option<String>,
    /// Dealers this node complained against.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    complained: Vec<u8>,
}

impl CeremonyState {
    fn is_empty(&self) -> bool {
        self.dealing.is_none() && self.complained.is_empty()
    }
}

impl Drop for CeremonyState {
    fn drop(&mut self) {
        // not secret (it is posted on chain), but it is only the vault's to hold
        if let Some(dealing) = &mut self.dealing {
            dealing.zeroize();
        }
    }
}

/// The secrets, decrypted (only in memory).
#[derive(Serialize, Deserialize)]
pub struct Secrets {
    /// `τ` (hex) of the transport key the chain lists (or will list once accepted).
    transport: String,
    /// `τ'` (hex) of a rotation in progress: written before `rotate_transport_key` is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_transport: Option<String>,
    /// Ceremony progress by `cluster/epoch`.
    #[serde(default)]
    ceremonies: BTreeMap<String, CeremonyState>,
    /// Key shares by `cluster/epoch`.
    #[serde(default)]
    shares: BTreeMap<String, EpochShare>,
}

impl Drop for Secrets {
    fn drop(&mut self) {
        self.transport.zeroize();
        if let Some(pending) = &mut self.pending_transport {
            pending.zeroize();
        }
    }
}

fn decode_transport(hex_secret: &str) -> Result<TransportSecret> {
    let bytes = Zeroizing::new(<[u8; 32]>::try_from(Zeroizing::new(hex::decode(hex_secret)?).as_slice()).context("a 32-byte transport key")?);
    Ok(TransportSecret::from_bytes(*bytes)?)
}

impl Secrets {
    /// Fresh secrets: a random transport key and nothing else.
    pub fn generate() -> Secrets {
        let transport = TransportSecret::random(&mut rand::rngs::OsRng);
        Secrets { transport: hex::encode(transport.to_bytes()), pending_transport: None, ceremonies: BTreeMap::new(), shares: BTreeMap::new() }
    }

    /// The current transport secret `τ`.
    pub fn transport(&self) -> Result<TransportSecret> {
        decode_transport(&self.transport)
    }

    /// The rotation in progress, if any.
    pub fn pending_transport(&self) -> Result<Option<TransportSecret>> {
        self.pending_transport.as_deref().map(decode_transport).transpose()
    }

    /// The transport secret (current or pending) whose public key is `public`: what opens a
    /// ceremony's dealings is the key its snapshot holds, whichever that is.
    pub fn transport_for(&self, public: &[u8; 32]) -> Result<Option<TransportSecret>> {
        let current = self.transport()?;
        if current.public_key() == *public {
            return Ok(Some(current));
        }
        Ok(self.pending_transport()?.filter(|pending| pending.public_key() == *public))
    }

    /// The pending transport secret, made (and recorded here, to be saved before anything
    /// is sent) if there is none.
    pub fn begin_rotation(&mut self) -> Result<TransportSecret> {
        if let Some(pending) = self.pending_transport()? {
            return Ok(pending);
        }
        let secret = TransportSecret::random(&mut rand::rngs::OsRng);
        self.pending_transport = Some(hex::encode(secret.to_bytes()));
        Ok(secret)
    }

    /// The pending secret becomes the current one and the old one is erased. `false` if
    /// there was none.
    pub fn promote_pending(&mut self) -> bool {
        match self.pending_transport.take() {
            Some(pending) => {
                self.transport.zeroize();
                self.transport = pending;
                true
            }
            None => false,
        }
    }

    /// The dealing this node computed for ceremony `epoch`, if kept.
    pub fn dealing(&self, cluster: &Address, epoch: u64) -> Result<Option<Vec<u8>>> {
        match self.ceremonies.get(&key(cluster, epoch)).and_then(|state| state.dealing.as_deref()) {
            Some(dealing) => Ok(Some(hex::decode(dealing).context("the vault's dealing bytes")?)),
            None => Ok(None),
        }
    }

    /// Keeps this node's dealing of ceremony `epoch` (save before posting any of it).
    pub fn set_dealing(&mut self, cluster: &Address, epoch: u64, dealing: &[u8]) {
        self.ceremonies.entry(key(cluster, epoch)).or_default().dealing = Some(hex::encode(dealing));
    }

    /// Forgets this node's dealing of ceremony `epoch`; `true` if there was one.
    pub fn erase_dealing(&mut self, cluster: &Address, epoch: u64) -> bool {
        let name = key(cluster, epoch);
        let Some(state) = self.ceremonies.get_mut(&name) else { return false };
        let erased = state.dealing.take().map(|mut dealing| dealing.zeroize()).is_some();
        if state.is_empty() {
            self.ceremonies.remove(&name);
        }
        erased
    }

    /// Bit `i-1` for every dealer this node complained against in ceremony `epoch`.
    pub fn complained(&self, cluster: &Address, epoch: u64) -> u16 {
        self.ceremonies
            .get(&key(cluster, epoch))
            .map_or(0, |state| state.complained.iter().filter(|i| (1..=16).contains(*i)).fold(0, |mask, i| mask | 1 << (i - 1)))
    }

    /// Records a complaint against `dealer` in ceremony `epoch`.
    pub fn add_complaint(&mut self, cluster: &Address, epoch: u64, dealer: u8) {
        let state = self.ceremonies.entry(key(cluster, epoch)).or_default();
        if !state.complained.contains(&dealer) {
            state.complained.push(dealer);
            state.complained.sort_unstable();
        }
    }

    /// The share of `cluster` at `epoch`, if the node finished that ceremony.
    pub fn share(&self, cluster: &Address, epoch: u64) -> Option<&EpochShare> {
        self.shares.get(&key(cluster, epoch))
    }

    /// Records the share of `cluster` at `epoch`.
    pub fn insert_share(&mut self, cluster: &Address, epoch: u64, share: EpochShare) {
        self.shares.insert(key(cluster, epoch), share);
    }

    /// Erases `cluster`'s shares whose epoch `dead` says is over, and its ceremony state of
    /// every ceremony but `latest`; returns what was erased (`shares`, `ceremonies`), for the log.
    pub fn retain(&mut self, cluster: &Address, latest: u64, dead: impl Fn(u64) -> bool) -> (Vec<u64>, Vec<u64>) {
        let mut shares = Vec::new();
        self.shares.retain(|name, _| match of_cluster(name, cluster) {
            Some(epoch) if dead(epoch) => {
                shares.push(epoch);
                false
            }
            _ => true,
        });
        let mut ceremonies = Vec::new();
        self.ceremonies.retain(|name, _| match of_cluster(name, cluster) {
            Some(epoch) if epoch != latest => {
                ceremonies.push(epoch);
                false
            }
            _ => true,
        });
        (shares, ceremonies)
    }

    /// The epochs held, as `cluster/epoch`.
    pub fn epochs(&self) -> Vec<String> {
        self.shares.keys().cloned().collect()
    }

    /// The ceremonies with state kept, as `cluster/epoch` with what is kept (no secrets).
    pub fn ceremonies(&self) -> serde_json::Value {
        self.ceremonies
            .iter()
            .map(|(name, state)| (name.clone(), serde_json::json!({ "dealing": state.dealing.is_some(), "complained": state.complained })))
            .collect()
    }
}

fn key(cluster: &Address, epoch: u64) -> String {
    format!("{cluster}/{epoch}")
}

/// The epoch of a `cluster/epoch` key of `cluster`.
fn of_cluster(name: &str, cluster: &Address) -> Option<u64> {
    let (owner, epoch) = name.rsplit_once('/')?;
    (owner == cluster.to_string()).then(|| epoch.parse().ok()).flatten()
}

/// The Argon2id costs a vault may name: a damaged or hostile file must not make the node
/// allocate terabytes or hash for ever (found by fuzzing).
const MAX_MEMORY_KIB: u32 = 1 << 20;
const MAX_PASSES: u32 = 16;
const MAX_LANES: u32 = 16;

fn derive_key(passphrase: &str, salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let KdfParams { memory_kib, iterations, parallelism } = params;
    anyhow::ensure!(
        (1..=MAX_LANES).contains(&parallelism) && (1..=MAX_PASSES).contains(&iterations) && (8 * parallelism..=MAX_MEMORY_KIB).contains(&memory_kib),
        "the vault's Argon2id costs are out of range (memory_kib {memory_kib}, iterations {iterations}, parallelism {parallelism}; \
         at most {MAX_MEMORY_KIB} KiB, {MAX_PASSES} passes, {MAX_LANES} lanes): a damaged file"
    );
    let params =
        argon2::Params::new(params.memory_kib, params.iterations, params.parallelism, Some(32)).map_err(|e| anyhow::anyhow!("Argon2 parameters: {e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon.hash_password_into(passphrase.as_bytes(), salt, key.as_mut()).map_err(|e| anyhow::anyhow!("Argon2id: {e}"))?;
    Ok(key)
}

fn aad(authority: &str) -> Vec<u8> {
    format!("{FORMAT}|{authority}").into_bytes()
}

/// Seals `secrets` for `authority` under `passphrase` into `path` (atomically: a temporary
/// file, `fsync`, then a rename, so a crash never leaves half a vault).
pub fn save(path: &Path, authority: &Address, passphrase: &str, secrets: &Secrets) -> Result<()> {
    use rand::RngCore;
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let key = derive_key(passphrase, &salt, KdfParams::DEFAULT)?;
    let plaintext = Zeroizing::new(serde_json::to_vec(secrets)?);
    let authority = authority.to_string();
    let sealed = encrypted_circuits::aead::seal(&mut rand::rngs::OsRng, &key, &aad(&authority), &plaintext);
    let file = VaultFile { format: FORMAT.into(), authority, kdf: KdfParams::DEFAULT, salt: hex::encode(salt), sealed: hex::encode(sealed) };
    let temporary = path.with_extension("tmp");
    write_private(&temporary, &serde_json::to_vec_pretty(&file)?)?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))?;
    // the rename itself is durable only once the directory is
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|dir| dir.sync_all()).with_context(|| format!("syncing {}", dir.display()))?;
    }
    Ok(())
}

/// Opens the vault at `path` for `authority`.
pub fn load(path: &Path, authority: &Address, passphrase: &str) -> Result<Secrets> {
    let text = std::fs::read(path).with_context(|| format!("reading vault {} (run `mpc-node init` first)", path.display()))?;
    let file: VaultFile = serde_json::from_slice(&text).with_context(|| format!("{} is not a node vault", path.display()))?;
    match file.format.as_str() {
        FORMAT => {}
        FORMAT_V1 => bail!(
            "{} is a `{FORMAT_V1}` vault: its X25519 transport key cannot take part in the redesigned key ceremony. Move it aside, run \
             `mpc-node init` to make a `{FORMAT}` vault, and have the admin invite this authority again (`medshare cluster replace-node`, \
             or `remove-node` then `invite`); the next ceremony gives it a share",
            path.display()
        ),
        other => bail!("{} has format `{other}`, expected `{FORMAT}`", path.display()),
    }
    if file.authority != authority.to_string() {
        bail!("{} belongs to node authority {}, not {authority}", path.display(), file.authority);
    }
    let key = derive_key(passphrase, &hex::decode(&file.salt)?, file.kdf)?;
    let plaintext = Zeroizing::new(
        encrypted_circuits::aead::open(&key, &aad(&file.authority), &hex::decode(&file.sealed)?)
            .map_err(|_| anyhow::anyhow!("cannot open {}: wrong passphrase or a damaged file", path.display()))?,
    );
    let secrets: Secrets = serde_json::from_slice(&plaintext).context("the vault's contents")?;
    secrets.transport().context("the vault's transport key")?;
    Ok(secrets)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// An open vault: the secrets and what it takes to write them back.
pub struct Vault {
    path: PathBuf,
    authority: Address,
    passphrase: Zeroizing<String>,
    /// The decrypted contents.
    pub secrets: Secrets,
}

impl Vault {
    /// Opens the vault at `path`.
    pub fn open(path: &Path, authority: Address, passphrase: Zeroizing<String>) -> Result<Vault> {
        let secrets = load(path, &authority, &passphrase)?;
        Ok(Vault { path: path.to_owned(), authority, passphrase, secrets })
    }

    /// Creates a vault with fresh secrets at `path` (refusing to overwrite one).
    pub fn create(path: &Path, authority: Address, passphrase: Zeroizing<String>) -> Result<Vault> {
        if path.exists() {
            bail!("{} exists: refusing to overwrite a vault", path.display());
        }
        let vault = Vault { path: path.to_owned(), authority, passphrase, secrets: Secrets::generate() };
        vault.save()?;
        Ok(vault)
    }

    /// Writes the secrets back (atomically).
    pub fn save(&self) -> Result<()> {
        save(&self.path, &self.authority, &self.passphrase, &self.secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("medshare-vault-test-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_vault_naming_huge_argon2_costs_is_refused_before_hashing() {
        let dir = temp_dir("costs");
        let path = dir.join("vault.json");
        let authority = Address::new_from_array([7; 32]);
        save(&path, &authority, "correct horse", &Secrets::generate()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // the fuzzer's inputs: 4 TiB of memory aborted the process, 2^32 passes hung it
        for (field, value) in [("memory_kib", u64::from(u32::MAX)), ("iterations", u64::from(u32::MAX)), ("parallelism", 0), ("memory_kib", 1)] {
            let mut file: serde_json::Value = serde_json::from_str(&text).unwrap();
            file["kdf"][field] = serde_json::json!(value);
            std::fs::write(&path, file.to_string()).unwrap();
            let refused = load(&path, &authority, "correct horse").err().unwrap();
            assert!(format!("{refused:#}").contains("Argon2id costs are out of range"), "{field} = {value}: {refused:#}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_vault_opens_only_with_its_passphrase_and_authority() {
        let dir = temp_dir("open");
        let path = dir.join("vault.json");
        let authority = Address::new_from_array([7; 32]);
        let mut secrets = Secrets::generate();
        let share = KeyShare::from_parts(3, &[5; 32]).unwrap();
        secrets.insert_share(&authority, 2, EpochShare::new(&share, [9; 32]));
        save(&path, &authority, "correct horse", &secrets).unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(FORMAT));
        assert!(!text.contains(&hex::encode([5u8; 32])), "the share is not in the clear");
        assert!(!text.contains(&secrets.transport), "the transport key is not in the clear");

        let opened = load(&path, &authority, "correct horse").unwrap();
        assert_eq!(opened.share(&authority, 2).unwrap().key_share().unwrap().secret_bytes(), [5; 32]);
        assert_eq!(opened.transport().unwrap().public_key(), secrets.transport().unwrap().public_key());
        assert!(opened.share(&authority, 3).is_none());

        let wrong = load(&path, &authority, "wrong horse").err().unwrap().to_string();
        assert!(wrong.contains("wrong passphrase"), "{wrong}");
        let other = load(&path, &Address::new_from_array([8; 32]), "correct horse").err().unwrap().to_string();
        assert!(other.contains("belongs to node authority"), "{other}");

        let mut file: serde_json::Value = serde_json::from_str(&text).unwrap();
        file["authority"] = serde_json::json!(Address::new_from_array([8; 32]).to_string());
        std::fs::write(&path, file.to_string()).unwrap();
        let moved = load(&path, &Address::new_from_array([8; 32]), "correct horse").err().unwrap().to_string();
        assert!(moved.contains("wrong passphrase or a damaged file"), "a vault relabelled for another node does not open: {moved}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_v1_vault_is_refused_with_the_remedy() {
        let dir = temp_dir("v1");
        let path = dir.join("vault.json");
        let authority = Address::new_from_array([7; 32]);
        let v1 = serde_json::json!({ "format": FORMAT_V1, "authority": authority.to_string(), "kdf": KdfParams::DEFAULT, "salt": "00", "sealed": "00" });
        std::fs::write(&path, v1.to_string()).unwrap();
        let error = load(&path, &authority, "correct horse").err().unwrap().to_string();
        assert!(error.contains("mpc-node init") && error.contains("invite"), "{error}");
        let unknown = serde_json::json!({ "format": "medshare-node-vault-v9", "authority": authority.to_string(), "kdf": KdfParams::DEFAULT, "salt": "00", "sealed": "00" });
        std::fs::write(&path, unknown.to_string()).unwrap();
        assert!(load(&path, &authority, "correct horse").err().unwrap().to_string().contains("expected `medshare-node-vault-v2`"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The rotation survives a crash at each point: the pending key is on disk before it is
    /// sent, both keys open what they must, and promotion erases the old one.
    #[test]
    fn a_transport_rotation_survives_restarts() {
        let dir = temp_dir("rotation");
        let path = dir.join("vault.json");
        let authority = Address::new_from_array([7; 32]);
        let passphrase = || Zeroizing::new("correct horse".to_owned());
        let mut vault = Vault::create(&path, authority, passphrase()).unwrap();
        assert!(Vault::create(&path, authority, passphrase()).is_err(), "never overwrites");
        let old = vault.secrets.transport().unwrap().public_key();
        assert!(vault.secrets.pending_transport().unwrap().is_none());

        let pending = vault.secrets.begin_rotation().unwrap().public_key();
        assert_ne!(pending, old);
        vault.save().unwrap();
        // killed here: the restarted node finds the same pending key, and begins no other
        let mut vault = Vault::open(&path, authority, passphrase()).unwrap();
        assert_eq!(vault.secrets.pending_transport().unwrap().unwrap().public_key(), pending);
        assert_eq!(vault.secrets.begin_rotation().unwrap().public_key(), pending, "a second begin reuses the pending key");
        assert_eq!(vault.secrets.transport_for(&old).unwrap().unwrap().public_key(), old);
        assert_eq!(vault.secrets.transport_for(&pending).unwrap().unwrap().public_key(), pending);
        assert!(vault.secrets.transport_for(&[1; 32]).unwrap().is_none());

        assert!(vault.secrets.promote_pending());
        vault.save().unwrap();
        let vault = Vault::open(&path, authority, passphrase()).unwrap();
        assert_eq!(vault.secrets.transport().unwrap().public_key(), pending);
        assert!(vault.secrets.pending_transport().unwrap().is_none());
        assert!(vault.secrets.transport_for(&old).unwrap().is_none(), "the old key is gone");
        let mut secrets = vault.secrets;
        assert!(!secrets.promote_pending(), "nothing pending");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The dealing is kept across restarts until erased; complaints are remembered; retention
    /// erases only this cluster's dead shares and the state of ceremonies but the latest.
    #[test]
    fn ceremony_state_and_retention() {
        let dir = temp_dir("ceremony");
        let path = dir.join("vault.json");
        let cluster = Address::new_from_array([7; 32]);
        let other = Address::new_from_array([8; 32]);
        let passphrase = || Zeroizing::new("correct horse".to_owned());
        let mut vault = Vault::create(&path, cluster, passphrase()).unwrap();
        assert!(vault.secrets.dealing(&cluster, 3).unwrap().is_none());
        vault.secrets.set_dealing(&cluster, 3, &[1, 2, 3]);
        vault.secrets.add_complaint(&cluster, 3, 5);
        vault.secrets.add_complaint(&cluster, 3, 2);
        vault.secrets.add_complaint(&cluster, 3, 5);
        vault.secrets.set_dealing(&cluster, 2, &[9]);
        for epoch in 1..=3 {
            vault.secrets.insert_share(&cluster, epoch, EpochShare::new(&KeyShare::from_parts(1, &[epoch as u8; 32]).unwrap(), [9; 32]));
        }
        vault.secrets.insert_share(&other, 1, EpochShare::new(&KeyShare::from_parts(1, &[4; 32]).unwrap(), [9; 32]));
        vault.save().unwrap();

        let mut vault = Vault::open(&path, cluster, passphrase()).unwrap();
        assert_eq!(vault.secrets.dealing(&cluster, 3).unwrap().unwrap(), vec![1, 2, 3], "the same bytes after a restart");
        assert_eq!(vault.secrets.complained(&cluster, 3), 0b10010);
        assert_eq!(vault.secrets.complained(&cluster, 4), 0);

        let (shares, ceremonies) = vault.secrets.retain(&cluster, 3, |epoch| epoch < 2);
        assert_eq!((shares, ceremonies), (vec![1], vec![2]));
        assert!(vault.secrets.share(&cluster, 1).is_none() && vault.secrets.share(&cluster, 2).is_some() && vault.secrets.share(&cluster, 3).is_some());
        assert!(vault.secrets.share(&other, 1).is_some(), "another cluster's share is not this cluster's to erase");
        assert!(vault.secrets.dealing(&cluster, 2).unwrap().is_none());

        assert!(vault.secrets.erase_dealing(&cluster, 3));
        assert!(!vault.secrets.erase_dealing(&cluster, 3));
        assert_eq!(vault.secrets.complained(&cluster, 3), 0b10010, "complaints outlive the dealing");
        vault.save().unwrap();
        let vault = Vault::open(&path, cluster, passphrase()).unwrap();
        assert!(vault.secrets.dealing(&cluster, 3).unwrap().is_none());
        assert_eq!(vault.secrets.epochs().len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
