//! `register-key`.

use anyhow::Result;
use medshare_client::{instructions as ix, pda};
use serde_json::json;
use solana_signer::Signer;

use crate::{output::Report, session::Session};

/// Registers the wallet's derived encryption key, unless the same key is already registered.
pub async fn register(session: &Session) -> Result<Report> {
    let wallet = session.wallet()?;
    let key = session.encryption_key(&wallet)?;
    let public_key = key.public_key().to_bytes();
    let address = pda::user_key(&wallet.pubkey());
    // UserKey: discriminator, wallet, public key
    if let Some(data) = session.connection.account(&address).await?
        && data.get(40..72) == Some(public_key.as_slice())
    {
        let json = json!({ "wallet": wallet.pubkey().to_string(), "public_key": hex::encode(public_key), "user_key": address.to_string(), "signature": null, "already_registered": true });
        return Ok(Report::new(json, format!("encryption key {} is already registered for {}", hex::encode(public_key), wallet.pubkey())));
    }
    let proof = key.prove_possession(&mut rand::rngs::OsRng, &wallet.pubkey().to_bytes());
    let signature = session.connection.send(&wallet, &[], &[ix::register_user_key(&wallet.pubkey(), public_key, proof.to_bytes())]).await?;
    let json = json!({ "wallet": wallet.pubkey().to_string(), "public_key": hex::encode(public_key), "user_key": address.to_string(), "signature": signature.to_string(), "already_registered": false });
    Ok(Report::new(json, format!("registered encryption key {} for {}\nsignature {signature}", hex::encode(public_key), wallet.pubkey())))
}
