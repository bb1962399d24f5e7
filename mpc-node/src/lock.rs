//! One daemon per vault: `mpc-node run` holds an exclusive lock on a file next to the vault
//! (`<vault>.lock`) for its whole life. Two daemons on one vault would post two dealings or
//! rotate the transport key under each other and overwrite each other's vault; the second one
//! refuses to start instead, naming the first one's process id.
//!
//! The lock is `flock(2)` (`std::fs::File::try_lock`), held by the open file: the kernel
//! releases it when the process exits, however it exits, so a crashed daemon never leaves a
//! stale lock behind. The file stays; its content (the holder's pid) is only informative.

use std::{
    fs::{File, OpenOptions, TryLockError},
    io::{Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

/// Why the vault could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error("the vault {vault} is in use by another mpc-node ({holder}, lock file {lock}): stop it first, or give this node its own vault")]
    Held {
        /// The vault.
        vault: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// Who holds it, as its lock file says (`pid 1234`, or `pid unknown`).
        holder: String,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {lock}: {source}")]
    Io {
        /// The lock file.
        lock: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// The held lock; dropping it (or exiting) releases it.
#[derive(Debug)]
pub struct VaultLock {
    _file: File,
    path: PathBuf,
}

impl VaultLock {
    /// The lock file of `vault`: `<vault>.lock` in the same directory.
    pub fn path_for(vault: &Path) -> PathBuf {
        let mut name = vault.file_name().map(|name| name.to_os_string()).unwrap_or_else(|| "vault".into());
        name.push(".lock");
        vault.with_file_name(name)
    }

    /// Takes the lock of `vault` (without waiting) and writes this process's id into it.
    pub fn acquire(vault: &Path) -> Result<VaultLock, LockError> {
        let path = VaultLock::path_for(vault);
        let io = |source| LockError::Io { lock: path.clone(), source };
        // not truncated on open: the holder's pid must survive a refused second open
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim().parse::<u32>() {
                    Ok(pid) => format!("pid {pid}"),
                    Err(_) => "pid unknown".to_owned(),
                };
                return Err(LockError::Held { vault: vault.to_owned(), lock: path, holder });
            }
            Err(TryLockError::Error(error)) => return Err(io(error)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(VaultLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault_in(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("medshare-lock-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("vault.json")
    }

    #[test]
    fn a_second_lock_on_the_same_vault_is_refused_naming_the_holder() {
        let vault = vault_in("second");
        let first = VaultLock::acquire(&vault).expect("the first daemon locks");
        assert_eq!(first.path(), vault.with_file_name("vault.json.lock"));
        // flock locks belong to the open file: a second open in this process conflicts like
        // a second daemon would
        let refused = VaultLock::acquire(&vault).expect_err("a second daemon is refused");
        match &refused {
            LockError::Held { holder, .. } => assert_eq!(holder, &format!("pid {}", std::process::id())),
            other => panic!("expected Held, got {other:?}"),
        }
        let message = refused.to_string();
        assert!(message.contains("in use by another mpc-node") && message.contains("vault.json"), "{message}");
        drop(first);
        let again = VaultLock::acquire(&vault).expect("free again once the first one is gone");
        assert_eq!(std::fs::read_to_string(again.path()).unwrap().trim(), std::process::id().to_string());
    }

    #[test]
    fn different_vaults_lock_independently() {
        let (a, b) = (vault_in("a"), vault_in("b"));
        let _a = VaultLock::acquire(&a).unwrap();
        let _b = VaultLock::acquire(&b).expect("another vault is another lock");
    }

    #[test]
    fn an_unwritable_lock_location_is_an_io_error_not_a_holder() {
        let missing = std::env::temp_dir().join(format!("medshare-lock-test-{}-missing/sub/vault.json", std::process::id()));
        assert!(matches!(VaultLock::acquire(&missing), Err(LockError::Io { .. })));
    }
}
