//! The whole protocol on the real `.so` in LiteSVM: the key ceremony through the program's
//! own instructions, records, shares, partials verified on chain, revocation, expiry,
//! re-keying, a cheating node, and every error code of the program.

use encrypted_circuits::Error as CryptoError;
use medshare_client::{accounts::ShareRequest, events::Event, instructions as ix};
use medshare_tests::world::{World, binding, expect_error};
use solana_signer::Signer;

/// A FHIR R4 bundle a little over 1 KiB, so the inline ciphertext spans chunks.
fn fhir_bundle(tag: &str) -> Vec<u8> {
    let observation = r#"{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c"}]},"valueQuantity":{"value":6.1,"unit":"%"}}}"#;
    let entries = [observation; 6].join(",");
    format!(r#"{{"resourceType":"Bundle","id":"{tag}","type":"collection","entry":[{entries}]}}"#).into_bytes()
}

#[test]
fn store_share_and_open_three_of_five() {
    let mut world = World::new(3, 5);
    let cluster = world.cluster_account();
    assert_eq!(cluster.status, 2, "active after all five confirmed");
    assert!(cluster.members.iter().all(|m| m.verification_share != [0; 32]));

    let patient = world.user();
    let doctor = world.user();
    let plaintext = fhir_bundle("a1c");
    assert!(plaintext.len() > 1024);
    let record = world.store(&patient, 7, 1, &plaintext);
    let stored = world.record(&record);
    assert_eq!(
        (stored.version, stored.written, stored.ciphertext_len as usize),
        (1, stored.ciphertext_len, encrypted_circuits::stream::ciphertext_len(plaintext.len() as u64).expect("length") as usize)
    );

    // the owner opens their own record without the cluster
    let own = encrypted_circuits::record::Capsule::from_bytes(&stored.owner_capsule).unwrap().open(&patient.key).unwrap();
    assert_eq!(encrypted_circuits::record::open(&binding(&patient, 7, 1), &own, &stored.inline).unwrap(), plaintext);

    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).expect("share");
    assert_eq!(world.open_as_recipient(&doctor, &request, &patient, 7).unwrap_err(), CryptoError::NotEnoughPartials { needed: 3, got: 0 });
    for i in [5, 2, 4] {
        world.answer(i, &request).expect("an honest partial is accepted");
    }
    let on_chain = world.request(&request);
    assert_eq!((on_chain.status, on_chain.accepted_count, on_chain.accepted), (1, 3, 0b11010));
    assert_eq!(world.open_as_recipient(&doctor, &request, &patient, 7).unwrap(), plaintext);
    // a fourth partial is refused: the share is complete
    expect_error(world.answer(1, &request), "ShareAlreadyCompleted");
}

#[test]
fn dishonest_majority_setting_t_equals_n() {
    let mut world = World::new(3, 3);
    let patient = world.user();
    let insurer = world.user();
    let record = world.store(&patient, 1, 1, b"{\"resourceType\":\"Claim\"}");
    let request = world.share(&patient, &record, &insurer.wallet.pubkey(), 0).unwrap();
    world.answer(1, &request).unwrap();
    world.answer(3, &request).unwrap();
    assert_eq!(world.request(&request).status, 0, "two of three is not enough when t = n");
    assert!(world.open_as_recipient(&insurer, &request, &patient, 1).is_err());
    world.answer(2, &request).unwrap();
    assert_eq!(world.open_as_recipient(&insurer, &request, &patient, 1).unwrap(), b"{\"resourceType\":\"Claim\"}");
}

