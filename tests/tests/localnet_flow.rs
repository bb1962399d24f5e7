//! The whole protocol on a real local validator over JSON-RPC, events read from the
//! websocket: the key ceremony through the program's instructions, a record stored, shared
//! and answered by `t` nodes whose proofs the validator verifies, a cheating node named, the
//! recipient opening the exact plaintext, a revocation, and the audit trail.

use medshare_client::{audit::AuditTrail, instructions as ix};
use medshare_tests::world::World;
use solana_signer::Signer;

#[test]
fn store_share_open_and_audit_on_a_validator() {
    let mut world = World::on_localnet(2, 3);
    assert_eq!(world.cluster_account().status, 2, "the ceremony activated the cluster on the validator");
    let patient = world.user();
    let doctor = world.user();
    let plaintext = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Condition","code":{"text":"Type 2 diabetes"},"subject":{"reference":"Patient/p1"}}}]}"#;
    let record = world.store(&patient, 1, 1, plaintext);
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).expect("share");

    let mut cheat = world.partial(3, &request);
    cheat.e = world.partial(1, &request).e;
    world.post_partial(3, &request, &cheat).expect("a rejected partial still lands, counted");
    world.answer(1, &request).expect("node 1");
    world.answer(2, &request).expect("node 2");
    assert_eq!(world.request(&request).status, 1);
    assert_eq!(world.open_as_recipient(&doctor, &request, &patient, 1).unwrap(), plaintext);
    let callback_cu = world.compute_units["share_patient_data_callback"];
    println!("callback on the validator: {callback_cu} CU");

    let pending = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).expect("second share");
    let wallet = patient.wallet.insecure_clone();
    world.ok("revoke_share", &wallet, &[], &[ix::revoke_share(&wallet.pubkey(), &pending)]);
    assert!(world.answer(1, &pending).is_err(), "a revoked request takes no partial");

    let trail = AuditTrail::from_events(&world.events);
    let shared = &trail.shares[&request];
    assert_eq!((shared.accepted.as_slice(), shared.completed), (&[1u8, 2][..], true));
    assert_eq!(shared.rejected, vec![(3, world.nodes[2].authority.pubkey())]);
    assert!(trail.shares[&pending].revoked);
    assert_eq!(world.cluster_account().members[2].faults, 1);
}
