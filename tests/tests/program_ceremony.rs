//! The cluster key's life on the real `.so` in LiteSVM (docs/protocol.md §3.5): ceremonies
//! that finish without the member that never deals, deals garbage, confirms garbage first or
//! sends one receiver a bad sub-share, each culprit named on chain; an honest dealer falsely
//! accused cleared by the program's own check; a suspended member left out of the next
//! ceremony; and resharing 3-of-5 → 4-of-6 → 2-of-3 under the same `PK`, with a record
//! stored before shared and opened after each step and old shares useless.

use encrypted_circuits::{
    ceremony::{self, DealingView},
    keys::KeyShare,
    reencrypt::Partial,
    threshold::lagrange_at_zero,
};
use medshare_client::{
    accounts::{CeremonyPhase, MemberStatus, indices, mask_of},
    events::Event,
    instructions as ix,
};
use medshare_tests::world::{Kind, User, WINDOW_SLOTS, World, expect_error};
use solana_signer::Signer;

const FHIR: &[u8] = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final"}}]}"#;

/// The events emitted since `from` (an index into `world.events`).
fn since(world: &World, from: usize) -> Vec<Event> {
    world.events[from..].to_vec()
}

/// Member `i`'s on-chain fault counter.
fn faults(world: &World, i: u8) -> u32 {
    world.cluster_account().member_at(i).expect("member").faults
}

/// `PK` as the qualified dealings on chain fix it: `Σ C_{i,0}`.
fn group_key_from_chain(world: &World) -> [u8; 32] {
    let ceremony = world.ceremony();
    let dealings = world.qualified_dealings();
    let views: Vec<(u16, DealingView)> = dealings.iter().map(|(i, bytes)| (*i, DealingView::parse(bytes, ceremony.threshold).unwrap())).collect();
    ceremony::group_key(&views).unwrap().to_bytes()
}

/// A patient stores a FHIR record, shares it with a fresh doctor, `answering` nodes post
/// their partials, and the doctor opens it: the bytes must come back.
fn share_and_open(world: &mut World, patient: &User, record_id: u64, answering: &[u8]) {
    let doctor = world.user();
    let record = medshare_client::pda::record(&patient.wallet.pubkey(), record_id);
    let request = world.share(patient, &record, &doctor.wallet.pubkey(), 0).expect("share");
    for &i in answering {
        world.answer(i, &request).unwrap_or_else(|e| panic!("node {i} answers: {:?}\n{}", e.err, e.logs.join("\n")));
    }
    assert_eq!(world.request(&request).status, 1, "completed with {answering:?}");
    assert_eq!(world.open_as_recipient(&doctor, &request, patient, record_id).expect("opens"), FHIR);
}

/// A 3-of-5 cluster with its first key generation started (epoch 1), nobody dealt yet.
fn ceremony_of_five() -> World {
    let mut world = World::registered(3, 5);
    world.start(Kind::KeyGeneration, 3, WINDOW_SLOTS).expect("start_epoch");
    world
}

/// Registers the share circuit once the cluster is active.
fn register_circuit(world: &mut World) {
    let admin = world.admin.insecure_clone();
    world.ok("init_share_patient_data_comp_def", &admin, &[], &[ix::init_share_patient_data_comp_def(&admin.pubkey(), &world.cluster)]);
}