#[test]
fn revoke_before_completion_leaves_the_recipient_unable_to_open() {
    let mut world = World::new(2, 3);
    let patient = world.user();
    let researcher = world.user();
    let record = world.store(&patient, 3, 1, &fhir_bundle("study"));
    let request = world.share(&patient, &record, &researcher.wallet.pubkey(), 0).unwrap();
    world.answer(1, &request).unwrap();
    let wallet = patient.wallet.insecure_clone();
    world.ok("revoke_share", &wallet, &[], &[ix::revoke_share(&wallet.pubkey(), &request)]);
    expect_error(world.answer(2, &request), "ShareRevoked");
    assert_eq!(world.request(&request).status, 2);
    assert_eq!(world.open_as_recipient(&researcher, &request, &patient, 3).unwrap_err(), CryptoError::NotEnoughPartials { needed: 2, got: 1 });
    // one partial combined as if it were enough opens nothing
    let on_chain = world.request(&request);
    let (index, a, e) = on_chain.partials[0];
    let lone =
        encrypted_circuits::reencrypt::Partial { index: u16::from(index), a, e, proof: encrypted_circuits::reencrypt::ReencryptionProof::from_array(&[0; 96]) };
    let capsule = encrypted_circuits::record::Capsule::from_bytes(&on_chain.capsule).unwrap();
    let wrong = encrypted_circuits::threshold::combine(&capsule, &[lone], 1).unwrap().open(&researcher.key).unwrap();
    let ciphertext = world.record(&record).inline;
    assert_eq!(encrypted_circuits::record::open(&binding(&patient, 3, 1), &wrong, &ciphertext).unwrap_err(), CryptoError::DecryptionFailed);
    // revoked requests can be closed for their rent
    world.ok("close_share_request", &wallet, &[], &[ix::close_share_request(&wallet.pubkey(), &request)]);
    assert!(world.account(&request).is_none());
}

#[test]
fn expiry_stops_partials_and_frees_the_request() {
    let mut world = World::new(2, 3);
    let patient = world.user();
    let doctor = world.user();
    let record = world.store(&patient, 4, 1, b"{\"resourceType\":\"Immunization\"}");
    let now = world.now();
    expect_error(world.share(&patient, &record, &doctor.wallet.pubkey(), now - 1).map(|_| unreachable!()), "InvalidExpiry");
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), now + 3600).unwrap();
    world.answer(1, &request).unwrap();
    let wallet = patient.wallet.insecure_clone();
    expect_error(world.send("close_share_request", &wallet, &[], &[ix::close_share_request(&wallet.pubkey(), &request)]), "NotClosable");
    // anyone may mark it expired, but only once it is past its expiry
    let stranger = world.user().wallet;
    expect_error(world.send("expire_share_request", &stranger, &[], &[ix::expire_share_request(&request)]), "NotExpired");
    world.set_time(now + 3601);
    expect_error(world.answer(2, &request), "ShareExpired");
    let before = ShareRequest::decode(&world.account(&request).unwrap()).unwrap();
    assert_eq!(before.status, ShareRequest::PENDING, "an expiry alone does not change the stored status");
    world.ok("expire_share_request", &stranger, &[], &[ix::expire_share_request(&request)]);
    let marked = ShareRequest::decode(&world.account(&request).unwrap()).unwrap();
    assert_eq!(marked.status, ShareRequest::EXPIRED);
    assert_eq!((marked.accepted, marked.partials.clone()), (before.accepted, before.partials.clone()), "the partials already in stay for the audit");
    // leaves the pending scan every node runs (the memcmp on the status byte)
    assert_eq!(&world.account(&request).unwrap()[ShareRequest::STATUS_OFFSET..ShareRequest::STATUS_OFFSET + 1], &[ShareRequest::EXPIRED]);
    expect_error(world.send("expire_share_request", &stranger, &[], &[ix::expire_share_request(&request)]), "NotExpired");
    expect_error(world.answer(2, &request), "ShareExpired");
    // a stranger's marking does not take the owner's revocation away (partials were posted)
    world.ok("revoke_share", &wallet, &[], &[ix::revoke_share(&wallet.pubkey(), &request)]);
    let revoked = ShareRequest::decode(&world.account(&request).unwrap()).unwrap();
    assert_eq!((revoked.status, revoked.accepted), (ShareRequest::REVOKED, marked.accepted));
    world.ok("close_share_request", &wallet, &[], &[ix::close_share_request(&wallet.pubkey(), &request)]);
}

