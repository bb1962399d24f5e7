//! `audit`: who shared what with whom, rebuilt from the program's events alone (every
//! successful transaction of the program in the RPC node's history, its events read from
//! its logs), filtered to a record, an owner or a recipient. Transactions that
//! could not be read fully (truncated logs, an event that does not decode, a transaction
//! that could not be fetched) are listed as warnings; the audit still succeeds.

use anyhow::Result;
use medshare_client::{PROGRAM_ID, audit::AuditTrail};
use serde_json::{Value, json};

use super::{Scope, Subject};
use crate::{
    output::{Report, table},
    session::Session,
};

/// Reads the program's history and folds it into the trail.
pub async fn audit(session: &Session, scope: Scope) -> Result<Report> {
    let subject = scope.subject()?;
    let transactions = session.connection.events_mentioning(&PROGRAM_ID).await?;
    let trail = AuditTrail::from_transactions(&transactions);

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
    let faults: Vec<Value> =
        trail.faults.iter().map(|((cluster, index), faults)| json!({ "cluster": cluster.to_string(), "index": index, "faults": faults })).collect();

    let warnings: Vec<Value> =
        trail.warnings.iter().map(|w| json!({ "signature": w.signature.to_string(), "kind": w.problem.kind(), "message": w.problem.to_string() })).collect();

    let text = render(trail.events, transactions.len(), &records, &shares, &faults, &warnings);
    let json = json!({
        "events": trail.events, "transactions": transactions.len(), "records": records, "shares": shares, "faults": faults, "warnings": warnings,
    });
    Ok(Report::new(json, text))
}

/// The trail as tables: records, shares, faults, then one line per warning.
fn render(events: usize, transactions: usize, records: &[Value], shares: &[Value], faults: &[Value], warnings: &[Value]) -> String {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let mut out = format!("audit trail from {events} on-chain events in {transactions} transactions\n\nrecords\n");
    let rows: Vec<Vec<String>> = records.iter().map(|r| vec![text(&r["record"]), text(&r["owner"]), text(&r["versions"])]).collect();
    out.push_str(&table(&["RECORD", "OWNER", "VERSIONS"], &rows));
    out.push_str("\n\nshares\n");
    let rows: Vec<Vec<String>> = shares
        .iter()
        .map(|s| {
            let rejected: Vec<String> = s["rejected"].as_array().into_iter().flatten().map(|r| format!("{} ({})", r["index"], text(&r["authority"]))).collect();
            let status = match (s["revoked"].as_bool(), s["completed"].as_bool()) {
                (Some(true), Some(true)) => "completed, revoked",
                (Some(true), _) => "revoked",
                (_, Some(true)) => "completed",
                _ => "open",
            };
            vec![
                text(&s["request"]),
                text(&s["record"]),
                text(&s["record_version"]),
                text(&s["recipient"]),
                text(&s["accepted"]),
                rejected.join(" "),
                status.to_owned(),
            ]
        })
        .collect();
    out.push_str(&table(&["REQUEST", "RECORD", "V", "RECIPIENT", "ACCEPTED", "REJECTED", "STATUS"], &rows));
    if !faults.is_empty() {
        out.push_str("\n\nfaults\n");
        let rows: Vec<Vec<String>> = faults.iter().map(|f| vec![text(&f["cluster"]), text(&f["index"]), text(&f["faults"])]).collect();
        out.push_str(&table(&["CLUSTER", "NODE", "FAULTS"], &rows));
    }
    if !warnings.is_empty() {
        out.push_str(&format!("\n\nwarnings: {} problem(s); the trail may be incomplete\n", warnings.len()));
        for w in warnings {
            out.push_str(&format!("warning: transaction {}: {}\n", text(&w["signature"]), text(&w["message"])));
        }
    }
    out
}