#[test]
fn a_member_that_never_deals_is_named_and_the_key_is_made_without_it() {
    let mut world = ceremony_of_five();
    for i in 1..=4 {
        world.deal(i).expect("deal");
    }
    // nobody confirms before dealing has closed
    expect_error(world.confirm_with(1, [1; 32], [0; 64]), "WrongCeremonyPhase");
    expect_error(world.advance(), "NothingToAdvance");
    world.pass_slots(u64::from(WINDOW_SLOTS) + 1);
    let from = world.events.len();
    world.advance().expect("advance past the deal deadline");
    let closed = since(&world, from)
        .into_iter()
        .find_map(|e| match e {
            Event::DealingClosed(closed) => Some(closed),
            _ => None,
        })
        .expect("DealingClosed");
    assert_eq!((closed.qualified, closed.absent), (0b01111, 0b10000), "node 5 is named absent");
    expect_error(world.deal(5), "WrongCeremonyPhase");

    // the four qualified members are all it takes
    for j in 1..=4 {
        world.confirm(j).expect("confirm");
    }
    let cluster = world.cluster_account();
    assert_eq!((cluster.epoch, cluster.key_epoch, cluster.threshold, cluster.size), (1, 1, 3, 4));
    assert_eq!(cluster.public_key, group_key_from_chain(&world), "PK = Σ C_0 of the qualified dealers");
    assert!(!cluster.member_at(5).unwrap().holds_share());
    let activated = world.events.iter().rev().find_map(|e| if let Event::ClusterActivated(a) = e { Some(a.clone()) } else { None }).unwrap();
    assert_eq!((activated.holders, activated.late), (0b01111, 0));

    register_circuit(&mut world);
    let patient = world.user();
    world.store(&patient, 1, 1, FHIR);
    share_and_open(&mut world, &patient, 1, &[1, 2, 4]);
    // node 5 was a receiver: it still received sub-shares from the qualified dealers and may
    // confirm late, after which it serves
    let doctor = world.user();
    let record = medshare_client::pda::record(&patient.wallet.pubkey(), 1);
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    let node5 = world.nodes[4].authority.insecure_clone();
    let partial = Partial { index: 5, a: [1; 32], e: [1; 32], proof: encrypted_circuits::reencrypt::ReencryptionProof::from_array(&[0; 96]) };
    let callback = ix::share_patient_data_callback(&node5.pubkey(), &world.cluster, &request, partial.a, partial.e, partial.proof.to_bytes(), world.epoch());
    expect_error(world.send("x", &node5, &[], &[callback]), "NotAHolder");
    world.confirm(5).expect("late confirmation");
    assert_eq!(world.cluster_account().size, 5);
    for i in [5, 3, 1] {
        world.answer(i, &request).expect("answer");
    }
    assert_eq!(world.open_as_recipient(&doctor, &request, &patient, 1).unwrap(), FHIR);
}

#[test]
fn a_dealing_that_fails_the_programs_checks_disqualifies_its_dealer() {
    let mut world = ceremony_of_five();
    let mut garbage = world.dealing_bytes(2);
    garbage[70] ^= 1; // the proof of knowledge's response z
    let from = world.events.len();
    world.post_dealing(2, &garbage).expect("a rejected dealing is recorded, not refused");
    assert!(since(&world, from).iter().any(|e| matches!(e, Event::DealingRejected(r) if r.dealer == 2 && r.faults == 1)), "DealingRejected names node 2");
    assert_eq!(faults(&world, 2), 1);
    expect_error(world.deal(2), "ChunkOutOfOrder");
    for i in [1, 3, 4, 5] {
        world.deal(i).expect("deal");
    }
    // every dealer is in (dealt or disqualified): dealing closed without waiting
    let ceremony = world.ceremony();
    assert_eq!((ceremony.qualified, ceremony.disqualified), (0b11101, 0b00010));
    for j in [1, 3, 4, 5] {
        world.confirm(j).expect("confirm");
    }
    assert_eq!(world.cluster_account().status, 2, "active without node 2's dealing");
    assert_eq!(world.cluster_account().public_key, group_key_from_chain(&world));
    register_circuit(&mut world);
    let patient = world.user();
    world.store(&patient, 1, 1, FHIR);
    share_and_open(&mut world, &patient, 1, &[1, 3, 5]);
}

