//! `cargo xtask demo`: the MedShare story on a real local validator, over JSON-RPC and the
//! websocket. A consortium admin creates a 3-of-5 cluster; five nodes run the key ceremony
//! through the chain; a patient stores a FHIR bundle and shares it with a doctor; three
//! nodes answer with proven partial re-encryptions (a fourth cheats and is named); the
//! doctor opens the record; the patient revokes a second share; the audit trail is printed.
//!
//! The nodes here are in-process (encrypted-circuits, driven by this binary); the `mpc-node`
//! daemons and the `medshare` CLI take their place in issue #5.

use medshare_client::{audit::AuditTrail, events::Event, instructions as ix};
use medshare_tests::world::World;
use solana_signer::Signer;

const BUNDLE: &[u8] = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Chalmers","given":["Peter"]}]}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Hemoglobin A1c"},"valueQuantity":{"value":6.1,"unit":"%"}}}]}"#;

fn main() {
    println!("== starting a local validator with medical_records deployed (upgradeable loader) ...");
    let mut world = World::on_localnet(3, 5);
    let cluster = world.cluster_account();
    println!("== cluster {} active: t = {}, n = {}, epoch {}", world.cluster, cluster.threshold, cluster.size, cluster.epoch);
    println!("   cluster key PK = {}", hex(&cluster.public_key));
    for member in &cluster.members {
        println!("   node {} authority {} S_i = {}…", member.index, member.authority, &hex(&member.verification_share)[..16]);
    }

    let patient = world.user();
    let doctor = world.user();
    let insurer = world.user();
    println!("== patient {} and doctor {} registered encryption keys (proofs verified on chain)", patient.wallet.pubkey(), doctor.wallet.pubkey());
    let record = world.store(&patient, 1, 1, BUNDLE);
    println!("== patient stored record {} ({} bytes of FHIR, sealed and kept inline)", record, BUNDLE.len());

    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).expect("share");
    println!("== patient shared it with the doctor: request {request}");
    let mut cheat = world.partial(4, &request);
    cheat.e = world.partial(2, &request).e;
    world.post_partial(4, &request, &cheat).expect("node 4's cheat lands, counted");
    println!("   node 4 posted a partial with a bad proof -> rejected on chain, fault counted");
    for i in [1, 3, 5] {
        let outcome = world.answer(i, &request).expect("honest partial");
        println!("   node {i} posted its partial: verified on chain in {} CU", outcome.compute_units_consumed);
    }
    let opened = world.open_as_recipient(&doctor, &request, &patient, 1).expect("the doctor opens");
    assert_eq!(opened, BUNDLE);
    println!("== the doctor combined 3 partials and opened the record: {}", String::from_utf8_lossy(&opened[..80]));

    let second = world.share(&patient, &record, &insurer.wallet.pubkey(), 0).expect("share");
    world.answer(2, &second).expect("partial");
    let wallet = patient.wallet.insecure_clone();
    world.ok("revoke_share", &wallet, &[], &[ix::revoke_share(&wallet.pubkey(), &second)]);
    println!("== patient shared with an insurer, then revoked before completion: request {second}");
    match world.open_as_recipient(&insurer, &second, &patient, 1) {
        Ok(_) => panic!("a revoked share must not open"),
        Err(error) => println!("   the insurer cannot open it: {error}"),
    }

    println!("== audit trail, rebuilt from {} on-chain events alone:", world.events.len());
    let trail = AuditTrail::from_events(&world.events);
    for (record, (owner, versions)) in &trail.records {
        println!("   record {record} of {owner}: versions {versions:?}");
    }
    for (request, share) in &trail.shares {
        println!(
            "   share {request}: record {} -> {} accepted {:?} rejected {:?} completed {} revoked {}",
            share.record,
            share.recipient,
            share.accepted,
            share.rejected.iter().map(|(i, who)| format!("node {i} ({who})")).collect::<Vec<_>>(),
            share.completed,
            share.revoked
        );
    }
    let named = world.events.iter().filter(|e| matches!(e, Event::PartialRejected(_))).count();
    println!("== done: {named} cheating partial(s) named on chain; the validator stops now");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
