//! `cargo xtask demo`: the MedShare story as operators and users live it, on a real local
//! validator. `medshare-migrations` deploys the program over RPC and creates an empty
//! cluster; the admin invites five node authorities; five `mpc-node` daemons (separate
//! processes) accept their invitations with their own transport keys; the admin starts a
//! 3-of-5 key generation (`medshare cluster new-epoch`) that the daemons run through the chain; a patient stores a FHIR bundle with the `medshare` CLI and shares it
//! with a doctor; the nodes answer with proven partials, verified on chain; the doctor
//! opens the record; the patient revokes; the audit trail is rebuilt from on-chain events.

use medshare_tests::deployment::{Deployment, Options};

const BUNDLE: &[u8] = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Chalmers","given":["Peter"]}],"birthDate":"1974-12-25"}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Hemoglobin A1c"},"valueQuantity":{"value":6.1,"unit":"%"}}}]}"#;

fn main() {
    let started = std::time::Instant::now();
    println!("== starting a local validator (solana-test-validator, in process) without the program");
    let d = Deployment::start(3, 5, Options { deploy_with_migrations: true, verbose: true, ..Options::default() });
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
    let shared = std::time::Instant::now();
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

    println!("== node 1's Prometheus metrics");
    for line in d.metrics_text(1).lines().filter(|l| !l.starts_with('#') && !l.contains("_bucket")) {
        println!("   {line}");
    }
    println!("== timings");
    for (phase, took) in &d.timings {
        println!("   {phase:<40} {took:>8.1?}");
    }
    println!("   {:<40} {share_to_open:>8.1?}", "share request to the doctor's plaintext");
    println!("== done in {:.1?}: the validator and the five daemons stop now", started.elapsed());
}