#[test]
fn a_garbage_confirmation_sent_first_blocks_nobody() {
    let mut world = ceremony_of_five();
    for i in 1..=5 {
        world.deal(i).expect("deal");
    }
    // node 1 confirms first, with node 2's share and proof: the program checks node 1's own
    // claim against the commitments and keeps nothing of it
    let stolen = world.finish(2).unwrap();
    let from = world.events.len();
    world.confirm_with(1, stolen.share.verification_share().to_bytes(), stolen.proof).expect("a rejected confirmation is recorded");
    assert!(since(&world, from).iter().any(|e| matches!(e, Event::ConfirmationRejected(r) if r.index == 1 && r.faults == 1)));
    assert_eq!(world.ceremony().confirmed, 0);
    for j in 2..=5 {
        world.confirm(j).expect("honest confirmations are each checked on their own");
    }
    assert_eq!(world.cluster_account().status, 1, "activation waits for every qualified member until the deadline");
    world.pass_slots(2 * u64::from(WINDOW_SLOTS) + 1);
    world.advance().expect("advance past the confirm deadline");
    let activated = world.events.iter().rev().find_map(|e| if let Event::ClusterActivated(a) = e { Some(a.clone()) } else { None }).unwrap();
    assert_eq!((activated.holders, activated.late), (0b11110, 0b00001), "node 1 named late");
    register_circuit(&mut world);
    let patient = world.user();
    world.store(&patient, 1, 1, FHIR);
    share_and_open(&mut world, &patient, 1, &[2, 3, 4]);
}

#[test]
fn a_bad_sub_share_is_proven_by_its_receiver_and_the_dealer_is_excluded() {
    let mut world = ceremony_of_five();
    let t = world.ceremony().threshold;
    let mut bad = world.dealing_bytes(2);
    let offset = ceremony::encrypted_share_offset(t, 3);
    bad[offset] ^= 0x55; // node 3's sub-share from node 2 is garbage; nothing public shows it
    world.post_dealing(2, &bad).expect("the dealing passes the public checks");
    for i in [1, 3, 4, 5] {
        world.deal(i).expect("deal");
    }
    assert_eq!(world.ceremony().qualified, 0b11111);
    world.confirm(1).expect("node 1 confirms before the complaint");

    // node 3 cannot finish, and says who cheated
    let error = world.finish(3).unwrap_err();
    assert_eq!(error, encrypted_circuits::Error::BadDealing { dealer: 2 });
    let complaint = world.complaint(3, 2);
    let from = world.events.len();
    world.complain(3, 2, complaint).expect("complain");
    assert!(since(&world, from).iter().any(|e| matches!(e, Event::ComplaintUpheld(c) if c.dealer == 2 && c.receiver == 3 && c.faults == 1)));
    let ceremony = world.ceremony();
    assert_eq!((ceremony.qualified, ceremony.confirmed), (0b11101, 0), "node 2 out; node 1's confirmation is void (its share changed)");
    expect_error(world.complain(3, 2, complaint), "DealerDisqualified");

    for j in [1, 3, 4, 5] {
        world.confirm(j).expect("confirm against the new Q");
    }
    assert_eq!(world.cluster_account().status, 2);
    assert_eq!(world.cluster_account().public_key, group_key_from_chain(&world), "PK without node 2's C_0");
    register_circuit(&mut world);
    let patient = world.user();
    world.store(&patient, 1, 1, FHIR);
    share_and_open(&mut world, &patient, 1, &[3, 4, 5]);
}

#[test]
fn an_honest_dealer_falsely_accused_is_cleared_and_a_forged_complaint_refused() {
    let mut world = ceremony_of_five();
    for i in 1..=5 {
        world.deal(i).expect("deal");
    }
    let t = world.ceremony().threshold;
    let context = world.ceremony_context(1);
    let dealing = world.dealing(1, 1).bytes;
    let view = DealingView::parse(&dealing, t).unwrap();
    // node 4 accuses node 1 with a genuine revealed key: the program decrypts the sub-share,
    // finds it good, and the accuser is at fault
    let accusation = world.complaint(4, 1);
    let from = world.events.len();
    world.complain(4, 1, accusation).expect("complain");
    assert!(since(&world, from).iter().any(|e| matches!(e, Event::ComplaintDismissed(c) if c.dealer == 1 && c.receiver == 4 && c.faults == 1)));
    assert_eq!((faults(&world, 1), faults(&world, 4)), (0, 1));
    assert_eq!(world.ceremony().qualified, 0b11111, "node 1 stays qualified");

    // a complaint made with someone else's transport key, or with a changed revealed key, is refused outright
    let forged = ceremony::complain(&mut rand::thread_rng(), &context, 1, 4, &world.nodes[4].transport, &view).unwrap();
    expect_error(world.complain(4, 1, forged), "InvalidComplaintProof");
    let mut tampered = accusation;
    tampered[0] ^= 1;
    expect_error(world.complain(4, 1, tampered), "InvalidComplaintProof");
    assert_eq!(faults(&world, 4), 1, "a refused complaint changes nothing");

    for j in 1..=5 {
        world.confirm(j).expect("confirm");
    }
    assert_eq!(world.cluster_account().size, 5);
}

