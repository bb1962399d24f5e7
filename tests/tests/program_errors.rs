//! Every error code of the program, hit on the real `.so`, in one walk so that the test
//! can check at the end that none is missing.
//!
//! | code | error | how it is hit here |
//! |---|---|---|
//! | 6000 | InvalidThreshold | create_cluster with t = 1 |
//! | 6001 | InvalidClusterSize | create_cluster with n = 17 |
//! | 6002 | NotClusterAdmin | register_node signed by a stranger as admin |
//! | 6003 | ClusterFull | a fourth node in a 3-node cluster |
//! | 6004 | AlreadyMember | the same authority registered twice |
//! | 6005 | InvalidTransportKey | an all-zero X25519 key |
//! | 6006 | WrongClusterStatus | store_patient_data under a cluster still in its ceremony |
//! | 6007 | WrongEpoch | post_round1 for epoch 5 |
//! | 6008 | NotAMember | post_round1 by a stranger |
//! | 6009 | NodeSuspended | a suspended node's partial |
//! | 6010 | InvalidRound1Length | a round-1 total length not 71 + 32t |
//! | 6011 | ChunkOutOfOrder | a round-1 chunk that skips bytes |
//! | 6012 | Round1Incomplete | post_round2 before every node finished round 1 |
//! | 6013 | InvalidReceiver | a round-2 package to the dealer itself |
//! | 6014 | CeremonyMismatch | a confirmation with another PK |
//! | 6015 | AlreadyConfirmed | a node confirming twice |
//! | 6016 | InvalidPublicKey | register_user_key with the identity |
//! | 6017 | InvalidKeyProof | a proof of possession for another wallet |
//! | 6018 | InvalidVersion | store_patient_data skipping a version |
//! | 6019 | InvalidStorage | inline storage with a URI |
//! | 6020 | InvalidCiphertextLength | an inline ciphertext over 2,048 bytes |
//! | 6021 | InvalidUri | a blob URI of 129 bytes |
//! | 6022 | InvalidCapsule | a capsule point that is not on the curve |
//! | 6023 | RecordIncomplete | a share before the last chunk |
//! | 6024 | RecipientNotRegistered | a share to a wallet with no key |
//! | 6025 | InvalidExpiry | an expiry in the past |
//! | 6026 | AccountMismatch | a share naming another cluster than the record's |
//! | 6027 | ShareExpired | a partial after the expiry |
//! | 6028 | ShareRevoked | a partial after revocation |
//! | 6029 | ShareAlreadyCompleted | a partial after the t-th |
//! | 6030 | DuplicatePartial | the same node answering twice |
//! | 6031 | NotRecordOwner | a stranger revoking |
//! | 6032 | NotClosable | closing a pending request |
//! | 6033 | InvalidCapsuleProof | a cluster capsule whose label proof was changed |
//! | 6034 | RecordSealedToOldKey | sharing a record sealed before the cluster's new key |

use medshare_client::{errors::PROGRAM_ERRORS, instructions as ix};
use medshare_tests::world::{World, expect_error};
use solana_signer::Signer;
use std::collections::BTreeSet;

