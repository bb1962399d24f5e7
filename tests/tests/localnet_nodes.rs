//! The whole story on a real local validator with real `mpc-node` processes and the real
//! `medshare` CLI: a 3-of-5 cluster whose node 5 runs the test-only faulty build. One
//! cluster (one ceremony) serves every scenario in turn; each step says what it shows.

use medshare_tests::deployment::{Deployment, Options, Wallet};
use serde_json::Value;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use std::{collections::BTreeSet, time::Duration};

const BUNDLE: &[u8] = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Chalmers","given":["Peter"]}],"birthDate":"1974-12-25"}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Hemoglobin A1c"},"valueQuantity":{"value":6.1,"unit":"%"}}}]}"#;

fn accepted(request: &Value) -> BTreeSet<u64> {
    request["partials"].as_array().expect("partials").iter().map(|i| i.as_u64().expect("index")).collect()
}

fn share(d: &Deployment, owner: &Wallet, record: &str, recipient: &Wallet, extra: &[&str]) -> String {
    let mut args = vec!["share", record, &recipient.address.to_string()].into_iter().map(String::from).collect::<Vec<_>>();
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    d.medshare(owner, &args).expect_success().json()["request"].as_str().expect("request").to_owned()
}

fn open_to_file(d: &Deployment, recipient: &Wallet, request: &str, name: &str) -> Vec<u8> {
    let out = d.dir.join(format!("opened-{name}"));
    let opened = d.medshare(recipient, &["open", request, "--wait", "60s", "--out", out.to_str().expect("path")]).expect_success().json();
    assert_eq!(opened["opened_as"], "recipient");
    std::fs::read(out).expect("opened file")
}

