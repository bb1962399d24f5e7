//! `audit`: who shared what with whom, rebuilt from the program's events alone (every
//! successful transaction of the program in the RPC node's history, its events read from
//! its logs), filtered to a record, an owner or a recipient. Transactions that
//! could not be read fully (truncated logs, an event that does not decode, a transaction
//! that could not be fetched) are listed as warnings; the audit still succeeds.

use anyhow::Result;
use medshare_client::{
    Address, PROGRAM_ID,
    audit::{AuditTrail, CeremonyHistory, CeremonyOutcome, MembershipChange},
};
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
                "cluster": s.cluster.to_string(), "epoch": s.epoch, "threshold": s.threshold, "accepted": s.accepted,
                "moves": s.moves.iter().map(|(from, to)| json!({ "from_epoch": from, "to_epoch": to })).collect::<Vec<_>>(),
                "rejected": s.rejected.iter().map(|(index, authority)| json!({ "index": index, "authority": authority.to_string() })).collect::<Vec<_>>(),
                "completed": s.completed, "revoked": s.revoked,
            })
        })
        .collect();
    let faults: Vec<Value> =
        trail.faults.iter().map(|((cluster, index), faults)| json!({ "cluster": cluster.to_string(), "index": index, "faults": faults })).collect();
    // the key ceremonies: of every cluster, or of the clusters the selected shares were asked of
    let clusters: Option<std::collections::BTreeSet<Address>> = subject
        .map(|_| trail.shares.iter().filter(|(request, _)| shares.iter().any(|s| s["request"] == request.to_string())).map(|(_, s)| s.cluster).collect());
    let ceremonies: Vec<Value> = trail
        .ceremonies
        .iter()
        .filter(|((cluster, _), _)| clusters.as_ref().is_none_or(|set| set.contains(cluster)))
        .map(|((cluster, epoch), c)| ceremony_json(cluster, *epoch, c))
        .collect();
    let membership: Vec<Value> = trail
        .membership
        .iter()
        .filter(|(cluster, _, _)| clusters.as_ref().is_none_or(|set| set.contains(cluster)))
        .map(|(cluster, index, change)| membership_json(cluster, *index, change))
        .collect();

    let warnings: Vec<Value> =
        trail.warnings.iter().map(|w| json!({ "signature": w.signature.to_string(), "kind": w.problem.kind(), "message": w.problem.to_string() })).collect();

    let text = render(trail.events, transactions.len(), &records, &shares, &faults, &ceremonies, &warnings);
    let json = json!({
        "events": trail.events, "transactions": transactions.len(), "records": records, "shares": shares, "faults": faults,
        "ceremonies": ceremonies, "membership": membership, "warnings": warnings,
    });
    Ok(Report::new(json, text))
}

/// The trail as tables: records, shares, faults, ceremonies, then one line per warning.
fn render(events: usize, transactions: usize, records: &[Value], shares: &[Value], faults: &[Value], ceremonies: &[Value], warnings: &[Value]) -> String {
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
    out.push_str(&render_ceremonies(ceremonies));
    if !warnings.is_empty() {
        out.push_str(&format!("\n\nwarnings: {} problem(s); the trail may be incomplete\n", warnings.len()));
        for w in warnings {
            out.push_str(&format!("warning: transaction {}: {}\n", text(&w["signature"]), text(&w["message"])));
        }
    }
    out
}

/// One ceremony's history as JSON: who dealt, who was disqualified and why, complaints,
/// confirmations and the outcome; `culprits` are the members the program named at fault.
fn ceremony_json(cluster: &Address, epoch: u64, c: &CeremonyHistory) -> Value {
    let pairs = |list: &[(u8, u8)]| list.iter().map(|(dealer, receiver)| json!({ "dealer": dealer, "receiver": receiver })).collect::<Vec<_>>();
    let faults = |list: &[(u8, u32)]| list.iter().map(|(index, faults)| json!({ "index": index, "faults": faults })).collect::<Vec<_>>();
    let outcome = match &c.outcome {
        None => Value::Null,
        Some(CeremonyOutcome::Activated { public_key, threshold, holders, late }) => {
            json!({ "result": "activated", "public_key": hex::encode(public_key), "threshold": threshold, "holders": holders, "late": late })
        }
        Some(CeremonyOutcome::Failed { qualified, confirmed }) => json!({ "result": "failed", "qualified": qualified, "confirmed": confirmed }),
    };
    json!({
        "cluster": cluster.to_string(), "epoch": epoch, "kind": c.kind.map(|k| k.name()), "threshold": c.threshold,
        "dealers": c.dealers, "receivers": c.receivers, "deal_deadline": c.deal_deadline, "confirm_deadline": c.confirm_deadline,
        "dealt": c.dealt, "rejected_dealings": faults(&c.rejected_dealings), "qualified_at_close": c.qualified_at_close, "qualified": c.qualified,
        "absent": c.absent, "complaints_upheld": pairs(&c.complaints_upheld), "complaints_dismissed": pairs(&c.complaints_dismissed),
        "confirmed": c.confirmed, "voided_confirmations": c.voided_confirmations, "confirmed_after_activation": c.confirmed_after_activation,
        "rejected_confirmations": faults(&c.rejected_confirmations), "culprits": c.culprits(), "outcome": outcome,
    })
}

/// One membership change as JSON.
fn membership_json(cluster: &Address, index: u8, change: &MembershipChange) -> Value {
    let (what, authority, transport_key) = match change {
        MembershipChange::Invited(authority) => ("invited", Some(authority), None),
        MembershipChange::Accepted(authority, key) => ("accepted", Some(authority), Some(key)),
        MembershipChange::TransportKeyRotated(key) => ("transport_key_rotated", None, Some(key)),
        MembershipChange::Suspended => ("suspended", None, None),
        MembershipChange::Removed(authority) => ("removed", Some(authority), None),
    };
    json!({
        "cluster": cluster.to_string(), "index": index, "change": what,
        "authority": authority.map(ToString::to_string), "transport_key": transport_key.map(hex::encode),
    })
}

/// The ceremonies as a table (empty when there are none).
fn render_ceremonies(ceremonies: &[Value]) -> String {
    if ceremonies.is_empty() {
        return String::new();
    }
    let indices = |v: &Value| {
        let list: Vec<String> = v.as_array().into_iter().flatten().map(ToString::to_string).collect();
        if list.is_empty() { "-".to_owned() } else { list.join(" ") }
    };
    let rows: Vec<Vec<String>> = ceremonies
        .iter()
        .map(|c| {
            let outcome = match c["outcome"]["result"].as_str() {
                Some("activated") => format!("activated, holders {}, late {}", indices(&c["outcome"]["holders"]), indices(&c["outcome"]["late"])),
                Some(other) => other.to_owned(),
                None => "running".to_owned(),
            };
            vec![
                c["cluster"].as_str().unwrap_or_default().to_owned(),
                c["epoch"].to_string(),
                c["kind"].as_str().unwrap_or("?").replace('_', " "),
                indices(&c["dealt"]),
                indices(&c["qualified"]),
                indices(&c["absent"]),
                indices(&c["culprits"]),
                outcome,
            ]
        })
        .collect();
    format!("\n\nceremonies\n{}", table(&["CLUSTER", "EPOCH", "KIND", "DEALT", "QUALIFIED", "ABSENT", "NAMED", "OUTCOME"], &rows))
}