#[test]
fn every_error_code_is_hit() {
    let mut hit = BTreeSet::new();
    // `expect_error` has already asserted the name; this collects it
    let mut check = |_code: u32, name: &'static str| {
        hit.insert(name);
    };

    // --- cluster set-up
    let mut world = World::registered(2, 3);
    let admin = world.admin.insecure_clone();
    let cluster = world.cluster;
    let (bad_t, _) = ix::create_cluster(&admin.pubkey(), ix::CreateClusterArgs { cluster_id: 8, threshold: 1, size: 3 });
    check(expect_error(world.send("x", &admin, &[], &[bad_t]), "InvalidThreshold"), "InvalidThreshold");
    let (bad_n, _) = ix::create_cluster(&admin.pubkey(), ix::CreateClusterArgs { cluster_id: 9, threshold: 2, size: 17 });
    check(expect_error(world.send("x", &admin, &[], &[bad_n]), "InvalidClusterSize"), "InvalidClusterSize");

    // a second, still-registering cluster for the membership errors
    let (create, second) = ix::create_cluster(&admin.pubkey(), ix::CreateClusterArgs { cluster_id: 2, threshold: 2, size: 2 });
    world.ok("create_cluster", &admin, &[], &[create]);
    let stranger = world.funded_wallet(5);
    let node_a = world.funded_wallet(5);
    let node_b = world.funded_wallet(5);
    let node_c = world.funded_wallet(5);
    check(
        expect_error(world.send("x", &stranger, &[&node_a], &[ix::register_node(&stranger.pubkey(), &node_a.pubkey(), &second, [1; 32])]), "NotClusterAdmin"),
        "NotClusterAdmin",
    );
    check(
        expect_error(world.send("x", &admin, &[&node_a], &[ix::register_node(&admin.pubkey(), &node_a.pubkey(), &second, [0; 32])]), "InvalidTransportKey"),
        "InvalidTransportKey",
    );
    world.ok("register_node", &admin, &[&node_a], &[ix::register_node(&admin.pubkey(), &node_a.pubkey(), &second, [1; 32])]);
    check(
        expect_error(world.send("x", &admin, &[&node_a], &[ix::register_node(&admin.pubkey(), &node_a.pubkey(), &second, [2; 32])]), "AlreadyMember"),
        "AlreadyMember",
    );
    world.ok("register_node", &admin, &[&node_b], &[ix::register_node(&admin.pubkey(), &node_b.pubkey(), &second, [3; 32])]);
    check(
        expect_error(world.send("x", &admin, &[&node_c], &[ix::register_node(&admin.pubkey(), &node_c.pubkey(), &second, [4; 32])]), "ClusterFull"),
        "ClusterFull",
    );

    // --- ceremony errors on the first cluster
    let node1 = world.nodes[0].authority.insecure_clone();
    let len = 71 + 32 * 2;
    check(expect_error(world.send("x", &node1, &[], &[ix::post_round1(&node1.pubkey(), &cluster, 5, 1, len, 0, &[1; 10])]), "WrongEpoch"), "WrongEpoch");
    check(expect_error(world.send("x", &stranger, &[], &[ix::post_round1(&stranger.pubkey(), &cluster, 0, 1, len, 0, &[1; 10])]), "NotAMember"), "NotAMember");
    check(
        expect_error(world.send("x", &node1, &[], &[ix::post_round1(&node1.pubkey(), &cluster, 0, 1, len + 1, 0, &[1; 10])]), "InvalidRound1Length"),
        "InvalidRound1Length",
    );
    world.ok("post_round1", &node1, &[], &[ix::post_round1(&node1.pubkey(), &cluster, 0, 1, len, 0, &[1; 10])]);
    check(
        expect_error(world.send("x", &node1, &[], &[ix::post_round1(&node1.pubkey(), &cluster, 0, 1, len, 20, &[1; 10])]), "ChunkOutOfOrder"),
        "ChunkOutOfOrder",
    );
    check(expect_error(world.send("x", &node1, &[], &[ix::post_round2(&node1.pubkey(), &cluster, 0, 1, 2, [7; 65])]), "Round1Incomplete"), "Round1Incomplete");
    // the honest ceremony then runs (node 1 restarts its dealing under a new epoch)
    world.ok("start_epoch", &admin, &[], &[ix::start_epoch(&admin.pubkey(), &cluster)]);
    world.run_ceremony_until_confirmations();
    check(expect_error(world.send("x", &node1, &[], &[ix::post_round2(&node1.pubkey(), &cluster, 1, 1, 1, [7; 65])]), "InvalidReceiver"), "InvalidReceiver");
    world.confirm(1, 1).expect("first confirmation");
    check(expect_error(world.confirm(1, 1), "AlreadyConfirmed"), "AlreadyConfirmed");
    let node2 = world.nodes[1].authority.insecure_clone();
    let shares: Vec<[u8; 32]> = world.nodes[1].output.as_ref().unwrap().verification_shares.values().map(|s| s.to_bytes()).collect();
    let wrong_pk = shares[0];
    check(
        expect_error(world.send("x", &node2, &[], &[ix::confirm_ceremony(&node2.pubkey(), &cluster, 1, 2, wrong_pk, shares)]), "CeremonyMismatch"),
        "CeremonyMismatch",
    );
    world.confirm(2, 1).unwrap();
    world.confirm(3, 1).unwrap();
    world.ok("init_share_patient_data_comp_def", &admin, &[], &[ix::init_share_patient_data_comp_def(&admin.pubkey(), &cluster)]);
    assert_eq!(world.cluster_account().status, 2);

    // --- user keys
    let patient = world.user();
    let doctor = world.user();
    let wallet = patient.wallet.insecure_clone();
    let proof = patient.key.prove_possession(&mut rand::thread_rng(), &doctor.wallet.pubkey().to_bytes());
    check(
        expect_error(
            world.send("x", &wallet, &[], &[ix::register_user_key(&wallet.pubkey(), patient.key.public_key().to_bytes(), proof.to_bytes())]),
            "InvalidKeyProof",
        ),
        "InvalidKeyProof",
    );
    check(
        expect_error(world.send("x", &wallet, &[], &[ix::register_user_key(&wallet.pubkey(), [0; 32], proof.to_bytes())]), "InvalidPublicKey"),
        "InvalidPublicKey",
    );

    // --- records
    let args = world.sealed_args(&patient, 1, 1, &vec![7u8; 1500]);
    let (under_ceremony, _) = ix::store_patient_data(&wallet.pubkey(), &second, 1, &ix::StoreArgs { chunk: vec![], ..args.clone() });
    check(expect_error(world.send("x", &wallet, &[], &[under_ceremony]), "WrongClusterStatus"), "WrongClusterStatus");
    let store = |world: &mut World, args: &ix::StoreArgs| {
        let (store, _) = ix::store_patient_data(&wallet.pubkey(), &cluster, 1, args);
        world.send("x", &wallet, &[], &[store])
    };
    check(expect_error(store(&mut world, &ix::StoreArgs { version: 2, chunk: vec![], ..args.clone() }), "InvalidVersion"), "InvalidVersion");
    check(expect_error(store(&mut world, &ix::StoreArgs { uri: b"x".to_vec(), chunk: vec![], ..args.clone() }), "InvalidStorage"), "InvalidStorage");
    check(
        expect_error(store(&mut world, &ix::StoreArgs { ciphertext_len: 2049, chunk: vec![], ..args.clone() }), "InvalidCiphertextLength"),
        "InvalidCiphertextLength",
    );
    let blob = ix::StoreArgs { storage: 1, digest: [9; 32], uri: vec![b'u'; 129], chunk: vec![], ..args.clone() };
    check(expect_error(store(&mut world, &blob), "InvalidUri"), "InvalidUri");
    let mut off_curve = args.cluster_capsule;
    off_curve[..32].copy_from_slice(&[0xff; 32]);
    check(expect_error(store(&mut world, &ix::StoreArgs { cluster_capsule: off_curve, chunk: vec![], ..args.clone() }), "InvalidCapsule"), "InvalidCapsule");
    let mut forged_proof = args.capsule_proof;
    forged_proof[40] ^= 1;
    check(
        expect_error(store(&mut world, &ix::StoreArgs { capsule_proof: forged_proof, chunk: vec![], ..args.clone() }), "InvalidCapsuleProof"),
        "InvalidCapsuleProof",
    );
    world.ok(
        "store_patient_data",
        &wallet,
        &[],
        &[ix::store_patient_data(&wallet.pubkey(), &cluster, 1, &ix::StoreArgs { chunk: args.chunk[..500].to_vec(), ..args.clone() }).0],
    );
    let record = medshare_client::pda::record(&wallet.pubkey(), 1);
    check(expect_error(world.share(&patient, &record, &doctor.wallet.pubkey(), 0).map(|_| unreachable!()), "RecordIncomplete"), "RecordIncomplete");
    world.ok("append_patient_data", &wallet, &[], &[ix::append_patient_data(&wallet.pubkey(), &record, 1, 500, &args.chunk[500..])]);

    // --- shares
    let nobody = world.unregistered_user();
    check(expect_error(world.share(&patient, &record, &nobody.wallet.pubkey(), 0).map(|_| unreachable!()), "RecipientNotRegistered"), "RecipientNotRegistered");
    let now = world.now();
    check(expect_error(world.share(&patient, &record, &doctor.wallet.pubkey(), now - 10).map(|_| unreachable!()), "InvalidExpiry"), "InvalidExpiry");
    let share_count = world.record(&record).share_count;
    let (mut wrong_cluster, _) = ix::share_patient_data(&wallet.pubkey(), &record, share_count, &second, &doctor.wallet.pubkey(), 0);
    wrong_cluster.accounts[3].pubkey = medshare_client::pda::circuit(&cluster); // an existing circuit account
    check(expect_error(world.send("x", &wallet, &[], &[wrong_cluster]), "AccountMismatch"), "AccountMismatch");

    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), now + 100).unwrap();
    world.answer(1, &request).unwrap();
    check(expect_error(world.answer(1, &request), "DuplicatePartial"), "DuplicatePartial");
    check(expect_error(world.send("x", &wallet, &[], &[ix::close_share_request(&wallet.pubkey(), &request)]), "NotClosable"), "NotClosable");
    let intruder = doctor.wallet.insecure_clone();
    check(expect_error(world.send("x", &intruder, &[], &[ix::revoke_share(&intruder.pubkey(), &request)]), "NotRecordOwner"), "NotRecordOwner");
    world.ok("suspend_node", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 3)]);
    check(expect_error(world.answer(3, &request), "NodeSuspended"), "NodeSuspended");
    world.answer(2, &request).unwrap();
    check(expect_error(world.answer(3, &request), "ShareAlreadyCompleted"), "ShareAlreadyCompleted");

    let revoked = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    world.ok("revoke_share", &wallet, &[], &[ix::revoke_share(&wallet.pubkey(), &revoked)]);
    check(expect_error(world.answer(1, &revoked), "ShareRevoked"), "ShareRevoked");

    let expiring = world.share(&patient, &record, &doctor.wallet.pubkey(), now + 5).unwrap();
    world.set_time(now + 6);
    check(expect_error(world.answer(1, &expiring), "ShareExpired"), "ShareExpired");

    // --- a new cluster key: the record must be re-keyed before it is shared again
    world.ok("start_epoch", &admin, &[], &[ix::start_epoch(&admin.pubkey(), &cluster)]);
    world.run_ceremony();
    check(expect_error(world.share(&patient, &record, &doctor.wallet.pubkey(), 0).map(|_| unreachable!()), "RecordSealedToOldKey"), "RecordSealedToOldKey");

    let all: BTreeSet<&str> = PROGRAM_ERRORS.iter().map(|(name, _)| *name).collect();
    let missing: Vec<_> = all.difference(&hit).collect();
    assert!(missing.is_empty(), "error codes no test hits: {missing:?}");
}
