//! `share`, `revoke`, `requests`, `expire` and `close-request`.

use anyhow::{Result, bail};
use medshare_client::{Address, accounts::ShareRequest, instructions as ix};
use serde_json::{Value, json};
use std::time::Duration;

use super::{Scope, Subject};
use crate::{
    output::{Report, table},
    session::{self, Session},
};

/// `share` options.
#[derive(clap::Args, Debug)]
pub struct ShareArgs {
    /// The record.
    pub record: String,
    /// The recipient's wallet (it must have run `register-key`).
    pub recipient: String,
    /// Consent ends after this long (e.g. 1h, 30d); no partial is accepted after it.
    #[arg(long, value_parser = humantime::parse_duration, conflicts_with = "expires_at")]
    pub expires_in: Option<Duration>,
    /// Consent ends at this date: RFC 3339 (2026-12-31T23:59:00Z, or with an offset), 'YYYY-MM-DD HH:MM' (UTC) or Unix seconds.
    #[arg(long, value_parser = crate::time::parse, value_name = "DATE")]
    pub expires_at: Option<i64>,
}

/// Asks the cluster to re-encrypt the record's key to the recipient.
pub async fn share(session: &Session, args: ShareArgs) -> Result<Report> {
    let wallet = session.wallet()?;
    let record_address = session::address(&args.record, "record")?;
    let recipient = session::address(&args.recipient, "recipient")?;
    let now = medshare_client::unix_now();
    if let Some(at) = args.expires_at
        && at <= now
    {
        bail!("--expires-at {} is in the past (now is {})", crate::time::human(at), crate::time::human(now));
    }
    let record = session.record(&record_address).await?;
    session::require_signer(wallet, &record.owner, "record owner")?;
    let cluster = session.cluster(&record.cluster).await?;
    if !cluster.is_active() {
        bail!(
            "cluster {} serves no key now: a key generation (ceremony {}) is running or none finished yet; see `medshare cluster status {}`",
            record.cluster,
            cluster.ceremony_epoch,
            record.cluster
        );
    }
    if record.cluster_key != cluster.public_key {
        bail!(
            "record {record_address} v{} is sealed to the cluster's epoch-{} key, and the cluster has a new key (made in epoch {}): \
             re-key it first with `medshare rekey {record_address}`",
            record.version,
            record.sealed_epoch,
            cluster.key_epoch
        );
    }
    let expires_at = match (args.expires_in, args.expires_at) {
        (Some(duration), _) => crate::time::expiry_after(now, duration)?,
        (None, Some(at)) => at,
        (None, None) => 0,
    };
    let (instruction, request) = ix::share_patient_data(&wallet.pubkey(), &record_address, record.share_count, &record.cluster, &recipient, expires_at);
    let signature = session.send(&[instruction]).await?;
    let json = json!({
        "request": request.to_string(), "record": record_address.to_string(), "version": record.version,
        "recipient": recipient.to_string(), "expires_at": crate::time::json_expiry(expires_at), "expires_at_unix": expires_at,
        "signature": signature.to_string(),
    });
    let expiry = if expires_at == 0 { "no expiry".to_owned() } else { format!("expires {}", crate::time::human(expires_at)) };
    Ok(Report::new(json, format!("share request {request}: record {record_address} v{} -> {recipient} ({expiry})\nsignature {signature}", record.version)))
}

/// Withdraws consent: no further partial is accepted, and a completed share is marked revoked.
pub async fn revoke(session: &Session, request: &str) -> Result<Report> {
    let wallet = session.wallet()?;
    let address = session::address(request, "share request")?;
    let on_chain = session.request(&address).await?;
    session::require_signer(wallet, &on_chain.owner, "record owner")?;
    if on_chain.status == ShareRequest::REVOKED {
        bail!("share request {address} is already revoked");
    }
    session.confirm(&format!(
        "revoke share request {address} ({}, record {} to {}): no further partial will be accepted",
        status_name(&on_chain),
        on_chain.record,
        on_chain.recipient
    ))?;
    let signature = session.send(&[ix::revoke_share(&wallet.pubkey(), &address)]).await?;
    // Partials already on chain stay usable by this recipient (docs/threat-model.md): only a
    // new record key takes them out of play.
    let posted = on_chain.accepted_count;
    let warning = (posted > 0).then(|| {
        format!(
            "{posted} of {} partials were already posted for this request{}: the recipient may still combine them, with partials of a later \
             share of the same version; to make them useless, re-key the record: medshare rekey {}",
            on_chain.threshold,
            if on_chain.status == ShareRequest::COMPLETED { " (it was completed: what the recipient opened, it keeps)" } else { "" },
            on_chain.record
        )
    });
    let json = json!({
        "request": address.to_string(), "was_completed": on_chain.status == ShareRequest::COMPLETED, "partials_posted": posted,
        "warning": warning, "signature": signature.to_string(),
    });
    let text = match &warning {
        Some(warning) => format!("revoked share request {address}\nwarning: {warning}\nsignature {signature}"),
        None => format!("revoked share request {address}\nsignature {signature}"),
    };
    Ok(Report::new(json, text))
}

/// The status word of a request.
pub fn status_name(request: &ShareRequest) -> &'static str {
    match request.status {
        ShareRequest::COMPLETED => "completed",
        ShareRequest::REVOKED => "revoked",
        ShareRequest::EXPIRED => "expired",
        _ if request.expired_at(medshare_client::unix_now()) => "expired",
        _ => "pending",
    }
}

