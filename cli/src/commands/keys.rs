//! `register-key`.

use anyhow::{Result, bail};
use encrypted_circuits::{keys::UserSecretKey, wallet_message::MAX_KEY_INDEX};
use medshare_client::{instructions as ix, pda};
use serde_json::json;
use solana_signer::Signer;

use crate::{
    output::Report,
    session::{KeySource, Session},
};

/// `register-key` options.
#[derive(clap::Args, Debug, Default)]
pub struct RegisterArgs {
    /// Replace the registered key by the wallet's next derived key (index + 1). Shares made to
    /// the old key stay openable with it; new shares and new records use the new one.
    #[arg(long)]
    pub rotate: bool,
}

/// What `register-key` does, given what is registered.
enum Plan {
    /// The key to register is registered already: its source and public key.
    Keep(KeySource, [u8; 32]),
    /// Register this key (replacing the registered one, if any).
    Register(KeySource, UserSecretKey),
}

/// Decides what to register. Without `--rotate`: key #0 (or the key file) when nothing is
/// registered, nothing when the registered key is one of the wallet's keys. With `--rotate`:
/// the derived key after the registered one (#0 after a key that is not derived from this
/// wallet for this domain).
fn plan(session: &Session, wallet: &dyn Signer, registered: Option<[u8; 32]>, rotate: bool) -> Result<Plan> {
    if let Some(key) = session.key_file()? {
        if rotate {
            bail!("--rotate derives the wallet's next key; with --encryption-key, register another key file instead");
        }
        let public_key = key.public_key().to_bytes();
        return Ok(if registered == Some(public_key) { Plan::Keep(KeySource::File, public_key) } else { Plan::Register(KeySource::File, key) });
    }
    let Some(registered) = registered else {
        return Ok(Plan::Register(KeySource::Derived(0), session.derived_key(wallet, 0)?));
    };
    let index = session.key_matching(wallet, &registered)?.and_then(|(source, _)| source.index());
    match (index, rotate) {
        (Some(index), false) => Ok(Plan::Keep(KeySource::Derived(index), registered)),
        (Some(MAX_KEY_INDEX), true) => {
            bail!("the registered key is #{MAX_KEY_INDEX}, the last index clients search: rotating further would make old shares unopenable")
        }
        (Some(index), true) => Ok(Plan::Register(KeySource::Derived(index + 1), session.derived_key(wallet, index + 1)?)),
        (None, true) => Ok(Plan::Register(KeySource::Derived(0), session.derived_key(wallet, 0)?)),
        (None, false) => bail!(
            "the encryption key registered for {} ({}) is none of {}: give its key file with --encryption-key or the --key-domain it was derived for, or replace it with `medshare register-key --rotate`",
            wallet.pubkey(),
            hex::encode(registered),
            session.keys_searched()
        ),
    }
}

/// Registers the wallet's encryption key with a proof of possession: derived key #0 (or the
/// `--encryption-key` file) unless a key of this wallet is registered already; with
/// `--rotate`, the next derived key.
pub async fn register(session: &Session, args: RegisterArgs) -> Result<Report> {
    let wallet = session.wallet()?;
    let address = pda::user_key(&wallet.pubkey());
    let registered = session.registered_key(&wallet.pubkey()).await?;
    let (source, key) = match plan(session, wallet, registered, args.rotate)? {
        Plan::Keep(source, public_key) => {
            let json = json!({ "wallet": wallet.pubkey().to_string(), "public_key": hex::encode(public_key), "key_index": source.index(), "user_key": address.to_string(), "signature": null, "already_registered": true, "replaced": null });
            return Ok(Report::new(json, format!("encryption key {} ({source}) is already registered for {}", hex::encode(public_key), wallet.pubkey())));
        }
        Plan::Register(source, key) => (source, key),
    };
    let public_key = key.public_key().to_bytes();
    let proof = key.prove_possession(&mut rand::rngs::OsRng, &wallet.pubkey().to_bytes());
    let signature = session.send(&[ix::register_user_key(&wallet.pubkey(), public_key, proof.to_bytes())]).await?;
    let json = json!({
        "wallet": wallet.pubkey().to_string(), "public_key": hex::encode(public_key), "key_index": source.index(), "user_key": address.to_string(),
        "signature": signature.to_string(), "already_registered": false, "replaced": registered.map(hex::encode),
    });
    let replaced = registered.map(|old| format!(", replacing {}", hex::encode(old))).unwrap_or_default();
    Ok(Report::new(json, format!("registered encryption key {} ({source}) for {}{replaced}\nsignature {signature}", hex::encode(public_key), wallet.pubkey())))
}

/// `address`: the wallet's address, and the fee payer's when it is another signer.
pub fn address(session: &Session) -> Result<Report> {
    let wallet = session.wallet()?.pubkey();
    let fee_payer = session.fee_payer()?.pubkey();
    let json = json!({ "address": wallet.to_string(), "fee_payer": fee_payer.to_string() });
    let text = if fee_payer == wallet { wallet.to_string() } else { format!("{wallet}\nfee payer {fee_payer}") };
    Ok(Report::new(json, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::{session, wallet};
    use solana_keypair::Keypair;

    fn registered(session: &Session, wallet: &Keypair, index: u32) -> Option<[u8; 32]> {
        Some(session.derived_key(wallet, index).unwrap().public_key().to_bytes())
    }

    fn planned(plan: Result<Plan>) -> std::result::Result<(bool, KeySource), String> {
        match plan {
            Ok(Plan::Keep(source, _)) => Ok((false, source)),
            Ok(Plan::Register(source, _)) => Ok((true, source)),
            Err(error) => Err(error.to_string()),
        }
    }

    #[test]
    fn register_and_rotate_pick_the_right_index() {
        let (session, wallet) = (session(&[]), wallet());
        let derived = |index| KeySource::Derived(index);
        assert_eq!(planned(plan(&session, &wallet, None, false)), Ok((true, derived(0))));
        assert_eq!(planned(plan(&session, &wallet, None, true)), Ok((true, derived(0))));
        assert_eq!(planned(plan(&session, &wallet, registered(&session, &wallet, 0), false)), Ok((false, derived(0))), "no-op");
        assert_eq!(planned(plan(&session, &wallet, registered(&session, &wallet, 3), false)), Ok((false, derived(3))), "no-op");
        assert_eq!(planned(plan(&session, &wallet, registered(&session, &wallet, 0), true)), Ok((true, derived(1))));
        assert_eq!(planned(plan(&session, &wallet, registered(&session, &wallet, 3), true)), Ok((true, derived(4))));
        let last = planned(plan(&session, &wallet, registered(&session, &wallet, MAX_KEY_INDEX), true)).unwrap_err();
        assert!(last.contains("last index"), "{last}");
        let foreign = Some(UserSecretKey::random(&mut rand::thread_rng()).public_key().to_bytes());
        let error = planned(plan(&session, &wallet, foreign, false)).unwrap_err();
        assert!(error.contains("--rotate") && error.contains("--key-domain"), "{error}");
        assert_eq!(planned(plan(&session, &wallet, foreign, true)), Ok((true, derived(0))));
    }
}
