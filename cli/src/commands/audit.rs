//! `audit`: who shared what with whom, rebuilt from the program's events alone (every
//! successful transaction of the program in the RPC node's history), filtered to a record,
//! an owner or a recipient.

use anyhow::Result;
use medshare_client::{Address, PROGRAM_ID, audit::AuditTrail};
use serde_json::{Value, json};

use crate::{
    output::Report,
    session::{self, Session},
};

/// `audit` options: at most one filter (none: everything).
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// One record's history.
    #[arg(long, conflicts_with_all = ["owner", "recipient"])]
    pub record: Option<String>,
    /// Everything an owner stored and shared.
    #[arg(long, conflicts_with = "recipient")]
    pub owner: Option<String>,
    /// Everything shared with a recipient.
    #[arg(long)]
    pub recipient: Option<String>,
}

enum Filter {
    All,
    Record(Address),
    Owner(Address),
    Recipient(Address),
}

/// Reads the program's history and folds it into the trail.
pub async fn audit(session: &Session, args: AuditArgs) -> Result<Report> {
    let filter = match (&args.record, &args.owner, &args.recipient) {
        (Some(record), _, _) => Filter::Record(session::address(record, "record")?),
        (_, Some(owner), _) => Filter::Owner(session::address(owner, "owner")?),
        (_, _, Some(recipient)) => Filter::Recipient(session::address(recipient, "recipient")?),
        _ => Filter::All,
    };
    let events = session.connection.events_mentioning(&PROGRAM_ID).await?;
    let trail = AuditTrail::from_events(&events);

    let records: Vec<Value> = trail
        .records
        .iter()
        .filter(|(record, (owner, _))| match &filter {
            Filter::All => true,
            Filter::Record(r) => *record == r,
            Filter::Owner(o) => owner == o,
            Filter::Recipient(_) => false,
        })
        .map(|(record, (owner, versions))| json!({ "record": record.to_string(), "owner": owner.to_string(), "versions": versions }))
        .collect();
    let shares: Vec<Value> = trail
        .shares
        .iter()
        .filter(|(_, share)| match &filter {
            Filter::All => true,
            Filter::Record(r) => share.record == *r,
            Filter::Owner(o) => share.owner == *o,
            Filter::Recipient(r) => share.recipient == *r,
        })
        .map(|(request, s)| {
            json!({
                "request": request.to_string(), "record": s.record.to_string(), "owner": s.owner.to_string(),
                "recipient": s.recipient.to_string(), "record_version": s.record_version, "expires_at": s.expires_at,
                "accepted": s.accepted,
                "rejected": s.rejected.iter().map(|(index, authority)| json!({ "index": index, "authority": authority.to_string() })).collect::<Vec<_>>(),
                "completed": s.completed, "revoked": s.revoked,
            })
        })
        .collect();
    let faults: Vec<Value> = trail.faults.iter().map(|((cluster, index), faults)| json!({ "cluster": cluster.to_string(), "index": index, "faults": faults })).collect();

    let mut text = format!("audit trail from {} on-chain events", events.len());
    for record in &records {
        text.push_str(&format!("\n  record {} of {}: versions {}", record["record"].as_str().unwrap_or(""), record["owner"].as_str().unwrap_or(""), record["versions"]));
    }
    for share in &shares {
        let rejected: Vec<String> = share["rejected"].as_array().into_iter().flatten().map(|r| format!("node {} ({})", r["index"], r["authority"].as_str().unwrap_or(""))).collect();
        text.push_str(&format!(
            "\n  share {}: record {} v{} -> {}  accepted {}  rejected [{}]  completed {}  revoked {}",
            share["request"].as_str().unwrap_or(""),
            share["record"].as_str().unwrap_or(""),
            share["record_version"],
            share["recipient"].as_str().unwrap_or(""),
            share["accepted"],
            rejected.join(", "),
            share["completed"],
            share["revoked"]
        ));
    }
    for fault in &faults {
        text.push_str(&format!("\n  cluster {} node {}: {} fault(s)", fault["cluster"].as_str().unwrap_or(""), fault["index"], fault["faults"]));
    }
    let json = json!({ "events": events.len(), "records": records, "shares": shares, "faults": faults });
    Ok(Report::new(json, text))
}