#[test]
fn a_suspended_member_takes_no_part_and_receives_nothing() {
    let mut world = World::new(3, 5);
    let admin = world.admin.insecure_clone();
    world.ok("suspend_node", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &world.cluster, 5)]);
    let epoch = world.start(Kind::KeyGeneration, 3, WINDOW_SLOTS).unwrap();
    let ceremony = world.ceremony();
    assert_eq!((ceremony.dealers, ceremony.receivers), (0b01111, 0b01111));
    expect_error(world.deal(5), "WrongMemberStatus");
    world.run_ceremony();
    let t = world.ceremony().threshold;
    for dealer in 1..=4 {
        let bytes = world.dealing(epoch, dealer).bytes;
        let offset = ceremony::encrypted_share_offset(t, 5);
        assert_eq!(bytes[offset..offset + 32], [0u8; 32], "dealer {dealer} sent node 5 nothing");
    }
    let cluster = world.cluster_account();
    assert!(!cluster.member_at(5).unwrap().holds_share(), "node 5's old share is cleared");
    assert_eq!(cluster.size, 4);
    register_circuit_if_missing(&mut world);
    let patient = world.user();
    world.store(&patient, 1, 1, FHIR);
    let doctor = world.user();
    let record = medshare_client::pda::record(&patient.wallet.pubkey(), 1);
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    let old_share = world.nodes[4].shares.get(&(epoch - 1)).unwrap().clone();
    world.nodes[4].shares.insert(epoch, old_share);
    expect_error(world.answer(5, &request), "NodeSuspended");
}

/// The circuit is registered once per cluster (`World::new` did it).
fn register_circuit_if_missing(world: &mut World) {
    if world.account(&medshare_client::pda::circuit(&world.cluster)).is_none() {
        register_circuit(world);
    }
}

/// The secret `s` that `shares` interpolate to, as `s·G` (for checking old shares are useless).
fn interpolate_public(shares: &[&KeyShare]) -> [u8; 32] {
    use curve25519_dalek::{Scalar, constants::RISTRETTO_BASEPOINT_POINT as G};
    let indices: Vec<u16> = shares.iter().map(|s| s.index()).collect();
    let lambdas = lagrange_at_zero(&indices).unwrap();
    let secret: Scalar = shares.iter().zip(&lambdas).map(|(s, l)| Scalar::from_canonical_bytes(s.secret_bytes()).unwrap() * l).sum();
    (G * secret).compress().to_bytes()
}

