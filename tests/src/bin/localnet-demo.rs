//! `cargo xtask demo`: the MedShare story as operators and users live it, on a real local
//! validator. `medshare-migrations` deploys the program over RPC and creates an empty
//! cluster; the admin invites five node authorities; five `mpc-node` daemons (separate
//! processes) accept their invitations with their own transport keys; the admin starts a
//! 3-of-5 key generation (`medshare cluster new-epoch`) that the daemons run through the
//! chain; a patient stores a FHIR bundle with the `medshare` CLI and shares it with a doctor;
//! the nodes answer with proven partials, verified on chain; the doctor opens the record; the
//! patient revokes; the audit trail is rebuilt from on-chain events.
//!
//! Then the consortium changes (issue #10): a sixth hospital's node is invited and its daemon
//! accepts on its own, hospital 2 is removed (its daemon sees it and exits), and the admin
//! reshares to the new members (`medshare cluster reshare`, its progress shown by `medshare
//! cluster status`). The cluster key `PK` is the same before and after, so the record stored
//! before is shared with a clinician of the new hospital and opened byte-equal, never
//! re-keyed, with partials from the new share holders only.

use medshare_tests::deployment::{Deployment, Options, Wallet};
use serde_json::Value;
use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

const BUNDLE: &[u8] = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Chalmers","given":["Peter"]}],"birthDate":"1974-12-25"}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Hemoglobin A1c"},"valueQuantity":{"value":6.1,"unit":"%"}}}]}"#;

fn main() {
    let started = Instant::now();
    println!("== starting a local validator (solana-test-validator, in process) without the program");
    let mut d = Deployment::start(3, 5, Options { deploy_with_migrations: true, verbose: true, ..Options::default() });
    println!("== cluster {} active after {:.1?}", d.cluster, started.elapsed());
    let cluster = d.cluster.to_string();
    d.medshare(&d.admin, &["cluster", "status", &cluster]).expect_success();

    let patient = d.wallet("patient", 10);
    let doctor = d.wallet("doctor", 10);
    println!("== the patient and the doctor register encryption keys derived from their wallets");
    d.medshare(&patient, &["register-key"]).expect_success();
    d.medshare(&doctor, &["register-key"]).expect_success();

    println!("== the patient stores a FHIR R4 bundle, sealed to the cluster key and her own key");
    let bundle = d.file("bundle.json", BUNDLE);
    d.medshare(&patient, &["store", bundle.to_str().expect("path"), "--cluster", &cluster]).expect_success();
    let record = d.medshare_json(&patient, &["list"])["records"][0]["record"].as_str().expect("record").to_owned();

    println!("== she shares it with the doctor for one day; the five nodes answer with proven partials");
    let shared = Instant::now();
    d.medshare(&patient, &["share", &record, &doctor.address.to_string(), "--expires-in", "1day"]).expect_success();
    let request = d.medshare_json(&patient, &["requests", "--record", &record])["requests"][0]["request"].as_str().expect("request").to_owned();

    println!("== the doctor combines t = 3 verified partials and opens the record");
    let opened = d.dir.join("opened-by-doctor.json");
    d.medshare(&doctor, &["open", &request, "--wait", "60s", "--out", opened.to_str().expect("path")]).expect_success();
    let plaintext = std::fs::read(&opened).expect("opened file");
    assert_eq!(plaintext, BUNDLE, "the doctor's plaintext is the patient's bundle, byte for byte");
    let share_to_open = shared.elapsed();
    println!("   {}", String::from_utf8_lossy(&plaintext));
    d.medshare(&patient, &["requests", "--record", &record]).expect_success();

    println!("== the patient revokes the share");
    d.medshare(&patient, &["revoke", &request]).expect_success();

    println!("== an auditor rebuilds the record's history from on-chain events alone");
    d.medshare(&d.admin, &["audit", "--record", &record]).expect_success();

    let membership = change_members(&mut d, &patient, &record);

    println!("== node 1's Prometheus metrics");
    for line in d.metrics_text(1).lines().filter(|l| !l.starts_with('#') && !l.contains("_bucket")) {
        println!("   {line}");
    }
    println!("== timings");
    for (phase, took) in &d.timings {
        println!("   {phase:<40} {took:>8.1?}");
    }
    println!("   {:<40} {share_to_open:>8.1?}", "share request to the doctor's plaintext");
    for (phase, took) in &membership {
        println!("   {phase:<40} {took:>8.1?}");
    }
    println!("== done in {:.1?}: the validator and the daemons stop now", started.elapsed());
}

