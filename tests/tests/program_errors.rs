//! Every error code of the program, hit on the real `.so`, in one walk, so that the test
//! can check at the end that none is missing. Codes are append-only: an error that no
//! instruction raises any more stays in the enum and is listed in [`RETIRED`] with the
//! reason, and the test checks that the program's code really never raises it.
//!
//! | code | error | how it is hit here |
//! |---|---|---|
//! | 6000 | InvalidThreshold | start_epoch with t' = 1 |
//! | 6001 | InvalidClusterSize | retired: create_cluster takes no size |
//! | 6002 | NotClusterAdmin | invite_node signed by a stranger |
//! | 6003 | ClusterFull | retired: NoFreeSlot |
//! | 6004 | AlreadyMember | a member's authority invited again |
//! | 6005 | InvalidTransportKey | accept_invitation with the identity, and with bytes that are no point |
//! | 6006 | WrongClusterStatus | reshare before any key; store_patient_data under a cluster with no key |
//! | 6007 | WrongEpoch | start_epoch for epoch 5; post_dealing to a superseded ceremony |
//! | 6008 | NotAMember | remove_node of an empty slot; post_dealing by a stranger |
//! | 6009 | NodeSuspended | a suspended node's partial |
//! | 6010 | InvalidRound1Length | retired: no rounds |
//! | 6011 | ChunkOutOfOrder | a dealing chunk that skips bytes |
//! | 6012 | Round1Incomplete | retired: no rounds |
//! | 6013 | InvalidReceiver | retired: no per-receiver packages |
//! | 6014 | CeremonyMismatch | retired: confirmations are checked against the commitments alone |
//! | 6015 | AlreadyConfirmed | a receiver confirming twice |
//! | 6016 | InvalidPublicKey | register_user_key with the identity |
//! | 6017 | InvalidKeyProof | a user key's proof of possession made for another wallet |
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
//! | 6035 | NoFreeSlot | a 17th invitation |
//! | 6036 | NotInvited | accept_invitation by an authority nobody invited |
//! | 6037 | DuplicateTransportKey | accept_invitation with another member's transport key |
//! | 6038 | InvalidTransportKeyProof | a transport key's proof made for another authority |
//! | 6039 | WrongCeremonyPhase | a confirmation while dealing runs; a dealing after dealing closed |
//! | 6040 | DeadlinePassed | a dealing after the deal deadline |
//! | 6041 | NothingToAdvance | advance_ceremony before any deadline |
//! | 6042 | NotADealer | post_dealing by an active member left out of the ceremony; folding a disqualified dealer's dealing |
//! | 6043 | NotAReceiver | a complaint and a confirmation by a member left out of the ceremony |
//! | 6044 | DealingIncomplete | a complaint against a dealing of which one chunk is written |
//! | 6045 | DealerDisqualified | a complaint against a dealer whose dealing was rejected |
//! | 6046 | InvalidComplaintProof | a complaint whose Chaum–Pedersen response was changed |
//! | 6047 | DealingsNotFolded | a confirmation before every qualified dealing is folded |
//! | 6048 | NotEnoughMembers | start_epoch with t' = 4 for 3 members |
//! | 6049 | InvalidWindow | start_epoch with a window of 0 slots |
//! | 6050 | WrongMemberStatus | suspend_node of an invitation; start_epoch naming an empty slot |
//! | 6051 | NotAHolder | a partial from an active member that holds no share |
//! | 6052 | AlreadyFolded | a dealing folded twice |
//! | 6053 | NotExpired | expire_share_request on a revoked request |

use encrypted_circuits::ceremony::TransportSecret;
use medshare_client::{PROGRAM_ID, accounts::CeremonyPhase, errors::PROGRAM_ERRORS, events::Event, instructions as ix};
use medshare_tests::world::{Kind, Sent, WINDOW_SLOTS, World, expect_error};
use rand::SeedableRng;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::{collections::BTreeSet, path::Path};