#[test]
fn rekey_makes_a_new_version_that_old_keys_cannot_open() {
    let mut world = World::new(2, 3);
    let patient = world.user();
    let doctor = world.user();
    let record = world.store(&patient, 9, 1, b"{\"resourceType\":\"Patient\",\"v\":1}");
    let first = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    world.answer(1, &first).unwrap();
    world.answer(2, &first).unwrap();
    assert_eq!(world.open_as_recipient(&doctor, &first, &patient, 9).unwrap(), b"{\"resourceType\":\"Patient\",\"v\":1}");

    // the patient revokes and re-keys: version 2 under a fresh record key
    let wallet = patient.wallet.insecure_clone();
    world.ok("revoke_share", &wallet, &[], &[ix::revoke_share(&wallet.pubkey(), &first)]);
    world.store(&patient, 9, 2, b"{\"resourceType\":\"Patient\",\"v\":2}");
    let stored = world.record(&record);
    assert_eq!(stored.version, 2);
    // what the doctor was given opens version 1 only: the stored version 2 fails
    assert_eq!(world.open_as_recipient(&doctor, &first, &patient, 9).unwrap_err(), CryptoError::DecryptionFailed);
    // and version 2 shared anew opens
    let second = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    assert_eq!(world.request(&second).record_version, 2);
    world.answer(3, &second).unwrap();
    world.answer(2, &second).unwrap();
    assert_eq!(world.open_as_recipient(&doctor, &second, &patient, 9).unwrap(), b"{\"resourceType\":\"Patient\",\"v\":2}");
}

#[test]
fn a_cheating_node_is_counted_and_named_and_the_share_completes() {
    let mut world = World::new(3, 5);
    let patient = world.user();
    let doctor = world.user();
    let record = world.store(&patient, 2, 1, &fhir_bundle("cheat"));
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();

    // node 4 posts E_i computed with a wrong share: its proof cannot verify
    let mut bad = world.partial(4, &request);
    bad.e = world.partial(1, &request).e;
    let meta = world.post_partial(4, &request, &bad).expect("the transaction succeeds so that the fault is recorded");
    let rejected = &meta.events;
    let Some(Event::PartialRejected(event)) = rejected.first() else { panic!("expected PartialRejected, got {rejected:?}") };
    assert_eq!((event.index, event.authority, event.faults, event.request), (4, world.nodes[3].authority.pubkey(), 1, request));
    assert_eq!(world.cluster_account().members[3].faults, 1);
    assert_eq!(world.request(&request).accepted_count, 0, "nothing is stored");

    // a tampered proof scalar from node 2 is rejected the same way
    let mut tampered = world.partial(2, &request);
    tampered.proof.z_s[0] ^= 1;
    world.post_partial(2, &request, &tampered).unwrap();
    assert_eq!(world.cluster_account().members[1].faults, 1);

    for i in [1, 3, 5] {
        world.answer(i, &request).unwrap();
    }
    assert_eq!(world.request(&request).status, 1);
    assert_eq!(world.open_as_recipient(&doctor, &request, &patient, 2).unwrap(), fhir_bundle("cheat"));
}

#[test]
fn blob_records_store_digest_and_uri() {
    let mut world = World::new(2, 3);
    let patient = world.user();
    let doctor = world.user();
    let mut args = world.sealed_args(&patient, 11, 1, &vec![0x42; 50_000]);
    let digest: [u8; 32] = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&args.chunk).into()
    };
    args = ix::StoreArgs { storage: 1, digest, uri: b"file:///var/lib/medshare/blobs/sha256-abc".to_vec(), chunk: Vec::new(), ..args };
    let wallet = patient.wallet.insecure_clone();
    let (store, record) = ix::store_patient_data(&wallet.pubkey(), &world.cluster, 11, &args);
    world.ok("store_patient_data (blob)", &wallet, &[], &[store]);
    let stored = world.record(&record);
    assert_eq!((stored.storage, stored.digest, stored.uri.as_slice()), (1, digest, &b"file:///var/lib/medshare/blobs/sha256-abc"[..]));
    world.share(&patient, &record, &doctor.wallet.pubkey(), 0).expect("a blob record is complete at once");
    world.ok("close_record", &wallet, &[], &[ix::close_record(&wallet.pubkey(), &record)]);
    assert!(world.account(&record).is_none());
}
