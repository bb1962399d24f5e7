//! Exit codes a supervisor can act on (the BSD `sysexits.h` values): whether restarting the
//! daemon can help (RPC unavailable, a temporary failure) or a person must act first (a bad
//! command line, config or vault, a vault another daemon holds).
//!
//! Errors are classified where they arise, by attaching an [`ExitKind`] as `anyhow` context
//! ([`Classify::exit`]); [`exit_code`] finds the outermost one, and an unclassified error is a
//! temporary failure (75), so an unforeseen error never stops a supervisor from restarting.

use std::fmt;

/// What kind of failure ended the process, and so its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// The command line is wrong (`EX_USAGE`, 64).
    Usage,
    /// The vault cannot be opened (missing, corrupt, another authority's, wrong passphrase) or
    /// the cluster refused its transport key (`EX_DATAERR`, 65).
    Vault,
    /// No RPC endpoint answered at start (`EX_UNAVAILABLE`, 69): worth restarting later.
    RpcUnavailable,
    /// Another daemon holds the vault's lock (`EX_CANTCREAT`, 73).
    VaultLocked,
    /// Something that a restart may cure (`EX_TEMPFAIL`, 75).
    Temporary,
    /// The config file, the keypair or the passphrase setting is wrong, or the chain says the
    /// configured cluster does not exist or this authority is not (or no longer) its member
    /// (`EX_CONFIG`, 78).
    Config,
}

impl ExitKind {
    /// Every kind, for the help text and the tests.
    pub const ALL: [ExitKind; 6] = [ExitKind::Usage, ExitKind::Vault, ExitKind::RpcUnavailable, ExitKind::VaultLocked, ExitKind::Temporary, ExitKind::Config];

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Usage => 64,
            ExitKind::Vault => 65,
            ExitKind::RpcUnavailable => 69,
            ExitKind::VaultLocked => 73,
            ExitKind::Temporary => 75,
            ExitKind::Config => 78,
        }
    }

    /// Whether a supervisor restarting the daemon can succeed without a person acting.
    pub fn retryable(self) -> bool {
        matches!(self, ExitKind::RpcUnavailable | ExitKind::Temporary)
    }

    /// What the kind means, as the error message's first words.
    fn describe(self) -> &'static str {
        match self {
            ExitKind::Usage => "usage error",
            ExitKind::Vault => "vault error",
            ExitKind::RpcUnavailable => "RPC unavailable",
            ExitKind::VaultLocked => "vault locked",
            ExitKind::Temporary => "temporary failure",
            ExitKind::Config => "configuration error",
        }
    }
}

impl fmt::Display for ExitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The exit code for a failed run: the outermost [`ExitKind`] attached to `error`, else
/// [`ExitKind::Temporary`].
pub fn exit_code(error: &anyhow::Error) -> u8 {
    kind_of(error).code()
}

/// The outermost [`ExitKind`] attached to `error`, else [`ExitKind::Temporary`].
pub fn kind_of(error: &anyhow::Error) -> ExitKind {
    error.downcast_ref::<ExitKind>().copied().unwrap_or(ExitKind::Temporary)
}

/// Attaches an [`ExitKind`] to an error.
pub trait Classify<T> {
    /// `self` with `kind` as its exit classification.
    fn exit(self, kind: ExitKind) -> anyhow::Result<T>;
}

impl<T, E> Classify<T> for Result<T, E>
where
    E: Into<anyhow::Error>,
{
    fn exit(self, kind: ExitKind) -> anyhow::Result<T> {
        self.map_err(|error| error.into().context(kind))
    }
}

/// The exit code table `mpc-node --help` prints.
pub const HELP: &str = "\
Exit codes:
  0   stopped cleanly (SIGTERM or Ctrl-C)
  64  usage error: bad command line (not worth restarting)
  65  vault error: missing or corrupt vault, wrong passphrase, transport key refused (not worth restarting)
  69  RPC unavailable at start: no endpoint answered (worth restarting)
  73  vault locked: another mpc-node runs on this vault (not worth restarting)
  75  temporary failure: anything else a restart may cure (worth restarting)
  78  configuration error: config, keypair, passphrase setting, or the cluster/membership on chain (not worth restarting)";

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn each_kind_has_its_sysexits_code_and_the_help_lists_it() {
        let codes: Vec<u8> = ExitKind::ALL.iter().map(|kind| kind.code()).collect();
        assert_eq!(codes, [64, 65, 69, 73, 75, 78]);
        for kind in ExitKind::ALL {
            assert!(HELP.contains(&format!("  {}  {}", kind.code(), kind.describe())), "{kind:?} missing from the help");
        }
        let retryable: Vec<u8> = ExitKind::ALL.into_iter().filter(|kind| kind.retryable()).map(ExitKind::code).collect();
        assert_eq!(retryable, [69, 75], "only these are left out of RestartPreventExitStatus");
    }

    #[test]
    fn errors_map_to_the_outermost_classification_and_default_to_temporary() {
        let unclassified = anyhow::anyhow!("a task panicked");
        assert_eq!(exit_code(&unclassified), 75);

        let config: anyhow::Result<()> = Err(anyhow::anyhow!("missing field `cluster`")).exit(ExitKind::Config);
        let config = config.unwrap_err();
        assert_eq!(exit_code(&config), 78);
        assert_eq!(format!("{config:#}"), "configuration error: missing field `cluster`");

        // context added later keeps the classification
        let wrapped = Err::<(), _>(config).context("starting the node").unwrap_err();
        assert_eq!(exit_code(&wrapped), 78);

        // an io::Error (or any std error) classified at its source
        let locked = Err::<(), _>(std::io::Error::other("held by pid 42")).exit(ExitKind::VaultLocked).unwrap_err();
        assert_eq!(exit_code(&locked), 73);

        // the outermost classification wins: a config error found while the RPC was checked
        let inner = Err::<(), _>(anyhow::anyhow!("connection refused")).exit(ExitKind::RpcUnavailable).unwrap_err();
        assert_eq!(exit_code(&Err::<(), _>(inner).exit(ExitKind::Config).unwrap_err()), 78);
    }
}