/// Errors no instruction raises any more, with why. They keep their codes (append-only).
const RETIRED: &[(&str, &str)] = &[
    ("InvalidClusterSize", "create_cluster takes no size: a cluster has 16 member slots, and an invitation beyond them fails with NoFreeSlot"),
    ("ClusterFull", "replaced by NoFreeSlot: members are invited into free slots, not registered up to a size fixed at creation"),
    (
        "InvalidRound1Length",
        "the two-round ceremony is gone: a dealing's length follows from the ceremony's t', and post_dealing refuses overruns (ChunkOutOfOrder)",
    ),
    ("Round1Incomplete", "the two-round ceremony is gone: confirmations wait for dealing to close (WrongCeremonyPhase)"),
    ("InvalidReceiver", "no per-receiver packages: every receiver's sub-share is in the dealer's one dealing, and bytes in a non-receiver's slot reject it"),
    (
        "CeremonyMismatch",
        "members no longer confirm a PK they computed: each confirmation is checked against the public commitments alone (ConfirmationRejected, a fault)",
    ),
];

#[test]
fn every_error_code_is_hit() {
    let mut hit = BTreeSet::new();
    // `expect_error` asserts the name; this collects it
    let mut check = |name: &'static str, sent: Sent| {
        expect_error(sent, name);
        hit.insert(name);
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(6000);

    // --- membership: three members that accepted, no ceremony yet
    let mut world = World::registered(2, 3);
    let admin = world.admin.insecure_clone();
    let cluster = world.cluster;
    let stranger = world.funded_wallet(5);
    check("NotClusterAdmin", world.send("x", &stranger, &[], &[ix::invite_node(&stranger.pubkey(), &cluster, &stranger.pubkey())]));
    let node1 = world.nodes[0].authority.insecure_clone();
    check("AlreadyMember", world.send("x", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &node1.pubkey())]));
    let newcomer = world.funded_wallet(5);
    world.ok("invite_node", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &newcomer.pubkey())]);
    let transport = TransportSecret::random(&mut rng);
    let proof = transport.prove_possession(&mut rng, &PROGRAM_ID.to_bytes(), &cluster.to_bytes(), &newcomer.pubkey().to_bytes());
    let accept = |by: &Keypair, key: [u8; 32], proof: [u8; 64]| ix::accept_invitation(&by.pubkey(), &cluster, key, proof);
    check("NotInvited", world.send("x", &stranger, &[], &[accept(&stranger, transport.public_key(), proof)]));
    check("InvalidTransportKey", world.send("x", &newcomer, &[], &[accept(&newcomer, [0; 32], proof)]));
    check("InvalidTransportKey", world.send("x", &newcomer, &[], &[accept(&newcomer, [0xff; 32], proof)]));
    let taken = world.cluster_account().members[0].transport_key;
    check("DuplicateTransportKey", world.send("x", &newcomer, &[], &[accept(&newcomer, taken, proof)]));
    let for_stranger = transport.prove_possession(&mut rng, &PROGRAM_ID.to_bytes(), &cluster.to_bytes(), &stranger.pubkey().to_bytes());
    check("InvalidTransportKeyProof", world.send("x", &newcomer, &[], &[accept(&newcomer, transport.public_key(), for_stranger)]));
    check("WrongMemberStatus", world.send("x", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 4)]));
    world.ok("remove_node", &admin, &[], &[ix::remove_node(&admin.pubkey(), &cluster, 4)]);
    check("NotAMember", world.send("x", &admin, &[], &[ix::remove_node(&admin.pubkey(), &cluster, 4)]));

    // a second cluster, its 16 slots taken by invitations
    let (create, second) = ix::create_cluster(&admin.pubkey(), 2);
    world.ok("create_cluster", &admin, &[], &[create]);
    for _ in 0..16 {
        world.ok("invite_node", &admin, &[], &[ix::invite_node(&admin.pubkey(), &second, &Keypair::new().pubkey())]);
    }
    check("NoFreeSlot", world.send("x", &admin, &[], &[ix::invite_node(&admin.pubkey(), &second, &Keypair::new().pubkey())]));

    // --- starting a ceremony: nodes 1..3 and a fourth member left out
    assert_eq!(world.add_member(), 4, "the withdrawn invitation's slot is reused");
    let three = 0b0111;
    let start = |epoch: u64, threshold: u8, window: u32, members: u16| ix::start_epoch(&admin.pubkey(), &cluster, epoch, threshold, window, members);
    check("InvalidThreshold", world.send("x", &admin, &[], &[start(1, 1, WINDOW_SLOTS, three)]));
    check("NotEnoughMembers", world.send("x", &admin, &[], &[start(1, 4, WINDOW_SLOTS, three)]));
    check("InvalidWindow", world.send("x", &admin, &[], &[start(1, 2, 0, three)]));
    check("WrongEpoch", world.send("x", &admin, &[], &[start(5, 2, WINDOW_SLOTS, three)]));
    check("WrongMemberStatus", world.send("x", &admin, &[], &[start(1, 2, WINDOW_SLOTS, three | 1 << 4)]));
    check("WrongClusterStatus", world.send("x", &admin, &[], &[ix::reshare(&admin.pubkey(), &cluster, 1, 2, WINDOW_SLOTS, three)]));
    assert_eq!(world.start_for(Kind::KeyGeneration, 2, WINDOW_SLOTS, three).expect("start_epoch"), 1);

    // --- dealing
    check("NothingToAdvance", world.advance());
    check("WrongCeremonyPhase", world.confirm_with(1, [0; 32], [0; 64]));
    let node2 = world.nodes[1].authority.insecure_clone();
    let node3 = world.nodes[2].authority.insecure_clone();
    let node4 = world.nodes[3].authority.insecure_clone();
    let post = |by: &Keypair, dealer: u8, epoch: u64, offset: u16, chunk: &[u8]| ix::post_dealing(&by.pubkey(), &cluster, epoch, dealer, offset, chunk);
    check("NotADealer", world.send("x", &node4, &[], &[post(&node4, 4, 1, 0, &[0; 32])]));
    check("NotAMember", world.send("x", &stranger, &[], &[post(&stranger, 1, 1, 0, &[0; 32])]));
    let dealing1 = world.dealing_bytes(1);
    check("ChunkOutOfOrder", world.send("x", &node1, &[], &[post(&node1, 1, 1, 100, &dealing1[100..200])]));
    world.ok("post_dealing", &node1, &[], &[post(&node1, 1, 1, 0, &dealing1[..100])]);
    let complain = |by: &Keypair, dealer: u8, complaint: [u8; 96]| ix::complain_transaction(&by.pubkey(), &cluster, 1, dealer, complaint);
    check("DealingIncomplete", world.send("x", &node2, &[], &complain(&node2, 1, [0; 96])));
    world.ok("post_dealing", &node1, &[], &ix::with_compute_unit_limit(post(&node1, 1, 1, 100, &dealing1[100..])));
    // node 2's proof of knowledge is broken: its dealing is rejected, and it is disqualified
    let mut broken = world.dealing_bytes(2);
    broken[64] ^= 1;
    let rejected = world.post_dealing(2, &broken).expect("a rejected dealing is recorded");
    assert!(rejected.events.iter().any(|e| matches!(e, Event::DealingRejected(r) if r.dealer == 2)), "{:?}", rejected.events);
    check("DealerDisqualified", world.send("x", &node3, &[], &complain(&node3, 2, [0; 96])));
    check("NotAReceiver", world.send("x", &node4, &[], &complain(&node4, 1, [0; 96])));
    world.deal(3).expect("deal 3");
    assert_eq!((world.ceremony().phase, world.ceremony().qualified), (CeremonyPhase::Confirming, 0b101), "every dealer is in: Q = {{1, 3}}");
    check("WrongCeremonyPhase", world.send("x", &node1, &[], &[post(&node1, 1, 1, 0, &[0; 32])]));

    // --- complaints and confirmations
    let mut forged = world.complaint(3, 1);
    forged[64] ^= 1;
    check("InvalidComplaintProof", world.send("x", &node3, &[], &complain(&node3, 1, forged)));
    let finished = world.finish(1).expect("finish");
    let share = finished.share.verification_share().to_bytes();
    let confirm = ix::confirm_ceremony(&node1.pubkey(), &cluster, 1, share, finished.proof);
    check("DealingsNotFolded", world.send("x", &node1, &[], std::slice::from_ref(&confirm)));
    world.ok("fold_dealing", &admin, &[], &ix::fold_dealing_transaction(&cluster, 1, 1));
    check("DealingsNotFolded", world.send("x", &node1, &[], std::slice::from_ref(&confirm)));
    check("AlreadyFolded", world.send("x", &admin, &[], &ix::fold_dealing_transaction(&cluster, 1, 1)));
    check("NotADealer", world.send("x", &admin, &[], &ix::fold_dealing_transaction(&cluster, 1, 2)));
    world.ok("fold_dealing", &admin, &[], &ix::fold_dealing_transaction(&cluster, 1, 3));
    world.confirm(1).expect("confirm 1");
    check("AlreadyConfirmed", world.confirm(1));
    check("NotAReceiver", world.confirm_with(4, share, finished.proof));
    world.confirm(3).expect("confirm 3: Q has confirmed, the key activates");
    assert_eq!(world.epoch(), 1);
    world.confirm(2).expect("a late confirmation");
    world.ok("init_share_patient_data_comp_def", &admin, &[], &[ix::init_share_patient_data_comp_def(&admin.pubkey(), &cluster)]);
    assert_eq!(world.cluster_account().status, 2);

    // --- a resharing superseded by another, whose dealing runs out of time
    world.start(Kind::Resharing, 2, WINDOW_SLOTS).expect("reshare");
    world.deal(1).expect("deal in epoch 2");
    world.start(Kind::Resharing, 2, WINDOW_SLOTS).expect("a new resharing supersedes it");
    check("WrongEpoch", world.send("x", &node2, &[], &[post(&node2, 2, 2, 0, &[0; 32])]));
    world.deal(1).expect("deal in epoch 3");
    world.pass_slots(u64::from(WINDOW_SLOTS) + 1);
    check("DeadlinePassed", world.deal(2));
    world.advance().expect("dealing closes with Q = {1}, fewer than t");
    assert_eq!((world.ceremony().phase, world.epoch()), (CeremonyPhase::Failed, 1), "epoch 1 serves on");

    // --- user keys
    let patient = world.user();
    let doctor = world.user();
    let wallet = patient.wallet.insecure_clone();
    let proof = patient.key.prove_possession(&mut rng, &doctor.wallet.pubkey().to_bytes());
    check("InvalidKeyProof", world.send("x", &wallet, &[], &[ix::register_user_key(&wallet.pubkey(), patient.key.public_key().to_bytes(), proof.to_bytes())]));
    check("InvalidPublicKey", world.send("x", &wallet, &[], &[ix::register_user_key(&wallet.pubkey(), [0; 32], proof.to_bytes())]));

    // --- records
    let args = world.sealed_args(&patient, 1, 1, &vec![7u8; 1500]);
    let (keyless, _) = ix::store_patient_data(&wallet.pubkey(), &second, 1, &ix::StoreArgs { chunk: vec![], ..args.clone() });
    check("WrongClusterStatus", world.send("x", &wallet, &[], &[keyless]));
    let store = |world: &mut World, args: &ix::StoreArgs| {
        let (store, _) = ix::store_patient_data(&wallet.pubkey(), &cluster, 1, args);
        world.send("x", &wallet, &[], &[store])
    };
    check("InvalidVersion", store(&mut world, &ix::StoreArgs { version: 2, chunk: vec![], ..args.clone() }));
    check("InvalidStorage", store(&mut world, &ix::StoreArgs { uri: b"x".to_vec(), chunk: vec![], ..args.clone() }));
    check("InvalidCiphertextLength", store(&mut world, &ix::StoreArgs { ciphertext_len: 2049, chunk: vec![], ..args.clone() }));
    check("InvalidUri", store(&mut world, &ix::StoreArgs { storage: 1, digest: [9; 32], uri: vec![b'u'; 129], chunk: vec![], ..args.clone() }));
    let mut off_curve = args.cluster_capsule;
    off_curve[..32].copy_from_slice(&[0xff; 32]);
    check("InvalidCapsule", store(&mut world, &ix::StoreArgs { cluster_capsule: off_curve, chunk: vec![], ..args.clone() }));
    let mut forged_proof = args.capsule_proof;
    forged_proof[40] ^= 1;
    check("InvalidCapsuleProof", store(&mut world, &ix::StoreArgs { capsule_proof: forged_proof, chunk: vec![], ..args.clone() }));
    world.ok(
        "store_patient_data",
        &wallet,
        &[],
        &[ix::store_patient_data(&wallet.pubkey(), &cluster, 1, &ix::StoreArgs { chunk: args.chunk[..500].to_vec(), ..args.clone() }).0],
    );
    let record = medshare_client::pda::record(&wallet.pubkey(), 1);
    check("RecordIncomplete", world.share(&patient, &record, &doctor.wallet.pubkey(), 0).map(|_| unreachable!()));
    world.ok("append_patient_data", &wallet, &[], &[ix::append_patient_data(&wallet.pubkey(), &record, 1, 500, &args.chunk[500..])]);

    // --- shares
    let nobody = world.unregistered_user();
    check("RecipientNotRegistered", world.share(&patient, &record, &nobody.wallet.pubkey(), 0).map(|_| unreachable!()));
    let now = world.now();
    check("InvalidExpiry", world.share(&patient, &record, &doctor.wallet.pubkey(), now - 10).map(|_| unreachable!()));
    let share_count = world.record(&record).share_count;
    let (mut wrong_cluster, _) = ix::share_patient_data(&wallet.pubkey(), &record, share_count, &second, &doctor.wallet.pubkey(), 0);
    wrong_cluster.accounts[3].pubkey = medshare_client::pda::circuit(&cluster); // an existing circuit account
    check("AccountMismatch", world.send("x", &wallet, &[], &[wrong_cluster]));

    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), now + 100).unwrap();
    world.answer(1, &request).unwrap();
    check("DuplicatePartial", world.answer(1, &request));
    check("NotClosable", world.send("x", &wallet, &[], &[ix::close_share_request(&wallet.pubkey(), &request)]));
    let intruder = doctor.wallet.insecure_clone();
    check("NotRecordOwner", world.send("x", &intruder, &[], &[ix::revoke_share(&intruder.pubkey(), &request)]));
    // node 4 is active but was left out of the ceremony: it holds no share to answer with
    let borrowed = world.partial(2, &request);
    check("NotAHolder", world.post_partial(4, &request, &borrowed));
    world.ok("suspend_node", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 3)]);
    check("NodeSuspended", world.answer(3, &request));
    world.answer(2, &request).unwrap();
    check("ShareAlreadyCompleted", world.answer(3, &request));

    let revoked = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    world.ok("revoke_share", &wallet, &[], &[ix::revoke_share(&wallet.pubkey(), &revoked)]);
    check("ShareRevoked", world.answer(1, &revoked));

    let expiring = world.share(&patient, &record, &doctor.wallet.pubkey(), now + 5).unwrap();
    check("NotExpired", world.send("x", &admin, &[], &[ix::expire_share_request(&revoked)]));
    world.set_time(now + 6);
    check("ShareExpired", world.answer(1, &expiring));

    // --- a new cluster key: the record must be re-keyed before it is shared again
    world.start(Kind::KeyGeneration, 2, WINDOW_SLOTS).expect("start_epoch");
    world.run_ceremony();
    check("RecordSealedToOldKey", world.share(&patient, &record, &doctor.wallet.pubkey(), 0).map(|_| unreachable!()));

    // every error is either hit or retired, never both
    let retired: BTreeSet<&str> = RETIRED.iter().map(|(name, _)| *name).collect();
    for (name, _) in PROGRAM_ERRORS {
        assert!(hit.contains(name) ^ retired.contains(name), "{name}: hit = {}, retired = {}", hit.contains(name), retired.contains(name));
    }
    assert!(retired.iter().all(|name| PROGRAM_ERRORS.iter().any(|(n, _)| n == name)), "every retired name is a program error");
}

/// A retired error must really be unreachable: no code of the program outside the enum's
/// declaration names it (in `require!`, `Err(`, `ok_or` or anywhere else).
#[test]
fn retired_errors_are_raised_nowhere_in_the_program() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../programs/medical-records/src");
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 10, "the program's sources are read from {}", src.display());
    let errors_rs = std::fs::read_to_string(src.join("errors.rs")).unwrap();
    let names_word = |line: &str, name: &str| {
        line.match_indices(name).any(|(at, _)| {
            let before = line[..at].chars().next_back();
            let after = line[at + name.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    let mut raising = Vec::new();
    for (name, reason) in RETIRED {
        assert!(!reason.is_empty());
        assert!(errors_rs.lines().any(|l| l.trim() == format!("{name},")), "{name} keeps its place (and code) in the enum");
        for file in files.iter().filter(|f| **f != src.join("errors.rs")) {
            let text = std::fs::read_to_string(file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if names_word(code, name) {
                    raising.push(format!("{}:{}: {name}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(raising.is_empty(), "retired errors used by the program: {raising:#?}");
}
