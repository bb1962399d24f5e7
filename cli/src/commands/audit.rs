//! `audit`: who shared what with whom, rebuilt from the program's events alone (every
//! successful transaction of the program in the RPC node's history), filtered to a record,
//! an owner or a recipient.

use anyhow::Result;
use medshare_client::{PROGRAM_ID, audit::AuditTrail};
use serde_json::{Value, json};

use super::{Scope, Subject};
use crate::{output::Report, session::Session};

/// Reads the program's history and folds it into the trail.
pub async fn audit(session: &Session, scope: Scope) -> Result<Report> {
    let subject = scope.subject()?;
    let events = session.connection.events_mentioning(&PROGRAM_ID).await?;
    let trail = AuditTrail::from_events(&events);

    let records: Vec<Value> = trail
        .records
        .iter()
        .filter(|(record, (owner, _))| match subject {
            None => true,
            Some(Subject::Record(r)) => **record == r,
            Some(Subject::Owner(o)) => *owner == o,
            Some(Subject::Recipient(_)) => false,
        })
        .map(|(record, (owner, versions))| json!({ "record": record.to_string(), "owner": owner.to_string(), "versions": versions }))
        .collect();
    let shares: Vec<Value> = trail
        .shares
        .iter()
        .filter(|(_, share)| match subject {
            None => true,
            Some(Subject::Record(r)) => share.record == r,
            Some(Subject::Owner(o)) => share.owner == o,
            Some(Subject::Recipient(r)) => share.recipient == r,
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
