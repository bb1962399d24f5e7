//! An auditor rebuilds, from the program's events alone, every store, share, accepted and
//! rejected partial (naming the node), completion and revocation of a run — and it matches
//! what the run did.

use medshare_client::{Address, audit::AuditTrail, instructions as ix};
use medshare_tests::world::World;
use solana_signer::Signer;

#[test]
fn the_event_trail_tells_the_whole_story() {
    let mut world = World::new(2, 3);
    let alice = world.user();
    let bob = world.user();
    let doctor = world.user();
    let insurer = world.user();

    // what happens
    let alice_record = world.store(&alice, 1, 1, b"{\"resourceType\":\"Patient\",\"name\":\"Alice\"}");
    let bob_record = world.store(&bob, 1, 1, b"{\"resourceType\":\"Patient\",\"name\":\"Bob\"}");
    let to_doctor = world.share(&alice, &alice_record, &doctor.wallet.pubkey(), 0).unwrap();
    let mut cheat = world.partial(3, &to_doctor);
    cheat.proof.c[3] ^= 0x10;
    world.post_partial(3, &to_doctor, &cheat).unwrap();
    world.answer(1, &to_doctor).unwrap();
    world.answer(2, &to_doctor).unwrap();
    let to_insurer = world.share(&alice, &alice_record, &insurer.wallet.pubkey(), 0).unwrap();
    world.answer(2, &to_insurer).unwrap();
    let alice_wallet = alice.wallet.insecure_clone();
    world.ok("revoke_share", &alice_wallet, &[], &[ix::revoke_share(&alice_wallet.pubkey(), &to_insurer)]);
    world.store(&alice, 1, 2, b"{\"resourceType\":\"Patient\",\"name\":\"Alice\",\"v\":2}");
    let bob_to_doctor = world.share(&bob, &bob_record, &doctor.wallet.pubkey(), 0).unwrap();
    world.answer(3, &bob_to_doctor).unwrap();
    world.answer(1, &bob_to_doctor).unwrap();

    // what the events say
    let trail = AuditTrail::from_events(&world.events);
    assert_eq!(trail.records[&alice_record], (alice.wallet.pubkey(), vec![1, 2]));
    assert_eq!(trail.records[&bob_record], (bob.wallet.pubkey(), vec![1]));
    assert_eq!(trail.shares.len(), 3);

    let doctor_share = &trail.shares[&to_doctor];
    assert_eq!((doctor_share.record, doctor_share.owner, doctor_share.recipient), (alice_record, alice.wallet.pubkey(), doctor.wallet.pubkey()));
    assert_eq!(doctor_share.accepted, vec![1, 2]);
    assert_eq!(doctor_share.rejected, vec![(3, world.nodes[2].authority.pubkey())], "the cheating node is named");
    assert!(doctor_share.completed && !doctor_share.revoked);

    let insurer_share = &trail.shares[&to_insurer];
    assert_eq!((insurer_share.accepted.as_slice(), insurer_share.completed, insurer_share.revoked), (&[2u8][..], false, true));

    let bob_share = &trail.shares[&bob_to_doctor];
    assert_eq!((bob_share.owner, bob_share.accepted.as_slice(), bob_share.completed), (bob.wallet.pubkey(), &[3u8, 1][..], true));

    let doctor_wallet = doctor.wallet.pubkey();
    let doctors: Vec<&Address> = trail.shares_to(&doctor_wallet).map(|(request, _)| request).collect();
    assert_eq!(doctors.len(), 2);
    assert_eq!(trail.faults[&(world.cluster, 3)], 1);
    // and it agrees with the chain's own state
    assert_eq!(world.cluster_account().members[2].faults, 1);
    assert_eq!(world.request(&to_insurer).status, 2);
}