#[test]
fn resharing_keeps_the_key_from_3_of_5_to_4_of_6_and_back_to_2_of_3() {
    let mut world = World::new(3, 5);
    let pk = world.cluster_account().public_key;
    let patient = world.user();
    world.store(&patient, 1, 1, FHIR);
    share_and_open(&mut world, &patient, 1, &[1, 2, 3]);
    let first_epoch = world.epoch();
    let old: Vec<KeyShare> = (1..=5).map(|i| world.key_share(i).clone()).collect();

    // a pending request from before the resharing, with one old partial in
    let doctor = world.user();
    let record = medshare_client::pda::record(&patient.wallet.pubkey(), 1);
    let pending = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    world.answer(4, &pending).unwrap();

    // hospital 5 leaves, hospitals 6 and 7 join: 3-of-5 → 4-of-6
    let admin = world.admin.insecure_clone();
    world.ok("remove_node", &admin, &[], &[ix::remove_node(&admin.pubkey(), &world.cluster, 5)]);
    assert_eq!((world.add_member(), world.add_member()), (6, 7), "slot 5 still holds a share: not reused yet");
    let members = mask_of([1, 2, 3, 4, 6, 7]);
    world.start_for(Kind::Resharing, 4, WINDOW_SLOTS, members).unwrap();
    assert_eq!(world.ceremony().dealers, mask_of([1, 2, 3, 4]), "the removed member deals nothing");
    assert_eq!(world.cluster_account().status, 2, "the old holders keep serving during the resharing");
    world.run_ceremony();
    let cluster = world.cluster_account();
    assert_eq!(cluster.public_key, pk, "PK unchanged");
    assert_eq!((cluster.threshold, cluster.size, cluster.key_epoch), (4, 6, first_epoch));
    assert_eq!(indices(cluster.serving_holders()), vec![1, 2, 3, 4, 6, 7]);
    for i in [1, 2, 3, 4] {
        assert_ne!(cluster.member_at(i).unwrap().verification_share, old[usize::from(i) - 1].verification_share().to_bytes(), "S_{i} changed");
    }
    assert!(!cluster.member_at(5).unwrap().holds_share() && cluster.member_at(5).unwrap().status == MemberStatus::Removed);

    // the pending request moves to the new epoch and completes with new shares
    let from = world.events.len();
    for i in [6, 1, 7, 2] {
        world.answer(i, &pending).expect("answer");
    }
    assert!(since(&world, from).iter().any(|e| matches!(e, Event::ShareRequestMoved(m) if m.from_epoch == first_epoch && m.threshold == 4)));
    assert_eq!(world.request(&pending).accepted_count, 4);
    assert_eq!(world.open_as_recipient(&doctor, &pending, &patient, 1).unwrap(), FHIR, "no share lost across the resharing");

    // the record stored under the first epoch is shared again without re-keying
    share_and_open(&mut world, &patient, 1, &[2, 4, 6, 7]);

    // old shares are useless: an old partial fails its proof, one that names its old epoch is
    // refused, and old shares mixed with new ones interpolate to garbage
    let doctor2 = world.user();
    let request = world.share(&patient, &record, &doctor2.wallet.pubkey(), 0).unwrap();
    let serving = world.epoch();
    let new_share_1 = world.key_share(1).clone();
    world.nodes[0].shares.insert(serving, old[0].clone());
    let from = world.events.len();
    world.answer(1, &request).expect("a bad partial is recorded");
    assert!(since(&world, from).iter().any(|e| matches!(e, Event::PartialRejected(r) if r.index == 1)), "an old share's partial is rejected");
    let old_partial = {
        let request_account = world.request(&request);
        let context = medshare_client::context::request_context(&world.cluster, &request, first_epoch);
        let capsule = encrypted_circuits::record::Capsule::from_bytes(&request_account.capsule).unwrap();
        let recipient = encrypted_circuits::keys::PublicKey::from_bytes(&request_account.recipient_key, "P_R").unwrap();
        old[1].reencrypt(&mut rand::thread_rng(), &context, &capsule, &recipient).unwrap()
    };
    let node2 = world.nodes[1].authority.insecure_clone();
    let stale =
        ix::share_patient_data_callback(&node2.pubkey(), &world.cluster, &request, old_partial.a, old_partial.e, old_partial.proof.to_bytes(), first_epoch);
    expect_error(world.send("x", &node2, &[], &[stale]), "WrongEpoch");
    world.nodes[0].shares.insert(serving, new_share_1);
    let mixed = interpolate_public(&[&old[4], world.key_share(1), world.key_share(2), world.key_share(3)]);
    assert_ne!(mixed, pk, "the removed member's share does not combine with new ones");
    assert_eq!(interpolate_public(&[world.key_share(1), world.key_share(2), world.key_share(3), world.key_share(6)]), pk);
    world.nodes[4].shares.insert(serving, old[4].clone());
    expect_error(world.answer(5, &request), "NodeSuspended");

    // back to 2-of-3: members 4, 6 and 7 are left out (they still deal their shares away), then removed
    world.start_for(Kind::Resharing, 2, WINDOW_SLOTS, mask_of([1, 2, 3])).unwrap();
    assert_eq!(world.ceremony().dealers, mask_of([1, 2, 3, 4, 6, 7]));
    world.run_ceremony();
    for i in [4, 6, 7] {
        world.ok("remove_node", &admin, &[], &[ix::remove_node(&admin.pubkey(), &world.cluster, i)]);
    }
    let cluster = world.cluster_account();
    assert_eq!((cluster.public_key, cluster.threshold, cluster.size), (pk, 2, 3));
    assert_eq!(indices(cluster.serving_holders()), vec![1, 2, 3]);
    share_and_open(&mut world, &patient, 1, &[3, 1]);
    assert_eq!(world.add_member(), 4, "a removed slot without a share is reused");
}

