//! Signers in the Solana CLI's forms, loaded by `solana-clap-utils` exactly as `solana` loads
//! them: a keypair file (or `file:PATH`), `prompt://` (seed phrase and passphrase asked on
//! the terminal; `?key=0/0` or `?full-path=m/44/501/0/0` for another derivation path),
//! `stdin` / `stdin://` / `-` (a JSON keypair on stdin, as `solana-keygen` writes it) and
//! `usb://ledger` (a hardware wallet, when the build has hardware wallet support).
//!
//! A bare address is a valid *source* for the Solana CLI's offline signing, but it cannot
//! sign here: it is refused by name before anything is asked or sent.

use anyhow::{Result, anyhow, bail};
use solana_remote_wallet::remote_wallet::RemoteWalletManager;
use solana_signer::Signer;
use std::rc::Rc;

/// The form of a signer source, as far as `medshare` needs to tell them apart before
/// loading (the loading itself is `solana-clap-utils`').
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Form {
    /// A keypair file.
    File,
    /// `prompt://`: seed phrase on the terminal.
    Prompt,
    /// A JSON keypair on stdin.
    Stdin,
    /// A hardware wallet, `usb://…`.
    Usb,
    /// A base58 address: cannot sign.
    Address,
}

/// Which form `source` has. The bare word `stdin` means stdin (as `stdin://` does), unless a
/// file of that name exists.
pub fn form(source: &str) -> Form {
    let scheme = source.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("prompt") => Form::Prompt,
        Some("stdin") => Form::Stdin,
        Some("usb") => Form::Usb,
        Some("file") => Form::File,
        // the order solana-clap-utils uses: `-`, then the legacy `ASK`, then an address
        _ if source == "-" => Form::Stdin,
        _ if source == "ASK" => Form::Prompt,
        _ if source.parse::<medshare_client::Address>().is_ok() => Form::Address,
        _ if source == "stdin" && !std::path::Path::new(source).exists() => Form::Stdin,
        _ => Form::File,
    }
}

/// What `solana-clap-utils` is given for `source`: the bare word `stdin` becomes `stdin://`
/// (the crate reads bare words as file paths).
fn normalized(source: &str) -> String {
    if form(source) == Form::Stdin && source == "stdin" { "stdin://".to_owned() } else { source.to_owned() }
}

/// Loads the signer `source` for the role `role` (`keypair` or `fee-payer`, shown in prompts
/// and errors).
pub fn load(source: &str, role: &str, wallet_manager: &mut Option<Rc<RemoteWalletManager>>) -> Result<Box<dyn Signer>> {
    let flag = format!("--{role}");
    match form(source) {
        Form::Address => bail!(
            "{flag} `{source}` is an address, not a signer: it cannot sign; give a keypair file, prompt://, stdin or usb://ledger (a public key alone cannot sign)"
        ),
        Form::File => {
            let path = source.strip_prefix("file:").unwrap_or(source);
            if !std::path::Path::new(path).exists() {
                bail!("{flag}: keypair file {path} does not exist (create one with `solana-keygen new -o {path}`, or give prompt://, stdin or usb://ledger)");
            }
        }
        Form::Prompt | Form::Stdin | Form::Usb => {}
    }
    // an empty set of clap v2 matches: no `--signer` presignatures, no seed-phrase options
    let matches = clap_v2::ArgMatches::default();
    solana_clap_utils::keypair::signer_from_path(&matches, &normalized(source), role, wallet_manager).map_err(|error| {
        let text = error.to_string();
        if text.contains("hidapi crate compilation disabled") {
            anyhow!("{flag} `{source}`: this medshare build has no hardware wallet support (solana-remote-wallet built without hidapi); use a keypair file, prompt:// or stdin")
        } else {
            anyhow!("{flag} `{source}`: {text}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_follow_the_solana_cli() {
        assert_eq!(form("prompt://"), Form::Prompt);
        assert_eq!(form("prompt://?key=0/1"), Form::Prompt);
        assert_eq!(form("stdin"), Form::Stdin);
        assert_eq!(form("stdin://"), Form::Stdin);
        assert_eq!(form("-"), Form::Stdin);
        assert_eq!(form("usb://ledger"), Form::Usb);
        assert_eq!(form("usb://ledger?key=0"), Form::Usb);
        assert_eq!(form("/home/me/.config/solana/id.json"), Form::File);
        assert_eq!(form("file:/home/me/id.json"), Form::File);
        assert_eq!(form(&medshare_client::PROGRAM_ID.to_string()), Form::Address);
        assert_eq!(normalized("stdin"), "stdin://");
        assert_eq!(normalized("prompt://"), "prompt://");
    }

    #[test]
    fn an_address_and_a_missing_file_are_refused_by_name() {
        let mut manager = None;
        let address = medshare_client::PROGRAM_ID.to_string();
        let error = load(&address, "fee-payer", &mut manager).err().unwrap().to_string();
        assert!(error.contains("--fee-payer") && error.contains("is an address, not a signer"), "{error}");
        let error = load("/nonexistent/medshare/id.json", "keypair", &mut manager).err().unwrap().to_string();
        assert!(error.contains("--keypair") && error.contains("does not exist") && error.contains("solana-keygen new"), "{error}");
    }

    #[test]
    fn a_hardware_wallet_without_support_is_refused_by_name() {
        let mut manager = None;
        let error = load("usb://ledger", "keypair", &mut manager).err().unwrap().to_string();
        assert!(error.contains("--keypair `usb://ledger`") && error.contains("no hardware wallet support"), "{error}");
    }

    #[test]
    fn a_keypair_file_loads_through_the_solana_crates() {
        let dir = std::env::temp_dir().join(format!("medshare-signer-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let keypair = solana_keypair::Keypair::new();
        let path = dir.join("id.json");
        solana_keypair::write_keypair_file(&keypair, &path).unwrap();
        let mut manager = None;
        for source in [path.display().to_string(), format!("file:{}", path.display())] {
            assert_eq!(load(&source, "keypair", &mut manager).unwrap().pubkey(), keypair.pubkey(), "{source}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
