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
    audit::{AuditTrail, CeremonyHistory, CeremonyOutcome, MembershipChange, ShareHistory},
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
    /// What to write: the trail (tables, or JSON with --output json), or a FHIR R4 Bundle
    /// (JSON) of one Consent per share request and one AuditEvent per disclosure event,
    /// validated before it is written, for a hospital system to import.
    #[arg(long, value_enum, default_value_t = AuditFormat::Trail)]
    pub format: AuditFormat,
}

/// `audit --format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuditFormat {
    /// The trail: tables, or one JSON document with `--output json`.
    #[default]
    Trail,
    /// A FHIR R4 Bundle of Consents and AuditEvents (docs/protocol.md §9, "The audit as FHIR").
    Fhir,
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
    if args.format == AuditFormat::Fhir {
        let selected: BTreeSet<Address> = shares.iter().filter_map(|v| v["request"].as_str()?.parse::<Address>().ok()).collect();
        let history = History { listed: &page.listed, transactions: &transactions, trail: &trail, next_before: page.next_before };
        let bundle = fhir_bundle(&history, &selected, relevant.as_ref(), medshare_client::unix_now());
        // a bundle the library refuses is a bug here, never something to hand a hospital
        crate::fhir::validate_value(&bundle).map_err(|error| anyhow!("the FHIR audit bundle does not validate ({error}): please report this"))?;
        let text = serde_json::to_string_pretty(&bundle)?;
        return Ok(Report::new(bundle, text));
    }
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

// The URIs the FHIR audit names things with (docs/protocol.md §9): stable, under the
// reserved `.example` domain that never resolves, so no one takes them for an endpoint.

/// `Identifier.system` of a wallet (a patient, a recipient, a node's authority).
pub const SID_WALLET: &str = "https://medshare.example/fhir/sid/wallet";
/// `Identifier.system` of a record account.
pub const SID_RECORD: &str = "https://medshare.example/fhir/sid/record";
/// `Identifier.system` of a share request account (the Consent's identifier).
pub const SID_SHARE_REQUEST: &str = "https://medshare.example/fhir/sid/share-request";
/// `Identifier.system` of the program (every AuditEvent's observer).
pub const SID_PROGRAM: &str = "https://medshare.example/fhir/sid/program";
/// `Identifier.system` of a Solana transaction signature.
pub const SID_TRANSACTION: &str = "https://medshare.example/fhir/sid/transaction";
/// The code system of the program's event names (an `AuditEvent.subtype` of every event).
pub const CS_EVENT: &str = "https://medshare.example/fhir/CodeSystem/event";

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const AUDIT_EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const RESTFUL_INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
const LIFECYCLE: &str = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";

/// The history a FHIR bundle is built from: the page listed, its transactions' events and
/// the trail folded from them.
pub struct History<'a> {
    /// The page's transactions as listed (slot, block time).
    pub listed: &'a [Listed],
    /// Their events, in chain order.
    pub transactions: &'a [TransactionEvents],
    /// The trail folded from them.
    pub trail: &'a AuditTrail,
    /// Where the next (older) page starts, when this is one page of a longer history.
    pub next_before: Option<Signature>,
}

/// A stable UUID for `name` (RFC 9562 version 8, from its SHA-256): the same history always
/// gives the same ids, so importing it again updates rather than duplicates.
pub fn stable_uuid(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("medshare fhir audit {name}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

fn consent_id(request: &Address) -> String {
    stable_uuid(&format!("consent {request}"))
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "system": system, "code": code, "display": display })
}

fn identifier(system: &str, value: impl ToString) -> Value {
    json!({ "system": system, "value": value.to_string() })
}

/// A reference by identifier: wallets and accounts are not resources of the bundle.
fn reference(system: &str, value: impl ToString, display: &str) -> Value {
    json!({ "identifier": identifier(system, value), "display": display })
}

/// The Consent's status from what the chain says of the request (docs/protocol.md §9):
/// `inactive` once revoked or past its expiry (marked on chain or not), else `active` (the
/// patient signed it, whether or not the nodes have answered yet). Never `rejected`: no party
/// refuses a MedShare consent; a rejected partial is a node caught cheating, not a refusal.
pub fn consent_status(share: &ShareHistory, now: i64) -> &'static str {
    let expired = share.marked_expired || (share.expires_at != 0 && share.expires_at < now);
    if share.revoked || expired { "inactive" } else { "active" }
}

