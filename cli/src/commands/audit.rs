//! `audit`: who shared what with whom, rebuilt from the program's events alone (every
//! successful transaction of the program in the RPC node's history, its events read from
//! its logs), filtered to a record, an owner or a recipient, with a timeline (date, slot,
//! signature, event). `--limit N` reads one page of the newest `N` transactions (before
//! `--before SIGNATURE`) and names the signature to continue from; without it, the whole
//! history is read. RPC calls are retried; a transaction that still cannot be read (after
//! retries), or whose logs were truncated or do not decode, is listed with the reason and
//! the audit goes on.

use anyhow::{Context, Result, anyhow};
use medshare_client::{
    Address, PROGRAM_ID,
    audit::{AuditTrail, CeremonyHistory, CeremonyOutcome, MembershipChange},
    events::{Event, TransactionEvents},
};
use serde_json::{Value, json};
use solana_commitment_config::CommitmentConfig;
use solana_signature::Signature;
use std::{collections::BTreeSet, time::Duration};

use super::{Scope, Subject};
use crate::{
    output::{Report, table},
    session::{self, Session},
};

/// The most signatures one `getSignaturesForAddress` call returns.
const SIGNATURES_PER_CALL: usize = 1000;

/// `audit` options.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Whose history.
    #[command(flatten)]
    pub scope: Scope,
    /// Read one page: the newest N of the program's transactions (before --before). The record, share and ceremony summaries then cover this page only.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Start the page just before this transaction (the `next_before` a page names).
    #[arg(long, value_name = "SIGNATURE", requires = "limit")]
    pub before: Option<String>,
}

/// One transaction of the program's history as `getSignaturesForAddress` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The transaction.
    pub signature: Signature,
    /// The slot it landed in.
    pub slot: u64,
    /// Its block's time, when the node knows it.
    pub block_time: Option<i64>,
    /// Whether it failed (then it changed nothing and has no events).
    pub failed: bool,
}

/// A page of history: the transactions, oldest first, and where the next (older) page starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Oldest first.
    pub listed: Vec<Listed>,
    /// The signature to pass as `--before` for the next page (`None`: the history ends here).
    pub next_before: Option<Signature>,
}

/// Runs `call` up to 4 times, 250 ms apart doubling, and names `what` when it still fails.
async fn retried<T, E: std::fmt::Display, F: std::future::Future<Output = std::result::Result<T, E>>>(what: &str, mut call: impl FnMut() -> F) -> Result<T> {
    let mut delay = Duration::from_millis(250);
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(_) if attempt < 4 => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(error) => return Err(anyhow!("{what} failed {attempt} times: {error}")),
        }
    }
}

/// Lists the program's transactions newest first from `before`, `limit` of them (all when
/// `None`), and returns them oldest first with where the next page starts.
async fn list(session: &Session, before: Option<Signature>, limit: Option<usize>, commitment: CommitmentConfig) -> Result<Page> {
    use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
    let mut listed = Vec::new();
    let mut cursor = before;
    let mut exhausted = false;
    while limit.is_none_or(|limit| listed.len() < limit) {
        let want = limit.map_or(SIGNATURES_PER_CALL, |limit| (limit - listed.len()).min(SIGNATURES_PER_CALL));
        let page = retried("getSignaturesForAddress", || {
            let config = GetConfirmedSignaturesForAddress2Config { before: cursor, until: None, limit: Some(want), commitment: Some(commitment) };
            session.connection.rpc.get_signatures_for_address_with_config(&PROGRAM_ID, config)
        })
        .await?;
        let short = page.len() < want;
        for status in page {
            let signature: Signature = status.signature.parse().map_err(|_| anyhow!("the node listed a bad signature `{}`", status.signature))?;
            listed.push(Listed { signature, slot: status.slot, block_time: status.block_time, failed: status.err.is_some() });
            cursor = Some(signature);
        }
        if short {
            exhausted = true;
            break;
        }
    }
    let next_before = if exhausted || limit.is_none() { None } else { listed.last().map(|l| l.signature) };
    listed.reverse();
    Ok(Page { listed, next_before })
}