#[test]
fn a_resharing_that_fails_leaves_the_serving_holders_alone() {
    let mut world = World::new(3, 5);
    let before = world.cluster_account();
    world.start(Kind::Resharing, 3, WINDOW_SLOTS).unwrap();
    world.deal(1).unwrap();
    world.deal(2).unwrap();
    world.pass_slots(u64::from(WINDOW_SLOTS) + 1);
    let from = world.events.len();
    world.advance().unwrap();
    assert!(since(&world, from).iter().any(|e| matches!(e, Event::CeremonyFailed(_))), "two qualified dealers cannot reshare a 3-of-5 key");
    let after = world.cluster_account();
    assert_eq!((after.epoch, after.public_key, after.threshold, after.status), (before.epoch, before.public_key, before.threshold, 2));
    let patient = world.user();
    world.store(&patient, 1, 1, FHIR);
    share_and_open(&mut world, &patient, 1, &[3, 4, 5]);
}

#[test]
fn a_complaint_sent_just_before_the_deadline_cannot_fail_the_ceremony() {
    // node 2 deals garbage to itself, lets everyone confirm, and complains about its own
    // dealing at the last slot: the confirmations are void, but the deadline moves a window on
    let mut world = ceremony_of_five();
    let t = world.ceremony().threshold;
    let mut bad = world.dealing_bytes(2);
    bad[ceremony::encrypted_share_offset(t, 2)] ^= 1;
    world.post_dealing(2, &bad).expect("the dealing passes the public checks");
    for i in [1, 3, 4, 5] {
        world.deal(i).expect("deal");
    }
    for j in [1, 3, 4, 5] {
        world.confirm(j).expect("confirm");
    }
    let deadline = world.ceremony().confirm_deadline;
    let slot = world.chain.0.get_sysvar::<solana_clock::Clock>().slot;
    world.pass_slots(deadline - slot);
    let complaint = world.complaint(2, 2);
    world.complain(2, 2, complaint).expect("upheld at the deadline");
    let ceremony = world.ceremony();
    assert_eq!((ceremony.qualified, ceremony.confirmed), (0b11101, 0));
    assert!(ceremony.confirm_deadline >= deadline + u64::from(WINDOW_SLOTS), "a full window to confirm again");
    world.pass_slots(1);
    expect_error(world.advance(), "NothingToAdvance");
    for j in [1, 3, 4, 5] {
        world.confirm(j).expect("confirm against the new Q");
    }
    assert_eq!(world.cluster_account().status, 2, "activated without node 2");

    // and once a deadline has passed, nobody complains any more
    let mut world = ceremony_of_five();
    for i in 1..=5 {
        world.deal(i).expect("deal");
    }
    world.pass_slots(3 * u64::from(WINDOW_SLOTS));
    let complaint = world.complaint(4, 1);
    expect_error(world.complain(4, 1, complaint), "DeadlinePassed");
}

/// The events of kind `CeremonyFailed` and `ClusterActivated` since `from`: how a ceremony ended.
fn endings(world: &World, from: usize) -> (Vec<medshare_client::events::CeremonyFailed>, usize) {
    let events = since(world, from);
    let failed = events.iter().filter_map(|e| if let Event::CeremonyFailed(f) = e { Some(f.clone()) } else { None }).collect();
    let activated = events.iter().filter(|e| matches!(e, Event::ClusterActivated(_))).count();
    (failed, activated)
}

/// Passes the latest ceremony's confirm deadline by one slot.
fn pass_confirm_deadline(world: &mut World) {
    let deadline = world.ceremony().confirm_deadline;
    let slot = world.chain.0.get_sysvar::<solana_clock::Clock>().slot;
    world.pass_slots(deadline.saturating_sub(slot) + 1);
}