#[test]
fn three_of_five_with_real_daemons_and_the_cli() {
    let mut d = Deployment::start(3, 5, Options { faulty: vec![5], ..Options::default() });
    let cluster = d.cluster.to_string();
    let status = d.medshare_json(&d.admin, &["cluster", "status", &cluster]);
    assert_eq!(status["status"], "active");
    for index in 1..=5 {
        let health = d.health(index).expect("healthz");
        assert_eq!(health["status"], "serving");
        assert_eq!(health["index"], index);
    }

    // --- the demo story: store a FHIR bundle, share it, the doctor opens it byte-equal
    let patient = d.wallet("patient", 10);
    let doctor = d.wallet("doctor", 10);
    let researcher = d.wallet("researcher", 10);
    let insurer = d.wallet("insurer", 10);
    let stranger = d.wallet("stranger", 10);
    for user in [&patient, &doctor, &researcher, &insurer] {
        let registered = d.medshare(user, &["register-key"]).expect_success().json();
        assert_eq!(registered["already_registered"], false);
    }
    assert_eq!(d.medshare(&doctor, &["register-key"]).expect_success().json()["already_registered"], true, "registering twice is a no-op");
    let bundle = d.file("bundle.json", BUNDLE);
    let not_fhir = d.file("notes.txt", b"free text, not FHIR");
    d.medshare(&patient, &["store", not_fhir.to_str().unwrap(), "--cluster", &cluster]).expect_failure("not FHIR R4 JSON");
    let stored = d.medshare(&patient, &["store", bundle.to_str().unwrap(), "--cluster", &cluster]).expect_success().json();
    assert_eq!(stored["resource_type"], "Bundle");
    assert_eq!(stored["storage"], "inline");
    let record = stored["record"].as_str().expect("record").to_owned();
    let listed = d.medshare_json(&patient, &["list"]);
    assert_eq!(listed["records"][0]["record"], record.as_str());
    let own = d.medshare_json(&patient, &["open", &record]);
    assert_eq!(own["plaintext"].as_str().expect("utf-8").as_bytes(), BUNDLE, "the owner opens her own record");

    let to_doctor = share(&d, &patient, &record, &doctor, &[]);
    assert_eq!(open_to_file(&d, &doctor, &to_doctor, "doctor.json"), BUNDLE, "the doctor's plaintext is byte-equal");
    d.medshare(&insurer, &["open", &to_doctor]).expect_failure("only the share's recipient");

    // --- a share to a wallet with no registered key fails by name, and creates nothing
    let refused = d.medshare(&patient, &["share", &record, &stranger.address.to_string()]).expect_failure("RecipientNotRegistered");
    assert!(refused.stderr.contains("the recipient has not registered an encryption key"), "{}", refused.stderr);
    let requests = d.medshare_json(&patient, &["requests", "--record", &record]);
    assert_eq!(requests["requests"].as_array().unwrap().len(), 1, "the refused share left no request");

    // --- the faulty node is named on chain while the share completes: with nodes 3 and 4
    // stopped, only 1, 2 (honest) and 5 (faulty) answer; the share waits at 2 of 3 until
    // node 3 comes back and catches up from its backfill.
    assert!(d.stop_node(3).success(), "SIGTERM: a clean exit");
    assert!(d.stop_node(4).success(), "SIGTERM: a clean exit");
    let faults_before = d.medshare_json(&d.admin, &["cluster", "status", &cluster])["members"][4]["faults"].as_u64().unwrap();
    let to_researcher = share(&d, &patient, &record, &researcher, &[]);
    d.wait_until("node 5's bad partial counted", Duration::from_secs(60), |d| {
        d.medshare_json(&d.admin, &["cluster", "status", &cluster])["members"][4]["faults"].as_u64().unwrap() > faults_before
    });
    d.wait_until("nodes 1 and 2 answered", Duration::from_secs(60), |d| accepted(&d.request_status(&patient, &record, &to_researcher)).len() == 2);
    assert_eq!(d.request_status(&patient, &record, &to_researcher)["status"], "pending");
    d.wait_until("node 5 counting its rejected partial", Duration::from_secs(30), |d| d.metric(5, "medshare_node_partials_rejected_total") >= 1.0);
    d.start_node(3);
    assert_eq!(open_to_file(&d, &researcher, &to_researcher, "researcher.json"), BUNDLE);
    assert_eq!(accepted(&d.request_status(&patient, &record, &to_researcher)), BTreeSet::from([1, 2, 3]));

    // --- revoke: with node 3 killed the insurer's share waits at 2 of 3; the patient
    // revokes; nodes that come back post nothing; the insurer cannot open it
    d.kill_node(3);
    let to_insurer = share(&d, &patient, &record, &insurer, &[]);
    d.wait_until("nodes 1 and 2 answered the insurer's share", Duration::from_secs(60), |d| {
        accepted(&d.request_status(&patient, &record, &to_insurer)).len() == 2
    });
    let revoked = d.medshare_json(&patient, &["revoke", &to_insurer]);
    assert_eq!(revoked["was_completed"], false);
    // two partials are already on chain: the patient is told they stay usable, and the remedy
    assert_eq!(revoked["partials_posted"], 2);
    assert!(revoked["warning"].as_str().is_some_and(|w| w.contains("medshare rekey")), "{revoked}");
    d.start_node(3);
    d.start_node(4);
    d.medshare(&insurer, &["open", &to_insurer]).expect_failure("revoked");
    let insurer_request = d.request_status(&patient, &record, &to_insurer);
    assert_eq!(insurer_request["status"], "revoked");
    assert_eq!(accepted(&insurer_request).len(), 2, "no partial lands after the revocation");

    // --- n - t = 2 nodes killed before a share, and it still completes
    d.kill_node(4);
    d.kill_node(5);
    let second_doctor = d.wallet("second-doctor", 10);
    d.medshare(&second_doctor, &["register-key"]).expect_success();
    let to_second = share(&d, &patient, &record, &second_doctor, &[]);
    assert_eq!(open_to_file(&d, &second_doctor, &to_second, "second.json"), BUNDLE);
    assert_eq!(accepted(&d.request_status(&patient, &record, &to_second)), BTreeSet::from([1, 2, 3]));

    // --- a node killed mid-way and restarted catches up and posts nothing twice: only node
    // 1 is up when the share is made; it posts, is killed, and restarts with 2 and 3
    d.kill_node(2);
    d.kill_node(3);
    let to_doctor_again = share(&d, &patient, &record, &doctor, &[]);
    d.wait_until("node 1 answered", Duration::from_secs(60), |d| accepted(&d.request_status(&patient, &record, &to_doctor_again)) == BTreeSet::from([1]));
    let node1 = d.nodes[0].authority;
    // the ceremony's folds race between members (an "already folded" refusal is ordinary),
    // so the claim is about what node 1 sends from its restart on
    let last_before_restart = d.localnet.rpc.get_signatures_for_address(&node1).expect("node 1's transactions")[0].signature.parse().expect("a signature");
    d.kill_node(1);
    d.start_node(1);
    d.start_node(2);
    d.start_node(3);
    assert_eq!(open_to_file(&d, &doctor, &to_doctor_again, "again.json"), BUNDLE);
    assert_eq!(accepted(&d.request_status(&patient, &record, &to_doctor_again)), BTreeSet::from([1, 2, 3]));
    d.wait_until("the restarted node 1 scanning the pending requests", Duration::from_secs(30), |d| d.metric(1, "medshare_node_backfills_total") >= 1.0);
    assert_eq!(d.metric(1, "medshare_node_partials_posted_total"), 0.0, "the restarted node posted nothing again:\n{}", d.metrics_text(1));
    let since_restart = GetConfirmedSignaturesForAddress2Config { until: Some(last_before_restart), ..Default::default() };
    let history = d.localnet.rpc.get_signatures_for_address_with_config(&node1, since_restart).expect("node 1's transactions");
    assert!(history.iter().all(|s| s.err.is_none()), "the restarted node 1 sent no transaction the program refused (no duplicate partial)");

    // --- expiry: with only node 1 up, a share that expires in 5 s cannot complete in time;
    // the nodes that come back after it expired post nothing
    d.kill_node(2);
    d.kill_node(3);
    let to_researcher_briefly = share(&d, &patient, &record, &researcher, &["--expires-in", "5s"]);
    d.wait_until("node 1 answered the expiring share", Duration::from_secs(60), |d| {
        accepted(&d.request_status(&patient, &record, &to_researcher_briefly)).len() == 1
    });
    std::thread::sleep(Duration::from_secs(7));
    d.start_node(2);
    d.start_node(3);
    d.medshare(&researcher, &["open", &to_researcher_briefly]).expect_failure("expired");
    let expired = d.request_status(&patient, &record, &to_researcher_briefly);
    assert_eq!(expired["status"], "expired");
    assert_eq!(accepted(&expired).len(), 1, "no partial lands after the expiry");

    // --- the audit trail from on-chain events agrees with all of the above
    let node5 = d.nodes[4].authority.to_string();
    let audit = d.medshare_json(&d.admin, &["audit", "--owner", &patient.address.to_string()]);
    assert_eq!(audit["records"].as_array().unwrap().len(), 1);
    assert_eq!(audit["records"][0]["record"], record.as_str());
    assert_eq!(audit["records"][0]["versions"], serde_json::json!([1]));
    let shares: Vec<&Value> = audit["shares"].as_array().expect("shares").iter().collect();
    assert_eq!(shares.len(), 6, "six share requests, the refused one not among them");
    let find = |request: &str| *shares.iter().find(|s| s["request"] == request).unwrap_or_else(|| panic!("{request} in the audit"));
    let indices = |share: &Value| -> BTreeSet<u64> { share["accepted"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap()).collect() };
    let expected = [
        (&to_researcher, &researcher, true, false),
        (&to_insurer, &insurer, false, true),
        (&to_second, &second_doctor, true, false),
        (&to_doctor_again, &doctor, true, false),
        (&to_researcher_briefly, &researcher, false, false),
    ];
    for (request, recipient, completed, revoked) in expected {
        let share = find(request);
        assert_eq!(share["recipient"], recipient.address.to_string().as_str(), "{request}");
        assert_eq!(share["completed"], completed, "{request}");
        assert_eq!(share["revoked"], revoked, "{request}");
        assert_eq!(share["accepted"].as_array().unwrap().len(), indices(share).len(), "no node accepted twice in {request}");
    }
    assert_eq!(indices(find(&to_researcher)), BTreeSet::from([1, 2, 3]));
    assert_eq!(indices(find(&to_doctor_again)), BTreeSet::from([1, 2, 3]));
    assert_eq!(indices(find(&to_insurer)), BTreeSet::from([1, 2]));
    let named = find(&to_researcher)["rejected"].as_array().unwrap();
    assert!(named.iter().any(|r| r["index"] == 5 && r["authority"] == node5.as_str()), "PartialRejected names node 5: {named:?}");
    for share in &shares {
        for rejected in share["rejected"].as_array().unwrap() {
            assert_eq!(rejected["index"], 5, "only the faulty node is ever rejected");
        }
    }
    let by_recipient = d.medshare_json(&doctor, &["audit", "--recipient", &doctor.address.to_string()]);
    let doctor_requests: BTreeSet<&str> = by_recipient["shares"].as_array().unwrap().iter().map(|s| s["request"].as_str().unwrap()).collect();
    assert_eq!(doctor_requests, BTreeSet::from([to_doctor.as_str(), to_doctor_again.as_str()]));
    let faults = audit["faults"].as_array().unwrap();
    assert!(faults.iter().any(|f| f["index"] == 5 && f["faults"].as_u64().unwrap() >= 1), "{faults:?}");

    // --- the same history as the FHIR R4 Bundle a hospital system imports (the CLI refuses to
    // write one its FHIR library does not validate): a Consent per share request, an
    // AuditEvent per disclosure event, checked against what this test did
    let bundle = d.medshare_json(&d.admin, &["audit", "--owner", &patient.address.to_string(), "--format", "fhir"]);
    medshare_cli::fhir::validate_value(&bundle).expect("the FHIR library validates the audit bundle");
    assert_eq!((bundle["resourceType"].as_str(), bundle["type"].as_str()), (Some("Bundle"), Some("collection")));
    let resources: Vec<&Value> = bundle["entry"].as_array().expect("entries").iter().map(|e| &e["resource"]).collect();
    let of_type = |kind: &str| -> Vec<&Value> { resources.iter().copied().filter(|r| r["resourceType"] == kind).collect() };
    let consents = of_type("Consent");
    assert_eq!(consents.len(), 6, "a Consent per share request");
    let statuses = [
        (&to_doctor, &doctor, "active"),
        (&to_researcher, &researcher, "active"),
        (&to_insurer, &insurer, "inactive"),
        (&to_second, &second_doctor, "active"),
        (&to_doctor_again, &doctor, "active"),
        (&to_researcher_briefly, &researcher, "inactive"),
    ];
    for (request, recipient, status) in statuses {
        let consent = consents.iter().find(|c| c["identifier"][0]["value"] == request.as_str()).unwrap_or_else(|| panic!("the Consent of {request}"));
        assert_eq!(consent["status"], status, "{request}: revoked and expired consents are inactive");
        assert_eq!(consent["patient"]["identifier"]["value"], patient.address.to_string().as_str());
        assert_eq!(consent["provision"]["actor"][0]["reference"]["identifier"]["value"], recipient.address.to_string().as_str(), "{request}");
        assert_eq!(consent["provision"]["data"][0]["reference"]["identifier"]["value"], record.as_str());
        assert_eq!(consent["provision"]["period"]["end"], find(request)["expires_at"], "{request}: the period ends at the expiry");
    }
    let events = of_type("AuditEvent");
    let named = |name: &str| -> Vec<&Value> { events.iter().copied().filter(|e| e["subtype"].as_array().unwrap().iter().any(|s| s["code"] == name)).collect() };
    assert_eq!(named("RecordStored").len(), 1);
    assert_eq!(named("ShareRequested").len(), 6);
    assert_eq!(named("ShareCompleted").len(), 4, "four shares completed");
    assert_eq!(named("ShareRevoked").len(), 1);
    let partials: usize = shares.iter().map(|s| s["accepted"].as_array().unwrap().len()).sum();
    assert_eq!(named("PartialAccepted").len(), partials, "an AuditEvent per accepted partial");
    let rejected = named("PartialRejected");
    assert!(!rejected.is_empty());
    for alert in rejected {
        assert_eq!((alert["type"]["code"].as_str(), alert["outcome"].as_str()), (Some("110113"), Some("8")), "a security alert");
        assert_eq!(alert["agent"][0]["who"]["identifier"]["value"], node5.as_str(), "naming node 5");
    }
    for disclosed in named("ShareCompleted") {
        let agents: Vec<&str> = disclosed["agent"].as_array().unwrap().iter().map(|a| a["who"]["identifier"]["value"].as_str().unwrap()).collect();
        assert!(agents.contains(&patient.address.to_string().as_str()), "{disclosed:#}");
    }
}
