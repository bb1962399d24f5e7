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

/// Solana keeps only the first 10,000 bytes of a transaction's logs, and whoever builds the
/// transaction can fill them first (a program of their own that logs, before the partial).
/// The cheat's `PartialRejected` line is then cut; the audit still shows that this
/// transaction's logs were cut and who sent it, and the chain still counts the fault. (The
/// test lowers LiteSVM's log limit to the bytes an unpadded callback logs up to its event,
/// so that a compute budget instruction in front is padding enough: the runtime's
/// truncation is the same code at any limit.)
#[test]
fn a_padded_transaction_cannot_hide_a_rejected_partial_from_the_audit() {
    use medshare_client::events::{Event, Problem, TransactionEvents};
    use medshare_tests::chain::Chain;

    let mut world = World::new(2, 3);
    let alice = world.user();
    let doctor = world.user();
    let record = world.store(&alice, 1, 1, b"{\"resourceType\":\"Patient\"}");
    let request = world.share(&alice, &record, &doctor.wallet.pubkey(), 0).unwrap();
    let cheater = world.nodes[2].authority.insecure_clone();
    let callback = |world: &mut World| {
        let mut cheat = world.partial(3, &request);
        cheat.proof.z_s[0] ^= 1;
        ix::share_patient_data_callback(&cheater.pubkey(), &world.cluster, &request, cheat.a, cheat.e, cheat.proof.to_bytes(), world.epoch())
    };
    // an unpadded cheat is seen, and its log bytes measured
    let plain = callback(&mut world);
    let seen = world.chain.send(&cheater, &[], &[plain]).expect("a bad partial is recorded");
    assert!(seen.events.iter().any(|e| matches!(e, Event::PartialRejected(r) if r.index == 3)));
    // the bytes up to and including the event line: with one byte of padding in front, the
    // event line no longer fits
    let event_line = seen.logs.iter().position(|l| l.starts_with("Program data: ")).expect("the event line");
    let through_event: usize = seen.logs[..=event_line].iter().map(String::len).sum();

    world.chain.0 = std::mem::take(&mut world.chain.0).with_log_bytes_limit(Some(through_event + 1));
    let padding = solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(200_000);
    let padded = callback(&mut world);
    let hidden = world.chain.send(&cheater, &[], &[padding, padded]).expect("the padded cheat lands too");
    assert!(hidden.logs.iter().any(|l| l == "Log truncated"), "{:#?}", hidden.logs);
    assert!(!hidden.events.iter().any(|e| matches!(e, Event::PartialRejected(_))), "the event line was cut");
    assert_eq!(world.cluster_account().members[2].faults, 2, "the chain counted both cheats");

    // the auditor's fold: the cut transaction is a warning naming its sender
    let signature = solana_signature::Signature::from([1; 64]);
    let transactions = [TransactionEvents::read(signature, &cheater.pubkey(), &seen.logs), TransactionEvents::read(signature, &cheater.pubkey(), &hidden.logs)];
    let trail = AuditTrail::from_transactions(&transactions);
    assert_eq!(trail.shares[&request].rejected, vec![(3, cheater.pubkey())], "the visible cheat is named");
    assert_eq!(trail.warnings.len(), 1);
    assert_eq!(trail.warnings[0].problem, Problem::LogsTruncated { fee_payer: cheater.pubkey().to_string() });
}