#[test]
fn a_resharing_dealing_whose_constant_term_is_not_the_dealers_share_is_rejected() {
    use curve25519_dalek::Scalar;
    let mut world = World::new(3, 5);
    let before = world.cluster_account();
    let epoch = world.start(Kind::Resharing, 3, WINDOW_SLOTS).unwrap();

    // node 2 reshares a scalar of its own choosing instead of its s_2: a well-formed dealing
    // with a valid proof of knowledge of its C_0, so only the check C_0 = S_2 can catch it
    let ceremony = world.ceremony();
    let context = world.ceremony_context(epoch);
    let impostor = KeyShare::from_parts(2, &Scalar::from_bytes_mod_order(rand::random()).to_bytes()).unwrap();
    let forged = ceremony::deal(&mut rand::thread_rng(), &context, 2, ceremony.threshold, &ceremony.receiver_keys(), Some(&impostor)).unwrap();
    let view = DealingView::parse(&forged, ceremony.threshold).unwrap();
    let s_2 = before.member_at(2).unwrap().verification_share;
    assert!(ceremony::verify_dealing(&context, 2, &view, ceremony.receivers, None).is_ok(), "every check but C_0 = S_2 passes");
    assert!(ceremony::verify_dealing(&context, 2, &view, ceremony.receivers, Some(&s_2)).is_err());

    let from = world.events.len();
    world.post_dealing(2, &forged).expect("a rejected dealing is recorded, not refused");
    let events = since(&world, from);
    assert!(events.iter().any(|e| matches!(e, Event::DealingRejected(r) if r.dealer == 2 && r.epoch == epoch && r.faults == 1)), "{events:?}");
    assert!(!events.iter().any(|e| matches!(e, Event::DealingPosted(p) if p.dealer == 2)), "{events:?}");
    assert_eq!(faults(&world, 2), 1);
    assert_eq!((world.ceremony().dealt, world.ceremony().disqualified), (0, 0b00010));
    expect_error(world.deal(2), "ChunkOutOfOrder");

    // the other four holders are more than the t = 3 a resharing needs
    for i in [1, 3, 4, 5] {
        world.deal(i).expect("deal");
    }
    let ceremony = world.ceremony();
    assert!(ceremony.phase == CeremonyPhase::Confirming && ceremony.qualified == 0b11101, "dealing closed without node 2");
    for j in 1..=5 {
        world.confirm(j).expect("confirm");
    }
    let after = world.cluster_account();
    assert_eq!((after.epoch, after.key_epoch, after.public_key, after.threshold, after.size), (epoch, before.key_epoch, before.public_key, 3, 5));
    for i in 1..=5 {
        assert_ne!(after.member_at(i).unwrap().verification_share, before.member_at(i).unwrap().verification_share, "S_{i} is new");
    }
    // the new shares are of the same secret: node 2's forged constant term did not get in
    assert_eq!(interpolate_public(&[world.key_share(2), world.key_share(4), world.key_share(5)]), before.public_key);
    let patient = world.user();
    world.store(&patient, 1, 1, FHIR);
    share_and_open(&mut world, &patient, 1, &[2, 4, 5]);
}

#[test]
fn with_every_member_needed_one_that_never_deals_fails_the_key_generation() {
    let mut world = World::registered(5, 5);
    let epoch = world.start(Kind::KeyGeneration, 5, WINDOW_SLOTS).expect("t' = |R| is allowed");
    for i in 1..=4 {
        world.deal(i).expect("deal");
    }
    expect_error(world.advance(), "NothingToAdvance");
    world.pass_slots(u64::from(WINDOW_SLOTS) + 1);
    let from = world.events.len();
    world.advance().expect("advance past the deal deadline");
    assert!(since(&world, from).iter().any(|e| matches!(e, Event::DealingClosed(c) if (c.qualified, c.absent) == (0b01111, 0b10000))), "node 5 named absent");
    let (failed, activated) = endings(&world, from);
    assert_eq!((failed.len(), activated), (1, 0), "four dealers cannot make a 5-of-5 key");
    assert_eq!((failed[0].epoch, failed[0].qualified, failed[0].confirmed), (epoch, 0b01111, 0));
    assert!(world.ceremony().phase == CeremonyPhase::Failed);
    let cluster = world.cluster_account();
    assert_eq!((cluster.epoch, cluster.status, cluster.public_key, cluster.size), (0, 1, [0; 32], 0), "no key serves");
    assert!((1..=5).all(|i| !cluster.member_at(i).unwrap().holds_share()));
    // nobody revives it: the four cannot confirm a key among themselves, the fifth cannot deal late
    expect_error(world.confirm(1), "WrongCeremonyPhase");
    expect_error(world.deal(5), "WrongCeremonyPhase");
    expect_error(world.advance(), "NothingToAdvance");
}