/// Reads the program's history (or one page of it) and folds it into the trail.
pub async fn audit(session: &Session, args: AuditArgs) -> Result<Report> {
    let subject = args.scope.subject()?;
    let before = args.before.as_deref().map(|s| s.parse::<Signature>().map_err(|_| anyhow!("--before `{s}` is not a transaction signature"))).transpose()?;
    // history methods take confirmed or finalized
    let commitment =
        if session.settings.commitment.0 == session::Commitment::Finalized { CommitmentConfig::finalized() } else { CommitmentConfig::confirmed() };
    let limit = args.limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let page = list(session, before, limit, commitment).await.context("listing the program's transactions")?;
    let mut transactions = Vec::new();
    for listed in page.listed.iter().filter(|l| !l.failed) {
        // `Connection::transaction` retries; what still fails is listed, not fatal
        transactions.push(match session.connection.transaction(&listed.signature).await {
            Ok(tx) => medshare_client::rpc::transaction_events(listed.signature, &tx),
            Err(error) => TransactionEvents::unreadable(listed.signature, error.to_string()),
        });
    }
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
                "recipient": s.recipient.to_string(), "record_version": s.record_version,
                "expires_at": crate::time::json_expiry(s.expires_at), "expires_at_unix": s.expires_at,
                "cluster": s.cluster.to_string(), "epoch": s.epoch, "threshold": s.threshold, "accepted": s.accepted,
                "moves": s.moves.iter().map(|(from, to)| json!({ "from_epoch": from, "to_epoch": to })).collect::<Vec<_>>(),
                "rejected": s.rejected.iter().map(|(index, authority)| json!({ "index": index, "authority": authority.to_string() })).collect::<Vec<_>>(),
                "completed": s.completed, "revoked": s.revoked, "marked_expired": s.marked_expired,
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

    let relevant: Option<BTreeSet<Address>> = subject.map(|subject| {
        let mut set = BTreeSet::from([match subject {
            Subject::Record(a) | Subject::Owner(a) | Subject::Recipient(a) => a,
        }]);
        set.extend(records.iter().chain(&shares).filter_map(|v| v["record"].as_str()?.parse::<Address>().ok()));
        set.extend(shares.iter().filter_map(|v| v["request"].as_str()?.parse::<Address>().ok()));
        set
    });
    let timeline = timeline(&page.listed, &transactions, relevant.as_ref());
    let failed = page.listed.iter().filter(|l| l.failed).count();
    let page_json = json!({
        "limit": args.limit, "before": args.before, "next_before": page.next_before.map(|s| s.to_string()),
        "listed": page.listed.len(), "failed_skipped": failed,
    });
    let mut text = render(trail.events, transactions.len(), &records, &shares, &faults, &ceremonies, &warnings);
    text.push_str(&render_timeline(&timeline));
    if let Some(next) = page.next_before {
        text.push_str(&format!(
            "\n\nthis page: the newest {} transactions{}; the summaries above cover it only. next page: --before {next}",
            page.listed.len(),
            args.before.as_ref().map_or_else(String::new, |b| format!(" before {b}"))
        ));
    }
    let json = json!({
        "events": trail.events, "transactions": transactions.len(), "records": records, "shares": shares, "faults": faults,
        "ceremonies": ceremonies, "membership": membership, "warnings": warnings, "timeline": timeline, "page": page_json,
    });
    Ok(Report::new(json, text))
}