/// The node that leaves the consortium in the demo (any member would do; not the last one,
/// to show that the indices of the members left need not be contiguous).
const LEAVING: u8 = 2;

/// Issue #10's story on the running deployment: a new hospital's node joins (invited, its
/// daemon accepts alone), hospital [`LEAVING`] is removed (its daemon exits on seeing it), the
/// admin reshares to the new members with the same `PK`, and `record`, stored before, is shared
/// with a clinician of the new hospital and opened byte-equal without a re-key. Returns the
/// phases' timings.
fn change_members(d: &mut Deployment, patient: &Wallet, record: &str) -> Vec<(&'static str, Duration)> {
    let cluster = d.cluster.to_string();
    let whole = Instant::now();
    let mut timings = Vec::new();
    let before = d.status();
    let key_before = before["public_key"].as_str().expect("PK").to_owned();
    let key_epoch = before["key_epoch"].as_u64().expect("key epoch");
    println!("== a hospital joins the consortium and another leaves; the cluster key stays");
    println!("   PK before: {key_before}");

    let mut phase = Instant::now();
    println!("== the new hospital runs `mpc-node init`; the admin invites its node authority");
    let joining = d.init_node();
    println!("$ MPC_NODE_PASSPHRASE=... mpc-node run --config node-{joining}.toml # node {joining}'s daemon, on the new hospital's host");
    d.start_node(joining);
    d.wait_member(joining, "active");
    // the daemon's own words: it accepted alone, proving its transport key (the admin never held its keypair)
    print_log_line(d, joining, "accepted the cluster's invitation");
    timings.push(("new hospital: init + invite + accept", phase.elapsed()));

    phase = Instant::now();
    println!("== hospital {LEAVING} leaves: the admin removes its node");
    d.medshare(&d.admin, &["cluster", "remove-node", &cluster, "--index", &LEAVING.to_string()]).expect_success();
    // a removed daemon has nothing left to do: it exits with EX_CONFIG (78), so that a
    // supervisor does not restart it
    let exited = wait_exit(d, LEAVING, Duration::from_secs(30));
    print_log_line(d, LEAVING, "the admin removed this node");
    println!("   node {LEAVING}'s daemon stopped on its own ({exited})");
    assert_eq!(exited.code(), Some(78), "a removed node's daemon exits with EX_CONFIG");

    println!("== the admin reshares the same key to the members now active; they deal, fold and confirm through the chain");
    let window = d.window_slots().to_string();
    d.medshare(&d.admin, &["cluster", "reshare", &cluster, "--threshold", "3", "--window-slots", &window]).expect_success();
    let started = d.status();
    let epoch = started["ceremony_epoch"].as_u64().expect("ceremony epoch");
    assert_eq!(started["ceremony"]["kind"], "resharing");
    let holders_before: BTreeSet<u64> = (1..=5).filter(|i| *i != u64::from(LEAVING)).collect();
    assert_eq!(indices(&started["ceremony"]["dealers"]), holders_before, "the removed node deals nothing");
    let receivers: BTreeSet<u64> = holders_before.iter().copied().chain([u64::from(joining)]).collect();
    assert_eq!(indices(&started["ceremony"]["receivers"]), receivers, "the new node receives a share; the removed one nothing");
    show_progress(d, epoch, Duration::from_secs(120));
    let after = d.status();
    let key_after = after["public_key"].as_str().expect("PK").to_owned();
    println!("   PK before: {key_before}");
    println!("   PK after:  {key_after}");
    assert_eq!(key_after, key_before, "a resharing keeps the cluster key");
    assert_eq!(after["key_epoch"].as_u64(), Some(key_epoch), "the key was made in the same epoch: nothing to re-key");
    let holders: BTreeSet<u64> =
        after["members"].as_array().expect("members").iter().filter(|m| m["holds_share"] == true).map(|m| m["index"].as_u64().expect("index")).collect();
    assert_eq!(holders, receivers, "the new node holds a share; the removed node's is cleared");
    for index in receivers.iter().map(|i| u8::try_from(*i).expect("index")) {
        d.wait_serving(index, epoch);
    }
    timings.push(("remove + reshare, same PK, nodes serving", phase.elapsed()));

    phase = Instant::now();
    println!("== the record stored before the change is shared with a clinician of the new hospital, as it is");
    let hospital = d.wallet("hospital", 10);
    d.medshare(&hospital, &["register-key"]).expect_success();
    d.medshare(patient, &["share", record, &hospital.address.to_string(), "--expires-in", "1day"]).expect_success();
    let listed = d.medshare_json(patient, &["requests", "--record", record]);
    let request = listed["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .find(|r| r["recipient"] == hospital.address.to_string())
        .and_then(|r| r["request"].as_str())
        .expect("the request to the hospital")
        .to_owned();
    let opened = d.dir.join("opened-by-hospital.json");
    d.medshare(&hospital, &["open", &request, "--wait", "60s", "--out", opened.to_str().expect("path")]).expect_success();
    assert_eq!(std::fs::read(&opened).expect("opened file"), BUNDLE, "the record stored before the resharing opens byte-equal");
    timings.push(("share after the change to plaintext", phase.elapsed()));

    d.medshare(patient, &["requests", "--record", record]).expect_success();
    let answered = indices(&d.request_status(patient, record, &request)["partials"]);
    assert!(answered.len() >= 3 && answered.is_subset(&receivers), "only the new holders answer: {answered:?}");
    let audit = d.medshare_json(&d.admin, &["audit", "--record", record]);
    assert_eq!(audit["records"][0]["versions"], serde_json::json!([1]), "the record was never re-keyed");
    let shared = audit["shares"].as_array().expect("shares").iter().find(|s| s["request"] == request.as_str()).expect("the share audited").clone();
    assert_eq!((shared["epoch"].as_u64(), shared["record_version"].as_u64()), (Some(epoch), Some(1)), "version 1, answered in the new epoch");
    println!("   opened byte-equal; record version 1 (no re-key); partials from nodes {answered:?}, answered in epoch {epoch}");
    timings.push(("membership change, all of it", whole.elapsed()));
    timings
}

/// Prints `medshare cluster status` each time ceremony `epoch`'s phase changes, until it
/// ends; then waits for the cluster to serve that epoch ([`Deployment::wait_active`], which
/// panics naming a failed ceremony).
fn show_progress(d: &Deployment, epoch: u64, timeout: Duration) {
    let cluster = d.cluster.to_string();
    let mut shown = String::new();
    d.wait_until(&format!("ceremony {epoch} to end"), timeout, |d| {
        let status = d.status();
        assert_eq!(status["ceremony"]["epoch"].as_u64(), Some(epoch), "ceremony {epoch} is the latest");
        let phase = status["ceremony"]["phase"].as_str().expect("a phase").to_owned();
        if phase != shown {
            d.medshare(&d.admin, &["cluster", "status", &cluster]).expect_success();
            shown = phase;
        }
        shown == "done" || shown == "failed"
    });
    d.wait_active(epoch, timeout);
}

/// Waits until node `index`'s daemon exits on its own; its exit status.
fn wait_exit(d: &mut Deployment, index: u8, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = d.node_exited(index) {
            return status;
        }
        assert!(Instant::now() < deadline, "node {index}'s daemon still runs {timeout:?} after its removal");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Prints the last line of node `index`'s log that contains `needle`, waiting for it (the
/// daemon logs what it did after the chain confirmed it, so the chain may show it first).
fn print_log_line(d: &Deployment, index: u8, needle: &str) {
    d.wait_until(&format!("node {index} to log `{needle}`"), Duration::from_secs(30), |d| d.node_log(index).contains(needle));
    let log = d.node_log(index);
    let line = log.lines().rev().find(|l| l.contains(needle)).expect("the line waited for");
    println!("   node {index}: {}", without_colours(line).trim());
}

/// `line` without its ANSI colour sequences (`ESC [ ... letter`: the daemon's log colours
/// its levels and fields).
fn without_colours(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // skip up to and including the sequence's final letter
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

fn indices(list: &Value) -> BTreeSet<u64> {
    list.as_array().unwrap_or_else(|| panic!("a list of indices: {list}")).iter().map(|i| i.as_u64().expect("index")).collect()
}
