//! 5-of-5 (the dishonest-majority setting, `t = n`) on a validator that starts without the
//! program: `medshare-migrations` deploys it over RPC through the upgradeable loader and
//! creates the cluster; five `mpc-node` processes accept their invitations and run the key
//! generation the admin starts; a record too large for
//! an account goes to the blob directory; one node down stalls a share
//! until it returns and catches up.

use medshare_tests::deployment::{Binary, Deployment, Options};
use std::{collections::BTreeSet, time::Duration};

#[test]
fn five_of_five_deployed_by_migrations_with_a_blob_record() {
    let mut d = Deployment::start(5, 5, Options { deploy_with_migrations: true, ..Options::default() });
    let cluster = d.cluster.to_string();
    let status = d.medshare_json(&d.admin, &["cluster", "status", &cluster]);
    assert_eq!((status["status"].as_str(), status["threshold"].as_u64(), status["size"].as_u64()), (Some("active"), Some(5), Some(5)));

    // migrations are idempotent: the same bytes are not deployed twice, the cluster exists
    let again = d.run_binary(Binary::Migrations, &d.migrations_args()).expect_success().json();
    assert_eq!(again["deployment"], "unchanged");
    assert_eq!(again["cluster_created"], false);
    assert_eq!(again["cluster"], cluster.as_str());

    let patient = d.wallet("patient", 10);
    let doctor = d.wallet("doctor", 10);
    d.medshare(&patient, &["register-key"]).expect_success();
    d.medshare(&doctor, &["register-key"]).expect_success();

    // 10 KiB of imaging notes: more than an account holds, so a blob with its digest on chain
    let large: Vec<u8> = (0..10_240u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let file = d.file("scan.bin", &large);
    let blobs = d.dir.join("blobs");
    let blob_dir = blobs.to_str().expect("path");
    d.medshare(&patient, &["store", file.to_str().unwrap(), "--cluster", &cluster]).expect_failure("not FHIR R4 JSON");
    let stored = d.medshare(&patient, &["store", file.to_str().unwrap(), "--cluster", &cluster, "--raw", "--blob-dir", blob_dir]).expect_success().json();
    assert_eq!(stored["storage"], "blob");
    let record = stored["record"].as_str().expect("record").to_owned();
    let blob = std::path::PathBuf::from(stored["blob"].as_str().expect("blob path"));
    assert!(blob.starts_with(&blobs), "the blob is in the store");
    let listed = d.medshare_json(&patient, &["list"]);
    assert_eq!(blob, blobs.join(patient.address.to_string()).join("1").join("v1"), "the key names owner, record and version");
    assert_eq!(listed["records"][0]["uri"], format!("file://{}", blob.display()).as_str(), "the URI names the store and the key");

    // all five answer: the share completes and opens byte-equal
    let request = d.medshare_json(&patient, &["share", &record, &doctor.address.to_string()])["request"].as_str().expect("request").to_owned();
    let out = d.dir.join("opened-scan.bin");
    let opened = d.medshare(&doctor, &["open", &request, "--wait", "60s", "--blob-dir", blob_dir, "--out", out.to_str().unwrap()]).expect_success().json();
    assert_eq!(opened["plaintext_len"], large.len());
    assert_eq!(std::fs::read(&out).expect("opened"), large);
    let partials = |d: &Deployment, request: &str| -> BTreeSet<u64> {
        d.request_status(&patient, &record, request)["partials"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap()).collect()
    };
    assert_eq!(partials(&d, &request), BTreeSet::from([1, 2, 3, 4, 5]));

    // a tampered blob is refused by its digest
    let mut tampered = std::fs::read(&blob).unwrap();
    tampered[100] ^= 1;
    std::fs::write(&blob, &tampered).unwrap();
    d.medshare(&doctor, &["open", &request, "--blob-dir", blob_dir]).expect_failure("does not match the digest on chain");
    let mut restored = tampered;
    restored[100] ^= 1;
    std::fs::write(&blob, &restored).unwrap();

    // node 3's websocket is cut while a share is requested, so it misses the event; its
    // periodic backfill is an hour away: the backfill after it reconnects answers the share
    let proxy = d.proxy_websocket(3);
    d.wait_until("node 3 subscribed through the proxy", Duration::from_secs(30), |d| d.metric(3, "medshare_node_subscriptions_total") >= 1.0);
    proxy.cut();
    let missed = d.medshare_json(&patient, &["share", &record, &doctor.address.to_string()])["request"].as_str().expect("request").to_owned();
    d.wait_until("the four connected nodes answered", Duration::from_secs(60), |d| partials(d, &missed).len() == 4);
    assert!(!partials(&d, &missed).contains(&3), "node 3 missed the event");
    proxy.restore();
    let caught_up = d.medshare(&doctor, &["open", &missed, "--wait", "60s", "--blob-dir", blob_dir]).expect_success().json();
    assert_eq!(caught_up["plaintext_len"], large.len());
    assert_eq!(partials(&d, &missed), BTreeSet::from([1, 2, 3, 4, 5]));
    assert!(d.metric(3, "medshare_node_subscriptions_total") >= 2.0, "node 3 reconnected:\n{}", d.metrics_text(3));
    d.direct_websocket(3);

    // with t = n one node down stalls the share at 4 of 5; it completes when the node returns
    d.kill_node(2);
    let stalled = d.medshare_json(&patient, &["share", &record, &doctor.address.to_string()])["request"].as_str().expect("request").to_owned();
    d.wait_until("four partials in", Duration::from_secs(60), |d| partials(d, &stalled).len() == 4);
    d.medshare(&doctor, &["open", &stalled, "--blob-dir", blob_dir]).expect_failure("4 of 5 partials in");
    d.start_node(2);
    let reopened = d.medshare(&doctor, &["open", &stalled, "--wait", "60s", "--blob-dir", blob_dir]).expect_success().json();
    assert_eq!(reopened["plaintext_len"], large.len());
    assert_eq!(partials(&d, &stalled), BTreeSet::from([1, 2, 3, 4, 5]));

    // key rotation: the admin starts a new key generation (ceremony 2); the daemons deal,
    // fold and confirm it through the chain and serve the new key; the patient re-keys the
    // record (its next version, sealed to the new key) and a share of it completes and opens
    // under the new epoch
    let old_key = status["public_key"].as_str().expect("PK").to_owned();
    let old_epoch = status["epoch"].as_u64().expect("epoch");
    let rotated = d.medshare_json(&d.admin, &["cluster", "new-epoch", &cluster, "--threshold", "5", "--window-slots", &d.window_slots().to_string()]);
    let new_epoch = old_epoch + 1;
    assert_eq!((rotated["epoch"].as_u64(), rotated["kind"].as_str()), (Some(new_epoch), Some("key_generation")));
    d.wait_active(new_epoch, Duration::from_secs(120));
    let status = d.medshare_json(&d.admin, &["cluster", "status", &cluster]);
    assert_eq!((status["epoch"].as_u64(), status["key_epoch"].as_u64()), (Some(new_epoch), Some(new_epoch)));
    assert_ne!(status["public_key"].as_str(), Some(old_key.as_str()), "a new cluster key");
    assert_eq!(status["ceremony"]["confirmed"], serde_json::json!([1, 2, 3, 4, 5]));
    for index in 1..=5u8 {
        d.wait_serving(index, new_epoch);
    }
    // a record sealed to the old key cannot be shared until it is re-keyed: no share
    // completes that cannot be opened
    d.medshare(&patient, &["share", &record, &doctor.address.to_string()]).expect_failure("re-key it first with `medshare rekey");
    let rekeyed = d.medshare_json(&patient, &["rekey", &record, "--blob-dir", blob_dir]);
    assert_eq!((rekeyed["previous_version"].as_u64(), rekeyed["version"].as_u64(), rekeyed["previous_epoch"].as_u64()), (Some(1), Some(2), Some(old_epoch)));
    let after_rotation = d.medshare_json(&patient, &["share", &record, &doctor.address.to_string()])["request"].as_str().expect("request").to_owned();
    let opened = d.medshare(&doctor, &["open", &after_rotation, "--wait", "60s", "--blob-dir", blob_dir]).expect_success().json();
    assert_eq!((opened["version"].as_u64(), opened["plaintext_len"].as_u64()), (Some(2), Some(large.len() as u64)));
    d.medshare(&doctor, &["open", &request, "--blob-dir", blob_dir]).expect_failure("this share was for version 1");

    // the nodes' metrics say what happened
    for index in 1..=5u8 {
        // a node counts its partial after reading the request back, which may be after the
        // doctor saw the share complete
        d.wait_until(&format!("node {index} counting its partial"), Duration::from_secs(30), |d| d.metric(index, "medshare_node_partials_posted_total") >= 1.0);
        assert_eq!(d.metric(index, "medshare_node_partials_rejected_total"), 0.0);
    }
    assert!(d.metrics_text(1).contains("medshare_node_partial_latency_seconds_count"), "latency histogram exported");
}
