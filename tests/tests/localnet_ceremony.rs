//! The key's life with real `mpc-node` processes, the real `medshare` CLI and a real
//! validator, on one 3-of-4 cluster:
//!
//! 1. a key generation (`medshare cluster new-epoch`) survives SIGKILLs at its phases: node 1
//!    is killed right after its dealing is on chain (dealing cannot close yet: node 4 is
//!    down), node 2 after it stored its new share but before a confirmation the program keeps
//!    (it runs the faulty build, whose one confirmation is rejected, and its `/healthz` says
//!    the ceremony is stuck); both restart from their vaults, the ceremony activates with
//!    every member, node 2 is healthy again and the new key serves;
//! 2. a membership change by resharing while patients keep sharing: the admin replaces node
//!    4 (`medshare cluster replace-node`), whose daemon exits by itself with `EX_CONFIG` (78);
//!    the new node joins by hand (`mpc-node join-request` piped into `medshare cluster accept
//!    --join-request -`, signed by its own authority, never the admin), and `medshare cluster
//!    reshare` hands the same `PK` to {1, 2, 3, 5}; shares requested while it runs complete
//!    (with the old holders, or moved to the new epoch), the record is never re-keyed, and
//!    the removed node answers nothing.

use medshare_tests::deployment::{Deployment, Options, Wallet};
use serde_json::{Value, json};
use std::{collections::BTreeSet, time::Duration};

const BUNDLE: &[u8] = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Condition","code":{"text":"Type 2 diabetes"},"subject":{"reference":"Patient/p1"}}}]}"#;

fn indices(list: &Value) -> BTreeSet<u64> {
    list.as_array().unwrap_or_else(|| panic!("a list of indices: {list}")).iter().map(|i| i.as_u64().expect("index")).collect()
}

fn member(status: &Value, index: u8) -> Value {
    status["members"].as_array().expect("members").iter().find(|m| m["index"] == index).cloned().unwrap_or_else(|| panic!("member {index}: {status:#}"))
}

fn share(d: &Deployment, owner: &Wallet, record: &str, recipient: &Wallet) -> String {
    d.medshare(owner, &["share", record, &recipient.address.to_string()]).expect_success().json()["request"].as_str().expect("request").to_owned()
}

fn open(d: &Deployment, recipient: &Wallet, request: &str, wait: &str) -> Vec<u8> {
    let out = d.dir.join(format!("opened-{request}"));
    d.medshare(recipient, &["open", request, "--wait", wait, "--out", out.to_str().expect("path")]).expect_success();
    std::fs::read(out).expect("opened file")
}

fn partials(d: &Deployment, owner: &Wallet, record: &str, request: &str) -> BTreeSet<u64> {
    indices(&d.request_status(owner, record, request)["partials"])
}