#[test]
fn with_every_member_needed_one_that_never_confirms_fails_the_key_generation() {
    let mut world = World::registered(5, 5);
    let epoch = world.start(Kind::KeyGeneration, 5, WINDOW_SLOTS).expect("start_epoch");
    for i in 1..=5 {
        world.deal(i).expect("deal");
    }
    for j in 1..=4 {
        world.confirm(j).expect("confirm");
    }
    assert_eq!(world.cluster_account().status, 1, "four confirmations do not activate a 5-of-5 key");
    expect_error(world.advance(), "NothingToAdvance");
    pass_confirm_deadline(&mut world);
    let from = world.events.len();
    world.advance().expect("advance past the confirm deadline");
    let (failed, activated) = endings(&world, from);
    assert_eq!((failed.len(), activated), (1, 0), "not activated with four holders of a 5-of-5 key");
    assert_eq!((failed[0].epoch, failed[0].qualified, failed[0].confirmed), (epoch, 0b11111, 0b01111));
    let cluster = world.cluster_account();
    assert_eq!((cluster.epoch, cluster.status, cluster.public_key, cluster.size), (0, 1, [0; 32], 0), "no key serves");
    assert!((1..=5).all(|i| !cluster.member_at(i).unwrap().holds_share()), "the four confirmations left no share on chain");
    expect_error(world.confirm(5), "WrongCeremonyPhase");
}

#[test]
fn with_every_receiver_needed_an_absent_member_fails_the_resharing_and_the_old_key_serves() {
    let mut world = World::new(3, 5);
    let before = world.cluster_account();
    let epoch = world.start(Kind::Resharing, 5, WINDOW_SLOTS).expect("t' = |R| = 5");
    assert_eq!((world.ceremony().dealers, world.ceremony().receivers), (0b11111, 0b11111));
    // node 5 is absent: it neither deals nor confirms
    for i in 1..=4 {
        world.deal(i).expect("deal");
    }
    world.pass_slots(u64::from(WINDOW_SLOTS) + 1);
    let from = world.events.len();
    world.advance().expect("advance past the deal deadline");
    assert!(since(&world, from).iter().any(|e| matches!(e, Event::DealingClosed(c) if (c.qualified, c.absent) == (0b01111, 0b10000))));
    assert!(world.ceremony().phase == CeremonyPhase::Confirming, "four qualified holders are enough to re-deal a 3-of-5 key");
    for j in 1..=4 {
        world.confirm(j).expect("confirm");
    }
    assert_eq!(world.epoch(), before.epoch, "four of five receivers do not activate a 5-of-5 resharing");
    expect_error(world.advance(), "NothingToAdvance");
    pass_confirm_deadline(&mut world);
    let from = world.events.len();
    world.advance().expect("advance past the confirm deadline");
    let (failed, activated) = endings(&world, from);
    assert_eq!((failed.len(), activated), (1, 0), "not activated with four holders of a 5-of-5 sharing");
    assert_eq!((failed[0].epoch, failed[0].qualified, failed[0].confirmed), (epoch, 0b01111, 0b01111));
    expect_error(world.confirm(5), "WrongCeremonyPhase");

    // the serving epoch is untouched: same key, threshold, holders and verification shares
    let after = world.cluster_account();
    assert_eq!(
        (after.epoch, after.key_epoch, after.public_key, after.threshold, after.size, after.status),
        (before.epoch, before.key_epoch, before.public_key, before.threshold, before.size, 2)
    );
    for i in 1..=5 {
        assert_eq!(after.member_at(i).unwrap().verification_share, before.member_at(i).unwrap().verification_share, "S_{i} unchanged");
    }
    let patient = world.user();
    world.store(&patient, 1, 1, FHIR);
    share_and_open(&mut world, &patient, 1, &[5, 1, 3]);
}
