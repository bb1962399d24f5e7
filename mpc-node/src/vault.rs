//! The node's secrets at rest: its X25519 transport key and its key share of each epoch,
//! sealed with AES-256-GCM under a key derived from a passphrase with Argon2id
//! (RFC 9106; OWASP's minimum profile: 19 MiB, 2 passes, 1 lane). The file is JSON:
//! the KDF parameters and salt in the clear, the secrets sealed, and the authority's
//! address in the AAD so that a vault cannot be moved to another node's config.
//! Nothing here implements `Display` or `Debug` of a secret: they never reach the logs.

use anyhow::{Context, Result, bail};
use encrypted_circuits::{ceremony::TransportSecret, keys::KeyShare};
use medshare_client::Address;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, path::Path};
use zeroize::Zeroizing;

const FORMAT: &str = "medshare-node-vault-v1";

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

/// A key share the node holds for one epoch, with the public values the ceremony agreed on.
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
        let secret = Zeroizing::new(<[u8; 32]>::try_from(hex::decode(&self.secret)?.as_slice()).context("a 32-byte secret")?);
        Ok(KeyShare::from_parts(self.index, &secret)?)
    }

    /// The cluster key `PK` this share belongs to: the node checks every capsule's label
    /// against it, not against what its RPC provider says the key is.
    pub fn cluster_key(&self) -> Result<[u8; 32]> {
        <[u8; 32]>::try_from(hex::decode(&self.cluster_key)?.as_slice()).context("a 32-byte cluster key")
    }
}

impl Drop for EpochShare {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

/// The secrets, decrypted (only in memory).
#[derive(Serialize, Deserialize)]
pub struct Secrets {
    transport: String,
    /// Key shares by `(cluster, epoch)`.
    shares: BTreeMap<String, EpochShare>,
}

impl Drop for Secrets {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.transport);
    }
}

impl Secrets {
    /// Fresh secrets: a random transport key and no shares.
    pub fn generate() -> Secrets {
        let transport = TransportSecret::random(&mut rand::rngs::OsRng);
        Secrets { transport: hex::encode(transport.to_bytes()), shares: BTreeMap::new() }
    }

    /// The X25519 transport key.
    pub fn transport(&self) -> Result<TransportSecret> {
        let bytes = Zeroizing::new(<[u8; 32]>::try_from(hex::decode(&self.transport)?.as_slice()).context("a 32-byte transport key")?);
        Ok(TransportSecret::from_bytes(*bytes))
    }

    /// The share of `cluster` at `epoch`, if the node finished that ceremony.
    pub fn share(&self, cluster: &Address, epoch: u64) -> Option<&EpochShare> {
        self.shares.get(&share_key(cluster, epoch))
    }

    /// Records the share of `cluster` at `epoch`.
    pub fn insert_share(&mut self, cluster: &Address, epoch: u64, share: EpochShare) {
        self.shares.insert(share_key(cluster, epoch), share);
    }

    /// The epochs held, by cluster.
    pub fn epochs(&self) -> Vec<String> {
        self.shares.keys().cloned().collect()
    }
}

fn share_key(cluster: &Address, epoch: u64) -> String {
    format!("{cluster}/{epoch}")
}

fn derive_key(passphrase: &str, salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
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
/// file, then a rename, so a crash never leaves half a vault).
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
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))
}

/// Opens the vault at `path` for `authority`.
pub fn load(path: &Path, authority: &Address, passphrase: &str) -> Result<Secrets> {
    let text = std::fs::read(path).with_context(|| format!("reading vault {} (run `mpc-node init` first)", path.display()))?;
    let file: VaultFile = serde_json::from_slice(&text).with_context(|| format!("{} is not a node vault", path.display()))?;
    if file.format != FORMAT {
        bail!("{} has format `{}`, expected `{FORMAT}`", path.display(), file.format);
    }
    if file.authority != authority.to_string() {
        bail!("{} belongs to node authority {}, not {authority}", path.display(), file.authority);
    }
    let key = derive_key(passphrase, &hex::decode(&file.salt)?, file.kdf)?;
    let plaintext = Zeroizing::new(
        encrypted_circuits::aead::open(&key, &aad(&file.authority), &hex::decode(&file.sealed)?)
            .map_err(|_| anyhow::anyhow!("cannot open {}: wrong passphrase or a damaged file", path.display()))?,
    );
    serde_json::from_slice(&plaintext).context("the vault's contents")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vault_opens_only_with_its_passphrase_and_authority() {
        let dir = std::env::temp_dir().join(format!("medshare-vault-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vault.json");
        let authority = Address::new_from_array([7; 32]);
        let mut secrets = Secrets::generate();
        let share = KeyShare::from_parts(3, &[5; 32]).unwrap();
        secrets.insert_share(&authority, 2, EpochShare::new(&share, [9; 32]));
        save(&path, &authority, "correct horse", &secrets).unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
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
}