/// The addresses an event is about (for filtering the timeline to a subject); cluster and
/// ceremony events are about none (they are in the ceremonies table).
fn mentions(event: &Event) -> Vec<Address> {
    match event {
        Event::UserKeyRegistered(e) => vec![e.wallet],
        Event::RecordStored(e) => vec![e.record, e.owner],
        Event::ShareRequested(e) => vec![e.request, e.record, e.owner, e.recipient],
        Event::PartialAccepted(e) => vec![e.request],
        Event::PartialRejected(e) => vec![e.request],
        Event::ShareCompleted(e) => vec![e.request, e.record, e.recipient],
        Event::ShareRequestMoved(e) => vec![e.request],
        Event::ShareRevoked(e) => vec![e.request, e.record, e.recipient],
        Event::ShareRequestExpired(e) => vec![e.request, e.record],
        Event::AccountClosed(e) => vec![e.account, e.by],
        _ => Vec::new(),
    }
}

/// What an event says, in a few words.
fn describe(event: &Event) -> String {
    match event {
        Event::UserKeyRegistered(e) => format!("{} registered encryption key {}", e.wallet, hex::encode(e.public_key)),
        Event::RecordStored(e) => format!("record {} v{} stored by {} ({} bytes)", e.record, e.version, e.owner, e.ciphertext_len),
        Event::ShareRequested(e) => format!(
            "request {}: record {} v{} shared with {}, expires {}",
            e.request,
            e.record,
            e.record_version,
            e.recipient,
            crate::time::human_expiry(e.expires_at)
        ),
        Event::PartialAccepted(e) => format!("request {}: partial of node {} accepted", e.request, e.index),
        Event::PartialRejected(e) => format!("request {}: partial of node {} ({}) rejected, {} fault(s)", e.request, e.index, e.authority, e.faults),
        Event::ShareCompleted(e) => format!("request {}: completed for {}", e.request, e.recipient),
        Event::ShareRequestMoved(e) => format!("request {}: moved from epoch {} to {}", e.request, e.from_epoch, e.to_epoch),
        Event::ShareRevoked(e) => format!("request {}: revoked{}", e.request, if e.was_completed { " (after completion)" } else { "" }),
        Event::ShareRequestExpired(e) => format!("request {}: marked expired (expired {})", e.request, crate::time::human(e.expires_at)),
        Event::AccountClosed(e) => {
            let kind = match e.kind {
                0 => "record",
                1 => "share request",
                2 => "dealing",
                _ => "account",
            };
            format!("{kind} {} closed by {}", e.account, e.by)
        }
        Event::ClusterCreated(e) => format!("cluster {} created by {}", e.cluster, e.admin),
        Event::NodeInvited(e) => format!("cluster {}: {} invited as node {}", e.cluster, e.authority, e.index),
        Event::NodeAccepted(e) => format!("cluster {}: node {} ({}) accepted", e.cluster, e.index, e.authority),
        Event::NodeSuspended(e) => format!("cluster {}: node {} suspended", e.cluster, e.index),
        Event::NodeRemoved(e) => format!("cluster {}: node {} ({}) removed", e.cluster, e.index, e.authority),
        Event::CeremonyStarted(e) => format!("cluster {}: ceremony {} started, threshold {}", e.cluster, e.epoch, e.threshold),
        Event::ClusterActivated(e) => format!("cluster {}: epoch {} active, {}-of-{}", e.cluster, e.epoch, e.threshold, e.holders.count_ones()),
        Event::CeremonyFailed(e) => format!("cluster {}: ceremony {} failed", e.cluster, e.epoch),
        other => other.name().to_owned(),
    }
}

/// One timeline entry per event (and one per transaction that could not be read fully), in
/// chain order; with `relevant`, only events about those addresses (problems are always kept).
fn timeline(listed: &[Listed], transactions: &[TransactionEvents], relevant: Option<&BTreeSet<Address>>) -> Vec<Value> {
    let when = |signature: &Signature| listed.iter().find(|l| l.signature == *signature);
    let mut entries = Vec::new();
    for tx in transactions {
        let at = when(&tx.signature);
        let (slot, block_time) = (at.map(|l| l.slot), at.and_then(|l| l.block_time));
        let entry = |event: &str, details: String| {
            json!({
                "time": block_time.map(crate::time::rfc3339), "block_time": block_time, "slot": slot,
                "signature": tx.signature.to_string(), "event": event, "details": details,
            })
        };
        for event in &tx.events {
            if relevant.is_none_or(|set| mentions(event).iter().any(|a| set.contains(a))) {
                entries.push(entry(event.name(), describe(event)));
            }
        }
        for problem in &tx.problems {
            entries.push(entry(problem.kind(), problem.to_string()));
        }
    }
    entries
}