/// The Consent of one share request: the owner permits disclosing one record version to the
/// recipient (the actor, role information recipient) from the request until the expiry.
fn consent(request: &Address, share: &ShareHistory, requested_at: Option<i64>, now: i64) -> Value {
    let mut period = serde_json::Map::new();
    if let Some(at) = requested_at {
        period.insert("start".into(), json!(crate::time::rfc3339(at)));
    }
    if share.expires_at != 0 {
        period.insert("end".into(), json!(crate::time::rfc3339(share.expires_at)));
    }
    json!({
        "resourceType": "Consent",
        "id": consent_id(request),
        "identifier": [identifier(SID_SHARE_REQUEST, request)],
        "status": consent_status(share, now),
        "scope": { "coding": [coding("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent")] },
        "category": [{ "coding": [coding("http://loinc.org", "59284-0", "Patient Consent")] }],
        "patient": reference(SID_WALLET, share.owner, "record owner"),
        "dateTime": requested_at.map(crate::time::rfc3339),
        "performer": [reference(SID_WALLET, share.owner, "record owner")],
        "policyRule": { "coding": [coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN", "opt-in")] },
        "provision": {
            "type": "permit",
            "period": period,
            "actor": [{
                "role": { "coding": [coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient")] },
                "reference": reference(SID_WALLET, share.recipient, "recipient"),
            }],
            "action": [{ "coding": [coding("http://terminology.hl7.org/CodeSystem/consentaction", "disclose", "Disclose")] }],
            "data": [{ "meaning": "instance", "reference": reference(SID_RECORD, share.record, &format!("record version {}", share.record_version)) }],
        },
    })
}

/// An `AuditEvent.agent`: DICOM role `code`, who (by identifier), whether it asked.
fn agent(code: &str, display: &str, who: Value, name: &str, requestor: bool) -> Value {
    json!({ "type": { "coding": [coding(DCM, code, display)] }, "who": who, "name": name, "requestor": requestor })
}

/// An `AuditEvent.entity`: what, its type and role (audit-entity-type, object-role codes).
fn entity(what: Value, kind: (&str, &str), role: (&str, &str), detail: &[(&str, String)]) -> Value {
    let detail: Vec<Value> = detail.iter().map(|(kind, value)| json!({ "type": kind, "valueString": value })).collect();
    json!({ "what": what, "type": coding(ENTITY_TYPE, kind.0, kind.1), "role": coding(OBJECT_ROLE, role.0, role.1), "detail": detail })
}

fn patient_entity(owner: &Address) -> Value {
    entity(reference(SID_WALLET, owner, "record owner"), ("1", "Person"), ("1", "Patient"), &[])
}

fn record_entity(record: &Address, version: u32) -> Value {
    entity(reference(SID_RECORD, record, "sealed medical record"), ("2", "System Object"), ("4", "Domain Resource"), &[("version", version.to_string())])
}

fn consent_entity(request: &Address) -> Value {
    let what = json!({ "reference": format!("urn:uuid:{}", consent_id(request)), "identifier": identifier(SID_SHARE_REQUEST, request) });
    entity(what, ("2", "System Object"), ("4", "Domain Resource"), &[])
}

fn owner_agent(owner: &Address, requestor: bool) -> Value {
    agent("110153", "Source Role ID", reference(SID_WALLET, owner, "record owner"), "record owner", requestor)
}

fn recipient_agent(recipient: &Address) -> Value {
    agent("110152", "Destination Role ID", reference(SID_WALLET, recipient, "recipient"), "recipient", false)
}

fn node_agent(index: u8, authority: &Address) -> Value {
    agent("110150", "Application", reference(SID_WALLET, authority, &format!("node {index}")), &format!("node {index} of the cluster"), true)
}

/// What one AuditEvent says, before the parts every event shares.
struct Described {
    kind: Value,
    subtype: Option<Value>,
    action: &'static str,
    outcome: &'static str,
    outcome_desc: Option<String>,
    agents: Vec<Value>,
    entities: Vec<Value>,
}

/// The AuditEvent parts of a disclosure event (`None` for the others: cluster, ceremony and
/// membership events, moves), after IHE BALP where it fits: a store is a Create (an Update
/// for later versions), a share request creates the Consent, a completed share is a Privacy
/// Disclosure (DICOM Export, ISO 21089 `disclose`), a revocation or a marked expiry updates
/// the Consent, an accepted partial is a node's Export towards it, a rejected partial a
/// Security Alert naming the node, a closed record or request a Delete.
fn describe_fhir(event: &Event, shares: &std::collections::BTreeMap<Address, ShareHistory>) -> Option<Described> {
    let rest = |code: &str| (coding(AUDIT_EVENT_TYPE, "rest", "RESTful Operation"), coding(RESTFUL_INTERACTION, code, code));
    // the patient, record and recipient of a request, from its ShareRequested (when in the page)
    let parties = |request: &Address| -> Vec<Value> {
        shares
            .get(request)
            .filter(|s| s.owner != Address::default())
            .map_or_else(Vec::new, |s| vec![patient_entity(&s.owner), record_entity(&s.record, s.record_version)])
    };
    let recipient_of = |request: &Address| shares.get(request).filter(|s| s.owner != Address::default()).map(|s| recipient_agent(&s.recipient));
    let plain = |(kind, subtype): (Value, Value), action, agents, entities| Described {
        kind,
        subtype: Some(subtype),
        action,
        outcome: "0",
        outcome_desc: None,
        agents,
        entities,
    };
    Some(match event {
        Event::RecordStored(e) => {
            let (interaction, action) = if e.version == 1 { ("create", "C") } else { ("update", "U") };
            plain(rest(interaction), action, vec![owner_agent(&e.owner, true)], vec![patient_entity(&e.owner), record_entity(&e.record, e.version)])
        }
        Event::ShareRequested(e) => plain(
            rest("create"),
            "C",
            vec![owner_agent(&e.owner, true), recipient_agent(&e.recipient)],
            vec![patient_entity(&e.owner), record_entity(&e.record, e.record_version), consent_entity(&e.request)],
        ),
        Event::PartialAccepted(e) => {
            let mut agents = vec![node_agent(e.index, &e.authority)];
            agents.extend(recipient_of(&e.request));
            let mut entities = parties(&e.request);
            entities.push(consent_entity(&e.request));
            Described { kind: coding(DCM, "110106", "Export"), subtype: None, action: "E", outcome: "0", outcome_desc: None, agents, entities }
        }
        Event::PartialRejected(e) => {
            let mut entities = parties(&e.request);
            entities.push(consent_entity(&e.request));
            Described {
                kind: coding(DCM, "110113", "Security Alert"),
                subtype: None,
                action: "E",
                outcome: "8",
                outcome_desc: Some(format!(
                    "node {} ({}) posted a partial re-encryption whose proof does not verify: refused and named on chain, {} fault(s)",
                    e.index, e.authority, e.faults
                )),
                agents: vec![node_agent(e.index, &e.authority)],
                entities,
            }
        }
        Event::ShareCompleted(e) => {
            let mut agents: Vec<Value> =
                shares.get(&e.request).filter(|s| s.owner != Address::default()).map(|s| owner_agent(&s.owner, true)).into_iter().collect();
            agents.push(recipient_agent(&e.recipient));
            let mut entities = parties(&e.request);
            entities.push(consent_entity(&e.request));
            Described {
                kind: coding(DCM, "110106", "Export"),
                subtype: Some(coding(LIFECYCLE, "disclose", "Disclose Record Lifecycle Event")),
                action: "C",
                outcome: "0",
                outcome_desc: Some(format!("{} partial re-encryptions verified: the recipient can open the record", e.accepted)),
                agents,
                entities,
            }
        }
        Event::ShareRevoked(e) => {
            let owner: Vec<Value> = shares.get(&e.request).filter(|s| s.owner != Address::default()).map(|s| owner_agent(&s.owner, true)).into_iter().collect();
            let mut entities = parties(&e.request);
            entities.push(consent_entity(&e.request));
            let mut described = plain(rest("update"), "U", [owner, vec![recipient_agent(&e.recipient)]].concat(), entities);
            if e.was_completed {
                described.outcome_desc = Some("revoked after completion: the recipient could already open this record version".into());
            }
            described
        }
        Event::ShareRequestExpired(e) => {
            // anyone may mark a request expired: the program, which checked the clock, stands as the agent
            let program = agent("110150", "Application", reference(SID_PROGRAM, PROGRAM_ID, "MedShare program"), "MedShare program", false);
            let mut entities = parties(&e.request);
            entities.push(consent_entity(&e.request));
            let mut described = plain(rest("update"), "U", vec![program], entities);
            described.outcome_desc = Some(format!("expired at {}", crate::time::rfc3339(e.expires_at)));
            described
        }
        Event::AccountClosed(e) if e.kind <= 1 => {
            let closed = if e.kind == 0 {
                entity(reference(SID_RECORD, e.account, "sealed medical record"), ("2", "System Object"), ("4", "Domain Resource"), &[])
            } else {
                consent_entity(&e.account)
            };
            plain(rest("delete"), "D", vec![owner_agent(&e.by, true)], vec![closed])
        }
        _ => return None,
    })
}

/// The AuditEvent of `event`, the `index`-th of transaction `signature`.
fn audit_event(
    event: &Event,
    index: usize,
    signature: &Signature,
    listed: Option<&Listed>,
    shares: &std::collections::BTreeMap<Address, ShareHistory>,
    now: i64,
) -> Option<Value> {
    let d = describe_fhir(event, shares)?;
    let block_time = listed.and_then(|l| l.block_time);
    let mut detail = vec![("event-index", index.to_string())];
    if let Some(slot) = listed.map(|l| l.slot) {
        detail.push(("slot", slot.to_string()));
    }
    if let Some(at) = block_time {
        detail.push(("block-time", crate::time::rfc3339(at)));
    }
    let mut entities = d.entities;
    entities.push(entity(
        json!({ "identifier": identifier(SID_TRANSACTION, signature), "display": "Solana transaction" }),
        ("2", "System Object"),
        ("20", "Job"),
        &detail,
    ));
    let subtypes: Vec<Value> = d.subtype.into_iter().chain([coding(CS_EVENT, event.name(), event.name())]).collect();
    Some(json!({
        "resourceType": "AuditEvent",
        "id": stable_uuid(&format!("event {signature} {index}")),
        "type": d.kind,
        "subtype": subtypes,
        "action": d.action,
        // the block's time is when the chain recorded it; without one, when this audit read it
        "recorded": crate::time::rfc3339(block_time.unwrap_or(now)),
        "outcome": d.outcome,
        "outcomeDesc": d.outcome_desc,
        "agent": d.agents,
        "source": {
            "observer": reference(SID_PROGRAM, PROGRAM_ID, "MedShare program"),
            "type": [coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
        },
        "entity": entities,
    }))
}

/// Drops `null` members and members left empty, as FHIR JSON has no nulls or empty elements.
fn prune(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.values_mut().for_each(prune);
            members.retain(|_, v| !(v.is_null() || v.as_object().is_some_and(|o| o.is_empty()) || v.as_array().is_some_and(|a| a.is_empty())));
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

/// The FHIR R4 Bundle (type `collection`) of `history`: one Consent per share request in
/// `requests` (whose ShareRequested is in the history), then one AuditEvent per disclosure
/// event in chain order (about `relevant` addresses, when given), then an OperationOutcome
/// when the history is incomplete (transactions not read fully, or one page of several).
pub fn fhir_bundle(history: &History, requests: &BTreeSet<Address>, relevant: Option<&BTreeSet<Address>>, now: i64) -> Value {
    let listed = |signature: &Signature| history.listed.iter().find(|l| l.signature == *signature);
    let mut requested_at = std::collections::BTreeMap::new();
    for tx in history.transactions {
        for event in &tx.events {
            if let Event::ShareRequested(e) = event {
                requested_at.insert(e.request, listed(&tx.signature).and_then(|l| l.block_time));
            }
        }
    }
    let mut entries: Vec<Value> = history
        .trail
        .shares
        .iter()
        .filter(|(request, share)| requests.contains(request) && share.owner != Address::default())
        .map(|(request, share)| consent(request, share, requested_at.get(request).copied().flatten(), now))
        .collect();
    for tx in history.transactions {
        for (index, event) in tx.events.iter().enumerate() {
            if relevant.is_some_and(|set| !mentions(event).iter().any(|a| set.contains(a))) {
                continue;
            }
            entries.extend(audit_event(event, index, &tx.signature, listed(&tx.signature), &history.trail.shares, now));
        }
    }
    let mut issues: Vec<Value> = history
        .trail
        .warnings
        .iter()
        .map(|w| json!({ "severity": "warning", "code": "incomplete", "diagnostics": format!("transaction {}: {}", w.signature, w.problem) }))
        .collect();
    if let Some(next) = history.next_before {
        issues.push(json!({
            "severity": "information", "code": "incomplete",
            "diagnostics": format!("this bundle covers one page of the history; the next page: medshare audit --format fhir --limit N --before {next}"),
        }));
    }
    if !issues.is_empty() {
        entries.push(json!({ "resourceType": "OperationOutcome", "id": stable_uuid(&format!("outcome {now}")), "issue": issues }));
    }
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|resource| json!({ "fullUrl": format!("urn:uuid:{}", resource["id"].as_str().unwrap_or_default()), "resource": resource }))
        .collect();
    let mut bundle = json!({ "resourceType": "Bundle", "type": "collection", "timestamp": crate::time::rfc3339(now), "entry": entries });
    prune(&mut bundle);
    bundle
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

    /// The FHIR bundle of a fixed history: a record stored, shared four times (completed with
    /// a cheating node named, revoked, expired and marked, still pending), parsed back by the
    /// FHIR library and checked against what happened.
    #[test]
    fn the_fhir_bundle_has_a_consent_per_request_and_an_audit_event_per_disclosure() {
        use medshare_client::events::{PartialAccepted, PartialRejected, RecordStored, ShareCompleted, ShareRequestExpired, ShareRequested};
        let a = |b: u8| Address::new_from_array([b; 32]);
        let (patient, doctor, insurer, researcher, record, cluster, cheater) = (a(1), a(2), a(3), a(4), a(5), a(6), a(7));
        let (completed, revoked, expired, pending) = (a(11), a(12), a(13), a(14));
        let now = 1_800_000_000;
        let requested = |request, recipient, expires_at| {
            Event::ShareRequested(ShareRequested {
                request,
                record,
                owner: patient,
                recipient,
                recipient_key: [0; 32],
                cluster,
                epoch: 1,
                record_version: 1,
                circuit_version: 1,
                threshold: 2,
                expires_at,
            })
        };
        let accepted = |request, index| Event::PartialAccepted(PartialAccepted { request, cluster, index, authority: a(20 + index) });
        let blocks: Vec<Vec<Event>> = vec![
            vec![Event::ClusterCreated(ClusterCreated { cluster, admin: a(9), cluster_id: 1 })],
            vec![Event::RecordStored(RecordStored {
                record,
                owner: patient,
                cluster,
                record_id: 1,
                version: 1,
                storage: 0,
                ciphertext_len: 300,
                digest: [0; 32],
            })],
            vec![requested(completed, doctor, 0)],
            vec![accepted(completed, 1)],
            vec![Event::PartialRejected(PartialRejected { request: completed, cluster, index: 3, authority: cheater, faults: 1 })],
            vec![accepted(completed, 2), Event::ShareCompleted(ShareCompleted { request: completed, record, recipient: doctor, accepted: 2 })],
            vec![requested(revoked, insurer, 0)],
            vec![accepted(revoked, 1)],
            vec![Event::ShareRevoked(ShareRevoked { request: revoked, record, recipient: insurer, was_completed: false })],
            vec![requested(expired, researcher, now - 100)],
            vec![Event::ShareRequestExpired(ShareRequestExpired { request: expired, record, expires_at: now - 100 })],
            vec![requested(pending, doctor, now + 3600)],
        ];
        let listed: Vec<Listed> = (0..blocks.len()).map(|i| listed(Signature::from([i as u8 + 1; 64]), 100 + i as u64)).collect();
        let transactions: Vec<TransactionEvents> =
            blocks.into_iter().zip(&listed).map(|(events, l)| TransactionEvents { signature: l.signature, events, problems: Vec::new() }).collect();
        let trail = AuditTrail::from_transactions(&transactions);
        let history = History { listed: &listed, transactions: &transactions, trail: &trail, next_before: None };
        let requests = BTreeSet::from([completed, revoked, expired, pending]);
        let bundle = fhir_bundle(&history, &requests, None, now);
        crate::fhir::validate_value(&bundle).unwrap_or_else(|e| panic!("{e}\n{bundle:#}"));
        let summary = crate::fhir::validate(bundle.to_string().as_bytes()).unwrap();
        assert_eq!(summary.line(), "FHIR R4 Bundle (collection), 16 entries: AuditEvent 12, Consent 4");

        let resources: Vec<&Value> = bundle["entry"].as_array().unwrap().iter().map(|e| &e["resource"]).collect();
        for entry in bundle["entry"].as_array().unwrap() {
            assert_eq!(entry["fullUrl"], format!("urn:uuid:{}", entry["resource"]["id"].as_str().unwrap()));
        }
        let consent = |request: Address| {
            *resources.iter().find(|r| r["resourceType"] == "Consent" && r["identifier"][0]["value"] == request.to_string()).expect("a consent per request")
        };
        for (request, recipient, status, end) in [
            (completed, doctor, "active", None),
            (revoked, insurer, "inactive", None),
            (expired, researcher, "inactive", Some(now - 100)),
            (pending, doctor, "active", Some(now + 3600)),
        ] {
            let c = consent(request);
            assert_eq!(c["identifier"][0]["system"], SID_SHARE_REQUEST);
            assert_eq!(c["status"], status, "{request}");
            assert_eq!(c["patient"]["identifier"], json!({ "system": SID_WALLET, "value": patient.to_string() }));
            assert_eq!(c["provision"]["actor"][0]["reference"]["identifier"]["value"], recipient.to_string());
            assert_eq!(c["provision"]["actor"][0]["role"]["coding"][0]["code"], "IRCP");
            assert_eq!(c["provision"]["period"]["end"].as_str(), end.map(crate::time::rfc3339).as_deref());
            assert!(c["provision"]["period"]["start"].is_string(), "the block time of the request");
            assert_eq!(c["provision"]["data"][0]["reference"]["identifier"]["value"], record.to_string());
        }

        let events: Vec<&&Value> = resources.iter().filter(|r| r["resourceType"] == "AuditEvent").collect();
        let names: Vec<&str> = events.iter().map(|e| e["subtype"].as_array().unwrap().last().unwrap()["code"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "RecordStored",
                "ShareRequested",
                "PartialAccepted",
                "PartialRejected",
                "PartialAccepted",
                "ShareCompleted",
                "ShareRequested",
                "PartialAccepted",
                "ShareRevoked",
                "ShareRequested",
                "ShareRequestExpired",
                "ShareRequested"
            ],
            "chain order, cluster events left out"
        );
        let rejected = events[3];
        assert_eq!((rejected["type"]["code"].as_str(), rejected["outcome"].as_str()), (Some("110113"), Some("8")));
        assert_eq!(rejected["agent"][0]["who"]["identifier"]["value"], cheater.to_string(), "the cheating node is named");
        assert!(rejected["outcomeDesc"].as_str().unwrap().contains("node 3"));
        let disclosed = events[5];
        assert_eq!((disclosed["type"]["code"].as_str(), disclosed["subtype"][0]["code"].as_str()), (Some("110106"), Some("disclose")));
        let transaction = disclosed["entity"].as_array().unwrap().last().unwrap();
        assert_eq!(transaction["what"]["identifier"], json!({ "system": SID_TRANSACTION, "value": listed[5].signature.to_string() }));
        assert_eq!(transaction["detail"][1], json!({ "type": "slot", "valueString": "105" }));
        assert_eq!(disclosed["recorded"], crate::time::rfc3339(listed[5].block_time.unwrap()));
        let ids: BTreeSet<&str> = resources.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), resources.len(), "ids are unique");
        assert_eq!(fhir_bundle(&history, &requests, None, now), bundle, "the same history gives the same bundle");

        // the doctor's history only (as `--recipient`): their two consents, and the events
        // about their requests (the record's other events are not theirs)
        let doctors = BTreeSet::from([doctor, completed, pending]);
        let only = fhir_bundle(&history, &BTreeSet::from([completed, pending]), Some(&doctors), now);
        let line = crate::fhir::validate(only.to_string().as_bytes()).unwrap().line();
        assert_eq!(line, "FHIR R4 Bundle (collection), 8 entries: AuditEvent 6, Consent 2");
    }
}