#[test]
fn sigkill_at_each_ceremony_phase_then_reshare_while_sharing() {
    let mut d = Deployment::start(3, 4, Options::default());
    let cluster = d.cluster.to_string();
    let window = d.window_slots().to_string();
    let first = d.status();
    let first_key = first["public_key"].as_str().expect("PK").to_owned();

    // --- 1. SIGKILL during a key generation, at "dealt" and at "share stored, not confirmed"
    assert!(d.stop_node(4).success(), "node 4 is down: dealing cannot close until it deals");
    assert!(d.stop_node(2).success());
    d.start_node_with(2, Some("bad_confirmation = true"));
    let faults_before = member(&first, 2)["faults"].as_u64().expect("faults");
    let started = d.medshare_json(&d.admin, &["cluster", "new-epoch", &cluster, "--threshold", "3", "--window-slots", &window]);
    let epoch = started["epoch"].as_u64().expect("epoch");
    assert_eq!((started["kind"].as_str(), indices(&started["receivers"])), (Some("key_generation"), BTreeSet::from([1, 2, 3, 4])));
    d.wait_until("node 1's dealing on chain", Duration::from_secs(60), |d| indices(&d.status()["ceremony"]["dealt"]).contains(&1));
    d.kill_node(1);
    let status = d.status();
    assert_eq!(status["ceremony"]["phase"], "dealing", "node 1 was killed between its dealing and the close: {status:#}");
    assert_eq!(status["status"], "ceremony", "a key generation clears PK until it activates");

    d.start_node(4);
    d.wait_until("node 2's bad confirmation rejected", Duration::from_secs(120), |d| {
        member(&d.status(), 2)["faults"].as_u64().expect("faults") > faults_before
    });
    assert!(d.node_log(2).contains("new share stored in the vault"), "node 2 stored its share before confirming");
    // its confirmation was refused and nothing it can do moves the ceremony on: /healthz says
    // so and names the ceremony; node 3, only waiting for the others, stays healthy
    d.wait_until("node 2's /healthz reports the stuck ceremony", Duration::from_secs(30), |d| d.unhealthy(2).iter().any(|r| r == "ceremony_stuck"));
    let (code, health) = d.health_status(2).expect("node 2 answers /healthz");
    assert_eq!((code, health["status"].as_str(), health["ceremony"]["epoch"].as_u64()), (503, Some("stuck"), Some(epoch)), "{health:#}");
    let why = health["ceremony"]["stuck"].as_str().unwrap_or_default();
    assert!(why.contains("rejected this node's confirmation"), "{health:#}");
    let (code, health) = d.health_status(3).expect("node 3 answers /healthz");
    assert!(code == 200 && health["ceremony"]["stuck"].is_null(), "{health:#}");
    d.kill_node(2);
    let status = d.status();
    assert_eq!(status["ceremony"]["phase"], "confirming", "{status:#}");
    let confirmed = indices(&status["ceremony"]["confirmed"]);
    assert!(!confirmed.contains(&1) && !confirmed.contains(&2), "the killed nodes have not confirmed: {status:#}");

    d.start_node(1);
    d.start_node(2);
    d.wait_active(epoch, Duration::from_secs(120));
    let status = d.status();
    assert_eq!(indices(&status["ceremony"]["confirmed"]), BTreeSet::from([1, 2, 3, 4]), "both restarted nodes confirmed from their vaults");
    assert_eq!(status["ceremony"]["late"], json!([]));
    assert_eq!((status["epoch"].as_u64(), status["key_epoch"].as_u64(), status["threshold"].as_u64()), (Some(epoch), Some(epoch), Some(3)));
    let key = status["public_key"].as_str().expect("PK").to_owned();
    assert_ne!(key, first_key, "a key generation makes a new PK");
    for index in 1..=4u8 {
        d.wait_serving(index, epoch);
    }
    let (code, health) = d.health_status(2).expect("node 2 answers /healthz");
    assert!(code == 200 && health["unhealthy"] == json!([]) && health["ceremony"]["stuck"].is_null(), "node 2 healthy again: {health:#}");
    // the receivers rotate their transport keys after the ceremony (forward secrecy)
    d.wait_until("every member rotated its transport key", Duration::from_secs(60), |d| {
        let now = d.status();
        (1..=4u8).all(|i| member(&now, i)["transport_key"] != member(&status, i)["transport_key"])
    });

    // the new key serves: with node 4 down, the two restarted nodes and node 3 answer
    let patient = d.wallet("patient", 10);
    let doctor = d.wallet("doctor", 10);
    let researcher = d.wallet("researcher", 10);
    let insurer = d.wallet("insurer", 10);
    for user in [&patient, &doctor, &researcher, &insurer] {
        d.medshare(user, &["register-key"]).expect_success();
    }
    let bundle = d.file("bundle.json", BUNDLE);
    let stored = d.medshare(&patient, &["store", bundle.to_str().expect("path"), "--cluster", &cluster]).expect_success().json();
    let record = stored["record"].as_str().expect("record").to_owned();
    d.kill_node(4);
    let to_doctor = share(&d, &patient, &record, &doctor);
    assert_eq!(open(&d, &doctor, &to_doctor, "60s"), BUNDLE, "byte-equal under the new key");
    assert_eq!(partials(&d, &patient, &record, &to_doctor), BTreeSet::from([1, 2, 3]));
    d.start_node(4);
    d.wait_serving(4, epoch);

    // --- 2. membership change by resharing while patients keep sharing: the admin replaces
    // node 4 by a new operator's node in one transaction; the new node joins by hand (its
    // operator hands over `mpc-node join-request`, its authority signs the acceptance)
    let replacement = d.prepare_node();
    let new = 5u8;
    let replaced = d.medshare_json(&d.admin, &["cluster", "replace-node", &cluster, "--index", "4", "--authority", &replacement.address.to_string()]);
    assert_eq!((replaced["removed"].as_u64(), replaced["index"].as_u64()), (Some(4), Some(5)), "slot 4 still holds a share: {replaced:#}");
    let status = d.status();
    assert_eq!((member(&status, 4)["status"].as_str(), member(&status, new)["status"].as_str()), (Some("removed"), Some("invited")));
    let node4 = wait_for_exit(&mut d, 4, Duration::from_secs(30));
    assert_eq!(node4.code(), Some(78), "a removed node's daemon exits with EX_CONFIG by itself: {node4}");
    assert!(d.node_log(4).contains("the admin removed this node"), "it says why");

    let request = d.join_request(new);
    let asked: Value = serde_json::from_str(&request).unwrap_or_else(|e| panic!("a join request ({e}): {request}"));
    assert_eq!((asked["cluster"].as_str(), asked["authority"].as_str()), (Some(cluster.as_str()), Some(replacement.address.to_string().as_str())));
    let accept = ["cluster", "accept", "--join-request", "-"];
    d.medshare_with_stdin(&d.admin, &accept, request.as_bytes()).expect_failure("sign with the node's keypair");
    let accepted = d.medshare_with_stdin(&replacement, &accept, request.as_bytes()).expect_success().json();
    assert_eq!((accepted["index"].as_u64(), &accepted["transport_key"]), (Some(5), &asked["transport_key"]));
    let joined = member(&d.status(), new);
    assert_eq!(
        (joined["status"].as_str(), &joined["authority"], &joined["transport_key"]),
        (Some("active"), &json!(replacement.address.to_string()), &asked["transport_key"])
    );
    // node 5's daemon stays down for a while: a resharing waits for every receiver, so it
    // cannot activate before the shares below are requested
    let reshared = d.medshare_json(&d.admin, &["cluster", "reshare", &cluster, "--threshold", "3", "--window-slots", &window]);
    let reshare_epoch = reshared["epoch"].as_u64().expect("epoch");
    assert_eq!(reshared["kind"], "resharing");
    assert_eq!(indices(&reshared["dealers"]), BTreeSet::from([1, 2, 3]), "the removed node deals nothing");
    assert_eq!(indices(&reshared["receivers"]), BTreeSet::from([1, 2, 3, 5]));

    // a share while the resharing runs: the old holders serve it
    let during = share(&d, &patient, &record, &researcher);
    assert_eq!(open(&d, &researcher, &during, "60s"), BUNDLE);
    assert_eq!(partials(&d, &patient, &record, &during), BTreeSet::from([1, 2, 3]));
    let status = d.status();
    assert_eq!((status["status"].as_str(), status["epoch"].as_u64()), (Some("active"), Some(epoch)), "still serving the old epoch: {status:#}");
    assert_ne!(status["ceremony"]["phase"], "done");

    // a share that crosses the activation: the three old holders confirm, node 3 is killed,
    // nodes 1 and 2 answer with old shares (2 of 3); node 5 comes back and the resharing
    // activates; the request moves to the new epoch and completes with new shares
    d.wait_until("the old holders confirmed the resharing", Duration::from_secs(120), |d| {
        indices(&d.status()["ceremony"]["confirmed"]).is_superset(&BTreeSet::from([1, 2, 3]))
    });
    d.kill_node(3);
    let crossing = share(&d, &patient, &record, &insurer);
    d.wait_until("nodes 1 and 2 answered with their old shares", Duration::from_secs(60), |d| partials(d, &patient, &record, &crossing).len() == 2);
    d.start_node(new);
    d.wait_active(reshare_epoch, Duration::from_secs(120));
    d.start_node(3);
    let status = d.status();
    assert_eq!(status["public_key"].as_str(), Some(key.as_str()), "a resharing keeps PK");
    assert_eq!((status["key_epoch"].as_u64(), status["threshold"].as_u64()), (Some(epoch), Some(3)));
    assert_eq!(indices(&status["ceremony"]["confirmed"]), BTreeSet::from([1, 2, 3, 5]));
    let holders: BTreeSet<u8> = (1..=5u8).filter(|i| member(&status, *i)["holds_share"] == true).collect();
    assert_eq!(holders, BTreeSet::from([1, 2, 3, 5]), "the removed node's share is cleared");
    assert_eq!(member(&status, 4)["status"], "removed");
    assert_eq!(open(&d, &insurer, &crossing, "90s"), BUNDLE, "the crossing request completes under the new shares");
    let crossed = partials(&d, &patient, &record, &crossing);
    assert!(crossed.len() >= 3 && !crossed.contains(&4), "{crossed:?}");

    // after the activation every share completes with the new holders, without a re-key
    for index in [1u8, 2, 3, 5] {
        d.wait_serving(index, reshare_epoch);
    }
    let after = share(&d, &patient, &record, &doctor);
    assert_eq!(open(&d, &doctor, &after, "60s"), BUNDLE);
    let answered = partials(&d, &patient, &record, &after);
    assert!(answered.len() == 3 && answered.is_subset(&BTreeSet::from([1, 2, 3, 5])), "{answered:?}");
    let audit = d.medshare_json(&d.admin, &["audit", "--owner", &patient.address.to_string()]);
    assert_eq!(audit["records"][0]["versions"], json!([1]), "no record was re-keyed");
    let shares = audit["shares"].as_array().expect("shares");
    assert_eq!(shares.len(), 4);
    for shared in shares {
        assert_eq!(shared["completed"], true, "{shared}");
    }
    let answered_in = |request: &str| shares.iter().find(|s| s["request"] == request).unwrap_or_else(|| panic!("{request} audited"))["epoch"].as_u64();
    assert_eq!((answered_in(&to_doctor), answered_in(&during)), (Some(epoch), Some(epoch)), "answered by the old holders");
    assert_eq!((answered_in(&crossing), answered_in(&after)), (Some(reshare_epoch), Some(reshare_epoch)), "the crossing request moved to the new epoch");
}

/// Waits until node `index`'s daemon ends by itself and returns how it ended.
fn wait_for_exit(d: &mut Deployment, index: u8, timeout: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = d.node_exited(index) {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "node {index}'s daemon still runs after {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
