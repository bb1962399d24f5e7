//! Consent bound by cryptography, on the real `.so` in LiteSVM: the attack of the review —
//! a victim's cluster capsule copied, or re-randomised, into an attacker's record and shared
//! with an accomplice — is refused by name, and so is sharing a record sealed to a key the
//! cluster no longer has; the honest path still completes.

use curve25519_dalek::{Scalar, constants::RISTRETTO_BASEPOINT_POINT as G, ristretto::CompressedRistretto};
use medshare_client::{context, instructions as ix};
use medshare_tests::world::{Kind, WINDOW_SLOTS, World, expect_error};
use solana_signer::Signer;

const DIAGNOSIS: &[u8] = br#"{"resourceType":"Condition","code":{"text":"confidential"}}"#;

/// The attacker stores a record whose cluster capsule is `capsule` (with `proof`), as
/// version 1 of its record 1, and returns what the program said.
fn store_as_attacker(world: &mut World, attacker: &medshare_tests::world::User, capsule: [u8; 64], proof: [u8; 64]) -> medshare_tests::world::Sent {
    let mut args = world.sealed_args(attacker, 1, 1, b"{\"resourceType\":\"Basic\"}");
    args.cluster_capsule = capsule;
    args.capsule_proof = proof;
    let wallet = attacker.wallet.insecure_clone();
    let (store, _) = ix::store_patient_data(&wallet.pubkey(), &world.cluster, 1, &ix::StoreArgs { chunk: Vec::new(), ..args });
    world.send("store_patient_data", &wallet, &[], &[store])
}

#[test]
fn a_copied_capsule_is_refused() {
    let mut world = World::new(2, 3);
    let victim = world.user();
    let attacker = world.user();
    let record = world.store(&victim, 1, 1, DIAGNOSIS);
    let stolen = world.record(&record);
    // the capsule with the victim's own (valid) proof: the proof names the victim's record
    expect_error(store_as_attacker(&mut world, &attacker, stolen.cluster_capsule, stolen.capsule_proof), "InvalidCapsuleProof");
    // or with a proof the attacker made for its own label over some other capsule
    let own = world.sealed_args(&attacker, 1, 1, b"{}");
    expect_error(store_as_attacker(&mut world, &attacker, stolen.cluster_capsule, own.capsule_proof), "InvalidCapsuleProof");
}

#[test]
fn a_re_randomised_capsule_is_refused() {
    let mut world = World::new(2, 3);
    let victim = world.user();
    let attacker = world.user();
    let record = world.store(&victim, 1, 1, DIAGNOSIS);
    let stolen = world.record(&record);
    let pk = CompressedRistretto(world.cluster_account().public_key).decompress().unwrap();
    let a = Scalar::from(0xdead_beefu64);
    let c1 = CompressedRistretto(stolen.cluster_capsule[..32].try_into().unwrap()).decompress().unwrap() + G * a;
    let c2 = CompressedRistretto(stolen.cluster_capsule[32..].try_into().unwrap()).decompress().unwrap() + pk * a;
    let mut rerandomised = [0u8; 64];
    rerandomised[..32].copy_from_slice(&c1.compress().to_bytes());
    rerandomised[32..].copy_from_slice(&c2.compress().to_bytes());
    expect_error(store_as_attacker(&mut world, &attacker, rerandomised, stolen.capsule_proof), "InvalidCapsuleProof");
    // no record of the attacker exists, so nothing can be shared with an accomplice
    assert!(world.account(&medshare_client::pda::record(&attacker.wallet.pubkey(), 1)).is_none());
}

#[test]
fn an_honest_record_shares_and_every_party_checks_the_label() {
    let mut world = World::new(2, 3);
    let patient = world.user();
    let doctor = world.user();
    let record = world.store(&patient, 4, 1, DIAGNOSIS);
    let stored = world.record(&record);
    assert_eq!(stored.cluster_key, world.cluster_account().public_key, "the record knows the key it is sealed to");
    assert_eq!(stored.sealed_epoch, 1, "sealed under the key of the first ceremony");
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    let on_chain = world.request(&request);
    assert_eq!(on_chain.capsule_proof, stored.capsule_proof, "the request snapshots the proof");
    // what a node checks with the key from its vault, and a recipient with the record's key
    context::verify_request_capsule(&on_chain, &stored.cluster_key).unwrap();
    let mut forged = on_chain.clone();
    forged.owner = doctor.wallet.pubkey();
    assert_eq!(context::verify_request_capsule(&forged, &stored.cluster_key), Err(encrypted_circuits::Error::InvalidCapsuleProof));
    world.answer(1, &request).unwrap();
    world.answer(3, &request).unwrap();
    assert_eq!(world.open_as_recipient(&doctor, &request, &patient, 4).unwrap(), DIAGNOSIS);
}

#[test]
fn a_record_sealed_before_a_key_change_is_shared_only_after_rekeying() {
    let mut world = World::new(2, 3);
    let patient = world.user();
    let doctor = world.user();
    let record = world.store(&patient, 1, 1, DIAGNOSIS);
    world.start(Kind::KeyGeneration, 2, WINDOW_SLOTS).expect("start_epoch");
    world.run_ceremony();
    assert_eq!(world.epoch(), 2);
    assert_ne!(world.cluster_account().public_key, world.record(&record).cluster_key);
    expect_error(world.share(&patient, &record, &doctor.wallet.pubkey(), 0).map(|_| unreachable!()), "RecordSealedToOldKey");
    // re-key: the same bytes as version 2, sealed to the epoch-2 key
    world.store(&patient, 1, 2, DIAGNOSIS);
    let rekeyed = world.record(&record);
    assert_eq!((rekeyed.version, rekeyed.sealed_epoch, rekeyed.cluster_key), (2, 2, world.cluster_account().public_key));
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    world.answer(2, &request).unwrap();
    world.answer(3, &request).unwrap();
    assert_eq!(world.open_as_recipient(&doctor, &request, &patient, 1).unwrap(), DIAGNOSIS);
}

#[test]
fn a_resharing_keeps_the_key_so_records_share_without_rekeying() {
    let mut world = World::new(2, 3);
    let patient = world.user();
    let doctor = world.user();
    let record = world.store(&patient, 1, 1, DIAGNOSIS);
    let key = world.cluster_account().public_key;
    world.start(Kind::Resharing, 3, WINDOW_SLOTS).expect("reshare");
    world.run_ceremony();
    let cluster = world.cluster_account();
    assert_eq!((cluster.epoch, cluster.key_epoch, cluster.threshold, cluster.public_key), (2, 1, 3, key), "new shares of the same key");
    assert_eq!(world.record(&record).sealed_epoch, 1);
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).expect("the record is sealed to the serving key");
    for i in [1, 2, 3] {
        world.answer(i, &request).unwrap();
    }
    assert_eq!(world.open_as_recipient(&doctor, &request, &patient, 1).unwrap(), DIAGNOSIS);
}

#[test]
fn identity_points_in_a_partial_are_counted_as_a_fault() {
    let mut world = World::new(2, 3);
    let patient = world.user();
    let doctor = world.user();
    let record = world.store(&patient, 1, 1, DIAGNOSIS);
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    let mut partial = world.partial(2, &request);
    partial.a = [0; 32];
    world.post_partial(2, &request, &partial).expect("a member's bad partial is recorded, not refused");
    assert_eq!(world.request(&request).accepted, 0);
    assert_eq!(world.cluster_account().members[1].faults, 1);
}