/// The timeline as a table.
fn render_timeline(timeline: &[Value]) -> String {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let rows: Vec<Vec<String>> = timeline
        .iter()
        .map(|e| {
            vec![
                e["block_time"].as_i64().map_or_else(|| "?".to_owned(), crate::time::human),
                text(&e["slot"]),
                text(&e["signature"]),
                text(&e["event"]),
                text(&e["details"]),
            ]
        })
        .collect();
    format!("\n\ntimeline\n{}", table(&["DATE", "SLOT", "SIGNATURE", "EVENT", "DETAILS"], &rows))
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
            let status = match (s["revoked"].as_bool(), s["completed"].as_bool(), s["marked_expired"].as_bool()) {
                (Some(true), Some(true), _) => "completed, revoked",
                (Some(true), _, _) => "revoked",
                (_, Some(true), _) => "completed",
                (_, _, Some(true)) => "expired",
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

#[cfg(test)]
mod tests {
    use super::*;
    use medshare_client::events::{AccountClosed, ClusterCreated, ShareRevoked};

    fn listed(signature: Signature, slot: u64) -> Listed {
        Listed { signature, slot, block_time: Some(1_798_761_540 + slot as i64), failed: false }
    }

    #[test]
    fn the_timeline_keeps_the_subjects_events_and_every_unreadable_transaction() {
        let (owner, request, cluster) = (Address::new_from_array([1; 32]), Address::new_from_array([2; 32]), Address::new_from_array([3; 32]));
        let (first, second, third) = (Signature::from([1; 64]), Signature::from([2; 64]), Signature::from([3; 64]));
        let page = [listed(first, 10), listed(second, 11), listed(third, 12)];
        let revoked = Event::ShareRevoked(ShareRevoked {
            request,
            record: Address::new_from_array([4; 32]),
            recipient: Address::new_from_array([5; 32]),
            was_completed: true,
        });
        let created = Event::ClusterCreated(ClusterCreated { cluster, admin: owner, cluster_id: 1 });
        let closed = Event::AccountClosed(AccountClosed { account: request, kind: 1, by: owner });
        let transactions = [
            TransactionEvents { signature: first, events: vec![created, revoked], problems: Vec::new() },
            TransactionEvents::unreadable(second, "getTransaction failed 4 times: connection reset"),
            TransactionEvents { signature: third, events: vec![closed], problems: Vec::new() },
        ];
        let everything = timeline(&page, &transactions, None);
        let names: Vec<&str> = everything.iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert_eq!(names, ["ClusterCreated", "ShareRevoked", "unreadable", "AccountClosed"]);
        assert_eq!(everything[2]["details"], "could not be read: getTransaction failed 4 times: connection reset");
        assert_eq!((everything[2]["slot"].as_u64(), everything[2]["time"].as_str()), (Some(11), Some("2026-12-31T23:59:11Z")));
        assert_eq!(everything[1]["details"], format!("request {request}: revoked (after completion)"));

        let owners = timeline(&page, &transactions, Some(&BTreeSet::from([owner, request])));
        let names: Vec<&str> = owners.iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert_eq!(names, ["ShareRevoked", "unreadable", "AccountClosed"], "cluster events are left out; problems never are");
        let text = render_timeline(&owners);
        assert!(text.contains("2026-12-31 23:59:10 UTC") && text.contains(&third.to_string()), "{text}");
    }
}