/// Lists share requests with their status and partials.
pub async fn requests(session: &Session, scope: Scope) -> Result<Report> {
    let subject = match scope.subject()? {
        Some(subject) => subject,
        None => Subject::Recipient(session.wallet()?.pubkey()),
    };
    let (what, offset, address) = match subject {
        Subject::Owner(owner) => ("owner", ShareRequest::OWNER_OFFSET, owner),
        Subject::Record(record) => ("record", ShareRequest::RECORD_OFFSET, record),
        Subject::Recipient(recipient) => ("recipient", ShareRequest::RECIPIENT_OFFSET, recipient),
    };
    let accounts = session.connection.program_accounts("ShareRequest", &[(offset, address.as_ref())]).await?;
    let mut requests: Vec<(Address, ShareRequest)> = accounts.into_iter().filter_map(|(a, data)| Some((a, ShareRequest::decode(&data).ok()?))).collect();
    requests.sort_by_key(|(_, r)| r.created_at);
    let json: Vec<Value> = requests
        .iter()
        .map(|(address, r)| {
            json!({
                "request": address.to_string(), "record": r.record.to_string(), "owner": r.owner.to_string(),
                "recipient": r.recipient.to_string(), "version": r.record_version, "status": status_name(r),
                "partials": r.partials.iter().map(|(i, _, _)| i).collect::<Vec<_>>(), "threshold": r.threshold,
                "expires_at": crate::time::json_expiry(r.expires_at), "created_at": crate::time::rfc3339(r.created_at),
                "expires_at_unix": r.expires_at, "created_at_unix": r.created_at,
            })
        })
        .collect();
    let rows: Vec<Vec<String>> = requests
        .iter()
        .map(|(address, r)| {
            vec![
                address.to_string(),
                r.record.to_string(),
                r.recipient.to_string(),
                status_name(r).to_owned(),
                format!("{}/{}", r.accepted_count, r.threshold),
                crate::time::human_expiry(r.expires_at),
            ]
        })
        .collect();
    let text = format!(
        "{} share request(s), {what} {address}\n{}",
        requests.len(),
        table(&["REQUEST", "RECORD", "RECIPIENT", "STATUS", "PARTIALS", "EXPIRES"], &rows)
    );
    Ok(Report::new(json!({ what: address.to_string(), "requests": json }), text))
}

/// `expire`: marks a pending request past its expiry as expired (anyone may send it; the fee
/// payer pays). Nothing changes for the patient or the recipient: no partial is accepted
/// after the expiry either way; the nodes stop scanning it, and its owner may close it.
pub async fn expire(session: &Session, request: &str) -> Result<Report> {
    let address = session::address(request, "share request")?;
    let on_chain = session.request(&address).await?;
    let now = medshare_client::unix_now();
    match on_chain.status {
        ShareRequest::PENDING if on_chain.expires_at == 0 => bail!("share request {address} never expires: nothing to expire (its owner may revoke it)"),
        ShareRequest::PENDING if !on_chain.expired_at(now) => {
            bail!("share request {address} has not expired yet: it expires {}", crate::time::human(on_chain.expires_at))
        }
        ShareRequest::PENDING => {}
        _ => bail!("share request {address} is {}, not pending: nothing to expire", status_name(&on_chain)),
    }
    let signature = session.send(&[ix::expire_share_request(&address)]).await?;
    let rent = session.connection.rpc.get_balance(&address).await?;
    let json = json!({
        "request": address.to_string(), "status": "expired", "expires_at": crate::time::json_expiry(on_chain.expires_at),
        "expires_at_unix": on_chain.expires_at, "lamports_returned": 0, "rent_held": rent, "owner": on_chain.owner.to_string(),
        "signature": signature.to_string(),
    });
    let text = format!(
        "marked share request {address} expired (it expired {}); no rent is returned by this: its owner {} gets {} SOL back with `medshare close-request {address}`\nsignature {signature}",
        crate::time::human(on_chain.expires_at),
        on_chain.owner,
        super::records::sol(rent)
    );
    Ok(Report::new(json, text))
}

/// `close-request`: the record owner closes a finished request (completed, revoked, or
/// expired) and gets its rent back.
pub async fn close_request(session: &Session, request: &str) -> Result<Report> {
    let wallet = session.wallet()?;
    let address = session::address(request, "share request")?;
    let on_chain = session.request(&address).await?;
    session::require_signer(wallet, &on_chain.owner, "record owner")?;
    let status = status_name(&on_chain);
    if status == "pending" {
        let until = if on_chain.expires_at == 0 { String::new() } else { format!(" or wait until it expires ({})", crate::time::human(on_chain.expires_at)) };
        bail!("share request {address} is pending: revoke it first (`medshare revoke {address}`){until}");
    }
    let lamports = session.connection.rpc.get_balance(&address).await?;
    session.confirm(&format!(
        "close share request {address} ({status}, record {} to {}): its partials leave the chain and {} SOL of rent goes back to {}",
        on_chain.record,
        on_chain.recipient,
        super::records::sol(lamports),
        on_chain.owner
    ))?;
    let signature = session.send(&[ix::close_share_request(&wallet.pubkey(), &address)]).await?;
    let json = json!({
        "request": address.to_string(), "status": status, "lamports_returned": lamports, "returned_to": on_chain.owner.to_string(),
        "signature": signature.to_string(),
    });
    let text = format!(
        "closed share request {address} ({status}): {} SOL ({lamports} lamports) returned to {}\nsignature {signature}",
        super::records::sol(lamports),
        on_chain.owner
    );
    Ok(Report::new(json, text))
}
